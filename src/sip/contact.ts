/** Contact (RFC 3261 20.10): '*' or name-addrs whose expires and q parameters are checked. */
import { matchLower, skipWs, trimEnd } from './chars.js';
import * as chars from './chars.js';
import { SipParseError } from './errors.js';
import { fail } from './fail.js';
import { fit } from './fit.js';
import { parseNameAddrListRange } from './name-addr.js';
import { UINT32_MAX, uintRange } from './scan.js';
import type { NameAddr } from './types.js';

// Module-local copies: V8 folds a module's own constants into optimized code but re-reads
// imported bindings at every use, which costs in per-char loops.
const { CHAR, DIGIT } = chars;

/** qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
export function isQValue(v: string): boolean {
  const n = v.length;
  const c = v.charCodeAt(0);
  if (n === 0 || n > 5 || (c !== 0x30 && c !== 0x31)) return false;
  if (n === 1) return true;
  if (v.charCodeAt(1) !== 0x2e) return false;
  for (let i = 2; i < n; i++) {
    const d = v.charCodeAt(i);
    if (c === 0x31 ? d !== 0x30 : (CHAR[d]! & DIGIT) === 0) return false;
  }
  return true;
}

/**
 * Contact = "*" / 1#(name-addr / addr-spec) with expires (delta-seconds, RFC 4475 scalar02) and
 * q (qvalue) checked where present.
 */
export function parseContact(value: string): '*' | NameAddr[] {
  return parseContactRange(value, 0, value.length);
}

/** parseContact of value[start, end), read in place. */
export function parseContactRange(value: string, start: number, end: number): '*' | NameAddr[] {
  end = trimEnd(value, start, end);
  const a = skipWs(value, start, end);
  if (end - a === 1 && value.charCodeAt(a) === 0x2a) return '*';
  const list = parseNameAddrListRange(value, start, end, 'contact', false);
  for (const na of list) {
    for (const p of na.params) {
      if (p.name.length === 7 && matchLower(p.name, 0, 7, 'expires')) {
        if (p.value === null) fail('expires without value', 'contact');
        uintRange(p.value, 0, p.value.length, UINT32_MAX, 'contact');
      } else if (p.name.length === 1 && (p.name === 'q' || p.name === 'Q')) {
        if (p.value === null || !isQValue(p.value)) fail('Invalid q value', 'contact');
      }
    }
  }
  return list;
}

/** The Contact values of every Contact field: '*' only alone (RFC 3261 10.2.2). */
export function parseContactFields(values: string[]): '*' | NameAddr[] {
  if (values.length === 0) return [];
  if (values.length === 1) return parseContact(values[0]!);
  const all: NameAddr[] = [];
  for (const v of values) {
    const c = parseContact(v);
    if (c === '*') throw new SipParseError("Contact '*' mixed with other contacts", { header: 'contact' });
    all.push(...c);
  }
  return fit(all);
}
