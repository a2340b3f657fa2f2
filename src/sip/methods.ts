/**
 * The methods nearly every message names (in its request line and its CSeq), as shared
 * constants: reading one from the text in place spares a substring per message, and equal
 * methods are then one string, which compares by identity.
 */
const METHODS = [
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'UPDATE', 'INFO', 'SUBSCRIBE', 'NOTIFY',
  'REFER', 'MESSAGE', 'PUBLISH',
];

const BY_LENGTH: string[][] = [];
for (const m of METHODS) (BY_LENGTH[m.length] ??= []).push(m);

/** s[start, end) as a string: a shared constant when it is one of the common methods, as written (case-sensitive). */
export function methodAt(s: string, start: number, end: number): string {
  const candidates = BY_LENGTH[end - start];
  if (candidates !== undefined) {
    for (let k = 0; k < candidates.length; k++) {
      const m = candidates[k]!;
      if (s.startsWith(m, start)) return m;
    }
  }
  return s.substring(start, end);
}
