/**
 * Values of the headers RFC 3261 section 20 (and its extensions) gives a grammar to. Every
 * parser takes the field value as the framer hands it (unfolded, trimmed) and throws only
 * SipParseError, naming its header. HEADER_VALUE_PARSERS maps canonical names to parsers for the
 * "parse every header" mode; headers not in it are opaque.
 */
import { parseAuthList } from './auth.js';
import { parseCallId } from './call-id.js';
import { parseContact } from './contact.js';
import { scanToken, skipWs, trimEnd } from './chars.js';
import { fail } from './fail.js';
import { methodAt } from './methods.js';
import { parseNameAddrList, parseNameAddrRange } from './name-addr.js';
import { UINT32_MAX, digitsEnd, parseDeltaWithParams, scanParamsToEnd, uintRange } from './scan.js';
import type { ContentType, CSeq, NameAddr, Param } from './types.js';
import { parseVia } from './via.js';
import {
  parseDate,
  parseEvent,
  parseRAck,
  parseRetryAfter,
  parseSessionExpires,
  parseSubscriptionState,
  parseWarning,
} from './header-misc.js';

export { parseAuth, parseAuthList, serializeAuth } from './auth.js';
export { parseNameAddrList } from './name-addr.js';
export { parseCallId } from './call-id.js';
export { isQValue, parseContact } from './contact.js';
export * from './header-misc.js';
export { UINT32_MAX, splitList } from './scan.js';

function uint(value: string, max: number, header?: string): number {
  const end = trimEnd(value, 0, value.length);
  return uintRange(value, skipWs(value, 0, end), end, max, header);
}

/** CSeq = 1*DIGIT LWS Method; the number is 0 .. 2^32-1 (RFC 4475 scalar02). */
export function parseCSeq(value: string): CSeq {
  const s = value;
  const end = trimEnd(s, 0, s.length);
  const a = skipWs(s, 0, end);
  const b = digitsEnd(s, a, end);
  const seq = uintRange(s, a, b, UINT32_MAX, 'cseq');
  const m = skipWs(s, b, end);
  if (m === b || m === end) fail('Missing method', 'cseq');
  if (scanToken(s, m, end) !== end) fail('Invalid method', 'cseq');
  return { seq, method: methodAt(s, m, end) };
}

/** Max-Forwards = 1*DIGIT, 0 .. 255 (leading zeros allowed: RFC 4475 wsinv "0068"). */
export function parseMaxForwards(value: string): number {
  return uint(value, 255, 'max-forwards');
}

/** Content-Length = 1*DIGIT, at most 2^31-1 (RFC 4475 ncl: "-999" is an error). */
export function parseContentLength(value: string): number {
  return uint(value, 2147483647, 'content-length');
}

/** delta-seconds = 1*DIGIT, 0 .. 2^32-1 (Expires, Min-Expires, Min-SE ...). */
export function parseDeltaSeconds(value: string, header = 'expires'): number {
  return uint(value, UINT32_MAX, header);
}

/** Content-Type = m-type SLASH m-subtype *(SEMI m-parameter); m-parameter needs a value. */
export function parseContentType(value: string, header = 'content-type'): ContentType {
  const s = value;
  const end = trimEnd(s, 0, s.length);
  const a = skipWs(s, 0, end);
  const ae = scanToken(s, a, end);
  let b = skipWs(s, ae, end);
  if (ae === a || b >= end || s.charCodeAt(b) !== 0x2f) fail('Invalid media type', header);
  b = skipWs(s, b + 1, end);
  const be = scanToken(s, b, end);
  if (be === b) fail('Invalid media type', header);
  const params: Param[] = [];
  if (scanParamsToEnd(s, be, end, params, header)) fail('Invalid parameters', header);
  for (const p of params) if (p.value === null) fail('Media type parameter without value', header);
  return { type: s.substring(a, ae).toLowerCase(), subtype: s.substring(b, be).toLowerCase(), params };
}

/** Comma-separated tokens (Supported, Allow ...); an empty value gives []. */
export function parseTokenList(value: string, header?: string): string[] {
  const s = value;
  const end = trimEnd(s, 0, s.length);
  let i = skipWs(s, 0, end);
  const out: string[] = [];
  if (i === end) return out;
  for (;;) {
    const t = i;
    i = scanToken(s, i, end);
    if (i === t) fail(i < end && s.charCodeAt(i) === 0x2c ? 'Empty list element' : 'Invalid token', header);
    out.push(s.substring(t, i));
    i = skipWs(s, i, end);
    if (i === end) return out;
    if (s.charCodeAt(i) !== 0x2c) fail('Invalid token', header);
    i = skipWs(s, i + 1, end);
    if (i === end) fail('Empty list element', header);
  }
}

/** 1#token lists (Require, Proxy-Require, Unsupported, Allow-Events): at least one. */
export function parseTokenList1(value: string, header?: string): string[] {
  const out = parseTokenList(value, header);
  if (out.length === 0) fail('Empty value', header);
  return out;
}

/** Allow-Events = 1#event-type (RFC 6665 8.2.2). */
export function parseEventList(value: string): string[] {
  return parseTokenList1(value, 'allow-events');
}

/** Route, Record-Route, Path, Service-Route: 1#(name-addr), <> required. */
export function parseRouteList(value: string, header = 'route'): NameAddr[] {
  return parseNameAddrList(value, header, true);
}

/** One name-addr or addr-spec (From, To, Reply-To, Refer-To, Referred-By). */
export function parseSingleNameAddr(value: string, header: string): NameAddr {
  return parseNameAddrRange(value, 0, value.length, false, header);
}

/** Content-Disposition = disp-type *( SEMI disp-param ); type lower-cased. */
export function parseContentDisposition(value: string): { type: string; params: Param[] } {
  const s = value;
  const end = trimEnd(s, 0, s.length);
  const a = skipWs(s, 0, end);
  const ae = scanToken(s, a, end);
  if (ae === a) fail('Invalid disposition type', 'content-disposition');
  const params: Param[] = [];
  if (scanParamsToEnd(s, ae, end, params, 'content-disposition')) fail('Invalid parameters', 'content-disposition');
  return { type: s.substring(a, ae).toLowerCase(), params };
}

/** A single token (Priority). */
export function parseToken(value: string, header?: string): string {
  const end = trimEnd(value, 0, value.length);
  const a = skipWs(value, 0, end);
  if (a === end || scanToken(value, a, end) !== end) fail('Invalid token', header);
  return value.substring(a, end);
}

type Parser = (value: string) => unknown;

const entries: [string, Parser][] = [
  ['via', parseVia],
  ['from', (v) => parseSingleNameAddr(v, 'from')],
  ['to', (v) => parseSingleNameAddr(v, 'to')],
  ['reply-to', (v) => parseSingleNameAddr(v, 'reply-to')],
  ['refer-to', (v) => parseSingleNameAddr(v, 'refer-to')],
  ['referred-by', (v) => parseSingleNameAddr(v, 'referred-by')],
  ['contact', parseContact],
  ['p-asserted-identity', (v) => parseNameAddrList(v, 'p-asserted-identity')],
  ['p-preferred-identity', (v) => parseNameAddrList(v, 'p-preferred-identity')],
  ['call-id', parseCallId],
  ['cseq', parseCSeq],
  ['max-forwards', parseMaxForwards],
  ['content-length', parseContentLength],
  ['content-type', (v) => parseContentType(v)],
  ['content-disposition', parseContentDisposition],
  ['priority', (v) => parseToken(v, 'priority')],
  ['supported', (v) => parseTokenList(v, 'supported')],
  ['allow', (v) => parseTokenList(v, 'allow')],
  ['content-encoding', (v) => parseTokenList1(v, 'content-encoding')],
  ['date', parseDate],
  ['retry-after', parseRetryAfter],
  ['warning', parseWarning],
  ['rack', parseRAck],
  ['session-expires', parseSessionExpires],
  ['event', parseEvent],
  ['subscription-state', parseSubscriptionState],
];
entries.push(['allow-events', parseEventList]);
for (const h of ['require', 'proxy-require', 'unsupported']) entries.push([h, (v) => parseTokenList1(v, h)]);
for (const h of ['route', 'record-route', 'path', 'service-route']) entries.push([h, (v) => parseRouteList(v, h)]);
for (const h of ['expires', 'min-expires', 'rseq']) entries.push([h, (v) => parseDeltaSeconds(v, h)]);
entries.push(['min-se', (v) => parseDeltaWithParams(v, 'min-se').seconds]);
for (const h of ['authorization', 'proxy-authorization', 'www-authenticate', 'proxy-authenticate']) {
  entries.push([h, (v) => parseAuthList(v, h)]);
}

/** Canonical header name -> value parser, for every header this module knows. */
export const HEADER_VALUE_PARSERS: ReadonlyMap<string, (value: string) => unknown> = new Map(entries);

/** RSeq = response-num (1*DIGIT, 0 .. 2^32-1; RFC 3262 7.1). */
export function parseRSeq(value: string): number {
  return parseDeltaSeconds(value, 'rseq');
}

