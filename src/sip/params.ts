/**
 * Header parameters: `*( SWS ";" SWS name [ SWS "=" SWS gen-value ] )` where
 * gen-value = token / host / quoted-string (RFC 3261 25.1 generic-param), and quoted strings.
 * Values are kept as written (a quoted-string with its quotes); names compare case-insensitively.
 */
import { isToken, matchLower, scanToken, skipWs } from './chars.js';
import * as chars from './chars.js';
import { fail } from './fail.js';
import { parseIPv6 } from './host.js';
import type { Param } from './types.js';

// Module-local copies: V8 folds a module's own constants into optimized code but re-reads
// imported bindings at every use, which costs in per-char loops.
const { CHAR, TOKEN } = chars;

/**
 * Index just after the closing quote of the quoted-string that starts at s[i] (a '"'), -1 when
 * it is not closed, -2 when it holds CR or LF. Any other byte may stand inside (raw UTF-8, NUL,
 * BEL, DEL are kept); a backslash takes the next byte whatever it is, except CR or LF.
 */
export function quotedEnd(s: string, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c === 0x5c) {
      j++;
      if (j >= end) break;
      const d = s.charCodeAt(j);
      if (d === 0x0d || d === 0x0a) return -2;
    } else if (c === 0x0d || c === 0x0a) return -2;
  }
  return -1;
}

/** quotedEnd(), throwing for a quoted-string that is not closed or holds CR/LF. */
export function scanQuoted(s: string, i: number, end: number, header?: string): number {
  const j = quotedEnd(s, i, end);
  if (j === -1) fail('Unterminated quoted string', header);
  if (j === -2) fail('CR or LF in quoted string', header);
  return j;
}

/** Content of s[start, end) (the inside of a quoted-string) with quoted-pairs resolved. */
export function unquotePairs(s: string, start: number, end: number): string {
  let b = start;
  while (b < end && s.charCodeAt(b) !== 0x5c) b++;
  if (b === end) return s.substring(start, end);
  let out = '';
  let from = start;
  for (let j = b; j < end; j++) {
    if (s.charCodeAt(j) === 0x5c) {
      out += s.substring(from, j);
      from = ++j; // the escaped byte is kept as the start of the next run
    }
  }
  return out + s.substring(from, end);
}

/** A value as meant: a quoted-string's content with its quoted-pairs resolved, else the value itself. */
export function unquote(value: string): string {
  const n = value.length;
  if (n >= 2 && value.charCodeAt(0) === 0x22 && value.charCodeAt(n - 1) === 0x22) return unquotePairs(value, 1, n - 1);
  return value;
}

/** Writes text as a quoted-string: '"' and '\' escaped; CR and LF (which no quoted-pair may carry) become SP. */
export function quote(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length && plain; i++) {
    const c = text.charCodeAt(i);
    plain = c !== 0x22 && c !== 0x5c && c !== 0x0d && c !== 0x0a;
  }
  if (plain) return `"${text}"`;
  let out = '"';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) {
      out += text.substring(from, i) + '\\';
      from = i; // the char itself starts the next run
    } else if (c === 0x0d || c === 0x0a) {
      out += text.substring(from, i) + ' ';
      from = i + 1;
    }
  }
  return out + text.substring(from) + '"';
}

/**
 * Scans parameters from s[i] up to `end`, pushing them to `out`; returns the index after the
 * last one (trailing whitespace not consumed), so the caller checks what follows (',' or end).
 * An empty parameter (";;", a ';' at the end, "=" without a value) is an error (RFC 4475
 * badinv01). `colonValues` lets ':' stand in token values: Via's received may hold a bare IPv6
 * address (RFC 5118 4.5).
 */
export function scanParams(
  s: string,
  i: number,
  end: number,
  out: Param[],
  header: string | undefined,
  colonValues = false,
): number {
  for (;;) {
    let j = skipWs(s, i, end);
    if (j >= end || s.charCodeAt(j) !== 0x3b) return i;
    j = skipWs(s, j + 1, end);
    const nameEnd = scanToken(s, j, end);
    if (nameEnd === j) fail('Empty or invalid parameter', header);
    const name = s.substring(j, nameEnd);
    let k = skipWs(s, nameEnd, end);
    if (k >= end || s.charCodeAt(k) !== 0x3d) {
      out.push({ name, value: null });
      i = nameEnd;
      continue;
    }
    k = skipWs(s, k + 1, end);
    let v = k;
    const c = k < end ? s.charCodeAt(k) : -1;
    if (c === 0x22) v = scanQuoted(s, k, end, header);
    else if (c === 0x5b) {
      v = k + 1;
      while (v < end && s.charCodeAt(v) !== 0x5d) v++;
      if (v >= end || !parseIPv6(s, k + 1, v)) fail('Invalid IPv6 reference in parameter', header);
      v++;
    } else if (colonValues) {
      while (v < end && ((CHAR[s.charCodeAt(v)]! & TOKEN) !== 0 || s.charCodeAt(v) === 0x3a)) v++;
    } else v = scanToken(s, k, end);
    if (v === k) fail('Empty or invalid parameter value', header);
    out.push({ name, value: s.substring(k, v) });
    i = v;
  }
}

/** Parses a whole `;name=value...` string (empty gives []). */
export function parseParams(text: string, header?: string): Param[] {
  const out: Param[] = [];
  const end = text.length;
  const i = skipWs(text, scanParams(text, skipWs(text, 0), end, out, header), end);
  if (i !== end) fail('Invalid parameters', header);
  return out;
}

/** The value of the first parameter named `lowerName`: undefined when absent, null when valueless. */
export function getParam(params: readonly Param[], lowerName: string): string | null | undefined {
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (matchLower(p.name, 0, p.name.length, lowerName)) return p.value;
  }
  return undefined;
}

/** A copy of `params` with `name` set to `value` (the first one replaced and later ones dropped, else appended). */
export function setParam(params: readonly Param[], name: string, value: string | null): Param[] {
  const lowerName = name.toLowerCase();
  const out: Param[] = [];
  let done = false;
  for (const p of params) {
    if (!matchLower(p.name, 0, p.name.length, lowerName)) out.push(p);
    else if (!done) {
      out.push({ name: p.name, value });
      done = true;
    }
  }
  if (!done) out.push({ name, value });
  return out;
}

/** A copy of `params` without any parameter named `lowerName`. */
export function removeParam(params: readonly Param[], lowerName: string): Param[] {
  return params.filter((p) => !matchLower(p.name, 0, p.name.length, lowerName));
}

/** True when `v` is a gen-value as written: a token, a whole quoted-string or an IPv6 reference. */
export function isGenValue(v: string, colonValues = false): boolean {
  const n = v.length;
  if (n === 0) return false;
  const c = v.charCodeAt(0);
  if (c === 0x22) return quotedEnd(v, 0, n) === n;
  if (c === 0x5b) return n > 2 && v.charCodeAt(n - 1) === 0x5d && parseIPv6(v, 1, n - 1);
  if (!colonValues) return isToken(v);
  for (let i = 0; i < n; i++) {
    const d = v.charCodeAt(i);
    if ((CHAR[d]! & TOKEN) === 0 && d !== 0x3a) return false;
  }
  return true;
}

/**
 * `;name=value` for each parameter. Values are written as they are when they are valid
 * gen-values (they were kept as written); any other value is quoted, so whatever a caller set
 * comes out well formed.
 */
export function serializeParams(params: readonly Param[], colonValues = false): string {
  let out = '';
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    out += ';' + p.name;
    if (p.value !== null) out += '=' + (isGenValue(p.value, colonValues) ? p.value : quote(p.value));
  }
  return out;
}
