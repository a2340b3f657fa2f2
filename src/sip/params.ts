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

// Where the last scanParam() found its parameter: the name is s[nameStart, nameEnd), the value
// s[valueStart, valueEnd) or absent (valueStart = -1). Module state, like hostEnd: no object per
// parameter for callers that want one parameter only (tagOfValue).
let nameStart = 0;
let nameEnd = 0;
let valueStart = -1;
let valueEnd = -1;

/**
 * Scans the parameter that starts at s[i] (SWS ";" SWS name [ SWS "=" SWS gen-value ]) and
 * returns the index after it, or -1 when no ';' follows (only whitespace may, then). See
 * scanParams for what is refused.
 */
function scanParam(s: string, i: number, end: number, header: string | undefined, colonValues: boolean): number {
  // Whitespace around ';' and '=' is allowed and rare: skipWs is called only where there is some.
  let j = i;
  let c = j < end ? s.charCodeAt(j) : -1;
  if (c === 0x20 || c === 0x09) {
    j = skipWs(s, j, end);
    c = j < end ? s.charCodeAt(j) : -1;
  }
  if (c !== 0x3b) return -1;
  j = skipWs(s, j + 1, end);
  const ne = scanToken(s, j, end);
  if (ne === j) fail('Empty or invalid parameter', header);
  nameStart = j;
  nameEnd = ne;
  let k = ne;
  c = k < end ? s.charCodeAt(k) : -1;
  if (c === 0x20 || c === 0x09) {
    k = skipWs(s, k, end);
    c = k < end ? s.charCodeAt(k) : -1;
  }
  if (c !== 0x3d) {
    valueStart = -1;
    return ne;
  }
  k = skipWs(s, k + 1, end);
  let v = k;
  c = k < end ? s.charCodeAt(k) : -1;
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
  valueStart = k;
  valueEnd = v;
  return v;
}

/** Parameter names nearly every message carries, as shared strings (no substring for them). */
const COMMON_NAMES = ['tag', 'branch', 'rport', 'received', 'lr', 'transport', 'expires', 'q', 'maddr', 'ttl', 'user', 'ob'];
const COMMON_BY_LENGTH: string[][] = [];
for (const n of COMMON_NAMES) (COMMON_BY_LENGTH[n.length] ??= []).push(n);

/** The parameter name at s[start, end): the shared string when it is a common one as written. */
export function paramNameAt(s: string, start: number, end: number): string {
  const candidates = COMMON_BY_LENGTH[end - start];
  if (candidates !== undefined) {
    for (let k = 0; k < candidates.length; k++) {
      // endsWith at `end` (the candidate is as long): a cheaper builtin than startsWith.
      if (s.endsWith(candidates[k]!, end)) return candidates[k]!;
    }
  }
  return s.substring(start, end);
}

/** The Param scanParam() found last. */
function lastParam(s: string): Param {
  return { name: paramNameAt(s, nameStart, nameEnd), value: valueStart < 0 ? null : s.substring(valueStart, valueEnd) };
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
    const next = scanParam(s, i, end, header, colonValues);
    if (next < 0) return i;
    out.push(lastParam(s));
    i = next;
  }
}

/** Where the last scanParamList() stopped (as scanParams returns it). */
export let paramsEnd = 0;

/**
 * scanParams into a new array of exactly the parameters' count (most values hold one or two:
 * no array grown by push, and none copied to fit it); sets paramsEnd.
 */
export function scanParamList(s: string, i: number, end: number, header: string | undefined, colonValues = false): Param[] {
  let next = scanParam(s, i, end, header, colonValues);
  if (next < 0) {
    paramsEnd = i;
    return [];
  }
  const first = lastParam(s);
  i = next;
  next = scanParam(s, i, end, header, colonValues);
  if (next < 0) {
    paramsEnd = i;
    return [first];
  }
  const second = lastParam(s);
  i = next;
  next = scanParam(s, i, end, header, colonValues);
  if (next < 0) {
    paramsEnd = i;
    return [first, second];
  }
  const out = [first, second, lastParam(s)];
  i = scanParams(s, next, end, out, header, colonValues);
  paramsEnd = i;
  return out.length === 3 ? out : out.slice();
}

/** What the last scanParamsFor() found: the value, null when valueless, undefined when absent. */
export let foundParam: string | null | undefined;

/**
 * scanParams (the same checks, the same end) keeping only the first parameter named
 * `lowerName` (case-insensitive), in foundParam: no object or name string per parameter.
 */
export function scanParamsFor(s: string, i: number, end: number, lowerName: string, header: string | undefined): number {
  let found: string | null | undefined;
  for (;;) {
    const next = scanParam(s, i, end, header, false);
    if (next < 0) break;
    if (found === undefined && matchLower(s, nameStart, nameEnd, lowerName)) {
      found = valueStart < 0 ? null : s.substring(valueStart, valueEnd);
    }
    i = next;
  }
  foundParam = found;
  return i;
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
