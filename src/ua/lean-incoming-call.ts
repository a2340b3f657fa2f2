/**
 * An INVITE over UDP answered without an INVITE server transaction or an early dialog: the lean
 * path of the common call (see lean-invites.ts for when it is taken). One object does what RFC
 * 3261 17.2.1 and RFC 6026 ask of the transaction:
 * - 100 Trying at once, and the latest provisional again for each retransmitted INVITE;
 * - a non-2xx final resent at T1, 2T1 ... T2 (Timer G) until its ACK, for at most 64*T1 (Timer H);
 * - the INVITE's retransmissions absorbed for 64*T1 after the final (Timers L and H), by the
 *   table that holds it.
 * The 2xx is resent by its session until the ACK (13.3.1.4), as on the general path. Its
 * provisionals are never reliable (an INVITE with a Require takes the general path), and the
 * early dialog they make becomes a session only when the caller sends a request in it (an UPDATE
 * before the answer: earlySession()), which few calls do.
 */
import type { TimerHandle } from '../clock.js';
import { createUasDialogAs, dialogWith, type DialogRecord } from '../dialog/index.js';
import { responseText, type SipRequest } from '../sip/index.js';
import type { Destination, Lingering, MessageSource } from '../transaction/index.js';
import { responseDestinationFor } from '../transport/index.js';
import { UaError, UaErrorCode } from './errors.js';
import type { ProgressParts } from './incoming-call.js';
import { bodyText, type ResponseParts } from './incoming-request.js';
import type { IncomingInvite } from './invites.js';
import { Session } from './session.js';
import { responseHeaders, uasDecide, type UasDecision } from './session-timer.js';
import type { SessionEnd } from './types.js';
import type { UserAgent } from './user-agent.js';

/** What the lean table does for a call once it has its final: keep it, or less (a 2xx's), for retransmissions. */
export interface LeanIncomingTable {
  answered(call: LeanIncomingCall, accepted: boolean): void;
  /** 64*T1 after the final: the call (or what stood for it) goes. */
  expired(key: string, entry: unknown): void;
}

/** What a call begun elsewhere (the engine's flat path) has sent the caller so far, taken over while it rings. */
export interface RingingIncoming {
  localTag: string;
  contact: string;
  /** The latest provisional sent (text), its status and SDP. */
  last: string;
  lastStatus: number;
  lastSdp: string | null;
}

export class LeanIncomingCall implements IncomingInvite, Lingering {
  readonly localTag: string;
  contact: string;
  session: Session | null = null;
  onCancel: (() => void) | null = null;
  onPrack: ((prack: SipRequest) => void) | null = null;
  onEarlySession: ((session: Session) => void) | null = null;
  private settledAt = false;
  /**
   * What a retransmitted INVITE gets again: the latest provisional, or the non-2xx final, as
   * text (responseText), with its status and the SDP it carried.
   */
  private last: string;
  private lastStatus = 100;
  private lastSdp: string | null = null;
  /** The non-2xx final (text), resent by Timer G until its ACK. */
  private final: string | null = null;
  /** Where the responses go (18.2.2), the same for all of them. */
  private readonly destination: Destination;
  private resend: TimerHandle | null = null;
  private interval = 0;
  private readonly timer: UasDecision;

  constructor(
    private readonly ua: UserAgent,
    readonly request: SipRequest,
    readonly source: MessageSource,
    /** The INVITE's server transaction key (17.2.3): the table's key for it. */
    readonly key: string,
    private readonly table: LeanIncomingTable,
    /** Taken over ringing (LeanInvites.adoptIncoming): nothing is sent now. */
    taken?: RingingIncoming,
  ) {
    this.localTag = taken?.localTag ?? ua.newTag();
    this.contact = taken?.contact ?? ua.contactFor(source);
    let timer: UasDecision;
    try {
      timer = uasDecide(request, ua.sessionTimer);
    } catch {
      timer = { kind: 'none' };
    }
    this.timer = timer;
    this.destination = responseDestinationFor(request.topVia, source);
    if (taken !== undefined) {
      this.last = taken.last;
      this.lastStatus = taken.lastStatus;
      this.lastSdp = taken.lastSdp;
      return;
    }
    // 17.2.1: 100 Trying at once (8.2.6.2: no To tag); it is what a retransmission gets until
    // a provisional of ours replaces it.
    this.last = responseText(request, { status: 100 });
    this.send(this.last);
  }

  useContactUser(user: string): void {
    if (this.settledAt) throw new UaError(UaErrorCode.state, 'The INVITE is answered already: its Contact is fixed');
    this.contact = this.ua.contactFor(this.source, user);
  }

  get offer(): string | null {
    return bodyText(this.request);
  }

  get sessionIntervalTooSmall(): number | null {
    return this.timer.kind === 'too-small' ? this.timer.minSE : null;
  }

  get answered(): boolean {
    return this.settledAt;
  }

  /** A provisional response; never reliable here (`parts.reliable` is not honoured). */
  progress(status = 180, parts?: ProgressParts): void {
    if (this.settledAt) return;
    if (status <= 100 || status >= 200) throw new UaError(UaErrorCode.state, `progress() takes 101-199, not ${status}`);
    this.last = this.response(status, parts, true);
    this.lastStatus = status;
    this.lastSdp = sdpOf(parts);
    this.send(this.last);
  }

  /** 200 OK: the confirmed session, whose 2xx is resent until the ACK (13.3.1.4). */
  accept(parts?: ResponseParts): Session {
    if (this.settledAt) throw new UaError(UaErrorCode.state, 'The INVITE is answered already');
    const timer = this.timer;
    if (timer.kind === 'too-small') {
      this.reject(422, { headers: [['Min-SE', String(timer.minSE)]] });
      throw new UaError(UaErrorCode.state, 'Session interval too small: answered 422');
    }
    this.settle(true);
    const response = this.response(200, parts, true, timer.kind === 'timer' ? responseHeaders(timer) : undefined);
    const sdp = sdpOf(parts);
    const now = this.ua.clock.wallNow();
    let session = this.session;
    if (session === null) {
      session = new Session(this.ua, { dialog: this.dialog(200), localSdp: sdp, remoteSdp: this.offer, sessionTimer: null, createdAt: now, answeredAt: now });
      this.session = session;
    } else {
      // The early dialog a request in it made (earlySession) is confirmed.
      session.record.dialog = dialogWith(session.record.dialog, { state: 'confirmed' });
      session.record.localSdp = sdp ?? session.record.localSdp;
      session.record.answeredAt = now;
    }
    session.compact();
    this.send(response);
    session.awaitAck(this.request.cseq.seq, response, this);
    if (timer.kind === 'timer') session.setSessionTimer(timer.interval, timer.refresher === 'uas');
    return session;
  }

  /** A final non-2xx (486, 603, 488 ...), resent until its ACK (Timer G). */
  reject(status: number, parts?: ResponseParts): void {
    this.fail(status, parts, { by: 'local', cause: 'rejected', status });
  }

  private fail(status: number, parts: ResponseParts | undefined, end: SessionEnd): void {
    if (this.settledAt) return;
    if (status < 300) throw new UaError(UaErrorCode.state, `reject() takes 300-699, not ${status}`);
    this.settle(false);
    const response = this.response(status, parts, false);
    this.final = response;
    this.last = response;
    this.send(response);
    this.interval = this.ua.t1;
    this.resend = this.ua.clock.setTimer(this.interval, this.timerG);
    this.session?.finish(end);
  }

  /**
   * @internal A request in the early dialog our provisional made (12.1.1): the dialog becomes a
   * session now, and the application hears of it (onEarlySession). Null when there is no such
   * dialog: no provisional with our tag went out, or a final did.
   */
  earlySession(): Session | null {
    if (this.settledAt) return null;
    if (this.session !== null || this.lastStatus === 100) return this.session;
    const now = this.ua.clock.wallNow();
    const session = new Session(this.ua, { dialog: this.dialog(this.lastStatus), localSdp: this.lastSdp, remoteSdp: this.offer, sessionTimer: null, createdAt: now, answeredAt: null });
    this.session = session;
    this.onEarlySession?.(session);
    return session;
  }

  /** @internal A CANCEL matched (9.2): 487 unless a final is out, then the application is told. */
  cancelled(): void {
    if (this.settledAt) return;
    const onCancel = this.onCancel;
    this.fail(487, undefined, { by: 'remote', cause: 'cancel', status: 487 });
    onCancel?.();
  }

  /**
   * @internal The INVITE again (17.2.1): the latest provisional or the non-2xx final again. After
   * a 2xx the table holds a stand-in instead, which only absorbs it (RFC 6026: the session resends
   * the 2xx).
   */
  retransmitted(): void {
    this.ua.transactions.stats.absorbed++;
    this.send(this.last);
  }

  /**
   * @internal An ACK with the INVITE's branch. The ACK of a non-2xx final ends Timer G and is
   * absorbed (true); any other (a 2xx's ACK from a peer that reused the branch) is the core's.
   */
  acknowledged(): boolean {
    if (this.final === null) return false;
    this.stopResend();
    return true;
  }

  /** @internal 64*T1 after a non-2xx final: Timer H ends too, and the table lets the call go. */
  lingerDue(): void {
    this.stopResend();
    this.table.expired(this.key, this);
  }

  /** @internal For AckWait: the 2xx again. */
  respond(response: string): void {
    this.send(response);
  }

  dispose(): void {
    this.settledAt = true;
    this.stopResend();
  }

  private readonly timerG = (): void => {
    if (this.final === null || this.resend === null) return;
    this.ua.transactions.stats.retransmissions++;
    this.send(this.final);
    this.interval = Math.min(2 * this.interval, this.ua.transactions.timers.t2);
    this.resend = this.ua.clock.setTimer(this.interval, this.timerG);
  };

  private stopResend(): void {
    this.ua.clock.clearTimer(this.resend);
    this.resend = null;
  }

  /**
   * A final is out. The table keeps this object 64*T1 for the retransmissions of a non-2xx (and
   * less for a 2xx's): the application's callbacks go now, as they hold its call.
   */
  private settle(accepted: boolean): void {
    this.settledAt = true;
    this.onCancel = null;
    this.onEarlySession = null;
    this.table.answered(this, accepted);
  }

  /**
   * A response of ours (8.2.6.2) as text: with our To tag, and for a provisional or a 2xx our
   * Contact (12.1.1) and the UA's Allow, Supported and User-Agent, as callResponse makes it.
   */
  private response(status: number, parts: ResponseParts | undefined, dialog: boolean, extra?: readonly (readonly [string, string])[]): string {
    return responseText(this.request, {
      status,
      reason: parts?.reason,
      toTag: this.localTag,
      contact: dialog ? this.contact : undefined,
      headers: [dialog ? this.ua.standardHeaders() : undefined, parts?.headers, extra],
      body: parts?.body,
      contentType: parts?.contentType,
    });
  }

  /** The dialog a response of ours with `status` makes (12.1.1). */
  private dialog(status: number): DialogRecord {
    // The To of our responses is the INVITE's with our tag (it has none: see lean-invites.ts).
    return createUasDialogAs(this.request, { status, localTag: this.localTag, localTarget: this.contact, localUri: `${this.request.header('to') ?? ''};tag=${this.localTag}` });
  }

  private send(response: string): void {
    this.ua.transport.sendText(response, this.destination, this.ua.responseSent);
  }
}

/** The SDP a response carries, as the session record keeps it (null for none). */
function sdpOf(parts: ResponseParts | undefined): string | null {
  const body = parts?.body;
  if (body === undefined || body.length === 0) return null;
  return typeof body === 'string' ? body : body.toString('utf8');
}
