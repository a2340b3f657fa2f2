/**
 * A flat call (flat-call.ts) becoming a Call over the UA core, when its dialogs need more than the
 * flat path does: answered, its two dialogs become sessions; still ringing, its two INVITEs go to
 * the realms' lean INVITE tables (ua/lean-invites.ts). Either way the Call goes on from the state
 * the flat call reached, as if it had been a Call from the start: nothing is sent here.
 */
import type { Side } from '../media/index.js';
import type { DialogRecord } from '../dialog/index.js';
import { type SipRequest } from '../sip/index.js';
import type { Destination, MessageSource } from '../transaction/index.js';
import { Session, type CallOptions, type RingingIncoming, type RingingOutgoing, type SessionTimerState, type UserAgent } from '../ua/index.js';
import { Call, type CallTarget } from './call.js';
import type { CallContext } from './context.js';
import type { CallRecord } from './records.js';
import type { OriginState } from './sdp-bridge.js';

/** One leg of an answered flat call, as its session takes it. */
export interface AnsweredLeg {
  ua: UserAgent;
  dialog: DialogRecord;
  localSdp: string | null;
  remoteSdp: string | null;
  sessionTimer: SessionTimerState | null;
  /** Where requests in the dialog go instead of its remote target (the caller's flow). */
  flow: Destination | null;
}

export interface AnsweredFlatCall {
  realm: string;
  record: CallRecord;
  origin: Record<Side, OriginState>;
  target: CallTarget;
  legs: Record<Side, AnsweredLeg>;
  /** Our 2xx to the caller while its ACK has not come: the session resends it until then. */
  unacknowledged: { text: string; to: Destination } | null;
  /** Monotonic ms of the maximum duration; 0: none. */
  dueAt: number;
}

/** The Call an answered flat call becomes, its sessions made from its dialogs as they stand. */
export function answeredCall(ctx: CallContext, flat: AnsweredFlatCall): Call {
  const { record } = flat;
  const answeredAt = record.answeredAt ?? ctx.clock.wallNow();
  const session = (leg: AnsweredLeg): Session => {
    const s = new Session(leg.ua, { dialog: leg.dialog, localSdp: leg.localSdp, remoteSdp: leg.remoteSdp, sessionTimer: leg.sessionTimer, createdAt: record.startedAt, answeredAt });
    s.flow = leg.flow;
    return s;
  };
  const a = session(flat.legs.a);
  const b = session(flat.legs.b);
  const pending = flat.unacknowledged;
  if (pending !== null) {
    const ua = flat.legs.a.ua;
    a.awaitAck(flat.legs.a.dialog.inviteSeq, pending.text, { respond: (text: string) => ua.transport.sendText(text, pending.to, ua.responseSent) });
  }
  const call = new Call(ctx, flat.realm, null, { record, origin: flat.origin });
  call.takeAnswered(flat.target, { a, b }, flat.dueAt);
  a.armSessionTimer();
  b.armSessionTimer();
  return call;
}

export interface RingingFlatCall {
  realm: string;
  record: CallRecord;
  origin: Record<Side, OriginState>;
  target: CallTarget;
  caller: { ua: UserAgent; invite: SipRequest; source: MessageSource; taken: RingingIncoming };
  callee: { ua: UserAgent; options: CallOptions; destination: Destination; taken: RingingOutgoing };
}

/** The Call a ringing flat call becomes, its INVITEs in the lean tables; null where a realm has no lean path. */
export function ringingCall(ctx: CallContext, flat: RingingFlatCall): Call | null {
  const { caller, callee } = flat;
  const incoming = caller.ua.adoptIncoming(caller.invite, caller.source, caller.taken);
  if (incoming === null) return null;
  const out = callee.ua.adoptOutgoing(callee.options, callee.destination, callee.taken);
  if (out === null) return null;
  const call = new Call(ctx, flat.realm, incoming, { record: flat.record, origin: flat.origin });
  call.takeRinging(flat.target, out);
  return call;
}
