/**
 * Character classes of the SIP grammar (RFC 3261 section 25.1) as bit flags in two 256-entry
 * tables, indexed by a latin1 char code (one byte). Scanners test `(CHAR[c] & TOKEN) !== 0`:
 * one load and one AND per byte, no regular expressions, no allocation.
 */

// ---- table CHAR ------------------------------------------------------------------------------
export const ALPHA = 1;
export const DIGIT = 2;
export const HEX = 4;
/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = 8;
/** word (Call-ID) = token chars plus ( ) < > : \ DQUOTE / [ ] ? { } */
export const WORD = 16;
/** unreserved = alphanum / mark */
export const UNRESERVED = 32;
/** SP / HTAB */
export const WS = 64;
/** mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")" */
export const MARK = 128;
export const ALPHANUM = ALPHA | DIGIT;

// ---- table URI (sets used inside URIs; each includes unreserved, not the '%' of escapes) -----
/** unreserved / user-unreserved ("&" / "=" / "+" / "$" / "," / ";" / "?" / "/") */
export const USER = 1;
/** unreserved / "&" / "=" / "+" / "$" / "," */
export const PASSWORD = 2;
/** paramchar minus escapes: unreserved / param-unreserved ("[" / "]" / "/" / ":" / "&" / "+" / "$") */
export const PARAMCHAR = 4;
/** hname/hvalue chars minus escapes: unreserved / hnv-unreserved ("[" / "]" / "/" / "?" / ":" / "+" / "$") */
export const HNV = 8;
/** uric (reserved / unreserved) plus "%" and the "[" "]" of RFC 2732 hosts: opaque URIs. */
export const URIC = 16;
/** scheme chars after the first: ALPHA / DIGIT / "+" / "-" / "." */
export const SCHEME = 32;
/** host name chars: alphanum / "-" / "." and, leniently, "_" (seen in real host names) */
export const DOMAIN = 64;
/** user-unreserved only */
export const USER_UNRESERVED = 128;

export const CHAR = new Uint8Array(256);
export const URI = new Uint8Array(256);

function set(table: Uint8Array, chars: string, flag: number): void {
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)]! |= flag;
}
function range(table: Uint8Array, from: number, to: number, flag: number): void {
  for (let c = from; c <= to; c++) table[c]! |= flag;
}

range(CHAR, 0x41, 0x5a, ALPHA);
range(CHAR, 0x61, 0x7a, ALPHA);
range(CHAR, 0x30, 0x39, DIGIT | HEX);
set(CHAR, 'ABCDEFabcdef', HEX);
set(CHAR, "-_.!~*'()", MARK);
for (let c = 0; c < 256; c++) {
  const f = CHAR[c]!;
  if ((f & (ALPHANUM | MARK)) !== 0) CHAR[c] = f | UNRESERVED;
  if ((f & ALPHANUM) !== 0) CHAR[c]! |= TOKEN | WORD;
}
set(CHAR, "-.!%*_+`'~", TOKEN | WORD);
set(CHAR, '()<>:\\"/[]?{}', WORD);
set(CHAR, ' \t', WS);

for (let c = 0; c < 256; c++) {
  if ((CHAR[c]! & UNRESERVED) !== 0) URI[c]! |= USER | PASSWORD | PARAMCHAR | HNV | URIC;
  if ((CHAR[c]! & ALPHANUM) !== 0) URI[c]! |= SCHEME | DOMAIN;
}
set(URI, '&=+$,;?/', USER | USER_UNRESERVED);
set(URI, '&=+$,', PASSWORD);
set(URI, '[]/:&+$', PARAMCHAR);
set(URI, '[]/?:+$', HNV);
set(URI, ';/?:@&=+$,%[]', URIC);
set(URI, '+-.', SCHEME);
set(URI, '-._', DOMAIN);

/** Value of a hex digit char code (caller checked HEX). */
export function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

/** True when `s` is a non-empty token. */
export function isToken(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) if ((CHAR[s.charCodeAt(i)]! & TOKEN) === 0) return false;
  return true;
}

/** Index of the first char at or after `i` that is not SP or HTAB (chars >= 256 are not ws). */
export function skipWs(s: string, i: number, end = s.length): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Index after the run of token chars starting at `i`. */
export function scanToken(s: string, i: number, end = s.length): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c > 255 || (CHAR[c]! & TOKEN) === 0) break;
    i++;
  }
  return i;
}

/** Index just after the last non-ws char of s[start, end). */
export function trimEnd(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0x09) break;
    end--;
  }
  return end;
}

/** ASCII lower-casing of a char code. */
export function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** Case-insensitive ASCII equality of s[start, start+name.length) with a lower-case `name`. */
export function matchLower(s: string, start: number, end: number, name: string): boolean {
  const n = name.length;
  if (end - start !== n) return false;
  for (let i = 0; i < n; i++) if (lower(s.charCodeAt(start + i)) !== name.charCodeAt(i)) return false;
  return true;
}
