/**
 * A call's records in the Store (DESIGN.md "State as data"): the call, its legs and its media
 * while it runs, and what is kept of it once it ended.
 */
import type { Side } from '../media/index.js';
import type { Logger } from '../observability/logger.js';
import type { Store, StoreWrite } from '../state/index.js';
import type { Session } from '../ua/index.js';
import type { MediaPlan } from './media-plan.js';
import type { CallRecord } from './records.js';
import type { OriginState } from './sdp-bridge.js';

/**
 * Whether a call's records go into `store`. They exist so that another process can take the call
 * over (DESIGN.md "State as data"); this one holds the same facts in the live Call. A store that
 * ends with this process (the single-node default, Store.shared false) can serve no takeover, and
 * writing the records to it cost 6% of Sluice's CPU per call for nothing (two Sluices side by
 * side, 1,500 calls/s each: 0.313 against 0.329 CPU ms per call, rounds 0.91-0.97).
 */
export function keepsCallRecords(store: Store): boolean {
  return store.shared;
}

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
  /** Asked as a save starts: a call that ended meanwhile (its save was awaited) is not saved again. */
  over(): boolean;
}

/**
 * The call, its legs (each dialog with the SDP in force and the session timer deadline) and its
 * media (the relay's endpoints per stream) as records (DESIGN.md "State as data"), in one write:
 * a node that takes the call over finds them all as of one moment, or none.
 */
export async function saveCall(store: Store, log: Logger, call: StoredCall): Promise<void> {
  // A call that ended has deleted its legs and media (saveEndedCall): a put now would bring them
  // back for good. The write goes out in this turn, so the end's own write, made later, follows it.
  if (call.over()) return;
  const changes: StoreWrite[] = [{ op: 'put', kind: 'call', key: call.id, value: call.record }];
  for (const side of ['a', 'b'] as const) {
    const s = call.sessions[side];
    if (s !== undefined) changes.push({ op: 'put', kind: 'leg', key: `${call.id}${side}`, value: { call: call.id, side, realm: call.realms[side], session: s.record, origin: call.origin[side] } });
  }
  // Direct media opens no pinholes (a plan is anchored or not for the call's life): no record.
  if (call.media?.anchored === true) changes.push({ op: 'put', kind: 'media', key: call.id, value: call.media.toRecord() });
  try {
    await store.write(changes);
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
  const changes: StoreWrite[] = [{ op: 'put', kind: 'call', key: call.id, value: call.record, ttlMs: ENDED_CALL_TTL_MS }];
  for (const side of ['a', 'b'] as const) if (call.sessions[side] !== undefined) changes.push({ op: 'delete', kind: 'leg', key: `${call.id}${side}` });
  if (call.media?.anchored === true) changes.push({ op: 'delete', kind: 'media', key: call.id });
  try {
    await store.write(changes);
  } catch (err) {
    log.warn({ err, call: call.id }, 'ended call record not saved');
  }
}
