/**
 * The call's record (DESIGN.md "State as data"): plain data through the Store. Its parts are
 * frozen values, replaced rather than changed: the store shares them instead of copying them at
 * each save (state/plain-data.ts).
 */
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
