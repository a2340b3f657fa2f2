/**
 * The flat call: the common call through the SBC held by one object for both legs, from the
 * caller's INVITE to the last BYE's 200, where the general path (a Call over the UA core's calls
 * and sessions) makes a dozen. flat-calls.ts says which calls take it. Every message is written
 * with the writers the UA core uses (responseText, writeInvite, ackFor2xxText,
 * inDialogRequestText), so the wire is the same either way (test/b2bua/flat-wire.test.ts); what
 * goes is the objects, promises and table entries between them.
 *
 * This object is the caller's leg (a UAS over UDP: the 100 at once, the latest provisional or
 * the non-2xx final again for a retransmitted INVITE, our 2xx resent until its ACK, CANCEL), the
 * SDP of both directions, the call's end by BYE (flat-byes.ts) and the call's record; the
 * callee's leg is a FlatCallee (flat-callee.ts). Whatever else arrives in its dialogs (re-INVITE,
 * UPDATE, INFO, REFER ..., before the answer too) or its session timer falling due promotes it
 * (flat-promotion.ts): a Call over the UA core goes on from where it stands.
 *
 * Where the general path leaves a leg up, the flat call ends it: an answer whose SDP does not
 * parse gets the caller 488 and the callee BYE; the caller's BYE in the early dialog ends the
 * call as its CANCEL would (487 to its INVITE, CANCEL to the callee).
 */
import type { Side } from '../media/index.js';
import { createUasDialogAs, ownDialog, type DialogRecord } from '../dialog/index.js';
import { parseSdp } from '../sdp/index.js';
import { ownString, responseText, type SipRequest, type SipResponse } from '../sip/index.js';
import type { Destination, Lingering, MessageSource } from '../transaction/index.js';
import { responseDestinationFor } from '../transport/index.js';
import { responseHeaders, timerState, uacFromResponse, type SessionTimerState, type UasDecision, type UserAgent } from '../ua/index.js';
import type { Call, CallTarget } from './call.js';
import { calleeFrom } from './caller-identity.js';
import type { ActiveCall, CallContext } from './context.js';
import { FlatByes } from './flat-byes.js';
import { FlatCallee, type FlatCalleeEvents } from './flat-callee.js';
import { answeredCall, ringingCall } from './flat-promotion.js';
import { Resend, type ResendOwner } from './flat-resend.js';
import { directTargets } from './media-plan.js';
import type { CallRecord } from './records.js';
import { newOrigin, regenerate, signalledStreams, type OriginState } from './sdp-bridge.js';
import { regenerateDirect } from './sdp-direct.js';

/** What the table hears of a flat call. */
export interface FlatTable {
  /** The call is over (or promoted): kept 64*T1 for the retransmissions, then let go (expired). */
  settled(call: FlatCall): void;
  expired(call: FlatCall): void;
}

/** What a flat call needs of the engine beyond what any call does. */
export interface FlatContext extends CallContext {
  /** A flat call promoted: the Call now holds it (the same id). */
  adopted(call: Call): void;
}

/** A flat call as flat-calls.ts starts it: everything its checks found. */
export interface FlatStart {
  ua: UserAgent;
  invite: SipRequest;
  source: MessageSource;
  /** The INVITE's branch, its own string (kept 64*T1 after the call). */
  branch: string;
  /** The caller's SDP. */
  offer: string;
  target: CallTarget;
  calleeUa: UserAgent;
  destination: Destination;
  timer: Exclude<UasDecision, { kind: 'too-small' }>;
}

/**
 * - calling: the callee's INVITE is out, no final yet;
 * - answered: our 2xx is out to the caller, resent until its ACK;
 * - confirmed: ACKed;
 * - failed: a non-2xx final is out to the caller, resent until its ACK (the call is over);
 * - ended: over (by BYE, timeout ...), kept for retransmissions;
 * - promoted: a Call holds it now; this only absorbs the INVITEs' retransmissions.
 */
type Phase = 'calling' | 'answered' | 'confirmed' | 'failed' | 'ended' | 'promoted';

export class FlatCall implements ActiveCall, Lingering, FlatCalleeEvents, ResendOwner {
  readonly id: string;
  /** The call's record; after its end (or promotion) a shared stand-in, as are the other parts `letGo` drops. */
  private record: CallRecord;
  private phase: Phase = 'calling';
  /** Ended (or promoted): the record is final. */
  private over = false;
  readonly callee: FlatCallee;
  /** The callee's realm (the caller's is `realm`). */
  readonly calleeRealm: string;
  /** The caller's realm's UA. */
  private readonly ua: UserAgent;
  // ---- the caller's leg
  readonly callerCallId: string;
  /** The caller's From tag: with its Call-ID, what tells its messages (flat-calls.ts). */
  readonly callerFromTag: string;
  /** Our To tag toward the caller. */
  readonly callerTag: string;
  private readonly callerBranch: string;
  private callerContact: string;
  /** Where our responses to the caller go (18.2.2). */
  private readonly callerReplies: Destination;
  /** Where our requests to the caller go: where its INVITE came from (far-end NAT). */
  private callerFlow: MessageSource;
  /** The caller's INVITE, until its final: what our responses are written from. */
  private invite: SipRequest | null;
  private readonly timer: Exclude<UasDecision, { kind: 'too-small' }>;
  /** The last provisional or the non-2xx final, for a retransmitted INVITE, with its status and SDP. */
  private lastToCaller: string;
  private lastStatus = 100;
  private lastSdp: string | null = null;
  private toCaller: Resend | null = null;
  private callerDialog: DialogRecord | null = null;
  private callerTimer: SessionTimerState | null = null;
  // ---- the callee's leg, once answered
  private calleeDialog: DialogRecord | null = null;
  private calleeTimer: SessionTimerState | null = null;
  // ---- both
  private origin: Record<Side, OriginState>;
  /**
   * The SDP each leg sent us (for a promotion); null once over. What each got from us is not kept
   * per call: a promotion writes it again (sentAgain).
   */
  private sdp: { offer: string; answer: string | null } | null;
  /** BYE both ways, made at the call's end. */
  private byes: FlatByes | null = null;
  /** Monotonic ms of the maximum duration; 0: none. */
  private dueAt = 0;

  constructor(
    private readonly ctx: FlatContext,
    private readonly table: FlatTable,
    readonly realm: string,
    private target: CallTarget,
    start: FlatStart,
    record: CallRecord,
  ) {
    const { invite, source, ua } = start;
    this.ua = ua;
    this.record = record;
    this.id = record.id;
    this.calleeRealm = target.realm;
    this.invite = invite;
    this.callerCallId = record.caller.callId;
    this.callerFromTag = ownString(invite.fromTag ?? '');
    this.callerTag = ua.newTag();
    this.callerBranch = start.branch;
    this.callerFlow = source;
    this.callerReplies = responseDestinationFor(invite.topVia, source);
    this.callerContact = ua.contactFor(source, `${record.id}a`);
    this.timer = start.timer;
    this.origin = { a: newOrigin(Math.random), b: newOrigin(Math.random) };
    // The offer regenerated first: an SDP that does not parse throws here, before anything is
    // sent, and the call goes the general way (which answers 488).
    const offerOut = this.bridge('b', start.offer);
    this.sdp = { offer: start.offer, answer: null };
    const calleeUa = start.calleeUa;
    const options = { uri: target.uri, from: calleeFrom(invite, ctx.signallingAddress(target.realm)), to: `<${target.uri}>`, body: offerOut, contactUser: `${record.id}b`, fromTag: calleeUa.newTag() };
    this.callee = new FlatCallee(calleeUa, start.destination, options, this);
    this.lastToCaller = responseText(invite, { status: 100 });
  }

  /** FlatCalleeEvents: the callee's INVITE still waits for its outcome. */
  get ringing(): boolean {
    return this.phase === 'calling';
  }

  /** 100 Trying to the caller, the INVITE to the callee. */
  start(): void {
    this.sendToCaller(this.lastToCaller);
    this.record.callee = Object.freeze({ realm: this.target.realm, callId: this.callee.callId, target: this.target.uri });
    this.record.state = 'ringing';
    this.callee.send();
  }

  // ---- from the caller ----------------------------------------------------------------------

  /** A request with the caller's Call-ID and From tag; false leaves it to the UA core. */
  callerRequest(m: SipRequest, source: MessageSource): boolean {
    const method = m.method;
    if (method === 'INVITE' && m.toTag === null) {
      if (m.topVia?.branch !== this.callerBranch) return false;
      // 17.2.1: the INVITE again: the last provisional or non-2xx final again; a 2xx is resent by its own timer.
      this.ua.transactions.stats.absorbed++;
      if (this.phase === 'calling' || this.phase === 'failed') this.sendToCaller(this.lastToCaller);
      return true;
    }
    if (method === 'CANCEL') return this.cancelled(m, source);
    if (m.toTag !== this.callerTag) return false;
    if (method === 'ACK') return this.acked(m);
    if (method === 'BYE') return this.byeFrom('a', m, source);
    return this.inDialog();
  }

  private acked(ack: SipRequest): boolean {
    switch (this.phase) {
      case 'promoted':
        return false;
      case 'failed':
        // 17.2.1: the ACK of our non-2xx final ends Timer G.
        this.stopToCaller();
        return true;
      case 'answered':
        if (ack.cseq.seq !== this.callerDialog?.inviteSeq) return true;
        this.stopToCaller();
        this.phase = 'confirmed';
        return true;
      default:
        // A retransmitted ACK, or one that acknowledges nothing of ours: absorbed.
        return true;
    }
  }

  /** 9.2: 200 to the CANCEL, then 487 to the INVITE if it has no final, and the callee's INVITE cancelled. */
  private cancelled(cancel: SipRequest, source: MessageSource): boolean {
    if (cancel.topVia?.branch !== this.callerBranch) return false;
    this.ua.transport.sendText(responseText(cancel, { status: 200, toTag: this.callerTag }), responseDestinationFor(cancel.topVia, source), this.ua.responseSent);
    if (this.phase !== 'calling') return true;
    this.rejectCaller(487, undefined);
    this.callee.cancel();
    this.finish('cancelled', 'caller', 487);
    return true;
  }

  // ---- from the callee ----------------------------------------------------------------------

  /** A request in the callee's dialog (our tag in its To); false leaves it to the UA core. */
  calleeRequest(m: SipRequest, source: MessageSource): boolean {
    if (m.toTag !== this.callee.tag) return false;
    if (m.method === 'BYE') return this.byeFrom('b', m, source);
    if (m.method === 'ACK') return this.phase !== 'promoted';
    return this.inDialog();
  }

  /** A response with the callee's Call-ID and our From tag. */
  calleeResponse(r: SipResponse): boolean {
    if (this.phase === 'promoted') {
      // The Call's sessions take their own (a re-INVITE's too); the INVITE's repeated 2xx is still ACKed from here.
      if (!this.callee.answers(r)) return false;
      this.callee.inviteResponse(r);
      return true;
    }
    if (r.cseq.method !== 'BYE') return this.callee.response(r);
    return (this.byes !== null && this.byes.response('b', r)) || this.callee.forkByeResponse(r);
  }

  /** A response with the caller's Call-ID and our tag as From: to a request of ours in its dialog. */
  callerResponse(r: SipResponse): boolean {
    return this.phase !== 'promoted' && r.cseq.method === 'BYE' && this.byes !== null && this.byes.response('a', r);
  }

  /** FlatCalleeEvents: a provisional crosses to the caller, early media regenerated (never reliably: the caller's leg has no PRACK). */
  provisional(r: SipResponse): void {
    const status = r.status;
    let body: string | undefined;
    try {
      body = r.bodyLength === 0 ? undefined : this.bridge('a', r.bodyUtf8());
    } catch (err) {
      this.ctx.log.warn({ err, call: this.id }, 'early media not bridged');
    }
    this.lastStatus = status === 180 || status === 181 || status === 182 ? status : 183;
    this.lastSdp = body ?? null;
    this.lastToCaller = responseText(this.invite!, { status: this.lastStatus, toTag: this.callerTag, contact: this.callerContact, headers: [this.ua.standardHeaders()], body });
    this.sendToCaller(this.lastToCaller);
  }

  /** FlatCalleeEvents: the callee answered: our 200 to the caller, with its answer regenerated. */
  answered(r: SipResponse, calleeDialog: DialogRecord): void {
    this.calleeDialog = calleeDialog;
    if (this.calleeUa.sessionTimer !== null) this.calleeTimer = this.timerOf(r);
    const invite = this.invite!;
    const sdp = this.sdp!;
    const answer = r.bodyLength === 0 ? null : r.bodyUtf8();
    let body: string | undefined;
    let dialog: DialogRecord;
    try {
      body = answer === null ? undefined : this.bridge('a', answer);
      dialog = ownDialog(createUasDialogAs(invite, { status: 200, localTag: this.callerTag, localTarget: this.callerContact, localUri: `${invite.header('to') ?? ''};tag=${this.callerTag}` }), [this.callerCallId, this.callerFromTag, this.callerTag, this.callerContact]);
    } catch (err) {
      this.ctx.log.error({ err, call: this.id }, 'call failed');
      const status = body === undefined && answer !== null ? 488 : 500;
      this.rejectCaller(status, status === 488 ? 'Unreadable SDP' : undefined);
      this.finish('rejected', 'callee', status, 'b');
      return;
    }
    sdp.answer = answer;
    const timer = this.timer;
    const text = responseText(invite, { status: 200, toTag: this.callerTag, contact: this.callerContact, headers: [this.ua.standardHeaders(), timer.kind === 'timer' ? responseHeaders(timer) : undefined], body });
    this.callerDialog = dialog;
    const { calls, clock } = this.ctx;
    if (timer.kind === 'timer') this.callerTimer = timerState(timer.interval, timer.refresher === 'uas', clock.wallNow());
    this.phase = 'answered';
    this.invite = null;
    this.lastToCaller = '';
    this.toCaller = new Resend(this.ua, text, this.callerReplies, this.ua.transactions.timers.t2, this, this.ua.responseSent);
    this.record.state = 'answered';
    this.record.answeredAt = clock.wallNow();
    if (calls.maxDurationSeconds > 0) {
      this.record.deadlines = Object.freeze({ maxDuration: clock.wallNow() + calls.maxDurationSeconds * 1000 });
      this.dueAt = clock.now() + calls.maxDurationSeconds * 1000;
    }
  }

  /** FlatCalleeEvents: the callee's leg failed: its status (a 3xx-6xx, else 500) and reason to the caller. */
  failed(status: number, reason: string | undefined): void {
    const s = status >= 300 && status < 700 ? status : 500;
    this.rejectCaller(s, reason);
    this.finish('rejected', 'callee', s);
  }

  /** The session timer a 2xx to our INVITE sets (RFC 4028 7.2), as a session's would be; null for none. */
  private timerOf(r: SipResponse): SessionTimerState | null {
    if (!r.has('session-expires')) return null;
    try {
      const st = uacFromResponse(r);
      return st === null ? null : timerState(st.interval, st.refresher === 'uac', this.ctx.clock.wallNow());
    } catch {
      return null;
    }
  }

  /** @internal 13.3.1.4: no ACK for our 2xx in 64*T1: the call ends with BYE on both legs. */
  resendTimedOut(resend: Resend): void {
    if (resend !== this.toCaller) return;
    this.toCaller = null;
    if (this.phase === 'answered') this.finish('no-ack', 'sluice', null, 'both');
  }

  // ---- BYE ----------------------------------------------------------------------------------

  private byeFrom(side: Side, bye: SipRequest, source: MessageSource): boolean {
    const branch = bye.topVia?.branch;
    const tag = side === 'a' ? this.callerTag : this.callee.tag;
    const ua = side === 'a' ? this.ua : this.calleeUa;
    // Over: the BYE answered, again, gets the same 200; the UA core answers any other.
    if (this.phase === 'ended' || this.phase === 'failed') return this.byes !== null && this.byes.repeated(side, ua, bye, tag, source);
    if (this.phase === 'promoted' || branch === undefined || branch === null) return false;
    if (this.phase === 'calling') {
      // Only the caller ends an early dialog so (15): as a CANCEL would, with 200 to the BYE.
      if (side === 'b') return false;
    } else {
      const dialog = side === 'a' ? this.callerDialog : this.calleeDialog;
      // 12.2.2: a CSeq not above the last is the UA core's to refuse (500).
      if (dialog === null || (dialog.remoteSeq !== null && bye.cseq.seq <= dialog.remoteSeq)) return false;
    }
    ua.transactions.stats.requests++;
    (this.byes ??= new FlatByes()).answer(side, ua, bye, branch, tag, source);
    if (this.phase === 'calling') {
      this.rejectCaller(487, undefined);
      this.callee.cancel();
      this.finish('cancelled', 'caller', 487);
      return true;
    }
    this.stopToCaller();
    this.finish('bye', side === 'a' ? 'caller' : 'callee', null, side === 'a' ? 'b' : 'a');
    return true;
  }

  /** Our BYE to a leg, in its dialog, to its flow (the caller) or its target (the callee). */
  private sendBye(side: Side): void {
    const dialog = side === 'a' ? this.callerDialog : this.calleeDialog;
    if (dialog === null) return;
    const destination = side === 'a' ? this.callerFlow : this.callee.destinationOf(dialog);
    if (destination === null) {
      this.ctx.log.warn({ call: this.id }, 'BYE not sent: the callee asked for requests at a name, not an address');
      return;
    }
    (this.byes ??= new FlatByes()).send(side, side === 'a' ? this.ua : this.calleeUa, dialog, destination);
  }

  // ---- the engine's -------------------------------------------------------------------------

  /**
   * Once a second (Engine): past its maximum duration the call ends; at a session timer's
   * deadline it is promoted, and the session refreshes (or ends) as any other does.
   */
  sweep(now: number): void {
    if (this.phase !== 'answered' && this.phase !== 'confirmed') return;
    if (this.dueAt !== 0 && now >= this.dueAt) {
      this.hangUp('max-duration');
      return;
    }
    const wall = this.ctx.clock.wallNow();
    if ((this.callerTimer !== null && wall >= this.callerTimer.deadline) || (this.calleeTimer !== null && wall >= this.calleeTimer.deadline)) this.promote();
  }

  /** Ends the call from here: BYE on both legs once answered; before, 503 to the caller and CANCEL to the callee. */
  hangUp(reason: string): void {
    if (this.phase === 'calling') {
      this.rejectCaller(503, undefined);
      this.callee.cancel();
      this.finish(reason, 'sluice', null);
      return;
    }
    if (this.phase !== 'answered' && this.phase !== 'confirmed') return;
    this.stopToCaller();
    this.finish(reason, 'sluice', null, 'both');
  }

  /** @internal 64*T1 after its end (or promotion): the table lets it go. */
  lingerDue(): void {
    this.dispose();
    this.table.expired(this);
  }

  /** Nothing is resent any more. */
  dispose(): void {
    this.stopToCaller();
    this.callee.stop();
    this.byes?.stop();
  }

  // ---- promotion ----------------------------------------------------------------------------

  /**
   * A request in the call's dialogs other than ACK and BYE (or, ringing, CANCEL): the call is
   * promoted, and the UA core takes the request.
   */
  private inDialog(): boolean {
    if (this.phase === 'answered' || this.phase === 'confirmed') this.promote();
    else if (this.phase === 'calling') this.promoteRinging();
    return false;
  }

  /**
   * Answered: the call becomes a Call over two sessions made from its dialogs as they stand (our
   * 2xx still unacknowledged goes on being resent by the caller's session). This object only
   * absorbs the caller's INVITE retransmissions and ACKs the callee's repeated 2xx until the table
   * lets it go.
   */
  private promote(): void {
    const sdp = this.sdp!;
    const pending = this.phase === 'answered' ? this.toCaller : null;
    this.stopToCaller();
    this.phase = 'promoted';
    this.over = true;
    this.sdp = null;
    const call = answeredCall(this.ctx, {
      realm: this.realm,
      record: this.record,
      origin: this.origin,
      target: this.target,
      legs: {
        a: { ua: this.ua, dialog: this.callerDialog!, localSdp: sdp.answer === null ? null : this.sentAgain('a', sdp.answer), remoteSdp: sdp.offer, sessionTimer: this.callerTimer, flow: this.callerFlow },
        b: { ua: this.calleeUa, dialog: this.calleeDialog!, localSdp: this.sentAgain('b', sdp.offer), remoteSdp: sdp.answer, sessionTimer: this.calleeTimer, flow: null },
      },
      unacknowledged: pending === null ? null : { text: pending.text, to: this.callerReplies },
      dueAt: this.dueAt,
    });
    this.ctx.adopted(call);
    this.letGo();
    this.table.settled(this);
  }

  /**
   * Ringing, a request in an early dialog (an UPDATE before the answer): the two INVITEs go to
   * the realms' lean INVITE tables and a Call takes them over; this object is let go at once, as
   * those tables answer every message of the call from now on. Not while the callee's INVITE is
   * still resent (no early dialog can exist yet): the UA core then answers 481.
   */
  private promoteRinging(): void {
    const invite = this.invite;
    const sdp = this.sdp;
    const taken = this.callee.ringingState();
    if (invite === null || sdp === null || taken === null) return;
    const call = ringingCall(this.ctx, {
      realm: this.realm,
      record: this.record,
      origin: this.origin,
      target: this.target,
      caller: { ua: this.ua, invite, source: this.callerFlow, taken: { localTag: this.callerTag, contact: this.callerContact, last: this.lastToCaller, lastStatus: this.lastStatus, lastSdp: this.lastSdp } },
      callee: { ua: this.calleeUa, options: this.callee.callOptions, destination: this.callee.destination, taken },
    });
    if (call === null) return;
    this.phase = 'promoted';
    this.over = true;
    this.ctx.adopted(call);
    this.dispose();
    this.table.expired(this);
  }

  // ---- internals ----------------------------------------------------------------------------

  private get calleeUa(): UserAgent {
    return this.callee.ua;
  }

  /** A non-2xx final to the caller, resent until its ACK (Timers G and H). */
  private rejectCaller(status: number, reason: string | undefined): void {
    const invite = this.invite;
    if (invite === null) return;
    this.lastToCaller = responseText(invite, { status, reason, toTag: this.callerTag });
    this.stopToCaller();
    this.toCaller = new Resend(this.ua, this.lastToCaller, this.callerReplies, this.ua.transactions.timers.t2, null, this.ua.responseSent);
    this.phase = 'failed';
  }

  private stopToCaller(): void {
    this.toCaller?.stop();
    this.toCaller = null;
  }

  /** An SDP from one party regenerated for the other (`to`), media direct: each party gets the other's address. */
  private bridge(to: Side, sdp: string): string {
    const origin = this.origin[to];
    const body = this.regenerated(to, sdp, origin);
    origin.version++;
    return body;
  }

  /**
   * What the last bridge to `to` sent for `sdp` (its origin's version before the bump), written
   * again: regeneration is a function of the SDP, the origin and the realm's media address.
   */
  private sentAgain(to: Side, sdp: string): string {
    const origin = this.origin[to];
    return this.regenerated(to, sdp, { sessId: origin.sessId, version: origin.version - 1 });
  }

  /** The common SDP by one scan of its text (sdp-direct.ts); any other through the SDP model. */
  private regenerated(to: Side, sdp: string, origin: OriginState): string {
    const address = this.ctx.mediaAddress(to === 'a' ? this.realm : this.target.realm);
    const direct = regenerateDirect(sdp, origin, address);
    if (direct !== null) return direct;
    const parsed = parseSdp(sdp);
    return regenerate(parsed, origin, address, directTargets(signalledStreams(parsed)), false);
  }

  private sendToCaller(text: string): void {
    this.ua.transport.sendText(text, this.callerReplies, this.ua.responseSent);
  }

  /**
   * The call is over: its record final and written (CDR), the engine told, BYE to the legs `bye`
   * names; then what only a running call needs goes, as the table keeps this object 64*T1 for
   * retransmissions (our ACK and BYE texts, our tags and the branches stay).
   */
  private finish(reason: string, by: NonNullable<CallRecord['endedBy']>, status: number | null, bye: Side | 'both' | null = null): void {
    if (this.over) return;
    this.over = true;
    if (this.phase !== 'failed') this.phase = 'ended';
    const record = this.record;
    record.state = 'ended';
    record.endedAt = this.ctx.clock.wallNow();
    record.endReason = reason;
    record.endedBy = by;
    record.status = status;
    this.ctx.cdr?.write(record, []);
    this.ctx.ended(this);
    if (bye === 'a' || bye === 'both') this.sendBye('a');
    if (bye === 'b' || bye === 'both') this.sendBye('b');
    this.sdp = null;
    this.invite = null;
    // A failed call's final is resent for its INVITE's retransmissions: as a string of its own
    // (written from the INVITE, it is a rope of slices that holds the INVITE's whole text).
    this.lastToCaller = this.phase === 'failed' ? ownString(this.lastToCaller) : '';
    this.callerDialog = null;
    this.calleeDialog = null;
    this.callerTimer = null;
    this.calleeTimer = null;
    this.lastSdp = null;
    this.callee.release();
    this.letGo();
    this.table.settled(this);
  }

  /** What only a running call needs goes (the table keeps this object 64*T1 after its end or promotion). */
  private letGo(): void {
    this.record = LET_GO.record;
    this.target = LET_GO.target;
    this.origin = LET_GO.origin;
    this.callerContact = '';
    this.callerFlow = LET_GO.flow;
  }
}

/** The parts of a call `letGo` drops, as shared stand-ins: no call reads them after its end. */
const LET_GO = Object.freeze({
  record: Object.freeze({ id: '', state: 'ended', caller: Object.freeze({ realm: '', callId: '', from: '', to: '', source: '' }), callee: null, route: null, media: 'direct', startedAt: 0, answeredAt: null, endedAt: null, endReason: null, endedBy: null, status: null, deadlines: Object.freeze({ maxDuration: null }) }) as CallRecord,
  target: Object.freeze({ realm: '', uri: '', media: 'direct', route: Object.freeze({ rule: '', kind: '' }) }) as CallTarget,
  origin: Object.freeze({ a: Object.freeze({ sessId: '', version: 0 }), b: Object.freeze({ sessId: '', version: 0 }) }) as Record<Side, OriginState>,
  flow: Object.freeze({ transport: 'UDP', address: '', port: 0, reliable: false }) as MessageSource,
});
