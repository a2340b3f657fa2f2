/**
 * SIP, SIPS (RFC 3261 19.1, 25.1), tel (RFC 3966) and other absolute URIs: parse, serialize and
 * compare (RFC 3261 19.1.4). One forward scan per part, no regular expressions, substrings only
 * for the pieces returned.
 */
import { hexValue, lower } from './chars.js';
import * as chars from './chars.js';
import { fail } from './fail.js';
import { fit } from './fit.js';
import { hostEnd, normalizeHost, parseIPv6, scanHost } from './host.js';
import type { HostKind, OtherUri, Param, SipUri, TelUri, Uri } from './types.js';
import { isEscape, scanUriChars, uriParam, uriParamEnd } from './uri-params.js';

// Module-local copies: V8 folds a module's own constants into optimized code but re-reads
// imported bindings at every use, which costs in per-char loops.
const { ALPHA, ALPHANUM, CHAR, DIGIT, HEX, HNV, PARAMCHAR, PASSWORD, SCHEME, URI, UNRESERVED, URIC, USER } = chars;

export interface ParseUriOptions {
  /** The URI of a request line: no `?headers` (RFC 4475 escruri), no <> (ltgtruri). */
  requestUri?: boolean;
}

export function isSipUri(uri: Uri): uri is SipUri {
  return uri.scheme === 'sip' || uri.scheme === 'sips';
}

export function isTelUri(uri: Uri): uri is TelUri {
  return uri.scheme === 'tel';
}

/** Parses a URI; throws SipParseError on any violation of the grammar. */
export function parseUri(text: string, options?: ParseUriOptions): Uri {
  return parseUriRange(text, 0, text.length, options?.requestUri === true, undefined);
}

/** parseUri over s[start, end), for callers that hold a larger string (name-addr). */
export function parseUriRange(s: string, start: number, end: number, requestUri: boolean, header?: string): Uri {
  if (start >= end) fail('Empty URI', header);
  const c0 = s.charCodeAt(start);
  if ((CHAR[c0]! & ALPHA) === 0) {
    fail(c0 === 0x3c && requestUri ? 'Request-URI must not be enclosed in <>' : 'Invalid URI scheme', header);
  }
  let i = start + 1;
  while (i < end && (URI[s.charCodeAt(i)]! & SCHEME) !== 0) i++;
  if (i >= end || s.charCodeAt(i) !== 0x3a) fail('Invalid URI scheme', header);
  const n = i - start;
  const c1 = lower(s.charCodeAt(start + 1));
  const c2 = lower(s.charCodeAt(start + 2));
  if ((n === 3 || n === 4) && lower(c0) === 0x73 && c1 === 0x69 && c2 === 0x70) {
    if (n === 3) return parseSip(s, i + 1, end, 'sip', requestUri, header);
    if (lower(s.charCodeAt(start + 3)) === 0x73) return parseSip(s, i + 1, end, 'sips', requestUri, header);
  }
  if (n === 3 && lower(c0) === 0x74 && c1 === 0x65 && c2 === 0x6c) return parseTel(s, i + 1, end, header);
  // absoluteURI: opaque, but only uric chars (no whitespace, <, >, ", { }).
  if (i + 1 >= end) fail('Empty URI', header);
  for (let j = i + 1; j < end; j++) if ((URI[s.charCodeAt(j)]! & URIC) === 0) fail('Invalid character in URI', header);
  const other: OtherUri = { scheme: s.substring(start, i).toLowerCase(), opaque: s.substring(i + 1, end) };
  return other;
}

function parseSip(s: string, p: number, end: number, scheme: 'sip' | 'sips', requestUri: boolean, header?: string): SipUri {
  // userinfo is present iff an '@' comes before any char that can stand in neither a user nor
  // a password (the user part may hold ';', '?', '/', ',': RFC 4475 semiuri, intmeth).
  let at = -1;
  let colon = -1;
  let pct = -1;
  for (let j = p; j < end; j++) {
    const c = s.charCodeAt(j);
    if ((URI[c]! & USER) !== 0) continue;
    if (c === 0x40) {
      at = j;
      break;
    }
    if (c === 0x3a) {
      if (colon < 0) colon = j;
    } else if (c === 0x25) {
      if (pct < 0) pct = j;
    } else break;
  }
  let user: string | null = null;
  let password: string | null = null;
  let h = p;
  if (at >= 0) {
    const userEnd = colon >= 0 ? colon : at;
    if (userEnd === p) fail('Empty URI user part', header);
    user = pct >= 0 && pct < userEnd ? unescapeRange(s, p, userEnd, header) : s.substring(p, userEnd);
    if (colon >= 0) {
      for (let j = colon + 1; j < at; j++) {
        const c = s.charCodeAt(j);
        if ((URI[c]! & PASSWORD) === 0 && c !== 0x25) fail('Invalid character in URI password', header);
      }
      password = unescapeRange(s, colon + 1, at, header);
    }
    h = at + 1;
  }
  let host: string;
  let kind: HostKind;
  let i: number;
  // The port's digits after s[i] = ':', when read already (by the IPv6 test): value pv, end pe.
  let pv = 0;
  let pe = -1;
  if (h < end && s.charCodeAt(h) === 0x5b) {
    i = h + 1;
    while (i < end && s.charCodeAt(i) !== 0x5d) i++;
    if (i >= end || !parseIPv6(s, h + 1, i)) fail('Invalid IPv6 reference in URI', header);
    host = s.substring(h + 1, i);
    kind = 'ipv6';
    i++;
  } else {
    const k = scanHost(s, h, end);
    i = hostEnd;
    if (i > h && i < end && s.charCodeAt(i) === 0x3a) {
      // RFC 5118 4.2: more IPv6 groups after the ':', not a port. A port's digits are hex
      // digits too: only a ':' or a hex letter after them needs the full test.
      pv = portDigits(s, i + 1, end);
      pe = portEnd;
      if (pe < end) {
        const c = s.charCodeAt(pe);
        if ((c === 0x3a || (CHAR[c]! & HEX) !== 0) && looksLikeBareIPv6(s, i, end)) {
          fail('IPv6 address in URI not enclosed in []', header);
        }
      }
    }
    if (k === null) fail(i === h ? 'Missing URI host' : 'Invalid URI host', header);
    host = s.substring(h, i);
    kind = k;
  }
  let port: number | null = null;
  if (i < end && s.charCodeAt(i) === 0x3a) {
    if (pe < 0) {
      pv = portDigits(s, i + 1, end);
      pe = portEnd;
    }
    if (pe === i + 1) fail('Invalid URI port', header);
    if (pv > 65535) fail('URI port out of range', header);
    port = pv;
    i = pe;
  }
  // None or one parameter is the rule: the list is made at its size, not grown.
  let params: Param[];
  if (i < end && s.charCodeAt(i) === 0x3b) {
    const first = uriParam(s, i + 1, end, header);
    i = uriParamEnd;
    if (i < end && s.charCodeAt(i) === 0x3b) {
      params = [first];
      do {
        params.push(uriParam(s, i + 1, end, header));
        i = uriParamEnd;
      } while (i < end && s.charCodeAt(i) === 0x3b);
      params = fit(params);
    } else params = [first];
  } else params = [];
  let headers: Param[] = NO_HEADERS;
  if (i < end && s.charCodeAt(i) === 0x3f) {
    headers = [];
    if (requestUri) fail('Headers not allowed in Request-URI', header);
    do {
      const ns = i + 1;
      i = scanUriChars(s, ns, end, HNV, header);
      if (i === ns || i >= end || s.charCodeAt(i) !== 0x3d) fail('Invalid URI header', header);
      const vs = i + 1;
      i = scanUriChars(s, vs, end, HNV, header);
      headers.push({ name: s.substring(ns, vs - 1), value: s.substring(vs, i) });
    } while (i < end && s.charCodeAt(i) === 0x26);
  }
  if (i !== end) fail('Invalid character in URI', header);
  return { scheme, user, password, host, hostKind: kind, port, params, headers: fit(headers) };
}

/** Shared by every URI without `?headers` (nearly all): never mutated, frozen to be sure. */
const NO_HEADERS: Param[] = Object.freeze([]) as unknown as Param[];

/** Where the last portDigits() stopped. */
let portEnd = 0;

/** The value of the digits from s[i] (any number of them; 0 for none), read once; sets portEnd. */
function portDigits(s: string, i: number, end: number): number {
  let v = 0;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + c - 0x30;
  }
  portEnd = i;
  return v;
}

/** After a host at s[i] = ':', true when what follows reads as more IPv6 groups, not a port. */
function looksLikeBareIPv6(s: string, i: number, end: number): boolean {
  for (let j = i + 1; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x3a) return true;
    if ((CHAR[c]! & HEX) === 0) return false;
  }
  return false;
}

/** tel: RFC 3966 telephone-subscriber: global "+digits" or local digits with ;phone-context. */
function parseTel(s: string, p: number, end: number, header?: string): TelUri {
  let i = p;
  let digits = 0;
  const global = i < end && s.charCodeAt(i) === 0x2b;
  if (global) i++;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (global ? (CHAR[c]! & DIGIT) !== 0 : (CHAR[c]! & HEX) !== 0 || c === 0x2a || c === 0x23) digits++;
    else if (c !== 0x2d && c !== 0x2e && c !== 0x28 && c !== 0x29) break; // visual-separator
  }
  if (digits === 0) fail('Invalid tel URI number', header);
  const number = s.substring(p, i);
  const params: Param[] = [];
  let context = false;
  while (i < end && s.charCodeAt(i) === 0x3b) {
    const ns = ++i;
    while (i < end && ((CHAR[s.charCodeAt(i)]! & ALPHANUM) !== 0 || s.charCodeAt(i) === 0x2d)) i++;
    if (i === ns) fail('Empty tel URI parameter', header);
    const name = s.substring(ns, i);
    let value: string | null = null;
    if (i < end && s.charCodeAt(i) === 0x3d) {
      const vs = i + 1;
      i = scanUriChars(s, vs, end, PARAMCHAR, header);
      if (i === vs) fail('Empty tel URI parameter value', header);
      value = s.substring(vs, i);
    }
    if (name.length === 13 && name.toLowerCase() === 'phone-context') context = value !== null;
    params.push({ name, value });
  }
  if (i !== end) fail('Invalid character in tel URI', header);
  if (!global && !context) fail('Local tel number without phone-context', header);
  return { scheme: 'tel', number, params: fit(params) };
}

/** Unescapes %HH escapes of s[start, end) to bytes (one char each); an invalid escape throws. */
export function unescapeRange(s: string, start: number, end: number, header?: string): string {
  let j = start;
  while (j < end && s.charCodeAt(j) !== 0x25) j++;
  if (j === end) return s.substring(start, end);
  let out = '';
  let from = start;
  for (; j < end; j++) {
    if (s.charCodeAt(j) !== 0x25) continue;
    if (!isEscape(s, j, end)) fail('Invalid %-escape in URI', header);
    out += s.substring(from, j) + String.fromCharCode(hexValue(s.charCodeAt(j + 1)) * 16 + hexValue(s.charCodeAt(j + 2)));
    j += 2;
    from = j + 1;
  }
  return out + s.substring(from, end);
}

/** Unescapes %HH escapes (no escape: the text itself); an invalid escape throws SipParseError. */
export function unescape(text: string): string {
  return unescapeRange(text, 0, text.length);
}

const HEXCHARS = '0123456789ABCDEF';

/**
 * Escapes every char outside `flag`. `written` text is kept as written where valid: its '%'
 * stays when it starts a valid escape. Chars above 0xFF (not a byte string) go out as UTF-8.
 */
function escapeChars(text: string, flag: number, written: boolean): string {
  let i = 0;
  const n = text.length;
  while (i < n && (URI[text.charCodeAt(i)]! & flag) !== 0) i++;
  if (i === n) return text;
  let out = '';
  let from = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if ((URI[c]! & flag) !== 0 || (written && c === 0x25 && isEscape(text, i, n))) continue;
    out += text.substring(from, i);
    from = i + 1;
    if (c > 0xff) out += escapeChars(Buffer.from(text[i]!, 'utf8').toString('latin1'), flag, false);
    else out += '%' + HEXCHARS[c >> 4] + HEXCHARS[c & 15];
  }
  return out + text.substring(from);
}

/** Escapes a user part (unescaped byte string) for a SIP URI. */
export function escapeUser(text: string): string {
  return escapeChars(text, USER, false);
}

export function escapePassword(text: string): string {
  return escapeChars(text, PASSWORD, false);
}

function serializeUriParams(params: readonly Param[], first: string, sep: string, flag: number): string {
  let out = '';
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    out += (i === 0 ? first : sep) + escapeChars(p.name, flag, true);
    if (p.value !== null) out += '=' + escapeChars(p.value, flag, true);
  }
  return out;
}

export function serializeUri(uri: Uri): string {
  if (isSipUri(uri)) {
    let out = uri.scheme + ':';
    if (uri.user !== null) {
      out += escapeUser(uri.user);
      if (uri.password !== null) out += ':' + escapePassword(uri.password);
      out += '@';
    }
    out += uri.hostKind === 'ipv6' ? `[${uri.host}]` : uri.host;
    if (uri.port !== null) out += ':' + uri.port;
    return out + serializeUriParams(uri.params, ';', ';', PARAMCHAR) + serializeUriParams(uri.headers, '?', '&', HNV);
  }
  if (isTelUri(uri)) return 'tel:' + uri.number + serializeUriParams(uri.params, ';', ';', PARAMCHAR);
  const o = uri as OtherUri;
  return o.scheme + ':' + escapeChars(o.opaque, URIC, false);
}

// ---- comparison (RFC 3261 19.1.4) -------------------------------------------------------------

/** Escapes of unreserved chars decoded (they are equivalent to the char), others upper-cased; optionally folded. */
function canon(text: string, fold: boolean): string {
  let out = text;
  if (text.indexOf('%') >= 0) {
    out = '';
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) !== 0x25 || !isEscape(text, i, text.length)) continue;
      const d = hexValue(text.charCodeAt(i + 1)) * 16 + hexValue(text.charCodeAt(i + 2));
      out += text.substring(from, i) + ((CHAR[d]! & UNRESERVED) !== 0 ? String.fromCharCode(d) : text.substring(i, i + 3).toUpperCase());
      i += 2;
      from = i + 1;
    }
    out += text.substring(from);
  }
  return fold ? out.toLowerCase() : out;
}

function toMap(params: readonly Param[], foldValues: boolean): Map<string, string | null> {
  const m = new Map<string, string | null>();
  for (const p of params) {
    const k = canon(p.name, true);
    if (!m.has(k)) m.set(k, p.value === null ? null : canon(p.value, foldValues));
  }
  return m;
}

/** uri-parameters that, present in only one URI, make the URIs differ (transport: RFC 3261 19.1.4 examples). */
const MUST_MATCH = new Set(['user', 'ttl', 'method', 'maddr', 'transport']);

function sipParamsEqual(a: readonly Param[], b: readonly Param[]): boolean {
  if (a.length === 0 && b.length === 0) return true;
  const ma = toMap(a, true);
  const mb = toMap(b, true);
  for (const [k, v] of ma) {
    if (mb.has(k)) {
      if (mb.get(k) !== v) return false;
    } else if (MUST_MATCH.has(k)) return false;
  }
  for (const k of mb.keys()) if (!ma.has(k) && MUST_MATCH.has(k)) return false;
  return true;
}

/** Every parameter of each in the other, values equal (headers of SIP URIs, tel parameters). */
function allEqual(a: readonly Param[], b: readonly Param[], foldValues: boolean): boolean {
  if (a.length === 0 && b.length === 0) return true;
  const ma = toMap(a, foldValues);
  const mb = toMap(b, foldValues);
  if (ma.size !== mb.size) return false;
  for (const [k, v] of ma) if (!mb.has(k) || mb.get(k) !== v) return false;
  return true;
}

/** A tel number without visual separators, lower-cased. */
function telDigits(n: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (c !== 0x2d && c !== 0x2e && c !== 0x28 && c !== 0x29) continue;
    out += n.substring(from, i);
    from = i + 1;
  }
  return (out + n.substring(from)).toLowerCase();
}

/**
 * URI equivalence: RFC 3261 19.1.4 for SIP/SIPS (userinfo case-sensitive after unescaping, host
 * case-insensitive, IPv6 as addresses, a port or a user/ttl/method/maddr/transport parameter in
 * one only never matches, headers all compared), RFC 3966 4 for tel (visual separators ignored),
 * exact text for other schemes.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (isSipUri(a) && isSipUri(b)) {
    return (
      a.user === b.user &&
      a.password === b.password &&
      a.port === b.port &&
      a.hostKind === b.hostKind &&
      normalizeHost(a.host, a.hostKind) === normalizeHost(b.host, b.hostKind) &&
      sipParamsEqual(a.params, b.params) &&
      allEqual(a.headers, b.headers, false)
    );
  }
  if (isTelUri(a) && isTelUri(b)) return telDigits(a.number) === telDigits(b.number) && allEqual(a.params, b.params, true);
  return (a as OtherUri).opaque === (b as OtherUri).opaque;
}
