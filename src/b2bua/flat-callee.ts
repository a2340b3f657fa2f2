/**
 * The callee's leg of a flat call (flat-call.ts) as a UAC over UDP, without a transaction: what
 * RFC 3261 17.1.1 and 13.2.2 ask of the INVITE we send (Timers A and B; every final ACKed, its
 * retransmissions with the same ACK; the 2xx ACKed again for each repeat; a fork's later 2xx
 * ACKed and ended; CANCEL once a provisional came), PRACK for a reliable provisional (RFC 3262),
 * and one more INVITE with a larger Session-Expires on 422 (RFC 4028 7.4). What it hears it
 * hands to the call (FlatCalleeEvents); it writes with the UA core's writers (writeInvite,
 * ackFor2xxText, inDialogRequestText), as ua/lean-outgoing-call.ts does.
 */
import { ackFor2xxText, createCancel, createNon2xxAck, dialogWith, inDialogRequestText, ownDialog, uacDialogFromResponse, type DialogRecord, type UacDialogBase } from '../dialog/index.js';
import { latin1Bytes, ownString, parseMessage, parseRSeq, serializeMessage, type SipRequest, type SipResponse } from '../sip/index.js';
import type { Destination } from '../transaction/index.js';
import { requires, sessionExpiresAfter422, writeInvite, type AckBasis, type CallOptions, type RingingOutgoing, type UserAgent } from '../ua/index.js';
import { Resend, type ResendOwner } from './flat-resend.js';

/** What the callee's leg tells its call. */
export interface FlatCalleeEvents {
  /** The call still waits for this INVITE's outcome (false once it ended or was answered). */
  readonly ringing: boolean;
  /** A provisional above 100, while ringing. */
  provisional(response: SipResponse): void;
  /** The first 2xx while ringing, its dialog made (strings of its own) and ACKed. */
  answered(response: SipResponse, dialog: DialogRecord): void;
  /** No answer: a final that is not retried, Timer B, a transport error. */
  failed(status: number, reason: string | undefined): void;
}

const NO_CREDENTIALS: readonly (readonly [string, string])[] = Object.freeze([]);

/** What an ended call keeps of its INVITE's options: nothing. */
const RELEASED = Object.freeze({ uri: '', from: '', fromTag: '', body: '' });

/** An early dialog of a reliable provisional: as its PRACK left it, the RSeq PRACKed, the PRACK until its final. */
interface EarlyDialog {
  dialog: DialogRecord;
  rseq: number;
  prack: Resend | null;
}

export class FlatCallee implements ResendOwner {
  readonly callId: string;
  readonly tag: string;
  readonly contact: string;
  /** The INVITE out, until its final (Timer A), and what its ACKs and dialogs take from it. */
  private inviteOut: Resend | null = null;
  private text: string | null = null;
  private parsed: SipRequest | null = null;
  private branch = '';
  private base: UacDialogBase | null = null;
  private basis: AckBasis | null = null;
  private seq = 1;
  private sessionExpires: number | null;
  private provisionalSeen = false;
  private cancelWanted = false;
  private cancelOut: Resend | null = null;
  /** By the callee's tag; nearly always none. */
  private early: Map<string, EarlyDialog> | null = null;
  /** The latest provisional with a To tag, while ringing: the early dialog a promotion hands on. */
  private lastProvisional: SipResponse | null = null;
  /**
   * The 2xx's dialog and our ACK's branch: its ACK is written again for each repeat of it (rare),
   * rather than its text kept as long as the call.
   */
  private ackOf: { dialog: DialogRecord; branch: string } | null = null;
  private answeredBy: string | null = null;
  private failureAck: Buffer | null = null;
  /** Forks answered besides the call's (or after it ended): our ACK, and our BYE until its final, by their tag. */
  private dropped: Map<string, { ack: string; bye: Resend | null; branch: string }> | null = null;

  constructor(
    readonly ua: UserAgent,
    readonly destination: Destination,
    /** The INVITE as the UA core's options put it (writeInvite): its fromTag is ours. */
    private options: CallOptions & { fromTag: string; body: string },
    private readonly events: FlatCalleeEvents,
  ) {
    this.callId = `${ua.newTag()}${ua.newTag()}@sluice`;
    this.tag = options.fromTag;
    this.contact = ua.contactFor(destination, options.contactUser);
    this.sessionExpires = ua.sessionTimer?.interval ?? null;
  }

  /** The INVITE, or the next one after a 422: new branch, next CSeq. */
  send(): void {
    const inv = writeInvite(this.ua, this.destination, this.options, { callId: this.callId, fromTag: this.tag, seq: this.seq, contact: this.contact, sessionExpires: this.sessionExpires, auth: NO_CREDENTIALS });
    this.text = inv.text;
    this.parsed = null;
    this.branch = inv.branch;
    this.base = inv.base;
    this.basis = inv.basis;
    // A transport error fails the call (503): the closure that says so lives only while the
    // datagram is queued, not as long as the call.
    const sent = (err: Error | null): void => {
      if (err !== null) this.sendFailed(err);
    };
    this.inviteOut = new Resend(this.ua, inv.text, this.destination, Infinity, this, sent);
  }

  /** A response to a request of ours on this leg, but a BYE; false for one that is none of these. */
  response(r: SipResponse): boolean {
    const method = r.cseq.method;
    if (method === 'INVITE') {
      // An earlier attempt's (before a 422 retry) final again: nothing more to do for it.
      if (this.answers(r)) this.inviteResponse(r);
      return true;
    }
    if (method === 'CANCEL') {
      if (r.status >= 200) {
        this.cancelOut?.stop();
        this.cancelOut = null;
      }
      return true;
    }
    if (method === 'PRACK') {
      const tag = r.toTag;
      const e = tag === null ? undefined : this.early?.get(tag);
      if (r.status >= 200 && e !== undefined) {
        e.prack?.stop();
        e.prack = null;
      }
      return true;
    }
    return false;
  }

  /** Whether `r` answers our INVITE (its latest attempt). */
  answers(r: SipResponse): boolean {
    return r.cseq.method === 'INVITE' && r.topVia?.branch === this.branch;
  }

  /** A response to the INVITE (its branch): after the call's promotion, the only ones it takes. */
  inviteResponse(r: SipResponse): void {
    // Any response ends Timer A, and Timer B with it (Proceeding has no timeout).
    this.inviteOut?.stop();
    this.inviteOut = null;
    const status = r.status;
    if (status < 200) this.provisional(r);
    else if (status < 300) this.success(r);
    else this.failure(r);
  }

  /** The call no longer wants an answer: CANCEL once a provisional came (9.1); until then, wanted. */
  cancel(): void {
    this.cancelWanted = true;
    this.inviteOut?.stop();
    this.inviteOut = null;
    if (this.provisionalSeen) this.sendCancel();
  }

  /**
   * What a promotion while ringing hands to the lean INVITE table (RingingOutgoing), the PRACKs
   * out stopped; null while the INVITE is still resent (no early dialog can exist yet).
   */
  ringingState(): RingingOutgoing | null {
    if (this.inviteOut !== null || this.text === null || this.base === null || this.basis === null) return null;
    const early: { tag: string; dialog: DialogRecord; rseq: number }[] = [];
    for (const [tag, e] of this.early ?? []) {
      // A PRACK still unanswered is not resent from here: the RSeq before it, so that the lean
      // call PRACKs the provisional again when the callee repeats it.
      early.push({ tag, dialog: e.dialog, rseq: e.prack === null ? e.rseq : e.rseq - 1 });
      e.prack?.stop();
    }
    return { callId: this.callId, text: this.text, branch: this.branch, seq: this.seq, sessionExpires: this.sessionExpires, offer: this.options.body, basis: this.basis, base: this.base, provisionalSeen: this.provisionalSeen, lastProvisional: completed(this.lastProvisional), early };
  }

  /** The options of its INVITE (a promotion's LeanOutgoingCall takes them). */
  get callOptions(): CallOptions {
    return this.options;
  }

  /** A response to our BYE of a dropped fork (false for any other). */
  forkByeResponse(r: SipResponse): boolean {
    const tag = r.toTag;
    const fork = tag === null ? undefined : this.dropped?.get(tag);
    if (fork === undefined || fork.bye === null || r.topVia?.branch !== fork.branch) return false;
    if (r.status < 200) fork.bye.proceeding();
    else {
      fork.bye.stop();
      fork.bye = null;
    }
    return true;
  }

  /** What the leg's dialogs share with it rather than copy (ownDialog): its Call-ID, tag and Contact. */
  private get held(): readonly string[] {
    return [this.callId, this.tag, this.contact];
  }

  /** Nothing is resent any more. */
  stop(): void {
    this.inviteOut?.stop();
    this.cancelOut?.stop();
    this.inviteOut = this.cancelOut = null;
    if (this.early !== null) for (const e of this.early.values()) e.prack?.stop();
    if (this.dropped !== null) for (const f of this.dropped.values()) f.bye?.stop();
  }

  /**
   * The call ended: only what a repeated final or 2xx needs stays (our ACKs, the dialog base),
   * and the INVITE until its final (a CANCEL of it, the ACK of that final are written from it).
   */
  release(): void {
    this.early = null;
    this.lastProvisional = null;
    this.options = RELEASED;
    if (this.failureAck !== null) {
      this.text = null;
      this.parsed = null;
    }
  }

  /** Where requests in a dialog with the callee go: its first route or its target, where that is an address. */
  destinationOf(dialog: DialogRecord): Destination | null {
    return this.ua.numericDestinationOf(dialog.routeSet[0] ?? dialog.remoteTarget);
  }

  private provisional(r: SipResponse): void {
    this.provisionalSeen = true;
    // 9.1: a call cancelled before the callee's first provisional is cancelled now; nothing of it crosses.
    if (this.cancelWanted) {
      this.sendCancel();
      return;
    }
    if (!this.events.ringing || r.status === 100) return;
    const tag = r.toTag;
    if (tag !== null) {
      this.lastProvisional = r;
      if (requires(r, '100rel')) this.prack(r, tag);
    }
    this.events.provisional(r);
  }

  /** RFC 3262 7.1: PRACK each new reliable provisional, in the early dialog it makes. */
  private prack(r: SipResponse, tag: string): void {
    const raw = r.header('rseq');
    if (raw === undefined || this.base === null) return;
    let rseq: number;
    let made: DialogRecord;
    try {
      rseq = parseRSeq(raw);
      made = ownDialog(uacDialogFromResponse(this.base, r), this.held);
    } catch {
      return;
    }
    const early = (this.early ??= new Map());
    const known = early.get(tag);
    if (known !== undefined && rseq <= known.rseq) return; // a retransmission: the PRACK out answers it
    const dialog = known === undefined ? made : dialogWith(made, { localSeq: known.dialog.localSeq });
    const destination = this.destinationOf(dialog);
    if (destination === null) return;
    const ua = this.ua;
    const written = inDialogRequestText(dialog, 'PRACK', { branch: ua.transactions.newBranch(), via: ua.viaFor(destination), extraHeaders: [...ua.standardHeaders(), ['RAck', `${rseq} ${r.cseq.seq} INVITE`]] });
    known?.prack?.stop();
    early.set(ownString(tag), { dialog: written.dialog, rseq, prack: new Resend(ua, written.text, destination, ua.transactions.timers.t2, null, ua.responseSent) });
  }

  private success(r: SipResponse): void {
    const tag = r.toTag;
    const ackOf = this.ackOf;
    if (ackOf !== null) {
      // 13.2.2.4: the same 2xx again gets the same ACK; another fork's 2xx is ACKed and ended.
      if (tag === this.answeredBy) {
        this.ua.transactions.stats.absorbed++;
        this.ua.sendAckText(this.ackText(ackOf.dialog, ackOf.branch), this.destination);
      } else this.ackAndBye(r);
      return;
    }
    if (!this.events.ringing || this.base === null) {
      // Answered after the call ended (CANCEL, timeout): ACKed, then ended.
      this.ackAndBye(r);
      return;
    }
    let dialog: DialogRecord;
    try {
      dialog = ownDialog(uacDialogFromResponse(this.base, r), this.held);
    } catch {
      return; // a 2xx that makes no dialog (no To tag and no Contact ...): dropped
    }
    const early = tag === null ? undefined : this.early?.get(tag);
    // Its CSeq numbers go on from the early dialog's (a PRACK's).
    if (early !== undefined) dialog = dialogWith(dialog, { localSeq: early.dialog.localSeq });
    if (this.early !== null) for (const e of this.early.values()) e.prack?.stop();
    this.early = null;
    this.answeredBy = dialog.remoteTag;
    const branch = this.ua.transactions.newBranch();
    this.ua.sendAckText(this.ackText(dialog, branch), this.destination);
    this.ackOf = { dialog, branch };
    this.basis = null;
    this.text = null;
    this.parsed = null;
    this.lastProvisional = null;
    // Its INVITE is never sent again: a promotion from here on makes sessions, not a ringing call.
    this.options = RELEASED;
    this.events.answered(r, dialog);
  }

  private failure(r: SipResponse): void {
    // 17.1.1.3: every non-2xx final is ACKed, its retransmissions with the same ACK.
    const invite = this.invite();
    if (this.failureAck === null && invite !== null) {
      try {
        this.failureAck = serializeMessage(createNon2xxAck(invite, r));
      } catch {
        return; // a final that answers no INVITE of ours: dropped
      }
    }
    if (this.failureAck !== null) this.ua.sendAckBytes(this.failureAck, this.destination);
    if (!this.events.ringing) {
      // The call ended before this final (cancelled): its INVITE is needed no more.
      this.text = null;
      this.parsed = null;
      return;
    }
    if (r.status === 422 && !this.cancelWanted && this.retriesWith(r)) return;
    this.events.failed(r.status, r.reason);
  }

  /** RFC 4028 7.4: again, with a Session-Expires of at least the Min-SE a 422 asks for; false when that is no larger. */
  private retriesWith(r: SipResponse): boolean {
    let wanted: number | null;
    try {
      wanted = sessionExpiresAfter422(this.ua, r, this.sessionExpires);
    } catch {
      return false; // a Min-SE that does not parse: the 422 goes to the caller
    }
    if (wanted === null) return false;
    this.sessionExpires = wanted;
    this.stop();
    this.early = null;
    this.lastProvisional = null;
    this.failureAck = null;
    this.provisionalSeen = false;
    this.seq++;
    this.send();
    return true;
  }

  /** @internal Timer B: the INVITE went unanswered 64*T1 (408). */
  resendTimedOut(resend: Resend): void {
    if (resend !== this.inviteOut) return;
    this.inviteOut = null;
    if (this.events.ringing) this.events.failed(408, 'Request Timeout');
  }

  private sendFailed(err: Error): void {
    if (this.inviteOut === null || !this.events.ringing) return;
    this.inviteOut.stop();
    this.inviteOut = null;
    this.events.failed(503, `Transport error: ${err.message}`);
  }

  private sendCancel(): void {
    const invite = this.invite();
    if (invite === null || this.cancelOut !== null) return;
    const ua = this.ua;
    this.provisionalSeen = false; // one CANCEL per INVITE
    this.cancelOut = new Resend(ua, serializeMessage(createCancel(invite)).toString('latin1'), this.destination, ua.transactions.timers.t2, null, ua.responseSent);
  }

  /**
   * ACK and end a 2xx that is not the call's: answered after the call ended, or by another fork
   * (13.2.2.4). Its repeats get the same ACK and no other BYE; the BYE is resent until its final.
   */
  private ackAndBye(r: SipResponse): void {
    const tag = r.toTag;
    const known = tag === null ? undefined : this.dropped?.get(tag);
    if (known !== undefined) {
      this.ua.transactions.stats.absorbed++;
      this.ua.sendAckText(known.ack, this.destination);
      return;
    }
    if (this.base === null || tag === null) return;
    let dialog: DialogRecord;
    try {
      dialog = ownDialog(uacDialogFromResponse(this.base, r), this.held);
    } catch {
      return;
    }
    const ack = ownString(this.ackText(dialog, this.ua.transactions.newBranch()));
    this.ua.sendAckText(ack, this.destination);
    const destination = this.destinationOf(dialog);
    const ua = this.ua;
    const branch = ua.transactions.newBranch();
    const bye = destination === null ? null : new Resend(ua, inDialogRequestText(dialog, 'BYE', { branch, via: ua.viaFor(destination) }).text, destination, ua.transactions.timers.t2, null, ua.responseSent);
    (this.dropped ??= new Map()).set(ownString(tag), { ack, bye, branch });
  }

  /** Our ACK of a 2xx in `dialog` (13.2.2.4): the same text again for the same branch. */
  private ackText(dialog: DialogRecord, branch: string): string {
    return ackFor2xxText(dialog, dialog.inviteSeq, { branch, via: this.ua.viaFor(this.destination), credentials: NO_CREDENTIALS });
  }

  /** The INVITE out as a message, parsed back from its text where one is needed (CANCEL, a non-2xx's ACK). */
  private invite(): SipRequest | null {
    if (this.text === null) return null;
    return (this.parsed ??= parseMessage(latin1Bytes(this.text)) as SipRequest);
  }
}

/**
 * A provisional as the general path would have it: parsed whole (the transport's parse left its
 * Contact for whoever reads it, TransportUser); null for one whose Contact is malformed, which
 * that path would never have seen.
 */
function completed(r: SipResponse | null): SipResponse | null {
  if (r === null) return null;
  try {
    r.completeParse();
    return r;
  } catch {
    return null;
  }
}
