/**
 * The call's record (DESIGN.md "State as data"): plain data through the Store. Its parts are
 * frozen values, replaced rather than changed: the store shares them instead of copying them at
 * each save (state/plain-data.ts).
 */
import { flatString, ownString, type SipRequest } from '../sip/index.js';
import type { MessageSource } from '../transaction/index.js';

export interface CallRecord {
  id: string;
  state: 'routing' | 'ringing' | 'answered' | 'ended';
  caller: Readonly<{ realm: string; callId: string; from: string; to: string; source: string }>;
  callee: Readonly<{ realm: string; callId: string; target: string }> | null;
  route: Readonly<{ rule: string; kind: string; trunk?: string; user?: string }> | null;
  media: 'anchor' | 'direct';
  /** Wall-clock ms. */
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  endReason: string | null;
  endedBy: 'caller' | 'callee' | 'sluice' | null;
  /** Final status toward the caller when the call was not answered. */
  status: number | null;
  /** Deadlines (wall ms) that whoever holds the call re-arms. */
  deadlines: Readonly<{ maxDuration: number | null }>;
}

/** A new call's record, from the caller's INVITE, while it is routed. */
export function newCallRecord(id: string, realm: string, invite: SipRequest, source: MessageSource, startedAt: number): CallRecord {
  return {
    id,
    state: 'routing',
    // The header values are slices of the INVITE's text, which the record (kept for the whole
    // call) must not hold alive: they are taken as strings of their own (ownString).
    caller: Object.freeze({
      realm,
      callId: ownString(invite.callId),
      from: ownString(invite.header('from') ?? ''),
      to: ownString(invite.header('to') ?? ''),
      source: flatString(`${source.address}:${source.port}`),
    }),
    callee: null,
    route: null,
    media: 'anchor',
    startedAt,
    answeredAt: null,
    endedAt: null,
    endReason: null,
    endedBy: null,
    status: null,
    deadlines: Object.freeze({ maxDuration: null }),
  };
}
