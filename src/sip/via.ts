/**
 * Via (RFC 3261 20.42, 25.1; RFC 3581 rport; RFC 5118 IPv6):
 *   via-parm = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport   (SLASH = SWS "/" SWS)
 *   sent-by = host [ COLON port ]
 * One field value may hold several via-parms separated by commas.
 */
import { isToken, matchLower, scanToken, skipWs } from './chars.js';
import * as chars from './chars.js';
import { fail } from './fail.js';
import { fit } from './fit.js';
import { hostEnd, hostKind, isIPv4, parseIPv6, scanHost } from './host.js';
import { paramNameAt, paramsEnd, scanParamList, serializeParams } from './params.js';
import type { HostKind, Param, Via } from './types.js';

// Module-local copies: V8 folds a module's own constants into optimized code but re-reads
// imported bindings at every use, which costs in per-char loops.
const { CHAR, DIGIT, TOKEN } = chars;

const H = 'via';

/** Parses a Via field value into its via-parms, in order. */
export function parseVia(fieldValue: string): Via[] {
  return parseViaRange(fieldValue, 0, fieldValue.length);
}

/** parseVia of s[start, end), read in place (the message's header text: see parseRoutingHeaders). */
export function parseViaRange(s: string, start: number, end: number): Via[] {
  const common = commonVia(s, start, end);
  if (common !== null) return [common];
  // One via-parm is the rule: it is returned without a list grown for it.
  let first: Via | null = null;
  let out: Via[] | null = null;
  let i = skipWs(s, start, end);
  if (i >= end) fail('Empty value', H);
  for (;;) {
    let protocol: string;
    let version: string;
    if (i + 8 <= end && isSip20At(s, i)) {
      // What nearly every peer writes: read at once what the grammar reads piece by piece below.
      protocol = 'SIP';
      version = '2.0';
      i = skipWs(s, i + 8, end);
    } else {
      const ps = i;
      i = scanToken(s, i, end);
      if (i === ps) fail('Invalid sent-protocol', H);
      protocol = matchLower(s, ps, i, 'sip') ? 'SIP' : s.substring(ps, i).toUpperCase();
      i = slash(s, i, end);
      const vs = i;
      i = scanToken(s, i, end);
      if (i === vs) fail('Invalid sent-protocol', H);
      version = i - vs === 3 && s.startsWith('2.0', vs) ? '2.0' : s.substring(vs, i);
      i = slash(s, i, end);
    }
    const ts = i;
    i = scanToken(s, i, end);
    if (i === ts) fail('Invalid sent-protocol', H);
    const transport = transportOf(s, ts, i);
    const hs = skipWs(s, i, end);
    if (hs === i) fail('Missing sent-by', H);
    let host: string;
    let kind: HostKind;
    if (hs < end && s.charCodeAt(hs) === 0x5b) {
      i = hs + 1;
      while (i < end && s.charCodeAt(i) !== 0x5d) i++;
      if (i >= end || !parseIPv6(s, hs + 1, i)) fail('Invalid IPv6 reference in sent-by', H);
      host = s.substring(hs + 1, i);
      kind = 'ipv6';
      i++;
    } else {
      const k = scanHost(s, hs, end);
      i = hostEnd;
      if (k === null) fail(i === hs ? 'Missing sent-by host' : 'Invalid sent-by host', H);
      host = s.substring(hs, i);
      kind = k;
    }
    let port: number | null = null;
    let j = skipWs(s, i, end);
    if (j < end && s.charCodeAt(j) === 0x3a) {
      j = skipWs(s, j + 1, end);
      port = digits(s, j, end, 5, 65535, 'Invalid sent-by port');
      i = j + digitCount;
    }
    const params = scanParamList(s, i, end, H, true);
    i = paramsEnd;
    const via = viaOf(protocol, version, transport, host, kind, port, params);
    if (first === null) first = via;
    else (out ??= [first]).push(via);
    i = skipWs(s, i, end);
    if (i === end) return out === null ? [first] : fit(out);
    if (s.charCodeAt(i) !== 0x2c) fail('Invalid text in Via', H);
    i = skipWs(s, i + 1, end);
    if (i === end || s.charCodeAt(i) === 0x2c) fail('Empty Via value', H);
  }
}

/**
 * The via-parm nearly every peer writes (`SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK..;rport`),
 * read in one pass over s[start, end): no whitespace but the one SP, an unbracketed host,
 * parameters with token values, nothing after them. Null for anything else, which the general
 * parse reads (and refuses) as the grammar says; what this takes, it reads as that parse does.
 */
function commonVia(s: string, start: number, end: number): Via | null {
  if (end - start < 13 || !isSip20At(s, start)) return null;
  const ts = start + 8;
  let i = ts;
  while (i < end && (CHAR[s.charCodeAt(i)]! & TOKEN) !== 0) i++;
  if (i === ts || i >= end || s.charCodeAt(i) !== 0x20) return null;
  const transport = transportOf(s, ts, i);
  const hs = i + 1;
  const kind = scanHost(s, hs, end);
  if (kind === null) return null;
  i = hostEnd;
  const host = s.substring(hs, i);
  let c = i < end ? s.charCodeAt(i) : -1;
  let port: number | null = null;
  if (c === 0x3a) {
    const ds = ++i;
    let v = 0;
    for (; i < end; i++) {
      c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + c - 0x30;
    }
    if (i === ds || i - ds > 5 || v > 65535) return null;
    if (i === end) c = -1;
    port = v;
  }
  // One or two parameters are the rule: their list is made at its size (as scanParamList does).
  let p1: Param | null = null;
  let p2: Param | null = null;
  let more: Param[] | null = null;
  while (c === 0x3b) {
    const ns = ++i;
    for (; i < end; i++) {
      c = s.charCodeAt(i);
      if ((CHAR[c]! & TOKEN) === 0) break;
    }
    if (i === ns) return null;
    const ne = i;
    let value: string | null = null;
    if (i < end && c === 0x3d) {
      // A token, or a bare IPv6 received (colonValues in scanParams).
      const vs = ++i;
      for (; i < end; i++) {
        c = s.charCodeAt(i);
        if ((CHAR[c]! & TOKEN) === 0 && c !== 0x3a) break;
      }
      if (i === vs) return null;
      value = s.substring(vs, i);
    }
    if (i === end) c = -1;
    const p: Param = { name: paramNameAt(s, ns, ne), value };
    if (p1 === null) p1 = p;
    else if (p2 === null) p2 = p;
    else (more ??= [p1, p2]).push(p);
  }
  if (i !== end) return null;
  const params = more !== null ? fit(more) : p2 !== null ? [p1!, p2] : p1 !== null ? [p1] : [];
  return viaOf('SIP', '2.0', transport, host, kind, port, params);
}

/** 'SIP/2.0/' at s[i], compared without a call to String#startsWith (costly for so short a word). */
function isSip20At(s: string, i: number): boolean {
  return (
    s.charCodeAt(i) === 0x53 &&
    s.charCodeAt(i + 1) === 0x49 &&
    s.charCodeAt(i + 2) === 0x50 &&
    s.charCodeAt(i + 3) === 0x2f &&
    s.charCodeAt(i + 4) === 0x32 &&
    s.charCodeAt(i + 5) === 0x2e &&
    s.charCodeAt(i + 6) === 0x30 &&
    s.charCodeAt(i + 7) === 0x2f
  );
}

/** SWS "/" SWS */
function slash(s: string, i: number, end: number): number {
  i = skipWs(s, i, end);
  if (i >= end || s.charCodeAt(i) !== 0x2f) fail('Invalid sent-protocol', H);
  return skipWs(s, i + 1, end);
}

const TRANSPORTS = ['UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS'];
const TRANSPORTS_LOWER = TRANSPORTS.map((t) => t.toLowerCase());

/** The transport upper-cased; the common ones without allocating. */
function transportOf(s: string, start: number, end: number): string {
  for (let k = 0; k < TRANSPORTS.length; k++) if (matchLower(s, start, end, TRANSPORTS_LOWER[k]!)) return TRANSPORTS[k]!;
  return s.substring(start, end).toUpperCase();
}

let digitCount = 0;
/** 1..maxLen digits at s[i], value <= max; sets digitCount. */
function digits(s: string, i: number, end: number, maxLen: number, max: number, reason: string): number {
  let v = 0;
  let n = 0;
  while (i + n < end && (CHAR[s.charCodeAt(i + n)]! & DIGIT) !== 0) {
    v = v * 10 + s.charCodeAt(i + n) - 0x30;
    if (++n > maxLen || v > max) fail(reason, H);
  }
  if (n === 0) fail(reason, H);
  digitCount = n;
  return v;
}

/** A whole parameter value as a number (rport, ttl). */
function numberValue(v: string, maxLen: number, max: number, reason: string): number {
  const n = digits(v, 0, v.length, maxLen, max, reason);
  if (digitCount !== v.length) fail(reason, H);
  return n;
}

function viaOf(
  protocol: string,
  version: string,
  transport: string,
  host: string,
  kind: HostKind,
  port: number | null,
  params: Param[],
): Via {
  let branch: string | null = null;
  let received: string | null = null;
  let rport: number | true | null = null;
  let maddr: string | null = null;
  let ttl: number | null = null;
  for (let k = 0; k < params.length; k++) {
    const p = params[k]!;
    const name = p.name;
    const v = p.value;
    switch (name.length) {
      // A name as written in lower case is the shared string (see scanParamList): compared by identity first.
      case 6:
        if (branch === null && (name === 'branch' || matchLower(name, 0, 6, 'branch'))) {
          if (v === null) fail('Via branch without value', H);
          branch = v;
        }
        break;
      case 8:
        if (received === null && (name === 'received' || matchLower(name, 0, 8, 'received'))) received = receivedValue(v);
        break;
      case 5:
        if (rport === null && (name === 'rport' || matchLower(name, 0, 5, 'rport'))) {
          rport = v === null ? true : numberValue(v, 5, 65535, 'Invalid Via rport');
        } else if (maddr === null && matchLower(name, 0, 5, 'maddr')) maddr = maddrValue(v);
        break;
      case 3:
        if (ttl === null && matchLower(name, 0, 3, 'ttl')) {
          if (v === null) fail('Invalid Via ttl', H);
          ttl = numberValue(v, 3, 255, 'Invalid Via ttl');
        }
        break;
      default:
        break;
    }
  }
  return { protocol, version, transport, host, hostKind: kind, port, branch, received, rport, maddr, ttl, params };
}

/** received = IPv4address / IPv6address, the latter with or without [] (RFC 5118 4.5); kept without. */
function receivedValue(v: string | null): string {
  if (v !== null) {
    if (v.charCodeAt(0) === 0x5b) return v.substring(1, v.length - 1); // scanParams validated [..]
    if (isIPv4(v) || parseIPv6(v, 0, v.length)) return v;
  }
  return fail('Invalid Via received', H);
}

/** maddr = host, kept as written. */
function maddrValue(v: string | null): string {
  if (v !== null && (v.charCodeAt(0) === 0x5b || hostKind(v, 0, v.length) !== null || parseIPv6(v, 0, v.length))) return v;
  return fail('Invalid Via maddr', H);
}

const KNOWN = ['branch', 'received', 'rport', 'maddr', 'ttl'] as const;
type Known = (typeof KNOWN)[number];

function knownOf(name: string): Known | null {
  for (const k of KNOWN) if (matchLower(name, 0, name.length, k)) return k;
  return null;
}

function fieldValue(via: Via, k: Known): string | null | undefined {
  switch (k) {
    case 'branch':
      return via.branch ?? undefined;
    case 'received':
      return via.received ?? undefined;
    case 'rport':
      return via.rport === null ? undefined : via.rport === true ? null : String(via.rport);
    case 'maddr':
      return via.maddr ?? undefined;
    case 'ttl':
      return via.ttl === null ? undefined : String(via.ttl);
  }
}

/**
 * Writes one via-parm. The named fields (branch, received, rport, maddr, ttl) win over `params`:
 * a parameter whose field is null is left out, a field set but missing from `params` is added,
 * and every other parameter is written as it stands, in order.
 */
export function serializeVia(via: Via): string {
  let out = `${via.protocol}/${via.version}/${via.transport} ${via.hostKind === 'ipv6' ? `[${via.host}]` : via.host}`;
  if (via.port !== null) out += ':' + via.port;
  const params: Param[] = [];
  const done = new Set<Known>();
  for (const p of via.params) {
    const k = knownOf(p.name);
    if (k === null || done.has(k)) {
      params.push(p);
      continue;
    }
    done.add(k);
    const v = fieldValue(via, k);
    if (v === undefined) continue;
    // Keep a received written with [] when it names the same address.
    const same = k === 'received' && p.value !== null && p.value.charCodeAt(0) === 0x5b && p.value.slice(1, -1) === v;
    params.push({ name: p.name, value: same ? p.value : v });
  }
  for (const k of KNOWN) {
    if (done.has(k)) continue;
    const v = fieldValue(via, k);
    if (v !== undefined) params.push({ name: k, value: v });
  }
  return out + serializeParams(params, true);
}

let sentHost = '';
let sentKind: HostKind | null = null;
/** The last transport written, as given and in capitals (toUpperCase is a runtime call in V8). */
let sentTransportGiven = '';
let sentTransport = '';

/**
 * sentVia's text alone, for a request written straight to text (an INVITE, an ACK), which never
 * reads its own Via back: no parse of it is made.
 */
export function sentViaText(transport: string, host: string, port: number, branch: string, rport: boolean): string {
  const bare = host.charCodeAt(0) === 0x5b ? host.slice(1, -1) : host;
  // A UA sends from one or two addresses: the last one's kind is kept.
  if (bare !== sentHost) {
    sentKind = bare.includes(':') ? (parseIPv6(bare, 0, bare.length) ? 'ipv6' : null) : hostKind(bare, 0, bare.length);
    sentHost = bare;
  }
  if (transport !== sentTransportGiven) {
    sentTransport = transport.toUpperCase();
    sentTransportGiven = transport;
  }
  return `SIP/2.0/${sentTransport} ${sentKind === 'ipv6' || bare.includes(':') ? `[${bare}]` : bare}:${port};branch=${branch}${rport ? ';rport' : ''}`;
}

/**
 * The Via a UA sends a request with (RFC 3261 8.1.1.7; RFC 3581 rport), as text and as the value
 * parseVia would make of that text, so a request we build is not parsed back for its own Via.
 * The value is null when the host is no valid host (the text is then parsed, and refused, as any).
 */
export function sentVia(transport: string, host: string, port: number, branch: string, rport: boolean): { text: string; via: Via | null } {
  const text = sentViaText(transport, host, port, branch, rport);
  const bare = sentHost;
  const kind = sentKind;
  const t = sentTransport;
  if (kind === null || port < 0 || port > 65535 || !isToken(t) || !isToken(branch)) return { text, via: null };
  const params: Param[] = rport ? [{ name: 'branch', value: branch }, { name: 'rport', value: null }] : [{ name: 'branch', value: branch }];
  return { text, via: viaOf('SIP', '2.0', t, bare, kind, port, params) };
}
