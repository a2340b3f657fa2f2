/**
 * One call through the SBC: the caller's leg (an IncomingCall, then a Session) and the callee's
 * (an OutgoingCall, then a Session), bridged. Each leg is a full UA dialog of its own realm: own
 * Call-ID, tags, Via, Contact (with the leg key) and SDP (regenerated, media toward the relay).
 * Requests on one leg become requests on the other; nothing of one side's topology crosses.
 */
import type { Side } from '../media/index.js';
import { calleeFrom } from './caller-identity.js';
import { deepFreeze, ownCopy, type SipRequest, type SipResponse } from '../sip/index.js';
import { parseSdp, SdpParseError, type Sdp } from '../sdp/index.js';
import type { Destination } from '../transaction/index.js';
import { CallFailed, type IncomingInvite, type IncomingOffer, type IncomingRequest, type OutgoingInvite, type Session, type SessionEnd } from '../ua/index.js';
import type { ActiveCall, CallContext, RouteResult } from './context.js';
import { MediaPlan, MediaRefused, MediaUnavailable } from './media-plan.js';
import { newCallRecord, type CallRecord } from './records.js';
import { keepsCallRecords, saveCall, saveEndedCall, type StoredCall } from './call-store.js';
import { ackArrived, passRequest, reoffer, type BridgedLegs } from './in-dialog.js';
import { LegEvents } from './leg-events.js';
import { newOrigin, regenerate, type OriginState, type StreamTarget } from './sdp-bridge.js';

/** What save() returns where the store keeps no call records (keepsCallRecords): one settled promise. */
const NOTHING_TO_SAVE: Promise<void> = Promise.resolve();

/** Where the dialplan sent the call. */
export interface CallTarget {
  realm: string;
  uri: string;
  destination?: Destination;
  media: 'anchor' | 'direct';
  route: NonNullable<CallRecord['route']>;
}

export class Call implements ActiveCall {
  readonly record: CallRecord;
  private media: MediaPlan | null = null;
  private readonly origin: Record<Side, OriginState>;
  private readonly sessions: Partial<Record<Side, Session>> = {};
  /** The caller's INVITE being answered; let go once answered (it holds the whole INVITE exchange). */
  private incoming: IncomingInvite | null;
  /** The callee's INVITE; let go once answered, like `incoming`. */
  private out: OutgoingInvite | null = null;
  private target: CallTarget | null = null;
  /** This party owes an answer in its ACK (we offered in our 2xx to its offerless re-INVITE). */
  private readonly pendingAnswer: Record<Side, boolean> = { a: false, b: false };
  /** Monotonic ms at which the call reaches its maximum duration; 0: none (see sweep()). */
  private dueAt = 0;
  /** Monotonic ms from which the media's inactivity is looked at; 0: never (see sweep()). */
  private mediaFrom = 0;
  private over = false;
  /** The dialplan's answer, where the INVITE was routed before it came here (a flat call declined it: flat-calls.ts). */
  routed: RouteResult | Promise<RouteResult> | null = null;

  constructor(
    private readonly ctx: CallContext,
    private readonly realm: string,
    incoming: IncomingInvite | null,
    /** A call begun on the flat path (flat-promotion.ts): its record and SDP origins, taken over. */
    begun?: { record: CallRecord; origin: Record<Side, OriginState> },
  ) {
    this.incoming = incoming;
    if (begun !== undefined) {
      this.record = begun.record;
      this.origin = begun.origin;
      return;
    }
    if (incoming === null) throw new Error('a call starts from an INVITE or is taken over from the flat path');
    this.record = newCallRecord(ctx.newId(), realm, incoming.request, incoming.source, ctx.clock.wallNow());
    this.origin = { a: newOrigin(Math.random), b: newOrigin(Math.random) };
  }

  /**
   * @internal A flat call answered: its two sessions are this call's from now on
   * (flat-promotion.ts), as answered() would have made them.
   */
  takeAnswered(target: CallTarget, sessions: Record<Side, Session>, dueAt: number): void {
    this.takeTarget(target);
    this.sessions.a = sessions.a;
    this.sessions.b = sessions.b;
    sessions.a.handler = new LegEvents(this, 'a');
    sessions.b.handler = new LegEvents(this, 'b');
    this.dueAt = dueAt;
  }

  /**
   * @internal A flat call still ringing: its caller's INVITE (`incoming`, given to the
   * constructor) and the callee's (`out`) are this call's from now on (flat-promotion.ts), as
   * run() would have left them.
   */
  takeRinging(target: CallTarget, out: OutgoingInvite): void {
    this.takeTarget(target);
    this.hookIncoming(this.incoming!);
    void this.guarded(this.ring(out));
  }

  /** A flat call's target: media direct (the flat path takes no other). */
  private takeTarget(target: CallTarget): void {
    this.target = target;
    this.media = new MediaPlan(this.ctx.relay, this.id, { a: this.realm, b: target.realm }, false, !this.ctx.calls.releaseOnHold);
  }

  get id(): string {
    return this.record.id;
  }

  /** Work started from an event handler: a failure is logged with the call, never left unhandled. */
  private guard(work: Promise<void>, what: string): void {
    work.catch((err: unknown) => this.ctx.log.error({ err, call: this.id }, `${what} failed`));
  }

  /** @internal A re-INVITE or UPDATE on an answered leg (see LegEvents). */
  legOffer(side: Side, offer: IncomingOffer): void {
    this.guard(reoffer(this.legs(), side, offer), 're-offer');
  }

  /** @internal Another request in an answered leg's dialog. */
  legRequest(side: Side, request: IncomingRequest): void {
    this.guard(passRequest(this.sessions[side === 'a' ? 'b' : 'a'], request), 'in-dialog request');
  }

  /** @internal The ACK of our 2xx on a leg: a late-offer answer crosses into the ACK the callee waits for. */
  legAck(side: Side, ack: SipRequest): void {
    // The common ACK, of a 2xx that carried the answer, has nothing to cross: no legs, no promise.
    if (!this.pendingAnswer[side] && !(side === 'a' && this.sessions.b?.ackPending === true)) return;
    this.guard(ackArrived(this.legs(), side, ack), 'ACK');
  }

  /** @internal A leg's session ended. */
  legTerminated(side: Side, end: SessionEnd): void {
    this.legEnded(side, end);
  }

  /** Routes the INVITE and places the callee's leg. Never throws: failures answer the caller. */
  start(): Promise<void> {
    return this.guarded(this.run());
  }

  /** Work of the call's own whose failure answers the caller (with what suits the error) and ends the call. */
  private async guarded(work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (err) {
      this.ctx.log.error({ err, call: this.id }, 'call failed');
      if (err instanceof MediaUnavailable || err instanceof MediaRefused) this.fail(err.status ?? 500, err instanceof MediaUnavailable ? 'No media ports' : 'Media not acceptable');
      else if (err instanceof SdpParseError) this.fail(488, 'Unreadable SDP');
      else this.fail(500);
    }
  }

  private hookIncoming(incoming: IncomingInvite): void {
    incoming.onEarlySession = (session) => this.linkEarly('a', session);
    incoming.onCancel = () => {
      this.out?.cancel();
      this.finish('cancelled', 'caller', 487);
    };
  }

  private async run(): Promise<void> {
    const { ctx } = this;
    const incoming = this.incoming!;
    incoming.useContactUser(`${this.id}a`);
    this.hookIncoming(incoming);
    if (this.keepsRecords) await this.save();
    const routed = this.routed ?? ctx.route(this.realm, incoming.request);
    this.routed = null;
    const target = routed instanceof Promise ? await routed : routed;
    if (this.over) return;
    if ('reject' in target) {
      this.fail(target.reject, target.reason);
      return;
    }
    this.target = ownCopy(target);
    this.record.route = deepFreeze(this.target.route);
    this.record.media = target.media;
    this.media = new MediaPlan(ctx.relay, this.id, { a: this.realm, b: target.realm }, target.media === 'anchor', !ctx.calls.releaseOnHold);
    const offer = incoming.offer;
    // A late-offer INVITE (no SDP) goes on without one; the callee's 2xx then carries the offer.
    const bridged = offer === null ? undefined : this.bridge('a', offer);
    const body = bridged instanceof Promise ? await bridged : bridged;
    const ua = ctx.ua(target.realm);
    const out = ua.invite({
      uri: target.uri,
      from: calleeFrom(incoming.request, ctx.signallingAddress(target.realm)),
      to: `<${target.uri}>`,
      ...(target.destination ? { destination: target.destination } : {}),
      ...(body === undefined ? {} : { body }),
      contactUser: `${this.id}b`,
      // Late offer: the callee's 2xx brings the offer; its ACK waits for the caller's answer.
      deferAck: offer === null,
    });
    this.record.callee = Object.freeze({ realm: target.realm, callId: out.callId, target: target.uri });
    this.record.state = 'ringing';
    await this.ring(out);
  }

  /** The callee's INVITE is out: its provisionals cross to the caller, its answer makes the call. */
  private async ring(out: OutgoingInvite): Promise<void> {
    this.out = out;
    out.onProvisional = (response, early) => this.guard(this.provisional(response, early), 'provisional response');
    out.onEarlySession = (session) => this.linkEarly('b', session);
    let session: Session;
    try {
      session = await out.answered;
    } catch (err) {
      if (this.over) return;
      this.fail(err instanceof CallFailed ? (err.status ?? 500) : 500, err instanceof CallFailed ? err.reason : undefined);
      return;
    }
    if (this.over) {
      void session.bye();
      return;
    }
    await this.answered(session);
  }

  private async provisional(response: SipResponse, early: Session | null): Promise<void> {
    if (this.over || response.status === 100 || this.incoming === null || this.incoming.answered) return;
    if (early !== null) this.linkEarly('b', early);
    const sdp = response.bodyLength > 0 ? response.bodyUtf8() : null;
    let body: string | undefined;
    try {
      // Early media: the answer in a 183 goes to the caller toward the relay.
      body = sdp === null ? undefined : await this.bridge('b', sdp);
    } catch (err) {
      this.ctx.log.warn({ err, call: this.id }, 'early media not bridged');
    }
    if (this.over || this.incoming === null || this.incoming.answered) return;
    this.incoming.progress(response.status === 180 || response.status === 181 || response.status === 182 ? response.status : 183, body === undefined ? undefined : { body });
    if (this.incoming.session !== null) this.linkEarly('a', this.incoming.session);
  }

  /** Early dialogs are bridged too: an UPDATE before the answer (RFC 3311) crosses to the far leg. */
  private linkEarly(side: Side, session: Session): void {
    if (this.sessions[side] === session) return;
    this.sessions[side] = session;
    session.handler = {
      onOffer: (offer) => {
        // The lean path makes an early dialog's session only when it is needed: now, the far one.
        const far: Side = side === 'a' ? 'b' : 'a';
        if (this.sessions[far] === undefined) {
          const made = far === 'a' ? this.incoming?.earlySession() : this.out?.earlySession();
          if (made) this.linkEarly(far, made);
        }
        this.guard(reoffer(this.legs(), side, offer), 'early re-offer');
      },
    };
  }

  private async answered(b: Session): Promise<void> {
    const answer = b.record.remoteSdp;
    const bridged = answer === null ? undefined : this.bridge('b', answer);
    const body = bridged instanceof Promise ? await bridged : bridged;
    if (this.over) {
      void b.bye();
      return;
    }
    const incoming = this.incoming;
    if (incoming === null) return;
    const a = incoming.accept(body === undefined ? undefined : { body });
    // Far-end NAT: requests in each dialog go back where that party's messages really come
    // from (the caller's INVITE source, the callee's registered flow), not to a private Contact.
    // The INVITE's source is a Destination in all but name (no message source is changed once
    // made): it is the flow as it is, not a copy kept for the whole call.
    a.flow = incoming.source;
    if (this.target?.route.kind === 'registered' && this.target.destination !== undefined) b.flow = this.target.destination;
    this.sessions.a = a;
    this.sessions.b = b;
    // From here the sessions are the call: the INVITE exchanges go with their transactions.
    this.incoming = null;
    this.out = null;
    this.record.state = 'answered';
    this.record.answeredAt = this.ctx.clock.wallNow();
    a.handler = new LegEvents(this, 'a');
    b.handler = new LegEvents(this, 'b');
    this.armDeadlines();
    if (this.keepsRecords) await this.save();
  }

  /**
   * An SDP from `from` regenerated for the other party (relay streams opened or updated). With
   * direct media it is there at once: the common call's offer and answer cross without waiting
   * on a promise (two microtask turns and a suspended frame each). It throws (or rejects) as
   * parseSdp and MediaPlan.apply do.
   */
  private bridge(from: Side, sdp: string): string | Promise<string> {
    const media = this.media!;
    const parsed = parseSdp(sdp); // once: the plan reads it, regenerate then rewrites it
    const targets = media.apply(from, parsed);
    return Array.isArray(targets) ? this.regenerated(from, parsed, targets) : targets.then((t) => this.regenerated(from, parsed, t));
  }

  private regenerated(from: Side, parsed: Sdp, targets: StreamTarget[]): string {
    const to: Side = from === 'a' ? 'b' : 'a';
    const origin = this.origin[to];
    const body = regenerate(parsed, origin, this.ctx.mediaAddress(to === 'a' ? this.realm : this.target!.realm), targets, this.media!.anchored);
    origin.version++;
    return body;
  }

  /** Whether this call's records go into the store (call-store.ts): where not, save() is skipped, not awaited. */
  private get keepsRecords(): boolean {
    return keepsCallRecords(this.ctx.store);
  }

  private legEnded(side: Side, end: SessionEnd): void {
    if (this.over) return;
    const other = this.sessions[side === 'a' ? 'b' : 'a'];
    const by = end.by === 'remote' ? (side === 'a' ? 'caller' : 'callee') : 'sluice';
    // Recorded before the far leg's BYE, whose own end would otherwise be taken for the cause.
    this.finish(end.cause === 'bye' ? 'bye' : end.cause, by, null);
    void other?.bye();
  }

  /**
   * Maximum duration and media inactivity, as deadlines: in the record (wall time, for whoever
   * holds the call), and here on the monotonic clock for sweep(). No timer of the call's own: a
   * Node Timeout, its closure and the array holding it were kept through every call for a limit
   * hours away that nearly no call reaches.
   */
  private armDeadlines(): void {
    const { calls, clock } = this.ctx;
    const now = clock.now();
    if (calls.maxDurationSeconds > 0) {
      this.record.deadlines = Object.freeze({ maxDuration: clock.wallNow() + calls.maxDurationSeconds * 1000 });
      this.dueAt = now + calls.maxDurationSeconds * 1000;
    }
    if (calls.mediaTimeoutSeconds > 0 && this.media?.anchored) this.mediaFrom = now + calls.mediaTimeoutSeconds * 1000;
  }

  /**
   * @internal The engine's look at the call's deadlines, once a second while calls are up
   * (Engine): past its maximum duration, or with no media for mediaTimeoutSeconds from that
   * long after the answer on, the call is hung up.
   */
  sweep(now: number): void {
    if (this.over || (this.dueAt === 0 && this.mediaFrom === 0)) return;
    if (this.dueAt !== 0 && now >= this.dueAt) {
      this.hangUp('max-duration');
      return;
    }
    if (this.mediaFrom !== 0 && now >= this.mediaFrom) {
      const idle = this.media?.idleMs() ?? null;
      if (idle !== null && idle >= this.ctx.calls.mediaTimeoutSeconds * 1000) this.hangUp('media-timeout');
    }
  }

  /** Ends the call from here: BYE on both legs, with the reason recorded. */
  hangUp(reason: string): void {
    if (this.over) return;
    this.finish(reason, 'sluice', null);
    void this.sessions.a?.bye();
    void this.sessions.b?.bye();
    this.out?.cancel();
  }

  private fail(status: number, reason?: string): void {
    if (this.over) return;
    this.incoming?.reject(status >= 300 && status < 700 ? status : 500, reason === undefined ? undefined : { reason });
    this.finish('rejected', 'callee', status);
  }

  private finish(reason: string, by: NonNullable<CallRecord['endedBy']>, status: number | null): void {
    if (this.over) return;
    this.over = true;
    this.record.state = 'ended';
    this.record.endedAt = this.ctx.clock.wallNow();
    this.record.endReason = reason;
    this.record.endedBy = by;
    this.record.status = status;
    const media = this.media?.stats() ?? [];
    this.media?.close();
    this.ctx.cdr?.write(this.record, media);
    if (keepsCallRecords(this.ctx.store)) void saveEndedCall(this.ctx.store, this.ctx.log, this.stored());
    this.ctx.ended(this);
  }

  /** The call as the in-dialog handling sees it (see in-dialog.ts), made per request. */
  private legs(): BridgedLegs {
    return { id: this.id, log: this.ctx.log, sessions: this.sessions, pendingAnswer: this.pendingAnswer, media: this.media, bridge: (from, sdp) => this.bridge(from, sdp), save: () => this.save() };
  }

  /** The call as its records are taken from it (see call-store.ts), made per save. */
  private stored(): StoredCall {
    return { id: this.id, record: this.record, realms: { a: this.realm, b: this.target?.realm }, sessions: this.sessions, origin: this.origin, media: this.media, over: () => this.over };
  }

  /** The call, its legs and its media into the store, as they stand now (where it keeps them). */
  private save(): Promise<void> {
    return keepsCallRecords(this.ctx.store) ? saveCall(this.ctx.store, this.ctx.log, this.stored()) : NOTHING_TO_SAVE;
  }
}
