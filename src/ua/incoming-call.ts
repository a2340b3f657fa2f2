/**
 * An INVITE outside any dialog, being answered (UAS core, RFC 3261 13.3): provisional responses
 * (reliable ones per RFC 3262 with PRACK), the 2xx that makes the session, or a rejection; and
 * CANCEL (9.2) while no final response is out.
 */
import type { TimerHandle } from '../clock.js';
import { createUasDialog, dialogWith } from '../dialog/index.js';
import { parseRAck, type SipRequest, type SipResponse } from '../sip/index.js';
import type { InviteServerTransaction, MessageSource, ServerTransaction } from '../transaction/index.js';
import { UaError, UaErrorCode } from './errors.js';
import { bodyText, buildResponse, type ResponseParts } from './incoming-request.js';
import { Session } from './session.js';
import { requires, responseHeaders, supports, uasDecide, type UasDecision } from './session-timer.js';
import type { UserAgent } from './user-agent.js';
import type { IncomingInvite } from './invites.js';

export interface ProgressParts extends ResponseParts {
  /** Send it reliably (RFC 3262) when the caller supports 100rel; always when it requires it. */
  reliable?: boolean;
}

interface Reliable {
  response: SipResponse;
  rseq: number;
  interval: number;
  resend: TimerHandle | null;
  giveUp: TimerHandle | null;
}

export class IncomingCall implements IncomingInvite {
  readonly localTag: string;
  /** Our Contact URI for this call's dialog (see useContactUser). */
  contact: string;
  /** The early or confirmed session, once a response with our tag went out. */
  session: Session | null = null;
  /** The caller cancelled (the 487 is out). */
  onCancel: (() => void) | null = null;
  /** A PRACK acknowledged our reliable provisional (its SDP, if any, is in the session record). */
  onPrack: ((prack: SipRequest) => void) | null = null;
  /** Never called here: the early session is made with the provisional (session). */
  onEarlySession: ((session: Session) => void) | null = null;
  private settled = false;
  private rseq: number;
  private reliable: Reliable | null = null;
  private readonly queued: (() => void)[] = [];
  private readonly timer: UasDecision;

  constructor(
    private readonly ua: UserAgent,
    readonly request: SipRequest,
    readonly tx: InviteServerTransaction,
  ) {
    this.localTag = ua.newTag();
    this.contact = ua.contactFor(tx.source);
    this.rseq = 1 + Math.floor(ua.random() * 0x3fffffff);
    let timer: UasDecision;
    try {
      timer = uasDecide(request, ua.sessionTimer);
    } catch {
      timer = { kind: 'none' };
    }
    this.timer = timer;
  }

  /** The early session, made with the first provisional (see IncomingInvite.earlySession). */
  earlySession(): Session | null {
    return this.settled ? null : this.session;
  }

  /** Puts `user` (e.g. an opaque leg key) in our Contact; only before the first response with our tag. */
  useContactUser(user: string): void {
    if (this.session !== null) throw new UaError(UaErrorCode.state, 'The dialog exists already: its Contact is fixed');
    this.contact = this.ua.contactFor(this.tx.source, user);
  }

  get source(): MessageSource {
    return this.tx.source;
  }

  /** The caller's SDP offer, or null (a late-offer INVITE: our 2xx must carry the offer). */
  get offer(): string | null {
    return bodyText(this.request);
  }

  /** RFC 4028 8.1: the interval asked for is below our Min-SE; answer with reject(422) (done for you by acceptOrRefuse). */
  get sessionIntervalTooSmall(): number | null {
    return this.timer.kind === 'too-small' ? this.timer.minSE : null;
  }

  get answered(): boolean {
    return this.settled;
  }

  progress(status = 180, parts?: ProgressParts): void {
    if (this.settled) return;
    if (status <= 100 || status >= 200) throw new UaError(UaErrorCode.state, `progress() takes 101-199, not ${status}`);
    const reliable = requires(this.request, '100rel') || (parts?.reliable === true && supports(this.request, '100rel'));
    if (reliable && this.reliable !== null) {
      // RFC 3262 3: no second reliable provisional before the first is acknowledged.
      this.queued.push(() => this.progress(status, parts));
      return;
    }
    const response = this.build(status, parts);
    if (reliable) {
      response.appendHeader('Require', '100rel');
      response.appendHeader('RSeq', String(++this.rseq));
    }
    this.ensureSession(response);
    this.tx.respond(response);
    if (reliable) this.retransmitReliable(response, this.rseq);
  }

  /** Answers 200 OK: the session is confirmed once the ACK comes (2xx resent until then). */
  accept(parts?: ResponseParts): Session {
    if (this.settled) throw new UaError(UaErrorCode.state, 'The INVITE is answered already');
    if (this.timer.kind === 'too-small') {
      this.reject(422, { headers: [['Min-SE', String(this.timer.minSE)]] });
      throw new UaError(UaErrorCode.state, 'Session interval too small: answered 422');
    }
    this.settle();
    const response = this.build(200, parts);
    if (this.timer.kind === 'timer') for (const [n, v] of responseHeaders(this.timer)) response.appendHeader(n, v);
    const session = this.ensureSession(response);
    session.record.dialog = dialogWith(session.record.dialog, { state: 'confirmed' });
    session.record.answeredAt = this.ua.clock.wallNow();
    session.compact();
    this.tx.respond(response);
    session.awaitAck(this.request.cseq.seq, response, this.tx);
    if (this.timer.kind === 'timer') session.setSessionTimer(this.timer.interval, this.timer.refresher === 'uas');
    return session;
  }

  /** A final non-2xx (486, 603, 488 ...). */
  reject(status: number, parts?: ResponseParts): void {
    if (this.settled) return;
    if (status < 300) throw new UaError(UaErrorCode.state, `reject() takes 300-699, not ${status}`);
    this.settle();
    this.tx.respond(this.build(status, parts, false));
    this.session?.finish({ by: 'local', cause: 'rejected', status });
  }

  /** @internal CANCEL matched this INVITE: 487 (9.2), then the application is told. */
  cancelled(): void {
    if (this.settled) return;
    this.settle();
    this.tx.respond(this.build(487, undefined, false));
    this.session?.finish({ by: 'remote', cause: 'cancel', status: 487 });
    this.onCancel?.();
  }

  dispose(): void {
    this.stopReliable();
    this.settled = true;
  }

  private settle(): void {
    this.settled = true;
    this.stopReliable();
    this.queued.length = 0;
    this.ua.callSettled(this);
  }

  private build(status: number, parts: ResponseParts | undefined, dialogHeaders = true): SipResponse {
    return callResponse(this.ua, this.request, status, parts, this.localTag, dialogHeaders ? this.contact : null);
  }

  /** The early dialog (12.1.1) from the first response with our tag; its SDP in the record. */
  private ensureSession(response: SipResponse): Session {
    let session = this.session;
    if (session === null) {
      session = new Session(this.ua, {
        dialog: createUasDialog(this.request, response, { overTls: this.tx.source.transport === 'TLS' }),
        localSdp: null,
        remoteSdp: this.offer,
        sessionTimer: null,
        createdAt: this.ua.clock.wallNow(),
        answeredAt: null,
      });
      session.prackHandler = (prack, tx) => this.receivePrack(prack, tx);
      this.session = session;
    }
    const sdp = bodyText(response);
    if (sdp !== null) session.record.localSdp = sdp;
    return session;
  }

  /** RFC 3262 3: resend at T1, 2T1, 4T1 ... until PRACK; 500 to the INVITE after 64*T1. */
  private retransmitReliable(response: SipResponse, rseq: number): void {
    const clock = this.ua.clock;
    const r: Reliable = { response, rseq, interval: this.ua.t1, resend: null, giveUp: null };
    this.reliable = r;
    const resend = (): void => {
      if (this.reliable !== r) return;
      this.tx.respond(r.response);
      r.interval *= 2;
      r.resend = clock.setTimer(r.interval, resend);
    };
    r.resend = clock.setTimer(r.interval, resend);
    r.giveUp = clock.setTimer(64 * this.ua.t1, () => {
      if (this.reliable === r) this.reject(500, { reason: 'Reliable provisional response not acknowledged' });
    });
  }

  private stopReliable(): void {
    const r = this.reliable;
    if (r === null) return;
    this.ua.clock.clearTimer(r.resend);
    this.ua.clock.clearTimer(r.giveUp);
    this.reliable = null;
  }

  private receivePrack(prack: SipRequest, tx: ServerTransaction): void {
    const answer = (status: number): void => {
      tx.respond(buildResponse(prack, status, undefined, undefined));
    };
    let rack;
    try {
      rack = parseRAck(prack.header('rack') ?? '');
    } catch {
      answer(400);
      return;
    }
    const r = this.reliable;
    if (r === null || rack.rseq !== r.rseq || rack.cseq !== this.request.cseq.seq || rack.method !== 'INVITE') {
      answer(481);
      return;
    }
    this.stopReliable();
    const sdp = bodyText(prack);
    if (sdp !== null && this.session !== null) this.session.record.remoteSdp = sdp;
    answer(200);
    this.onPrack?.(prack);
    this.queued.shift()?.();
  }
}

/**
 * A response to a dialog-creating INVITE with our To tag; with `contact`, the fields of a
 * response that makes or confirms the dialog (12.1.1: our Contact; Allow, Supported).
 */
export function callResponse(ua: UserAgent, request: SipRequest, status: number, parts: ResponseParts | undefined, localTag: string, contact: string | null): SipResponse {
  const response = buildResponse(request, status, parts, localTag);
  if (contact !== null) {
    response.appendHeader('Contact', `<${contact}>`);
    for (const [n, v] of ua.standardHeaders()) response.appendHeader(n, v);
  }
  return response;
}
