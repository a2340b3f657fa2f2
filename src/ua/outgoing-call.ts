/**
 * A call we place (UAC core, RFC 3261 13.2): the INVITE, early dialogs from 1xx (one per fork),
 * PRACK for reliable provisionals (RFC 3262), the ACK of every 2xx, BYE for forks we do not
 * keep, digest retries on 401/407, a retry with a larger interval on 422 (RFC 4028), and CANCEL.
 */
import {
  createCancel,
  createInviteDialogSet,
  dialogSetBase,
  dialogWith,
  onInviteResponse,
  replaceDialog,
  type DialogRecord,
  type InviteDialogSet,
} from '../dialog/index.js';
import { parseRSeq, type SipRequest, type SipResponse } from '../sip/index.js';
import type { ClientTransactionUser, Destination } from '../transaction/index.js';
import { CallFailed } from './errors.js';
import { bodyText } from './incoming-request.js';
import { buildInvite, InviteRetries } from './invite-request.js';
import { AcceptedInvite, AcksByTag } from './accepted-invite.js';
import { Session } from './session.js';
import { ackBasisOf, type AckBasis } from './uac-ack.js';
import { requires } from './session-timer.js';
import type { MessageParts, SessionRecord } from './types.js';
import type { UserAgent } from './user-agent.js';

export interface CallOptions extends MessageParts {
  /** Request-URI. */
  uri: string;
  /** From name-addr without tag. */
  from: string;
  /** To name-addr (default: the Request-URI). */
  to?: string;
  /** Send here instead of resolving the Request-URI (outbound proxy, trunk). */
  destination?: Destination;
  /** RFC 3262: offer 100rel (default), require it, or neither. */
  reliableProvisional?: 'none' | 'supported' | 'required';
  /** User part of our Contact (an opaque leg key); default the UA's. */
  contactUser?: string;
  /** From tag to use (default a fresh one): lets a caller key its records before sending. */
  fromTag?: string;
  /**
   * Late offer (an INVITE without SDP): hold the ACK of the 2xx, which carries the offer, until
   * the application has the answer and calls session.acknowledge(answer) (a B2BUA waits for the
   * other leg's ACK). Without it the ACK goes at once with the session's last SDP, if any.
   */
  deferAck?: boolean;
}

/**
 * The user of an INVITE's client transaction: the way to its call or, once the call's session
 * ended, to what Timer M needs (retire()). One object with methods rather than closures, since
 * the transaction keeps it 32 s after the call.
 */
class TransactionLink implements ClientTransactionUser {
  accepted: AcceptedInvite | null = null;

  constructor(
    public call: OutgoingCall | null,
    /** The INVITE's CSeq number, not the INVITE: the transaction keeps this object 32 s. */
    private readonly seq: number,
  ) {}

  onProvisional(response: SipResponse): void {
    this.call?.provisional(response);
  }

  onFinal(response: SipResponse): void {
    if (this.call !== null) this.call.final(response);
    else this.accepted?.final(response);
  }

  onTimeout(): void {
    this.call?.fail(408, 'Request Timeout');
  }

  onTransportError(error: Error): void {
    this.call?.fail(503, `Transport error: ${error.message}`);
  }

  onTerminated(): void {
    this.call?.transactionEnded(this.seq);
    this.call = null;
    this.accepted = null;
  }
}

/** What a settled call keeps of its options: nothing (see settled()). */
const SETTLED: CallOptions = Object.freeze({ uri: '', from: '' });

export class OutgoingCall {
  /** The session of the first 2xx; rejects with CallFailed on a final non-2xx, timeout or error. */
  readonly answered: Promise<Session>;
  /** Every provisional response, with the early session it made or updated (null for 100). */
  onProvisional: ((response: SipResponse, session: Session | null) => void) | null = null;
  /** Never called here: each early session comes with its provisional (onProvisional). */
  onEarlySession: ((session: Session) => void) | null = null;
  session: Session | null = null;
  readonly callId: string;
  readonly fromTag: string;
  private resolve!: (s: Session) => void;
  private reject!: (e: CallFailed) => void;
  /** The INVITE, until the call settles (CANCEL and digest retries read it). */
  private invite: SipRequest | null = null;
  /** What its ACKs take from the INVITE: kept after the call settles, for later 2xx. */
  private basis: AckBasis | null = null;
  private set: InviteDialogSet | null = null;
  private destination: Destination | null = null;
  private readonly early = new Map<string, Session>();
  /** How the current INVITE's transaction reaches this call (see send() and retire()). */
  private link: TransactionLink | null = null;
  /** RFC 3262: the last RSeq PRACKed per remote tag; made on the first reliable provisional. */
  private lastRSeq: Map<string, number> | null = null;
  private seq = 1;
  private readonly retries: InviteRetries;
  private provisionalSeen = false;
  private cancelWanted = false;
  private done = false;

  constructor(
    private readonly ua: UserAgent,
    private options: CallOptions,
  ) {
    this.callId = `${ua.newTag()}${ua.newTag()}@sluice`;
    this.fromTag = options.fromTag ?? ua.newTag();
    this.retries = new InviteRetries(ua);
    this.answered = new Promise<Session>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // An application that only uses callbacks must not crash the process on a rejection.
    this.answered.catch(() => undefined);
  }

  /** @internal */
  start(): void {
    void this.send();
  }

  /** The early session of the latest provisional's dialog (see OutgoingInvite.earlySession). */
  earlySession(): Session | null {
    if (this.done) return null;
    let latest: Session | null = null;
    for (const s of this.early.values()) if (s.state === 'early') latest = s;
    return latest;
  }

  /** CANCEL (9.1): at once after a provisional response, else as soon as one comes. */
  cancel(): void {
    if (this.done) return;
    this.cancelWanted = true;
    if (this.provisionalSeen) this.sendCancel();
  }

  private async send(): Promise<void> {
    try {
      this.destination ??= this.options.destination ?? (await this.ua.destinationFor(this.options.uri));
    } catch (err) {
      this.fail(503, `No route to ${this.options.uri}: ${(err as Error).message}`);
      return;
    }
    const dest = this.destination;
    const ua = this.ua;
    const contact = ua.contactFor(dest, this.options.contactUser);
    const inv = buildInvite(ua, dest, this.options, { callId: this.callId, fromTag: this.fromTag, seq: this.seq, contact, sessionExpires: this.retries.sessionExpires, auth: this.retries.auth });
    this.invite = inv;
    this.basis = ackBasisOf(inv);
    const seq = this.seq;
    this.set = createInviteDialogSet(inv, { overTls: dest.transport === 'TLS', localTarget: contact });
    // A retry's INVITE replaces the last, whose transaction (Completed, Timer D) has nothing
    // more to tell this call.
    if (this.link !== null) this.link.call = null;
    // The transaction reaches the call through the link only: once the call's session ended it
    // reaches what Timer M needs of it instead (retire()), and no longer keeps the call.
    const link = new TransactionLink(this, seq);
    this.link = link;
    try {
      ua.transactions.createClientTransaction(inv, dest, link);
    } catch (err) {
      this.fail(503, (err as Error).message);
    }
  }

  /**
   * @internal The INVITE `seq`'s transaction ended (Timer M past the 2xx): no 2xx retransmission
   * reaches the sessions any more, so their ACKs need not be kept, and a session that lasts
   * longer must not keep the call through its hook (retire()).
   */
  transactionEnded(seq: number): void {
    for (const session of this.early.values()) {
      session.forgetAck(seq);
      session.onFinish = null;
    }
  }

  /** @internal A provisional response from the INVITE's transaction. */
  provisional(response: SipResponse): void {
    this.provisionalSeen = true;
    if (this.cancelWanted) this.sendCancel();
    if (this.set === null) return;
    const { set, outcome } = onInviteResponse(this.set, response);
    this.set = set;
    let session: Session | null = null;
    if (outcome.kind === 'early') {
      const tag = outcome.dialog.remoteTag ?? '';
      session = this.early.get(tag) ?? null;
      if (session === null) {
        session = new Session(this.ua, this.record(outcome.dialog));
        this.early.set(tag, session);
      } else {
        session.record.dialog = merged(session.record.dialog, outcome.dialog);
      }
      const sdp = bodyText(response);
      if (sdp !== null) session.record.remoteSdp = sdp; // early media (183 with the answer)
      this.prack(response, session, tag);
    }
    this.onProvisional?.(response, session);
  }

  /** RFC 3262 4: PRACK each new reliable provisional (RSeq higher than the last of that dialog). */
  private prack(response: SipResponse, session: Session, tag: string): void {
    if (!requires(response, '100rel')) return;
    const raw = response.header('rseq');
    if (raw === undefined) return;
    let rseq: number;
    try {
      rseq = parseRSeq(raw);
    } catch {
      return;
    }
    const last = this.lastRSeq?.get(tag);
    if (last !== undefined && rseq <= last) return; // a retransmission
    (this.lastRSeq ??= new Map()).set(tag, rseq);
    const cseq = response.cseq.seq;
    session.request('PRACK', { headers: [['RAck', `${rseq} ${cseq} INVITE`]] }).catch((err: unknown) => {
      this.ua.log.debug({ err }, 'PRACK not sent');
    });
  }

  /** @internal A final response from the INVITE's transaction. */
  final(response: SipResponse): void {
    if (this.set === null || this.basis === null || this.destination === null) return;
    const status = response.status;
    if (status >= 200 && status < 300) {
      const { set, outcome } = onInviteResponse(this.set, response);
      this.set = set;
      if (outcome.kind === 'retransmission') {
        this.early.get(outcome.dialog.remoteTag ?? '')?.ack(this.basis, response, this.destination);
        return;
      }
      if (outcome.kind !== 'confirmed') return;
      const tag = outcome.dialog.remoteTag ?? '';
      let session = this.early.get(tag);
      if (session === undefined) {
        session = new Session(this.ua, this.record(outcome.dialog));
        this.early.set(tag, session);
      } else {
        session.record.dialog = merged(session.record.dialog, outcome.dialog);
      }
      const sdp = bodyText(response);
      if (sdp !== null) session.record.remoteSdp = sdp;
      session.record.answeredAt = this.ua.clock.wallNow();
      session.compact();
      session.ack(this.basis, response, this.destination, this.options.deferAck === true && this.session === null && !this.cancelWanted && !this.done);
      if (this.session !== null || this.cancelWanted || this.done) {
        // 13.2.2.4: a second fork answered (or we cancelled): ACK it, then end it.
        void session.bye(this.cancelWanted ? 'cancel' : 'fork-dropped');
        return;
      }
      this.session = session;
      session.onFinish = () => this.retire();
      this.done = true;
      this.settled();
      // The set and the map of sessions stay for Timer M (forked and repeated 2xx): they take
      // the session's copies of the dialog and its tag, which hold only their own characters,
      // where theirs were read from the 2xx and 1xx texts.
      this.set = replaceDialog(this.set, session.record.dialog);
      this.early.delete(tag);
      this.early.set(session.record.dialog.remoteTag ?? '', session);
      session.timerFromResponse(response);
      for (const [t, s] of this.early) if (t !== tag && s.state === 'early') s.finish({ by: 'remote', cause: 'fork-dropped' });
      this.resolve(session);
      return;
    }
    if (!this.done && this.invite !== null && this.retries.retries(this.invite, response, this.cancelWanted)) {
      this.retry();
      return;
    }
    this.fail(status, response.reason);
  }

  private retry(): void {
    for (const s of this.early.values()) s.finish({ by: 'remote', cause: 'rejected' });
    this.early.clear();
    this.lastRSeq = null;
    this.provisionalSeen = false;
    this.seq++;
    void this.send();
  }

  private sendCancel(): void {
    if (this.invite === null || this.destination === null || this.done) return;
    const cancel = createCancel(this.invite);
    this.cancelWanted = true;
    this.provisionalSeen = false; // one CANCEL per INVITE
    void this.ua.transact(cancel, this.destination);
  }

  /** @internal The call failed: a non-2xx final, a timeout or a transport error. */
  fail(status: number, reason: string): void {
    for (const s of this.early.values()) if (s.state !== 'terminated') s.finish({ by: 'remote', cause: 'rejected', status });
    if (this.done) return;
    // A non-2xx final, a timeout or a transport error: the transaction has nothing more for us.
    if (this.link !== null) this.link.call = null;
    this.done = true;
    this.settled();
    this.reject(new CallFailed(status, reason));
  }

  /**
   * The call has its outcome: no provisional response reaches the application any more. The
   * callback goes, so that what it closes over (a B2BUA's whole call) is not kept with this
   * object by the INVITE's client transaction for Timer M (32 s) after the call ended; so do
   * the options and the retry state, which only building the INVITE again would read, and the
   * INVITE itself: what its ACKs take from it is kept apart (basis).
   */
  private settled(): void {
    this.invite = null;
    this.onProvisional = null;
    // Read only to build (or retry) the INVITE, which is over: its body and names go too.
    this.options = SETTLED;
    this.lastRSeq = null;
    this.retries.settled();
  }

  /**
   * The call's session ended: the INVITE's transaction, in Accepted until Timer M, gets what it
   * still needs instead of the call (accepted-invite.ts): the ACK sent per confirmed To tag, the
   * forks still early, what a new fork's dialog and the ACKs take from the INVITE.
   */
  private retire(): void {
    const link = this.link;
    if (link === null || link.call !== this) return;
    link.call = null;
    if (this.set === null || this.basis === null || this.destination === null) return;
    const acks = new AcksByTag();
    const early: DialogRecord[] = [];
    for (const d of this.set.dialogs) {
      const s = this.early.get(d.remoteTag ?? '');
      // The session's copy has the CSeq numbers its PRACKs and UPDATEs used.
      if (d.state === 'early') early.push(s === undefined ? d : merged(s.record.dialog, d));
      if (d.state !== 'confirmed') continue;
      // A session whose ACK is still held (a late offer, deferAck) keeps answering for itself.
      acks.set(d.remoteTag ?? '', s === undefined ? null : (s.ackToRepeat ?? (s.ackPending ? s : null)));
    }
    link.accepted = new AcceptedInvite(this.ua, dialogSetBase(this.set), early, this.basis, this.destination, acks);
  }

  private record(dialog: DialogRecord): SessionRecord {
    return {
      dialog,
      localSdp: this.invite === null ? null : bodyText(this.invite),
      remoteSdp: null,
      sessionTimer: null,
      createdAt: this.ua.clock.wallNow(),
      answeredAt: null,
    };
  }
}

/**
 * The dialog set's view of a dialog (state, route set, target from the latest response) with
 * the sequence numbers the session moved meanwhile (PRACK, UPDATE in the early dialog).
 */
export function merged(current: DialogRecord, fromSet: DialogRecord): DialogRecord {
  return dialogWith(fromSet, {
    localSeq: Math.max(current.localSeq, fromSet.localSeq),
    remoteSeq: current.remoteSeq ?? fromSet.remoteSeq,
  });
}
