/**
 * The routing headers' values read in place in the message's header text, where the framer
 * found them (a flat string scans faster than the slice each value is), else from the value
 * string: `at` is where `value` starts in `text`, or -1 (a folded value, or a field not framed
 * from that text). Either way the result, and any error, is the same.
 */
import { checkCallId, parseCallId } from './call-id.js';
import { trimEnd } from './chars.js';
import { parseContact, parseContactRange } from './contact.js';
import { nameAddrOf, nameAddrOfRange, tagOfValue, tagOfValueRange } from './from-to.js';
import type { NameAddr, Via } from './types.js';
import { parseVia, parseViaRange } from './via.js';

export function viaAt(text: string, at: number, value: string): Via[] {
  return at < 0 ? parseVia(value) : parseViaRange(text, at, at + value.length);
}

export function tagAt(text: string, at: number, value: string, key: string): string | null {
  return at < 0 ? tagOfValue(value, key) : tagOfValueRange(text, at, at + value.length, key);
}

export function nameAddrAt(text: string, at: number, value: string, key: string): NameAddr {
  return at < 0 ? nameAddrOf(value, key) : nameAddrOfRange(text, at, at + value.length, key);
}

export function contactAt(text: string, at: number, value: string): '*' | NameAddr[] {
  return at < 0 ? parseContact(value) : parseContactRange(text, at, at + value.length);
}

/** The Call-ID: `value` itself when it is all Call-ID (the framer trimmed it), as parseCallId gives. */
export function callIdAt(text: string, at: number, value: string): string {
  if (at < 0) return parseCallId(value);
  const whole = at + value.length;
  const end = trimEnd(text, at, whole);
  const a = checkCallId(text, at, end);
  return a === at && end === whole ? value : text.substring(a, end);
}
