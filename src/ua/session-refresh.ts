/**
 * One session's RFC 4028 session timer as it runs: the interval, the refresher and the deadline
 * live in the session's record (so another instance can re-arm them after a takeover); this
 * holds the clock timer armed from them, and at the deadline refreshes the session (re-INVITE or
 * UPDATE, as configured) when we are the refresher, or ends it with BYE when the peer was and
 * no refresh came (section 10).
 */
import type { TimerHandle } from '../clock.js';
import type { SipResponse } from '../sip/index.js';
import { requestHeaders, timerState, uacFromResponse } from './session-timer.js';
import type { MessageParts, SessionEnd, SessionRecord } from './types.js';
import type { UserAgent } from './user-agent.js';

/** What the timer needs of its session (Session implements it). */
export interface RefreshedSession {
  readonly record: SessionRecord;
  /** Null while the session lasts. */
  readonly end: SessionEnd | null;
  bye(cause: SessionEnd['cause']): Promise<unknown>;
  reinvite(parts?: MessageParts): Promise<SipResponse>;
  update(parts?: MessageParts): Promise<SipResponse>;
}

/** A refresh that could not start (an offer exchange in progress) is tried again this much later. */
const RETRY_MS = 2_000;

export class SessionRefresh {
  private handle: TimerHandle | null = null;

  constructor(
    private readonly ua: UserAgent,
    private readonly session: RefreshedSession,
  ) {}

  /** The timer a 2xx to our (re-)INVITE or UPDATE sets (7.2), or none when it sets none. */
  fromResponse(response: SipResponse): void {
    if (this.ua.sessionTimer === null) return;
    let st: ReturnType<typeof uacFromResponse>;
    try {
      st = uacFromResponse(response);
    } catch {
      st = null;
    }
    if (st === null) {
      this.clear();
      return;
    }
    this.set(st.interval, st.refresher === 'uac');
  }

  /** A new interval from now, refreshed by us or by the peer. */
  set(interval: number, weRefresh: boolean): void {
    this.session.record.sessionTimer = timerState(interval, weRefresh, this.ua.clock.wallNow());
    this.arm();
  }

  /** Arms the clock timer from the record's deadline (also after a takeover by another instance). */
  arm(): void {
    this.stop();
    const st = this.session.record.sessionTimer;
    if (st === null || this.session.end !== null) return;
    const delay = Math.max(0, st.deadline - this.ua.clock.wallNow());
    this.handle = this.ua.clock.setTimer(delay, () => {
      this.handle = null;
      void this.fired();
    });
  }

  /** No timer any more: the record's state goes too. */
  clear(): void {
    this.stop();
    this.session.record.sessionTimer = null;
  }

  /** Disarms the clock timer, leaving the record as it is (the session ends, or is re-armed). */
  stop(): void {
    this.ua.clock.clearTimer(this.handle);
    this.handle = null;
  }

  private async fired(): Promise<void> {
    const { session } = this;
    const st = session.record.sessionTimer;
    const config = this.ua.sessionTimer;
    if (st === null || config === null || session.end !== null) return;
    if (!st.weRefresh) {
      // Section 10: no refresh came in time: the session is over.
      await session.bye('session-expired');
      return;
    }
    try {
      const headers = requestHeaders(config, st.interval, 'uac');
      const localSdp = session.record.localSdp;
      const response = config.refreshWith === 'UPDATE' ? await session.update({ headers }) : await session.reinvite(localSdp === null ? undefined : { body: localSdp });
      if (response.status >= 300 && session.end === null) this.set(st.interval, true);
    } catch {
      // An offer exchange is in progress: it refreshes the session itself; try again soon.
      if (session.end === null) {
        session.record.sessionTimer = Object.freeze({ ...st, deadline: this.ua.clock.wallNow() + RETRY_MS });
        this.arm();
      }
    }
  }
}
