/**
 * A message a flat call (flat-call.ts) sends again until it is answered, over UDP: a request at
 * T1, 2T1, 4T1 ... (capped at `cap`) until 64*T1 (RFC 3261 Timers A/B and E/F), or our final
 * response until its ACK (Timers G/H, 13.3.1.4 for a 2xx). It keeps the text, not a Buffer: one
 * cut from Node's shared pool would hold the whole pool block for as long. The first wait is an
 * entry in the UA's t1Queue, as nearly every message is answered within it.
 */
import type { TimerHandle } from '../clock.js';
import type { Destination, Lingering } from '../transaction/index.js';
import type { UserAgent } from '../ua/index.js';

/** Told when a Resend ran out (64*T1 unanswered): a method, not a closure kept per message. */
export interface ResendOwner {
  resendTimedOut(resend: Resend): void;
}

export class Resend implements Lingering {
  /** The clock timer of a later wait (2T1 on): the first, T1, waits in the UA's t1Queue. */
  private timer: TimerHandle | null = null;
  /** Its entry in the UA's t1Queue while the first wait runs, else 0. */
  private token: number;
  private interval: number;
  /** 64*T1 after the first send: set when the first wait ends (T1 after it), as nearly none does. */
  private deadline = 0;
  /** A provisional came (a non-INVITE request's Proceeding): Timer E fires at T2 from now on. */
  private slow = false;

  constructor(
    private readonly ua: UserAgent,
    /** The message, latin1 (a byte per code unit). */
    readonly text: string,
    private readonly destination: Destination,
    /** The longest interval: T2 for all but an INVITE (Timer A only doubles). */
    private readonly cap: number,
    /** Told when 64*T1 went by unanswered; null: nobody. */
    private readonly owner: ResendOwner | null,
    private readonly sent: (err: Error | null) => void,
  ) {
    this.interval = ua.t1;
    ua.transport.sendText(text, destination, sent);
    this.token = ua.t1Queue.add(this);
  }

  /** Its branch's request was answered provisionally: Timer E now fires at T2 (17.1.2.2). */
  proceeding(): void {
    this.slow = true;
  }

  stop(): void {
    if (this.token !== 0) {
      this.ua.t1Queue.cancel(this.token);
      this.token = 0;
    }
    this.ua.clock.clearTimer(this.timer);
    this.timer = null;
  }

  /** The first wait (T1) ended unanswered. */
  lingerDue(): void {
    this.token = 0;
    this.fire();
  }

  private fire(): void {
    this.timer = null;
    const ua = this.ua;
    const now = ua.clock.now();
    if (this.deadline === 0) this.deadline = now + 63 * ua.t1;
    const left = this.deadline - now;
    if (left <= 0) {
      ua.transactions.stats.timeouts++;
      this.owner?.resendTimedOut(this);
      return;
    }
    ua.transactions.stats.retransmissions++;
    ua.transport.sendText(this.text, this.destination, this.sent);
    const t2 = ua.transactions.timers.t2;
    this.interval = this.slow ? t2 : Math.min(2 * this.interval, this.cap);
    // A closure only for the few resent at all.
    this.timer = ua.clock.setTimer(Math.min(this.interval, left), () => this.fire());
  }
}
