/** Call-ID (RFC 3261 20.8, 25.1): parsed from a value, or checked in place in the message's text. */
import { skipWs, trimEnd } from './chars.js';
import * as chars from './chars.js';
import { fail } from './fail.js';

// Module-local copies: V8 folds a module's own constants into optimized code but re-reads
// imported bindings at every use, which costs in per-char loops.
const { CHAR, WORD } = chars;

/** Call-ID = word [ "@" word ] (RFC 4475 intmeth's Call-ID of every word char passes). */
export function parseCallId(value: string): string {
  const end = trimEnd(value, 0, value.length);
  const a = checkCallId(value, 0, end);
  return a === 0 && end === value.length ? value : value.substring(a, end);
}

/**
 * Checks the Call-ID in s[start, end) (trailing whitespace trimmed already), read in place, and
 * returns where it starts (after leading whitespace); it ends at `end`.
 */
export function checkCallId(s: string, start: number, end: number): number {
  const a = skipWs(s, start, end);
  let i = a;
  while (i < end && (CHAR[s.charCodeAt(i)]! & WORD) !== 0) i++;
  if (i === a) fail('Empty or invalid value', 'call-id');
  if (i < end && s.charCodeAt(i) === 0x40) {
    const b = ++i;
    while (i < end && (CHAR[s.charCodeAt(i)]! & WORD) !== 0) i++;
    if (i === b) fail('Invalid value', 'call-id');
  }
  if (i !== end) fail('Invalid value', 'call-id');
  return a;
}
