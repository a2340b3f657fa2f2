import { normalizeAddrType } from './fields.js';
import type { AddrType, Direction, SdpLine } from './model.js';
import { fieldTexts, isBlank, isDigits, parseUint, restAfter, tokenize } from './tokens.js';

/**
 * Attributes are kept as written (`a=name` or `a=name:value`); these functions read them.
 * Every typed parser returns null for a value it cannot read, and the line stays as it is.
 */

export interface Attribute {
  /** The text before the first ':', blanks trimmed (some devices send `a=sendrecv `). */
  name: string;
  /** The text after the first ':', verbatim; null for a flag (`a=rtcp-mux`). */
  value: string | null;
}

function trimBlanks(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isBlank(s.charCodeAt(a))) a++;
  while (b > a && isBlank(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Splits the value of an a= line. */
export function parseAttribute(lineValue: string): Attribute {
  const colon = lineValue.indexOf(':');
  if (colon === -1) return { name: trimBlanks(lineValue), value: null };
  return { name: trimBlanks(lineValue.slice(0, colon)), value: lineValue.slice(colon + 1) };
}

/** The name of an a= line value (parseAttribute's), without making the Attribute. */
export function attributeName(lineValue: string): string {
  const colon = lineValue.indexOf(':');
  return trimBlanks(colon === -1 ? lineValue : lineValue.slice(0, colon));
}

/**
 * Whether an a= line value is attribute `name` (parseAttribute(lineValue).name === name), read
 * in place: every offer and answer is asked this for a few names per stream.
 */
export function isAttribute(lineValue: string, name: string): boolean {
  const n = lineValue.length;
  let i = 0;
  while (i < n && isBlank(lineValue.charCodeAt(i))) i++;
  if (!lineValue.startsWith(name, i)) return false;
  i += name.length;
  while (i < n && isBlank(lineValue.charCodeAt(i))) i++;
  return i === n || lineValue.charCodeAt(i) === 0x3a;
}

/** The values of every `a=<name>` line of one section, in order ('' for a flag). */
export function attributeValues(lines: readonly SdpLine[], name: string): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (line.type !== 'a' || !isAttribute(line.value, name)) continue;
    const colon = line.value.indexOf(':');
    out.push(colon === -1 ? '' : line.value.slice(colon + 1));
  }
  return out;
}

export function hasAttribute(lines: readonly SdpLine[], name: string): boolean {
  for (const line of lines) {
    if (line.type === 'a' && isAttribute(line.value, name)) return true;
  }
  return false;
}

const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

export function isDirection(s: string): s is Direction {
  return DIRECTIONS.has(s);
}

/** The first direction attribute of one section (RFC 8866 allows one), or null. */
export function sectionDirection(lines: readonly SdpLine[]): Direction | null {
  for (const line of lines) {
    if (line.type !== 'a') continue;
    const a = parseAttribute(line.value);
    if (a.value === null && isDirection(a.name)) return a.name;
  }
  return null;
}

/** a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>] */
export interface Rtpmap {
  pt: number;
  encoding: string;
  clockRate: number;
  channels?: number;
}

export function parseRtpmap(value: string): Rtpmap | null {
  const t = fieldTexts(value);
  if (t.length !== 2) return null;
  const [ptText, spec] = t as [string, string];
  const pt = parseUint(ptText, 0, 127);
  if (pt === null) return null;
  const parts = spec.split('/');
  // RFC 8866 6.6 makes the clock rate mandatory (alac.sdp's `AppleLossless` alone is refused).
  if (parts.length < 2 || parts.length > 3 || parts[0] === '') return null;
  const clockRate = parseUint(parts[1] as string, 1, 4_294_967_295);
  if (clockRate === null) return null;
  const r: Rtpmap = { pt, encoding: parts[0] as string, clockRate };
  if (parts.length === 3) {
    const channels = parseUint(parts[2] as string, 1, 255);
    if (channels === null) return null;
    r.channels = channels;
  }
  return r;
}

/** a=fmtp:<payload type> <format specific parameters>; `params` verbatim ('' when absent). */
export interface Fmtp {
  pt: number;
  params: string;
}

export function parseFmtp(value: string): Fmtp | null {
  const t = tokenize(value);
  const first = t[0];
  if (first === undefined || first.start !== 0) return null;
  const pt = parseUint(first.text, 0, 127);
  if (pt === null) return null;
  return { pt, params: restAfter(value, 1) };
}

/** a=ptime / a=maxptime: milliseconds, fractions allowed (hacky.sdp has 0.125). */
export function parseMilliseconds(value: string): number | null {
  const s = trimBlanks(value);
  const dot = s.indexOf('.');
  const whole = dot === -1 ? s : s.slice(0, dot);
  if (!isDigits(whole, 6)) return null;
  if (dot !== -1 && !isDigits(s.slice(dot + 1), 6)) return null;
  return Number(s);
}

/** a=rtcp:<port> [IN <IP4|IP6> <address>] (RFC 3605). */
export interface Rtcp {
  port: number;
  nettype?: 'IN';
  addrtype?: AddrType;
  address?: string;
}

/**
 * null when the port is not 0..65535 or the address part is not `IN IP4|IP6 <address>`:
 * an RTCP address Sluice cannot use is ignored, leaving the RFC 3605 default (RTP port + 1
 * on the connection address).
 */
export function parseRtcp(value: string): Rtcp | null {
  const t = fieldTexts(value);
  if (t.length !== 1 && t.length !== 4) return null;
  const port = parseUint(t[0] as string, 0, 65535);
  if (port === null) return null;
  if (t.length === 1) return { port };
  const [, nettype, addrtypeText, address] = t as [string, string, string, string];
  if (nettype.toUpperCase() !== 'IN') return null;
  const addrtype = normalizeAddrType(addrtypeText);
  if (addrtype === null) return null;
  return { port, nettype: 'IN', addrtype, address };
}

/** a=crypto:<tag> <crypto-suite> <key-params> [<session-params>] (RFC 4568), kept as text. */
export interface Crypto {
  tag: number;
  suite: string;
  keyParams: string;
  /** The rest of the line after key-params, verbatim; absent when there is none. */
  sessionParams?: string;
}

export function parseCrypto(value: string): Crypto | null {
  const t = fieldTexts(value);
  if (t.length < 3) return null;
  const [tagText, suite, keyParams] = t as [string, string, string];
  const tag = parseUint(tagText, 0, 999_999_999);
  if (tag === null) return null;
  const c: Crypto = { tag, suite, keyParams };
  if (t.length > 3) c.sessionParams = restAfter(value, 3);
  return c;
}
