/**
 * Hosts of RFC 3261 25.1 (hostname / IPv4address / IPv6reference) with RFC 5118's readings of
 * IPv6. Validators work on a range of a string so callers need not cut substrings first.
 */
import { hexValue } from './chars.js';
import * as chars from './chars.js';
import type { HostKind } from './types.js';

// Module-local copies: V8 folds a module's own constants into optimized code but re-reads
// imported bindings at every use, which costs in per-char loops.
const { CHAR, DIGIT, DOMAIN, HEX, URI } = chars;

/** Value of the dotted quad s[start, end) as an unsigned 32-bit number, or -1. */
export function ipv4Value(s: string, start: number, end: number): number {
  let value = 0;
  let parts = 0;
  let i = start;
  for (;;) {
    let n = 0;
    const from = i;
    // 1*3DIGIT, at most 255 (RFC 3261 allows 1*3DIGIT; a value over 255 is no address).
    while (i < end && i - from < 3 && (CHAR[s.charCodeAt(i)]! & DIGIT) !== 0) n = n * 10 + s.charCodeAt(i++) - 0x30;
    if (i === from || n > 255) return -1;
    value = value * 256 + n;
    parts++;
    if (parts === 4) return i === end ? value : -1;
    if (i >= end || s.charCodeAt(i) !== 0x2e) return -1;
    i++;
  }
}

export function isIPv4(s: string, start = 0, end = s.length): boolean {
  return ipv4Value(s, start, end) >= 0;
}

/**
 * Parses IPv6 address text (no brackets) in s[start, end) into 8 groups. Accepts RFC 4291 forms,
 * an IPv4 tail, and the form RFC 3261's ABNF lets through by mistake, "::" followed by ":" and an
 * IPv4 tail (`2001:db8:::192.0.2.1`), which RFC 5118 4.10 asks parsers to tolerate.
 */
export function parseIPv6(s: string, start: number, end: number, out?: number[]): boolean {
  const g = out ?? [];
  let n = 0;
  let gap = -1;
  let i = start;
  if (i >= end) return false;
  if (s.charCodeAt(i) === 0x3a) {
    if (i + 1 >= end || s.charCodeAt(i + 1) !== 0x3a) return false;
    gap = 0;
    i += 2;
    if (i === end) return expand(g, 0, 0);
    // ":::a.b.c.d": the third colon is tolerated before an IPv4 tail only (RFC 5118 4.10).
    if (s.charCodeAt(i) === 0x3a) return (n = v4tail(s, i + 1, end, g, 0)) >= 0 && expand(g, n, 0);
  }
  for (;;) {
    const from = i;
    let v = 0;
    while (i < end && i - from < 5 && (CHAR[s.charCodeAt(i)]! & HEX) !== 0) v = v * 16 + hexValue(s.charCodeAt(i++));
    if (i < end && s.charCodeAt(i) === 0x2e) {
      n = v4tail(s, from, end, g, n);
      if (n < 0) return false;
      break;
    }
    if (i === from || i - from > 4 || n === 8) return false;
    g[n++] = v;
    if (i === end) break;
    if (s.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i === end) return false;
    if (s.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false;
      gap = n;
      i++;
      if (i === end) break;
      if (s.charCodeAt(i) === 0x3a) {
        n = v4tail(s, i + 1, end, g, n);
        if (n < 0) return false;
        break;
      }
    }
  }
  return expand(g, n, gap);
}

/** Adds the IPv4 tail s[from, end) as two groups; the new count, or -1. */
function v4tail(s: string, from: number, end: number, g: number[], n: number): number {
  const v4 = ipv4Value(s, from, end);
  if (v4 < 0 || n > 6) return -1;
  g[n] = v4 >>> 16;
  g[n + 1] = v4 & 0xffff;
  return n + 2;
}

/** Moves the groups after a "::" to the end and zero-fills the gap. */
function expand(g: number[], n: number, gap: number): boolean {
  if (gap < 0) return n === 8;
  if (n > 7) return false;
  const tail = n - gap;
  for (let k = 0; k < tail; k++) g[7 - k] = g[n - 1 - k]!;
  for (let k = gap; k < 8 - tail; k++) g[k] = 0;
  g.length = 8;
  return true;
}

export function isIPv6(s: string, start = 0, end = s.length): boolean {
  return parseIPv6(s, start, end);
}

/** Where the last scanHost() stopped. */
export let hostEnd = 0;

/**
 * Scans the unbracketed host (chars alphanum, '-', '.', '_') that starts at s[start], setting
 * hostEnd, and tells its kind: 'ipv4' for a valid dotted quad, 'domain' for a host name (no
 * empty label but an optional trailing dot, no label starting or ending with '-'), null when
 * the text is neither (digits and dots only must be a valid IPv4). One pass.
 */
export function scanHost(s: string, start: number, end: number): HostKind | null {
  let labelStart = start;
  let onlyDigits = true;
  let bad = false;
  // The dotted quad is checked in the same pass (what ipv4Value checks): 4 parts of 1 to 3
  // digits, each at most 255.
  let dots = 0;
  let octet = 0;
  let octetDigits = 0;
  let quad = true;
  let i = start;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    const f = URI[c]!;
    if ((f & DOMAIN) === 0) break;
    if (c === 0x2e) {
      if (i === labelStart || s.charCodeAt(i - 1) === 0x2d) bad = true;
      labelStart = i + 1;
      if (octetDigits === 0 || ++dots > 3) quad = false;
      octet = 0;
      octetDigits = 0;
    } else if ((CHAR[c]! & DIGIT) === 0) {
      onlyDigits = false;
      if (c === 0x2d && i === labelStart) bad = true;
    } else {
      octet = octet * 10 + c - 0x30;
      if (++octetDigits > 3 || octet > 255) quad = false;
    }
  }
  hostEnd = i;
  if (bad || i === start) return null;
  if (onlyDigits) return quad && dots === 3 && octetDigits > 0 ? 'ipv4' : null;
  if (labelStart < i && s.charCodeAt(i - 1) === 0x2d) return null;
  return 'domain';
}

/** Kind of the unbracketed host that is exactly s[start, end), or null (see scanHost). */
export function hostKind(s: string, start: number, end: number): HostKind | null {
  const k = scanHost(s, start, end);
  return hostEnd === end ? k : null;
}

/**
 * A host as compared (RFC 3261 19.1.4): lower-cased, and an IPv6 address in one canonical text
 * so that `2001:DB8::1` and `2001:db8:0:0::1` compare equal.
 */
export function normalizeHost(host: string, kind: HostKind): string {
  if (kind !== 'ipv6') return host.toLowerCase();
  const g: number[] = [];
  if (!parseIPv6(host, 0, host.length, g)) return host.toLowerCase();
  return g.map((x) => x.toString(16)).join(':');
}
