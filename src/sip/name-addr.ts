/**
 * name-addr / addr-spec with header parameters (RFC 3261 20.10, 25.1): From, To, Contact, Route,
 * Record-Route, Reply-To, Refer-To, P-Asserted-Identity and the like.
 *   name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
 *   display-name = *(token LWS) / quoted-string
 */
import { isToken, skipWs, trimEnd } from './chars.js';
import * as chars from './chars.js';
import { fail } from './fail.js';
import { fit } from './fit.js';
import { getParam, paramsEnd, quote, scanParamList, scanQuoted, serializeParams, unquotePairs } from './params.js';
import type { NameAddr, Uri } from './types.js';
import { parseUriRange, serializeUri } from './uri.js';

// Module-local copies: V8 folds a module's own constants into optimized code but re-reads
// imported bindings at every use, which costs in per-char loops.
const { CHAR, TOKEN, WS } = chars;

export interface ParseNameAddrOptions {
  /** Only the <> form is allowed (Route, Record-Route, Path, Service-Route). */
  requireAngle?: boolean;
  /** Canonical name of the header being parsed, for the error. */
  header?: string;
}

/** Parses one name-addr or addr-spec with its header parameters (the whole text). */
export function parseNameAddr(text: string, options?: ParseNameAddrOptions): NameAddr {
  return parseNameAddrRange(text, 0, text.length, options?.requireAngle === true, options?.header);
}

/** parseNameAddr over s[start, end). */
export function parseNameAddrRange(s: string, start: number, end: number, requireAngle: boolean, header?: string): NameAddr {
  end = trimEnd(s, start, end);
  return scan(s, start, end, requireAngle, false, header);
}

/**
 * A comma-separated list of name-addr / addr-spec (Contact, Route, P-Asserted-Identity ...),
 * parsed in one pass; at least one element, none empty.
 */
export function parseNameAddrList(text: string, header?: string, requireAngle = false): NameAddr[] {
  return parseNameAddrListRange(text, 0, text.length, header, requireAngle);
}

/** parseNameAddrList of s[start, end), read in place. */
export function parseNameAddrListRange(s: string, start: number, end: number, header: string | undefined, requireAngle: boolean): NameAddr[] {
  end = trimEnd(s, start, end);
  let i = skipWs(s, start, end);
  if (i === end) fail('Empty value', header);
  // One element is the rule (a Contact): it is returned without a list grown for it.
  let first: NameAddr | null = null;
  let out: NameAddr[] | null = null;
  for (;;) {
    const na = scan(s, i, end, requireAngle, true, header);
    if (first === null) first = na;
    else (out ??= [first]).push(na);
    i = scanEnd;
    if (i === end) return out === null ? [first] : fit(out);
    i = skipWs(s, i + 1, end); // past the ','
    if (i === end || s.charCodeAt(i) === 0x2c) fail('Empty list element', header);
  }
}

/** Where the last scan() stopped: `end`, or a ',' that ends a list element. */
let scanEnd = 0;

function scan(s: string, start: number, end: number, requireAngle: boolean, list: boolean, header?: string): NameAddr {
  const i = skipWs(s, start, end);
  if (i >= end) fail('Empty value', header);
  let displayName: string | null = null;
  let lt = -1;
  const c = s.charCodeAt(i);
  if (c === 0x22) {
    const q = scanQuoted(s, i, end, header);
    displayName = unquotePairs(s, i + 1, q - 1);
    lt = skipWs(s, q, end);
    if (lt >= end || s.charCodeAt(lt) !== 0x3c) fail('Quoted display name not followed by <', header);
  } else if (c === 0x3c) {
    lt = i;
  } else {
    // Token words up to '<' (display name), or a scheme's ':' (a bare addr-spec).
    let j = i;
    let wordEnd = i;
    for (;;) {
      const w = j;
      while (j < end && (CHAR[s.charCodeAt(j)]! & TOKEN) !== 0) j++;
      if (j === w) break; // not a token char
      wordEnd = j;
      j = skipWs(s, j, end);
      if (j === wordEnd) break; // no LWS after the word: '<' (RFC 4475 lwsdisp), ':' or junk
    }
    const d = j < end ? s.charCodeAt(j) : -1;
    if (d === 0x3c) {
      lt = j;
      displayName = s.substring(i, wordEnd);
    } else if (d !== 0x3a || j !== wordEnd || hasWs(s, i, wordEnd)) {
      fail(d === -1 && wordEnd > i ? 'Missing URI' : 'Invalid display name', header); // RFC 4475 baddn
    }
  }
  let uri: Uri;
  let p: number;
  if (lt >= 0) {
    const gt = findGt(s, lt + 1, end);
    if (gt < 0) fail('Missing > after URI', header);
    const a = s.charCodeAt(lt + 1);
    const b = s.charCodeAt(gt - 1);
    if (a === 0x20 || a === 0x09 || b === 0x20 || b === 0x09) fail('Whitespace inside <>', header); // badaspec
    uri = parseUriRange(s, lt + 1, gt, false, header);
    p = gt + 1;
  } else {
    if (requireAngle) fail('URI must be enclosed in <>', header);
    // addr-spec: the URI ends at the first ';' (header parameters follow: RFC 4475 cparam01),
    // whitespace, or in a list ','; a URI with '?' or ',' must use <> (RFC 3261 20, RFC 4475
    // regbadct).
    let e = i;
    for (; e < end; e++) {
      const ch = s.charCodeAt(e);
      if (ch === 0x3b || (CHAR[ch]! & WS) !== 0 || (ch === 0x2c && list)) break;
      if (ch === 0x3f || ch === 0x2c) fail("URI with '?' or ',' must be enclosed in <>", header);
    }
    uri = parseUriRange(s, i, e, false, header);
    p = e;
  }
  const params = scanParamList(s, p, end, header);
  p = skipWs(s, paramsEnd, end);
  if (p !== end && !(list && s.charCodeAt(p) === 0x2c)) fail(lt >= 0 ? 'Invalid text after >' : 'Invalid header parameters', header);
  scanEnd = p;
  return { displayName, uri, params, angle: lt >= 0 };
}

function hasWs(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if ((CHAR[s.charCodeAt(i)]! & WS) !== 0) return true;
  return false;
}

/** Index of the '>' closing a URI that starts at i, or -1 (no URI char is '>' or '<'). */
export function findGt(s: string, i: number, end: number): number {
  // Two native forward searches cost less than a loop over the URI's chars (lastIndexOf would
  // be a call into the runtime). Either may run past `end`, to the next '<' or '>' of the text.
  const gt = s.indexOf('>', i);
  if (gt < 0 || gt >= end) return -1;
  const lt = s.indexOf('<', i);
  return lt < 0 || lt > gt ? gt : -1;
}

/** Chars that force the <> form for a URI. */
function needsAngle(uriText: string): boolean {
  for (let i = 0; i < uriText.length; i++) {
    const c = uriText.charCodeAt(i);
    if (c === 0x3b || c === 0x3f || c === 0x2c) return true;
  }
  return false;
}

/**
 * Writes a name-addr: <> whenever there is a display name, the value came with <>, or the URI
 * holds ';', '?' or ','; a display name that is not a single token is quoted.
 */
export function serializeNameAddr(na: NameAddr): string {
  const u = serializeUri(na.uri);
  let out: string;
  if (na.displayName !== null) out = (isToken(na.displayName) ? na.displayName : quote(na.displayName)) + ' <' + u + '>';
  else if (na.angle || needsAngle(u)) out = '<' + u + '>';
  else out = u;
  return out + serializeParams(na.params);
}

/** The tag parameter (From/To), or null when absent or valueless. */
export function getTag(na: NameAddr): string | null {
  const t = getParam(na.params, 'tag');
  return t === undefined ? null : t;
}
