/**
 * A call's records in the Store (DESIGN.md "State as data"): the call, its legs and its media
 * while it runs, and what is kept of it once it ended.
 */
import type { Side } from '../media/index.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../state/index.js';
import type { Session } from '../ua/index.js';
import type { MediaPlan } from './media-plan.js';
import type { CallRecord } from './records.js';
import type { OriginState } from './sdp-bridge.js';

/**
 * 64*T1 with the default T1 (RFC 3261 17): the longest a peer goes on retransmitting, and as
 * long as the transactions of the call's last exchanges last (Timers J, L and M).
 */
const ENDED_CALL_TTL_MS = 32_000;

/** What of a call goes into the store, as the call hands it over for one save. */
export interface StoredCall {
  readonly id: string;
  readonly record: CallRecord;
  /** Each leg's realm (the callee's is known once the call is routed). */
  readonly realms: { readonly a: string; readonly b: string | undefined };
  readonly sessions: Partial<Record<Side, Session>>;
  readonly origin: Record<Side, OriginState>;
  readonly media: MediaPlan | null;
  /** Asked again after each write: the call can end while a save is under way. */
  over(): boolean;
}

/**
 * The call, its legs (each dialog with the SDP in force and the session timer deadline) and its
 * media (the relay's endpoints per stream) as records (DESIGN.md "State as data").
 */
export async function saveCall(store: Store, log: Logger, call: StoredCall): Promise<void> {
  try {
    // Each step checks the call is still live: one that ended meanwhile has deleted its legs
    // and media (saveEndedCall), and a put now would bring them back for good.
    if (call.over()) return;
    await store.put('call', call.id, call.record);
    for (const side of ['a', 'b'] as const) {
      const s = call.sessions[side];
      if (call.over()) return;
      if (s !== undefined) await store.put('leg', `${call.id}${side}`, { call: call.id, side, realm: call.realms[side], session: s.record, origin: call.origin[side] });
    }
    if (call.over()) return;
    // Direct media opens no pinholes (a plan is anchored or not for the call's life): no record.
    if (call.media?.anchored === true) await store.put('media', call.id, call.media.toRecord());
  } catch (err) {
    log.warn({ err, call: call.id }, 'call record not saved');
  }
}

/**
 * The ended call stays 32 s (late retransmissions, a peer asking after it); its legs and
 * pinholes go at once: nothing can resume them, and at a thousand calls a second a minute of
 * them is 60,000 records of dialogs and SDP held for nothing.
 */
export async function saveEndedCall(store: Store, log: Logger, call: StoredCall): Promise<void> {
  try {
    await store.put('call', call.id, call.record, ENDED_CALL_TTL_MS);
    for (const side of ['a', 'b'] as const) if (call.sessions[side] !== undefined) await store.delete('leg', `${call.id}${side}`);
    if (call.media?.anchored === true) await store.delete('media', call.id);
  } catch (err) {
    log.warn({ err, call: call.id }, 'ended call record not saved');
  }
}
