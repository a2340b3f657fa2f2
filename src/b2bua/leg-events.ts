import type { Side } from '../media/index.js';
import type { SipRequest } from '../sip/index.js';
import type { IncomingOffer, IncomingRequest, SessionEnd, SessionHandler } from '../ua/index.js';
import type { Call } from './call.js';

/**
 * The events of one answered leg, handed to the call: one small object per leg instead of four
 * closures (and their contexts) for as long as the call lasts.
 */
export class LegEvents implements SessionHandler {
  constructor(
    private readonly call: Call,
    private readonly side: Side,
  ) {}

  onOffer(offer: IncomingOffer): void {
    this.call.legOffer(this.side, offer);
  }

  onRequest(request: IncomingRequest): void {
    this.call.legRequest(this.side, request);
  }

  onAck(ack: SipRequest): void {
    this.call.legAck(this.side, ack);
  }

  onTerminated(end: SessionEnd): void {
    this.call.legTerminated(this.side, end);
  }
}
