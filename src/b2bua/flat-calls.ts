/**
 * The flat calls of an engine (flat-call.ts), found by Call-ID before a realm's UA core sees a
 * message: the caller's Call-ID with its From tag, and ours on the callee's leg (ours alone).
 *
 * An INVITE takes the flat path when it can only be the common call (ua's isCommonInvite: it
 * starts a dialog over UDP with an RFC 3261 branch and requires no extension) and the dialplan
 * sends it where the flat call goes: it has a From tag, a Contact and an SDP offer, asks for a
 * session interval we take, and is routed at once (no registration lookup) to a trunk at an IP
 * address over UDP that asks for no credentials, with media direct. Anything else goes the general way (Engine: a Call over the UA
 * core), with the dialplan's answer handed over (routedFor) rather than asked for again.
 */
import { BoxedMap } from '../boxed-map.js';
import { ownString, type SipRequest, type SipResponse } from '../sip/index.js';
import { LingerQueue, type Destination, type MessageSource } from '../transaction/index.js';
import { isCommonInvite, uasDecide, type UasDecision, type UserAgent } from '../ua/index.js';
import type { CallTarget } from './call.js';
import type { RouteResult } from './context.js';
import { FlatCall, type FlatContext, type FlatTable } from './flat-call.js';
import { newCallRecord } from './records.js';

/** What the engine adds for the flat path. */
export interface FlatEngine extends FlatContext {
  /** A new call to hold (deadlines, shutdown). */
  started(call: FlatCall): void;
  /**
   * Where a flat call to this target goes: its trunk's address over UDP; null where the flat
   * path cannot take it (a name to resolve, TCP or TLS, a trunk whose calls may be challenged).
   */
  flatHop(target: CallTarget): Destination | null;
}

export class FlatCalls implements FlatTable {
  /**
   * By Call-ID, both legs' in one table (one lookup per message): the caller's, and ours on the
   * callee's leg, random and never the caller's (an INVITE with a Call-ID held here goes the
   * general way).
   */
  private readonly byCallId = new BoxedMap<string, FlatCall>();
  private held = 0;
  private readonly queue: LingerQueue;
  /** The dialplan's answers for INVITEs routed here and left to the general path (see routedFor). */
  private readonly declined = new WeakMap<SipRequest, RouteResult | Promise<RouteResult>>();

  constructor(
    private readonly engine: FlatEngine,
    t1: number,
  ) {
    this.queue = new LingerQueue(engine.clock, 64 * t1);
  }

  /** Flat calls held: running, or kept 64*T1 after their end for retransmissions. */
  get size(): number {
    return this.held;
  }

  /**
   * Takes a message of a flat call, or an INVITE that starts one; false leaves it to the realm's
   * UA core. Like the UA core it lets nothing thrown reach the transport (DESIGN.md: no input may
   * crash the process): the message is then dropped, and counted. The one exception is an INVITE's
   * completeParse (TransportUser): a malformed Contact or Request-URI is the transport's to
   * answer (400), as on the UA core's path. A message of a call held here is not parsed further
   * than the call reads it: an ACK or BYE never has its Contact or Request-URI parsed.
   */
  take(message: SipRequest | SipResponse, source: MessageSource, realm: string, ua: UserAgent): boolean {
    const call = this.held === 0 ? undefined : this.byCallId.get(message.callId);
    if (call === undefined) {
      if (message.kind !== 'request' || message.method !== 'INVITE' || message.toTag !== null) return false;
      message.completeParse();
      try {
        return this.start(message, source, realm, ua);
      } catch (err) {
        return this.failed(err, message, ua);
      }
    }
    try {
      return this.dispatch(call, message, source, realm);
    } catch (err) {
      return this.failed(err, message, ua);
    }
  }

  private failed(err: unknown, message: SipRequest | SipResponse, ua: UserAgent): true {
    ua.transactions.stats.errors++;
    this.engine.log.error({ err }, `error while handling ${message.kind === 'request' ? `a ${message.method}` : 'a response'} of a flat call; dropped`);
    return true;
  }

  /** The dialplan's answer for an INVITE this table routed and declined, once. */
  routedFor(invite: SipRequest): RouteResult | Promise<RouteResult> | null {
    const routed = this.declined.get(invite);
    if (routed === undefined) return null;
    this.declined.delete(invite);
    return routed;
  }

  private dispatch(call: FlatCall, message: SipRequest | SipResponse, source: MessageSource, realm: string): boolean {
    // A leg's messages count only from its own realm: one realm never learns the other's Call-IDs
    // and tags (topology hiding), and a look-alike from there is the UA core's to refuse.
    if (message.callId === call.callerCallId) {
      if (realm !== call.realm) return false;
      if (message.kind === 'response') return message.fromTag === call.callerTag && call.callerResponse(message);
      if (message.fromTag === call.callerFromTag) return call.callerRequest(message, source);
    } else if (realm === call.calleeRealm) {
      if (message.kind === 'response') return message.fromTag === call.callee.tag && call.calleeResponse(message);
      return call.calleeRequest(message, source);
    }
    // A second call with a Call-ID held here (another From tag) goes the general way.
    return false;
  }

  private start(invite: SipRequest, source: MessageSource, realm: string, ua: UserAgent): boolean {
    if (!isCommonInvite(invite, source) || invite.bodyLength === 0) return false;
    if (invite.fromTag === null || !invite.has('contact') || !isSdp(invite.header('content-type'))) return false;
    if (!ua.admit(invite, source)) {
      ua.transactions.stats.shed++;
      return true;
    }
    let timer: UasDecision;
    try {
      timer = uasDecide(invite, ua.sessionTimer);
    } catch {
      return false;
    }
    if (timer.kind === 'too-small') return false;
    const engine = this.engine;
    const routed = engine.route(realm, invite);
    const destination = routed instanceof Promise || 'reject' in routed || routed.media !== 'direct' || routed.destination !== undefined ? null : engine.flatHop(routed);
    if (destination === null) {
      this.declined.set(invite, routed);
      return false;
    }
    const target = ownTarget(routed as CallTarget);
    const calleeUa = engine.ua(target.realm);
    const record = newCallRecord(engine.newId(), realm, invite, source, engine.clock.wallNow());
    record.route = target.route;
    record.media = 'direct';
    let call: FlatCall;
    try {
      call = new FlatCall(engine, this, realm, target, { ua, invite, source, branch: ownString(invite.topVia!.branch!), offer: invite.bodyUtf8(), target, calleeUa, destination, timer }, record);
    } catch {
      // An offer that does not parse: the general path answers it (488).
      this.declined.set(invite, routed);
      return false;
    }
    ua.transactions.stats.requests++;
    this.byCallId.set(call.callerCallId, call);
    this.byCallId.set(call.callee.callId, call);
    this.held++;
    engine.started(call);
    call.start();
    return true;
  }

  settled(call: FlatCall): void {
    this.queue.add(call);
  }

  expired(call: FlatCall): void {
    if (this.byCallId.get(call.callerCallId) !== call) return; // let go already
    this.byCallId.delete(call.callerCallId);
    if (this.byCallId.get(call.callee.callId) === call) this.byCallId.delete(call.callee.callId);
    this.held--;
  }

  dispose(): void {
    for (const [callId, c] of this.byCallId.entries()) if (callId === c.callerCallId) c.dispose();
    this.byCallId.clear();
    this.held = 0;
    this.queue.dispose();
  }
}

/** No Content-Type (RFC 3261 allows it for SDP) or application/sdp; a multipart body goes the general way. */
function isSdp(contentType: string | undefined): boolean {
  return contentType === undefined || contentType.trimStart().slice(0, 15).toLowerCase() === 'application/sdp';
}

/**
 * What ownCopy and deepFreeze make of a trunk's target (Engine.targetOf: a flat call's is always
 * one, with no destination), field by field rather than by a walk over its keys: its URI and
 * dialed user are slices of the INVITE, which the call must not keep alive; the rest are the
 * dialplan's own strings. The route is frozen, as the record keeps it.
 */
function ownTarget(t: CallTarget): CallTarget {
  const r = t.route;
  const route: CallTarget['route'] = Object.freeze({ rule: r.rule, kind: r.kind, trunk: r.trunk, user: r.user === undefined ? undefined : ownString(r.user) });
  return { realm: t.realm, uri: ownString(t.uri), media: t.media, route };
}
