/**
 * The methods nearly every message names (in its request line and its CSeq), as shared
 * constants: reading one from the text in place spares a substring per message, and equal
 * methods are then one string, which compares by identity.
 */

const METHODS = [
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'UPDATE', 'INFO', 'SUBSCRIBE', 'NOTIFY',
  'REFER', 'MESSAGE', 'PUBLISH',
];

/** By length and first letter: no two of them share both, so one candidate at most. */
const BY_LENGTH_AND_FIRST: (string | undefined)[] = [];
const slot = (length: number, first: number): number => length * 32 + (first & 31);
for (const m of METHODS) {
  if (BY_LENGTH_AND_FIRST[slot(m.length, m.charCodeAt(0))] !== undefined) throw new Error(`methods: ${m} shares a slot`);
  BY_LENGTH_AND_FIRST[slot(m.length, m.charCodeAt(0))] = m;
}

/** s[start, end) as a string: a shared constant when it is one of the common methods, as written (case-sensitive). */
export function methodAt(s: string, start: number, end: number): string {
  const n = end - start;
  if (n < 16) {
    const m = BY_LENGTH_AND_FIRST[slot(n, s.charCodeAt(start))];
    // endsWith at `end` (m is as long): a cheaper builtin than startsWith, or a loop over chars.
    if (m !== undefined && s.endsWith(m, end)) return m;
  }
  return s.substring(start, end);
}
