/**
 * A call placed over UDP without an INVITE client transaction, a dialog set or early dialogs of
 * its own: the lean path of the common call (see lean-invites.ts for when it is taken). One
 * object does what RFC 3261 17.1.1 and RFC 6026 ask of the transaction:
 * - the INVITE resent at T1, 2T1, 4T1 ... (Timer A) until a response, 408 after 64*T1 (Timer B);
 * - a non-2xx final ACKed (17.1.1.3), its retransmissions ACKed again, for 64*T1 (Timer D);
 * - every 2xx for 64*T1 (Timer M) reaching the session of its dialog, which ACKs it (again).
 * It does what the general OutgoingCall does at the UAC core: the session of the first 2xx, ACK
 * and BYE for a fork answered later, PRACK for a reliable provisional (whose early dialog is made
 * then, and only then), a digest retry on 401/407 and a larger interval on 422, and CANCEL.
 */
import type { TimerHandle } from '../clock.js';
import { createCancel, createNon2xxAck, dialogWith, uacDialogFromResponse, type DialogRecord, type UacDialogBase } from '../dialog/index.js';
import { latin1Bytes, ownString, parseMessage, parseRSeq, serializeMessage, type SipRequest, type SipResponse } from '../sip/index.js';
import { clientKey, type Destination } from '../transaction/index.js';
import { AcceptedInvite, AcksByTag } from './accepted-invite.js';
import { PlacedInvite, type PlacedInviteTable } from './placed-invite.js';
import { CallFailed } from './errors.js';
import { bodyText } from './incoming-request.js';
import { InviteRetries, writeInvite } from './invite-request.js';
import type { OutgoingInvite } from './invites.js';
import { merged, type CallOptions } from './outgoing-call.js';
import { Session } from './session.js';
import { requires } from './session-timer.js';
import type { AckBasis } from './uac-ack.js';
import type { SessionRecord } from './types.js';
import type { UserAgent } from './user-agent.js';

/** What the lean table does for a call: find it by its INVITE's branch, and keep what its final leaves. */
export interface LeanOutgoingTable extends PlacedInviteTable {
  placed(call: LeanOutgoingCall, key: string, previous: string | null): void;
  /** The call has its final: `after` answers the retransmissions for 64*T1 in its stead. */
  settled(call: LeanOutgoingCall, after: PlacedInvite): void;
}

/** What a call begun elsewhere (the engine's flat path) has sent the callee so far, taken over while it rings. */
export interface RingingOutgoing {
  callId: string;
  /** The INVITE in flight as sent (writeInvite), with its branch and CSeq number. */
  text: string;
  branch: string;
  seq: number;
  sessionExpires: number | null;
  offer: string;
  basis: AckBasis;
  base: UacDialogBase;
  provisionalSeen: boolean;
  /** The latest provisional with a To tag (the early dialog earlySession() makes). */
  lastProvisional: SipResponse | null;
  /** Early dialogs of reliable provisionals, PRACKed: each dialog as its PRACK left it, and the RSeq. */
  early: readonly { tag: string; dialog: DialogRecord; rseq: number }[];
}

/** No early dialogs left at the outcome (nearly every call): one shared array, not one per call kept through Timer M. */
const NO_EARLY: readonly DialogRecord[] = Object.freeze([]);

/** What a settled call keeps of its options: nothing. */
const SETTLED: CallOptions = Object.freeze({ uri: '', from: '' });

export class LeanOutgoingCall implements OutgoingInvite {
  readonly answered: Promise<Session>;
  onProvisional: ((response: SipResponse, session: Session | null) => void) | null = null;
  onEarlySession: ((session: Session) => void) | null = null;
  readonly callId: string;
  readonly fromTag: string;
  /** The key (17.1.3) of the INVITE in flight, by which the table finds this call. */
  key: string | null = null;
  private resolve!: (s: Session) => void;
  private reject!: (e: CallFailed) => void;
  private readonly contact: string;
  /** The INVITE as sent (latin1 text), until the call settles: Timer A resends it. */
  private text: string | null = null;
  /** The INVITE parsed back from its text, for what reads the message (CANCEL, retries, the non-2xx ACK). */
  private parsed: SipRequest | null = null;
  /** Our SDP in the INVITE: each dialog's local SDP. */
  private offer: string | null = null;
  private basis: AckBasis | null = null;
  private base: UacDialogBase | null = null;
  /** The ACK of a non-2xx final, sent again for each of its retransmissions. */
  private failureAck: Buffer | null = null;
  /** Sessions by remote tag: early ones made for PRACK, then every one a 2xx confirmed. */
  private sessions: Map<string, Session> | null = null;
  private session: Session | null = null;
  private lastRSeq: Map<string, number> | null = null;
  /** The latest provisional with a To tag, until the call settles: the early dialog earlySession() makes. */
  private lastProvisional: SipResponse | null = null;
  private timerA: TimerHandle | null = null;
  private interval = 0;
  private deadline = 0;
  private seq = 1;
  private readonly retries: InviteRetries;
  private provisionalSeen = false;
  private cancelWanted = false;
  private done = false;

  constructor(
    private readonly ua: UserAgent,
    private options: CallOptions,
    private readonly destination: Destination,
    private readonly table: LeanOutgoingTable,
    /** Taken over ringing (LeanInvites.adoptOutgoing): its INVITE is out, nothing is sent now. */
    taken?: RingingOutgoing,
  ) {
    this.callId = taken?.callId ?? `${ua.newTag()}${ua.newTag()}@sluice`;
    this.fromTag = options.fromTag ?? ua.newTag();
    this.contact = ua.contactFor(destination, options.contactUser);
    this.retries = new InviteRetries(ua);
    this.answered = new Promise<Session>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.answered.catch(() => undefined);
    if (taken !== undefined) this.take(taken);
  }

  private take(taken: RingingOutgoing): void {
    this.text = taken.text;
    this.offer = taken.offer;
    this.basis = taken.basis;
    this.base = taken.base;
    this.seq = taken.seq;
    this.retries.sessionExpires = taken.sessionExpires;
    this.provisionalSeen = taken.provisionalSeen;
    this.lastProvisional = taken.lastProvisional;
    for (const e of taken.early) {
      (this.sessions ??= new Map()).set(e.tag, new Session(this.ua, this.record(e.dialog)));
      (this.lastRSeq ??= new Map()).set(e.tag, e.rseq);
    }
    this.key = clientKey(taken.branch, 'INVITE');
    this.table.placed(this, this.key, null);
  }

  /** @internal */
  start(): void {
    this.send();
  }

  cancel(): void {
    if (this.done) return;
    this.cancelWanted = true;
    if (this.provisionalSeen) this.sendCancel();
  }

  private send(): void {
    const ua = this.ua;
    const inv = writeInvite(ua, this.destination, this.options, { callId: this.callId, fromTag: this.fromTag, seq: this.seq, contact: this.contact, sessionExpires: this.retries.sessionExpires, auth: this.retries.auth });
    this.text = inv.text;
    this.parsed = null;
    this.offer = inv.offer;
    this.basis = inv.basis;
    this.base = inv.base;
    const previous = this.key;
    this.key = clientKey(inv.branch, 'INVITE');
    this.table.placed(this, this.key, previous);
    // No Buffer is kept: one cut from Node's shared pool would keep it alive while the call rings.
    ua.transport.sendText(inv.text, this.destination, this.sent);
    this.interval = ua.t1;
    this.deadline = ua.clock.now() + 64 * ua.t1;
    this.timerA = ua.clock.setTimer(this.interval, this.fireA);
  }

  /** Timer A: the INVITE again, the interval doubled; Timer B (64*T1 from the first) ends it. */
  private readonly fireA = (): void => {
    this.timerA = null;
    if (this.done || this.text === null) return;
    const left = this.deadline - this.ua.clock.now();
    if (left <= 0) {
      this.fail(408, 'Request Timeout');
      return;
    }
    this.ua.transactions.stats.retransmissions++;
    this.ua.transport.sendText(this.text, this.destination, this.sent);
    this.interval *= 2;
    this.timerA = this.ua.clock.setTimer(Math.min(this.interval, left), this.fireA);
  };

  private readonly sent = (err: Error | null): void => {
    if (err === null || this.done) return;
    this.fail(503, `Transport error: ${err.message}`);
  };

  private stopTimer(): void {
    this.ua.clock.clearTimer(this.timerA);
    this.timerA = null;
  }

  /** @internal A response with the INVITE's branch. */
  receiveResponse(response: SipResponse): void {
    // Any response ends Timer A, and Timer B with it (Proceeding has no timeout).
    this.stopTimer();
    const status = response.status;
    if (status < 200) this.provisional(response);
    else if (status < 300) this.success(response);
    else this.failure(response);
  }

  private provisional(response: SipResponse): void {
    if (this.done) return;
    this.provisionalSeen = true;
    if (this.cancelWanted) this.sendCancel();
    if (response.status === 100) return;
    if (response.toTag !== null) this.lastProvisional = response;
    const session = requires(response, '100rel') ? this.prack(response) : null;
    this.onProvisional?.(response, session);
  }

  /**
   * The session of an early dialog (12.1.2), made now from the latest provisional with the tag
   * (by default the latest provisional's): for a request the callee sent in it (an UPDATE before
   * the answer; the application then hears of it through onEarlySession), or one we send.
   * Null when no provisional made a dialog with that tag, or the call has its outcome.
   */
  earlySession(remoteTag: string | null = this.lastProvisional?.toTag ?? null): Session | null {
    if (remoteTag === null || this.done) return null;
    const known = this.sessions?.get(remoteTag);
    if (known !== undefined) return known;
    const p = this.lastProvisional;
    if (p === null || p.toTag !== remoteTag || this.base === null) return null;
    let dialog: DialogRecord;
    try {
      dialog = uacDialogFromResponse(this.base, p);
    } catch {
      return null;
    }
    const session = new Session(this.ua, this.record(dialog));
    const sdp = bodyText(p);
    if (sdp !== null) session.record.remoteSdp = sdp;
    (this.sessions ??= new Map()).set(remoteTag, session);
    this.onEarlySession?.(session);
    return session;
  }

  /** RFC 3262 4: PRACK a new reliable provisional, in the early dialog it makes (made here, and only for it). */
  private prack(response: SipResponse): Session | null {
    const raw = response.header('rseq');
    const tag = response.toTag;
    if (raw === undefined || tag === null || this.base === null) return null;
    let rseq: number;
    let dialog: DialogRecord;
    try {
      rseq = parseRSeq(raw);
      dialog = uacDialogFromResponse(this.base, response);
    } catch {
      return null;
    }
    const sessions = (this.sessions ??= new Map());
    let session = sessions.get(tag);
    if (session === undefined) {
      session = new Session(this.ua, this.record(dialog));
      sessions.set(tag, session);
    } else {
      session.record.dialog = merged(session.record.dialog, dialog);
    }
    const sdp = bodyText(response);
    if (sdp !== null) session.record.remoteSdp = sdp;
    const last = this.lastRSeq?.get(tag);
    if (last !== undefined && rseq <= last) return session; // a retransmission
    (this.lastRSeq ??= new Map()).set(tag, rseq);
    session.request('PRACK', { headers: [['RAck', `${rseq} ${response.cseq.seq} INVITE`]] }).catch((err: unknown) => {
      this.ua.log.debug({ err }, 'PRACK not sent');
    });
    return session;
  }

  private success(response: SipResponse): void {
    if (this.base === null || this.basis === null) return;
    const tag = response.toTag ?? '';
    const sessions = (this.sessions ??= new Map());
    const known = sessions.get(tag);
    if (known !== undefined && known.record.answeredAt !== null) {
      // 13.2.2.4: a repeated 2xx gets its ACK again.
      this.ua.transactions.stats.absorbed++;
      known.ack(this.basis, response, this.destination);
      return;
    }
    let dialog: DialogRecord;
    try {
      dialog = uacDialogFromResponse(this.base, response);
    } catch (err) {
      this.ua.log.debug({ err }, '2xx that makes no dialog dropped');
      return;
    }
    let session: Session;
    if (known !== undefined && known.state === 'early') {
      session = known;
      session.record.dialog = merged(known.record.dialog, dialog);
    } else {
      // A new dialog, or one that was early and ended when another fork answered: its CSeq
      // numbers go on from the early dialog's (a PRACK's).
      session = new Session(this.ua, this.record(known === undefined ? dialog : merged(known.record.dialog, dialog)));
      sessions.set(tag, session);
    }
    const sdp = bodyText(response);
    if (sdp !== null) session.record.remoteSdp = sdp;
    session.record.answeredAt = this.ua.clock.wallNow();
    session.compact();
    const first = !this.cancelWanted && !this.done;
    session.ack(this.basis, response, this.destination, this.options.deferAck === true && first);
    if (!first) {
      // 13.2.2.4: answered though we cancelled: ACK it, then end it; the call is over.
      void session.bye('cancel');
      this.fail(487, 'Request Terminated');
      return;
    }
    this.session = session;
    this.done = true;
    this.settle();
    session.timerFromResponse(response);
    for (const s of sessions.values()) if (s !== session && s.state === 'early') s.finish({ by: 'remote', cause: 'fork-dropped' });
    this.resolve(session);
  }

  private failure(response: SipResponse): void {
    // 17.1.1.3: every non-2xx final is ACKed, its retransmissions with the same ACK.
    const invite = this.invite();
    if (this.failureAck === null && invite !== null) {
      try {
        this.failureAck = serializeMessage(createNon2xxAck(invite, response));
      } catch (err) {
        this.ua.log.debug({ err }, 'final response that answers no INVITE of ours dropped');
        return;
      }
    }
    if (this.failureAck !== null) this.ua.sendAckBytes(this.failureAck, this.destination);
    if (this.done) return;
    if (invite !== null && this.retries.retries(invite, response, this.cancelWanted)) {
      this.retry();
      return;
    }
    this.fail(response.status, response.reason);
  }

  /** Another INVITE (new branch, next CSeq): the last one's retransmitted final goes unanswered. */
  private retry(): void {
    this.finishEarly('rejected');
    this.sessions = null;
    this.lastProvisional = null;
    this.lastRSeq = null;
    this.failureAck = null;
    this.provisionalSeen = false;
    this.seq++;
    this.send();
  }

  private sendCancel(): void {
    const invite = this.invite();
    if (invite === null || this.done) return;
    const cancel = createCancel(invite);
    this.provisionalSeen = false; // one CANCEL per INVITE
    void this.ua.transact(cancel, this.destination);
  }

  /** The call failed: a non-2xx final, a timeout or a transport error. */
  private fail(status: number, reason: string): void {
    this.finishEarly('rejected', status);
    if (this.done) return;
    this.done = true;
    this.settle();
    this.reject(new CallFailed(status, reason));
  }

  private finishEarly(cause: 'rejected', status?: number): void {
    if (this.sessions === null) return;
    for (const s of this.sessions.values()) if (s.state === 'early') s.finish({ by: 'remote', cause, ...(status === undefined ? {} : { status }) });
  }

  /**
   * The call has its outcome: what only building the INVITE again would read goes, and the
   * callback with it (it holds the application's call); the table keeps this object 64*T1 for
   * the final's retransmissions.
   */
  private settle(): void {
    this.stopTimer();
    if (this.key !== null && this.base !== null && this.basis !== null) {
      // What Timer M needs (accepted-invite.ts): per confirmed dialog the ACK to repeat (or the
      // session whose late-offer ACK is still held), and the dialogs still early.
      const acks = new AcksByTag();
      const early: DialogRecord[] = [];
      for (const [tag, s] of this.sessions ?? []) {
        // A dialog never answered stays early for a late 2xx, with the CSeq its session reached
        // (a PRACK's), even where that session ended (a 481 to the PRACK).
        if (s.record.answeredAt === null) early.push(s.state === 'early' ? s.record.dialog : dialogWith(s.record.dialog, { state: 'early' }));
        // The tag is a slice of the 2xx, which it would keep alive for 64*T1: a copy of its own.
        else acks.set(ownString(tag), s.ackToRepeat ?? (s.ackPending ? s : null));
      }
      const accepted = new AcceptedInvite(this.ua, this.base, early.length === 0 ? NO_EARLY : early, this.basis, this.destination, acks);
      this.table.settled(this, new PlacedInvite(this.ua, this.table, this.key, accepted, this.failureAck, this.destination, this.session, this.basis.seq));
    }
    this.text = null;
    this.parsed = null;
    this.onProvisional = null;
    this.onEarlySession = null;
    this.lastProvisional = null;
    this.options = SETTLED;
    this.lastRSeq = null;
    this.retries.settled();
    this.sessions = null;
    this.failureAck = null;
  }

  /** @internal Ends at once, with no message (the UA is disposed). */
  dispose(): void {
    this.stopTimer();
    this.done = true;
  }

  /** The INVITE as a message, parsed back from its text when first needed; null once the call settled. */
  private invite(): SipRequest | null {
    if (this.text === null) return null;
    return (this.parsed ??= parseMessage(latin1Bytes(this.text)) as SipRequest);
  }

  private record(dialog: DialogRecord): SessionRecord {
    return { dialog, localSdp: this.offer, remoteSdp: null, sessionTimer: null, createdAt: this.ua.clock.wallNow(), answeredAt: null };
  }
}
