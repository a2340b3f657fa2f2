/**
 * RFC 3261 13.3.1.4: a UAS resends its 2xx to an INVITE at T1, 2T1, 4T1 ... capped at T2 until
 * the ACK comes, and gives up after 64*T1 (the session then ends with BYE).
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { SipResponse } from '../sip/index.js';

/**
 * What resends the 2xx: the INVITE's server transaction (a SipResponse), or a lean INVITE
 * (lean-incoming-call.ts: the response's text).
 */
export interface ResponseResender<R = SipResponse> {
  respond(response: R): unknown;
}

export class AckWait<R = SipResponse> {
  private interval: number;
  private resend: TimerHandle | null;
  private readonly giveUp: TimerHandle;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    t1: number,
    private readonly t2: number,
    /** CSeq number of the INVITE whose ACK ends the wait. */
    readonly seq: number,
    private readonly response: R,
    private readonly tx: ResponseResender<R>,
    onGiveUp: () => void,
  ) {
    this.interval = t1;
    this.resend = clock.setTimer(t1, this.fire);
    this.giveUp = clock.setTimer(64 * t1, () => {
      if (this.stopped) return;
      this.stop();
      onGiveUp();
    });
  }

  private readonly fire = (): void => {
    if (this.stopped) return;
    this.tx.respond(this.response);
    this.interval = Math.min(2 * this.interval, this.t2);
    this.resend = this.clock.setTimer(this.interval, this.fire);
  };

  stop(): void {
    this.stopped = true;
    this.clock.clearTimer(this.resend);
    this.clock.clearTimer(this.giveUp);
    this.resend = null;
  }
}
