/**
 * The smaller header grammars: Date, Retry-After, Warning (RFC 3261 20), RAck (RFC 3262),
 * Session-Expires (RFC 4028), Event and Subscription-State (RFC 6665).
 */
import { lower, matchLower, scanToken, skipWs, trimEnd } from './chars.js';
import * as chars from './chars.js';
import { fail } from './fail.js';
import { getParam, scanQuoted, unquotePairs } from './params.js';
import { UINT32_MAX, digitsEnd, parseDeltaWithParams, scanParamsToEnd, splitList, uintRange } from './scan.js';
import type { Param } from './types.js';

// Module-local copies: V8 folds a module's own constants into optimized code but re-reads
// imported bindings at every use, which costs in per-char loops.
const { CHAR, DIGIT, TOKEN } = chars;

const WKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function indexOf3(names: readonly string[], s: string, i: number): number {
  for (let k = 0; k < names.length; k++) if (matchLower(s, i, i + 3, names[k]!)) return k;
  return -1;
}

function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i);
  const b = s.charCodeAt(i + 1);
  if ((CHAR[a]! & DIGIT) === 0 || (CHAR[b]! & DIGIT) === 0) return -1;
  return (a - 0x30) * 10 + b - 0x30;
}

/**
 * Date = rfc1123-date: `Sat, 13 Nov 2010 23:29:00 GMT`, exactly, and only GMT (RFC 4475
 * baddate). The weekday must be a weekday name; it is not checked against the date.
 */
export function parseDate(value: string): Date {
  const end = trimEnd(value, 0, value.length);
  const s = value.substring(skipWs(value, 0, end), end);
  const H = 'date';
  if (s.length !== 29) fail('Invalid date', H);
  if (s.charCodeAt(3) !== 0x2c || s[4] !== ' ' || s[7] !== ' ' || s[11] !== ' ' || s[16] !== ' ' || s[25] !== ' ') {
    fail('Invalid date', H);
  }
  if (!matchLower(s, 26, 29, 'gmt')) fail('Date not in GMT', H);
  if (indexOf3(WKDAYS, s, 0) < 0) fail('Invalid weekday', H);
  const month = indexOf3(MONTHS, s, 8);
  const day = twoDigits(s, 5);
  const y1 = twoDigits(s, 12);
  const y2 = twoDigits(s, 14);
  const hh = twoDigits(s, 17);
  const mm = twoDigits(s, 20);
  const ss = twoDigits(s, 23);
  if (month < 0 || day < 1 || y1 < 0 || y2 < 0 || s[19] !== ':' || s[22] !== ':') fail('Invalid date', H);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59) fail('Invalid time', H);
  const d = new Date(Date.UTC(y1 * 100 + y2, month, day, hh, mm, ss));
  d.setUTCFullYear(y1 * 100 + y2); // Date.UTC maps years 0..99 to 1900..1999
  if (d.getUTCDate() !== day) fail('Invalid date', H);
  return d;
}

/** Index after the comment that starts at s[i] = '(' (nested comments, quoted-pairs). */
function scanComment(s: string, i: number, end: number, header: string): number {
  let depth = 0;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x28) depth++;
    else if (c === 0x29 && --depth === 0) return i + 1;
  }
  return fail('Unterminated comment', header);
}

export interface RetryAfter {
  seconds: number;
  /** The comment's text between its outer parentheses, as written; null when absent. */
  comment: string | null;
  params: Param[];
}

/** Retry-After = delta-seconds [ comment ] *( SEMI retry-param ); duration is delta-seconds. */
export function parseRetryAfter(value: string): RetryAfter {
  const H = 'retry-after';
  const s = value;
  const end = trimEnd(s, 0, s.length);
  const a = skipWs(s, 0, end);
  let i = digitsEnd(s, a, end);
  const seconds = uintRange(s, a, i, UINT32_MAX, H);
  let comment: string | null = null;
  const c = skipWs(s, i, end);
  if (c < end && s.charCodeAt(c) === 0x28) {
    i = scanComment(s, c, end, H);
    comment = s.substring(c + 1, i - 1);
  }
  const params: Param[] = [];
  if (scanParamsToEnd(s, i, end, params, H)) fail('Invalid parameters', H);
  const duration = getParam(params, 'duration');
  if (duration === null) fail('duration without value', H);
  if (duration !== undefined) uintRange(duration, 0, duration.length, UINT32_MAX, H);
  return { seconds, comment, params };
}

export interface WarningValue {
  code: number;
  agent: string;
  /** The warn-text, quoted-pairs resolved. */
  text: string;
}

/** Warning = 1#( warn-code SP warn-agent SP warn-text ); warn-code is exactly 3 digits (RFC 4475 scalarlg). */
export function parseWarning(value: string): WarningValue[] {
  const H = 'warning';
  const parts = splitList(value, H);
  if (parts.length === 0) fail('Empty value', H);
  const out: WarningValue[] = [];
  for (const s of parts) {
    const end = s.length;
    const ce = digitsEnd(s, 0, end);
    if (ce !== 3) fail('Warning code must be 3 digits', H);
    let i = skipWs(s, ce, end);
    if (i === ce) fail('Invalid warning', H);
    const as = i;
    // warn-agent = hostport / pseudonym: token chars, and ':' '[' ']' of a host:port.
    for (; i < end; i++) {
      const c = s.charCodeAt(i);
      if ((CHAR[c]! & TOKEN) === 0 && c !== 0x3a && c !== 0x5b && c !== 0x5d) break;
    }
    if (i === as) fail('Invalid warning agent', H);
    const agent = s.substring(as, i);
    const q = skipWs(s, i, end);
    if (q === i || q >= end || s.charCodeAt(q) !== 0x22 || scanQuoted(s, q, end, H) !== end) fail('Invalid warning text', H);
    out.push({ code: uintRange(s, 0, 3, 999, H), agent, text: unquotePairs(s, q + 1, end - 1) });
  }
  return out;
}

export interface RAck {
  rseq: number;
  cseq: number;
  method: string;
}

/** RAck = response-num LWS CSeq-num LWS Method (RFC 3262 7.2). */
export function parseRAck(value: string): RAck {
  const H = 'rack';
  const s = value;
  const end = trimEnd(s, 0, s.length);
  const a = skipWs(s, 0, end);
  const ae = digitsEnd(s, a, end);
  const rseq = uintRange(s, a, ae, UINT32_MAX, H);
  const b = skipWs(s, ae, end);
  const be = digitsEnd(s, b, end);
  if (b === ae) fail('Invalid value', H);
  const cseq = uintRange(s, b, be, UINT32_MAX, H);
  const m = skipWs(s, be, end);
  if (m === be || m === end || scanToken(s, m, end) !== end) fail('Invalid method', H);
  return { rseq, cseq, method: s.substring(m, end) };
}

export interface SessionExpires {
  seconds: number;
  refresher: 'uac' | 'uas' | null;
  params: Param[];
}

/** Session-Expires = delta-seconds *( SEMI (refresher-param / generic-param) ) (RFC 4028 4). */
export function parseSessionExpires(value: string): SessionExpires {
  const H = 'session-expires';
  const { seconds, params } = parseDeltaWithParams(value, H);
  const r = getParam(params, 'refresher');
  let refresher: 'uac' | 'uas' | null = null;
  if (r !== undefined) {
    if (r === null || r.length !== 3 || !(matchLower(r, 0, 3, 'uac') || matchLower(r, 0, 3, 'uas'))) {
      fail('refresher must be uac or uas', H);
    }
    refresher = lower(r.charCodeAt(2)) === 0x63 ? 'uac' : 'uas';
  }
  return { seconds, refresher, params };
}

export interface EventValue {
  /** event-type as written (package and templates). */
  type: string;
  /** The id parameter, or null. */
  id: string | null;
  params: Param[];
}

/** Event = event-type *( SEMI event-param ) (RFC 6665 8.2.1). */
export function parseEvent(value: string): EventValue {
  const H = 'event';
  const s = value;
  const end = trimEnd(s, 0, s.length);
  const a = skipWs(s, 0, end);
  const ae = scanToken(s, a, end);
  if (ae === a) fail('Invalid event type', H);
  const params: Param[] = [];
  if (scanParamsToEnd(s, ae, end, params, H)) fail('Invalid parameters', H);
  const id = getParam(params, 'id');
  if (id === null) fail('id without value', H);
  return { type: s.substring(a, ae), id: id ?? null, params };
}

export interface SubscriptionState {
  /** Lower-cased: active, pending, terminated or an extension. */
  state: string;
  reason: string | null;
  expires: number | null;
  retryAfter: number | null;
  params: Param[];
}

/** Subscription-State = substate-value *( SEMI subexp-params ) (RFC 6665 8.2.3). */
export function parseSubscriptionState(value: string): SubscriptionState {
  const H = 'subscription-state';
  const s = value;
  const end = trimEnd(s, 0, s.length);
  const a = skipWs(s, 0, end);
  const ae = scanToken(s, a, end);
  if (ae === a) fail('Invalid state', H);
  const params: Param[] = [];
  if (scanParamsToEnd(s, ae, end, params, H)) fail('Invalid parameters', H);
  const number = (name: string): number | null => {
    const v = getParam(params, name);
    if (v === undefined) return null;
    if (v === null) fail(`${name} without value`, H);
    return uintRange(v, 0, v.length, UINT32_MAX, H);
  };
  const reason = getParam(params, 'reason');
  if (reason === null) fail('reason without value', H);
  return {
    state: s.substring(a, ae).toLowerCase(),
    reason: reason ?? null,
    expires: number('expires'),
    retryAfter: number('retry-after'),
    params,
  };
}
