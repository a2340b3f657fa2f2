/**
 * The lean path of the common call (UaOptions.lean): INVITEs over UDP answered and placed by one
 * object each (lean-incoming-call.ts, lean-outgoing-call.ts) instead of a transaction, a dialog
 * set and early dialogs. The call's session, from the 2xx on, is the same as on the general path,
 * and so is everything in the dialog (ACK of the 2xx, BYE, re-INVITE ...).
 *
 * This table finds the lean INVITEs by their transaction keys (17.1.3, 17.2.3) before the
 * transaction layer sees a message, and keeps each for 64*T1 after its final response, in one
 * queue, to absorb and answer retransmissions.
 *
 * An INVITE takes the lean path when it could only ever be the common call: it starts a dialog,
 * came over UDP with an RFC 3261 branch, and carries no Require (100rel or any extension: those
 * take the general path, which answers 420 or sends reliable provisionals). A call we place takes
 * it when its next hop is a numeric UDP address and it does not require 100rel.
 */
import { BoxedMap } from '../boxed-map.js';
import { createResponse, ownString, type SipRequest, type SipResponse } from '../sip/index.js';
import { isRfc3261Branch, LingerQueue, responseKey, serverKey, type Destination, type Lingering, type MessageSource, type TransactionStats } from '../transaction/index.js';
import { LeanIncomingCall, type LeanIncomingTable, type RingingIncoming } from './lean-incoming-call.js';
import { LeanOutgoingCall, type LeanOutgoingTable, type RingingOutgoing } from './lean-outgoing-call.js';
import type { PlacedInvite } from './placed-invite.js';
import type { CallOptions } from './outgoing-call.js';
import type { Session } from './session.js';
import type { UserAgent } from './user-agent.js';

/**
 * What is kept of an INVITE we answered 2xx, for 64*T1 (RFC 6026 Accepted): its retransmissions
 * are absorbed (the session resends the 2xx), and a late CANCEL gets 200 with our tag. The call
 * itself is the application's to let go.
 */
class AnsweredInvite implements Lingering {
  constructor(
    private readonly table: LeanInvites,
    private readonly key: string,
    readonly localTag: string,
    private readonly stats: TransactionStats,
  ) {}

  retransmitted(): void {
    this.stats.absorbed++;
  }

  /** The ACK of a 2xx is the core's (13.3.1.4), whatever its branch. */
  acknowledged(): boolean {
    return false;
  }

  cancelled(): void {}

  lingerDue(): void {
    this.table.expired(this.key, this);
  }
}

/**
 * An INVITE that could only be the common call (see the module's note): it starts a dialog, came
 * over UDP with an RFC 3261 branch, and requires no extension. The engine's flat path (b2bua/
 * flat-calls.ts) takes only such INVITEs too.
 */
export function isCommonInvite(request: SipRequest, source: MessageSource): boolean {
  return request.method === 'INVITE' && request.toTag === null && source.transport === 'UDP' && isRfc3261Branch(request.topVia?.branch) && !request.has('require');
}

export class LeanInvites implements LeanIncomingTable, LeanOutgoingTable {
  private readonly incoming = new BoxedMap<string, LeanIncomingCall | AnsweredInvite>();
  private readonly outgoing = new BoxedMap<string, LeanOutgoingCall | PlacedInvite>();
  /** Calls without their final yet, by Call-ID: where a request in an early dialog looks. */
  private readonly ringing = new BoxedMap<string, LeanIncomingCall>();
  private readonly placing = new BoxedMap<string, LeanOutgoingCall>();
  private readonly queue: LingerQueue;

  constructor(private readonly ua: UserAgent) {
    this.queue = new LingerQueue(ua.clock, 64 * ua.t1);
  }

  get size(): number {
    return this.incoming.size + this.outgoing.size;
  }

  /** Incoming INVITEs without their final response yet. */
  get answering(): number {
    return this.ringing.size;
  }

  /**
   * Takes a message that belongs to a lean INVITE, or a new INVITE that may take the lean path;
   * false leaves it to the transaction layer. What it throws, the UA catches (onMessage).
   */
  take(message: SipRequest | SipResponse, source: MessageSource): boolean {
    if (message.kind === 'response') {
      if (this.outgoing.size === 0 || message.cseq.method !== 'INVITE') return false;
      const key = responseKey(message);
      const call = key === null ? undefined : this.outgoing.get(key);
      if (call === undefined) return false;
      call.receiveResponse(message);
      return true;
    }
    const method = message.method;
    if (method !== 'INVITE' && method !== 'CANCEL' && method !== 'ACK') return false;
    const via = message.topVia;
    if (via === undefined || !isRfc3261Branch(via.branch)) return false;
    // A CANCEL and the ACK of a non-2xx final carry the INVITE's branch (9.1, 17.1.1.3).
    const key = serverKey(via, 'INVITE');
    const call = this.incoming.get(key);
    if (call !== undefined) {
      if (method === 'INVITE') call.retransmitted();
      else if (method === 'CANCEL') this.cancel(message, source, call);
      else return call.acknowledged();
      return true;
    }
    if (!isCommonInvite(message, source)) return false;
    this.answer(message, source, key);
    return true;
  }

  /** A call we place, on the lean path; null when it cannot take it (see the module's note). */
  invite(options: CallOptions, destination: Destination): LeanOutgoingCall | null {
    if (destination.transport !== 'UDP' || options.reliableProvisional === 'required') return null;
    const call = new LeanOutgoingCall(this.ua, options, destination, this);
    this.placing.set(call.callId, call);
    call.start();
    return call;
  }

  /** A ringing call begun elsewhere (the engine's flat path), the caller's INVITE: from now on this table's. */
  adoptIncoming(invite: SipRequest, source: MessageSource, taken: RingingIncoming): LeanIncomingCall | null {
    const via = invite.topVia;
    if (via === undefined) return null;
    const key = ownString(serverKey(via, 'INVITE'));
    const call = new LeanIncomingCall(this.ua, invite, source, key, this, taken);
    this.incoming.set(key, call);
    this.ringing.set(invite.callId, call);
    return call;
  }

  /** A ringing call begun elsewhere, the callee's INVITE (out already): from now on this table's. */
  adoptOutgoing(options: CallOptions, destination: Destination, taken: RingingOutgoing): LeanOutgoingCall {
    const call = new LeanOutgoingCall(this.ua, options, destination, this, taken);
    this.placing.set(call.callId, call);
    return call;
  }

  private answer(invite: SipRequest, source: MessageSource, key: string): void {
    const ua = this.ua;
    const stats = ua.transactions.stats;
    if (!ua.admit(invite, source)) {
      stats.shed++;
      return;
    }
    stats.requests++;
    // The key is kept 64*T1 after the final (AnsweredInvite): built from the Via's slices, it
    // would keep the whole INVITE's text alive that long.
    key = ownString(key);
    const call = new LeanIncomingCall(ua, invite, source, key, this);
    this.incoming.set(key, call);
    this.ringing.set(invite.callId, call);
    ua.newCall(call);
  }

  /** 9.2: 200 to the CANCEL (again for each retransmission), then 487 to the INVITE if it has no final. */
  private cancel(cancel: SipRequest, source: MessageSource, call: LeanIncomingCall | AnsweredInvite): void {
    this.ua.transport.sendResponse(createResponse(cancel, 200, undefined, call.localTag), source, this.ua.responseSent);
    call.cancelled();
  }

  /**
   * The session of the early dialog a request in a dialog names (Call-ID and tags), made now from
   * the lean call's provisional; null when no lean call has that early dialog.
   */
  earlySession(request: SipRequest): Session | null {
    const ours = request.toTag;
    if (ours === null) return null;
    // One Call-ID may be both (a call that comes back through this UA): the tag tells which.
    const answering = this.ringing.get(request.callId);
    if (answering !== undefined && answering.localTag === ours) return answering.earlySession();
    const placed = this.placing.get(request.callId);
    return placed !== undefined && placed.fromTag === ours ? placed.earlySession(request.fromTag) : null;
  }

  // ---- the tables, for the calls ---------------------------------------------------------------

  placed(call: LeanOutgoingCall, key: string, previous: string | null): void {
    if (previous !== null && this.outgoing.get(previous) === call) this.outgoing.delete(previous);
    this.outgoing.set(key, call);
  }

  /** An INVITE we answered has its final: after a 2xx a small stand-in absorbs the retransmissions, a non-2xx's call stays for Timer G. */
  answered(call: LeanIncomingCall, accepted: boolean): void {
    if (this.ringing.get(call.request.callId) === call) this.ringing.delete(call.request.callId);
    let entry: LeanIncomingCall | AnsweredInvite = call;
    if (accepted) {
      entry = new AnsweredInvite(this, call.key, call.localTag, this.ua.transactions.stats);
      this.incoming.set(call.key, entry);
    }
    this.queue.add(entry);
  }

  /** A call we placed has its outcome (a final, a timeout, a transport error): `after` stands in for it. */
  settled(call: LeanOutgoingCall, after: PlacedInvite): void {
    if (this.placing.get(call.callId) === call) this.placing.delete(call.callId);
    if (call.key !== null) this.outgoing.set(call.key, after);
    this.queue.add(after);
  }

  /** 64*T1 after a final: what was kept for its retransmissions goes. */
  expired(key: string, entry: unknown): void {
    if (this.incoming.get(key) === entry) this.incoming.delete(key);
    else if (this.outgoing.get(key) === entry) this.outgoing.delete(key);
  }

  dispose(): void {
    for (const c of this.incoming.values()) if (c instanceof LeanIncomingCall) c.dispose();
    for (const c of this.outgoing.values()) if (c instanceof LeanOutgoingCall) c.dispose();
    this.incoming.clear();
    this.outgoing.clear();
    this.ringing.clear();
    this.placing.clear();
    this.queue.dispose();
  }
}
