/** A re-INVITE or UPDATE from the peer, handed to the application by its Session. */
import type { SipRequest, SipResponse } from '../sip/index.js';
import type { ServerTransaction } from '../transaction/index.js';
import { bodyText, IncomingRequest, type ResponseParts } from './incoming-request.js';
import type { UasDecision } from './session-timer.js';
import type { Session } from './session.js';

/** A re-INVITE or UPDATE from the peer, to accept (2xx, with our answer) or reject. */
export class IncomingOffer extends IncomingRequest {
  constructor(
    request: SipRequest,
    tx: ServerTransaction,
    toTag: string,
    private readonly session: Session,
    private readonly timer: UasDecision,
  ) {
    super(request, tx.source, tx, toTag);
  }

  /** The SDP of the request: an offer, or null (a re-INVITE without SDP asks us for one). */
  get sdp(): string | null {
    return bodyText(this.request);
  }

  accept(parts?: ResponseParts): void {
    if (this.response !== null) return;
    const response = this.build(200, parts);
    this.session.accepted(this, response, this.timer, parts);
    this.tx.respond(response);
  }

  reject(status = 488, parts?: ResponseParts): void {
    if (this.response !== null) return;
    this.session.rejected(this);
    this.respond(status, parts);
  }

  /** @internal */
  markAnswered(response: SipResponse): void {
    (this as unknown as { _response: SipResponse })._response = response;
  }
}
