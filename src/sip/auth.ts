/**
 * Authorization, Proxy-Authorization (credentials), WWW-Authenticate, Proxy-Authenticate
 * (challenges): RFC 3261 25.1 with RFC 7235's token68 for schemes that are not auth-params.
 *   challenge = auth-scheme LWS auth-param *(COMMA auth-param)
 *   auth-param = auth-param-name EQUAL ( token / quoted-string )
 */
import { isToken, scanToken, skipWs, trimEnd } from './chars.js';
import { fail } from './fail.js';
import { quote, quotedEnd, unquotePairs } from './params.js';
import type { AuthValue } from './types.js';

/**
 * Parses credentials or a challenge. Digest must be well-formed auth-params; any other scheme
 * whose text is not auth-params keeps that text in `token`, verbatim (RFC 4475 regaut01).
 */
export function parseAuth(value: string, header = 'authorization'): AuthValue {
  const end = trimEnd(value, 0, value.length);
  return scan(value, skipWs(value, 0, end), end, header, false);
}

/**
 * Parses several challenges or credentials separated by commas, as a message's fields of one
 * auth header come once joined (RFC 3665 3.3 carries two Proxy-Authorization fields). A comma
 * followed by `token LWS token` or a lone token starts the next one (RFC 7235 4.1 reading);
 * a non-param value of an unknown scheme runs to the next comma.
 */
export function parseAuthList(value: string, header = 'authorization'): AuthValue[] {
  const s = value;
  const end = trimEnd(s, 0, s.length);
  let i = skipWs(s, 0, end);
  if (i === end) fail('Empty value', header);
  const out: AuthValue[] = [];
  for (;;) {
    out.push(scan(s, i, end, header, true));
    i = scanEnd;
    if (i === end) return out;
    i = skipWs(s, i + 1, end); // past the ','
    if (i === end || s.charCodeAt(i) === 0x2c) fail('Empty list element', header);
  }
}

/** Where the last scan() stopped: `end`, or the ',' before the next value of a list. */
let scanEnd = 0;

function scan(s: string, ss: number, end: number, header: string, list: boolean): AuthValue {
  const se = scanToken(s, ss, end);
  if (se === ss) fail('Missing auth scheme', header);
  const scheme = s.substring(ss, se);
  const digest = se - ss === 6 && scheme.toLowerCase() === 'digest';
  const params = new Map<string, string>();
  const rest = skipWs(s, se, end);
  if (rest === end || (list && s.charCodeAt(rest) === 0x2c)) {
    if (digest) fail('Digest without parameters', header);
    scanEnd = rest;
    return { scheme, params, token: null };
  }
  if (rest === se) fail('Invalid auth scheme', header);
  const reason = scanAuthParams(s, rest, end, params, list);
  if (reason === null) return { scheme, params, token: null };
  if (digest) fail(reason, header);
  params.clear();
  let e = end;
  if (list) {
    e = rest;
    while (e < end && s.charCodeAt(e) !== 0x2c) e++;
  }
  scanEnd = e;
  return { scheme, params, token: s.substring(rest, trimEnd(s, rest, e)) };
}

/**
 * Fills `out` from auth-params at s[i]; null when they parse (scanEnd set), else the reason.
 * In a list they end before a ',' that starts the next challenge.
 */
function scanAuthParams(s: string, i: number, end: number, out: Map<string, string>, list: boolean): string | null {
  for (;;) {
    const ns = i;
    i = scanToken(s, i, end);
    if (i === ns) return 'Invalid auth-param';
    const name = s.substring(ns, i).toLowerCase();
    i = skipWs(s, i, end);
    if (i >= end || s.charCodeAt(i) !== 0x3d) return 'Invalid auth-param';
    i = skipWs(s, i + 1, end);
    let v: string;
    if (i < end && s.charCodeAt(i) === 0x22) {
      const q = quotedEnd(s, i, end);
      if (q < 0) return q === -1 ? 'Unterminated quoted string' : 'CR or LF in quoted string';
      v = unquotePairs(s, i + 1, q - 1);
      i = q;
    } else {
      const vs = i;
      i = scanToken(s, i, end);
      if (i === vs) return 'Invalid auth-param value';
      v = s.substring(vs, i);
    }
    if (out.has(name)) return 'Duplicate auth-param';
    out.set(name, v);
    i = skipWs(s, i, end);
    if (i === end) {
      scanEnd = end;
      return null;
    }
    if (s.charCodeAt(i) !== 0x2c) return 'Invalid auth-param';
    const next = skipWs(s, i + 1, end);
    if (list) {
      const t = scanToken(s, next, end);
      const k = skipWs(s, t, end);
      if (t > next && (k === end || s.charCodeAt(k) !== 0x3d)) {
        scanEnd = i; // a new challenge starts after this comma
        return null;
      }
    }
    i = next;
  }
}

/** Digest parameters that are quoted-strings in RFC 3261 25.1 / RFC 7616 whatever their value. */
const QUOTED = new Set(['realm', 'domain', 'nonce', 'opaque', 'username', 'uri', 'response', 'cnonce', 'nextnonce', 'rspauth']);

/**
 * Writes credentials or a challenge. Digest values are quoted where the grammar says
 * quoted-string; qop is quoted in a challenge (qop-options) and bare in credentials (message-qop,
 * told by the presence of response or username). Other schemes: tokens bare, the rest quoted.
 */
export function serializeAuth(value: AuthValue): string {
  if (value.token !== null) return `${value.scheme} ${value.token}`;
  if (value.params.size === 0) return value.scheme;
  const digest = value.scheme.toLowerCase() === 'digest';
  const credentials = value.params.has('response') || value.params.has('username');
  let out = '';
  for (const [k, v] of value.params) {
    const quoted = !isToken(v) || (digest && (QUOTED.has(k) || (k === 'qop' && !credentials)));
    out += (out === '' ? ' ' : ', ') + k + '=' + (quoted ? quote(v) : v);
  }
  return value.scheme + out;
}
