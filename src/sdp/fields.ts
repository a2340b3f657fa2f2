import { isIpv4Literal, isIpv6Literal } from './address.js';
import type { AddrType, Connection, MediaLine, Origin } from './model.js';
import { fieldTexts, isDigits, parseUint } from './tokens.js';

/**
 * Typed views of the o=, c= and m= line values. Each `read*` returns the view or a short
 * reason (the parser turns it into an SdpParseError with the line number); each `parse*` is
 * the public form, returning null for a value that does not parse.
 */

export function readOrigin(value: string): Origin | string {
  const t = fieldTexts(value);
  if (t.length !== 6) return `o= must have 6 fields, found ${t.length}`;
  const [username, sessId, sessVersion, nettype, addrtype, address] = t as [
    string, string, string, string, string, string,
  ];
  // sess-version is compared to spot changed offers and incremented by bumpVersion, so it must
  // be a number; sess-id is only an identifier and is taken as it comes.
  if (!isDigits(sessVersion)) return 'o= sess-version is not a decimal number';
  return { username, sessId, sessVersion, nettype, addrtype, address };
}

/** 'IP4' | 'IP6' for an addrtype written in any case (ABNF literals are case-insensitive). */
export function normalizeAddrType(s: string): AddrType | null {
  const u = s.toUpperCase();
  return u === 'IP4' || u === 'IP6' ? u : null;
}

export function isLiteralOf(addrtype: AddrType, address: string): boolean {
  return addrtype === 'IP4' ? isIpv4Literal(address) : isIpv6Literal(address);
}

export function readConnection(value: string): Connection | string {
  const common = commonConnection(value);
  if (common !== null) return common;
  const t = fieldTexts(value);
  if (t.length !== 3) return `c= must have 3 fields, found ${t.length}`;
  const [nettype, addrtypeText, full] = t as [string, string, string];
  // Anything but IN IP4/IP6 cannot be relayed: refusing it beats guessing.
  if (nettype.toUpperCase() !== 'IN') return 'c= network type is not IN';
  const addrtype = normalizeAddrType(addrtypeText);
  if (addrtype === null) return 'c= address type is neither IP4 nor IP6';
  const parts = full.split('/');
  const address = parts[0] as string;
  if (address === '') return 'c= address is empty';
  const conn: Connection = { nettype: 'IN', addrtype, address, literal: isLiteralOf(addrtype, address) };
  // RFC 8866 5.7: IP4 multicast is addr/ttl[/count], IP6 is addr[/count].
  if (addrtype === 'IP4') {
    if (parts.length > 3) return 'c= address has too many /suffixes';
    if (parts.length >= 2) {
      const ttl = parseUint(parts[1] as string, 0, 255);
      if (ttl === null) return 'c= TTL is not a number 0..255';
      conn.ttl = ttl;
    }
    if (parts.length === 3) {
      const count = parseUint(parts[2] as string, 1, 65535);
      if (count === null) return 'c= address count is not a number 1..65535';
      conn.count = count;
    }
  } else {
    if (parts.length > 2) return 'c= address has too many /suffixes';
    if (parts.length === 2) {
      const count = parseUint(parts[1] as string, 1, 65535);
      if (count === null) return 'c= address count is not a number 1..65535';
      conn.count = count;
    }
  }
  return conn;
}

/**
 * `IN IP4 <address>` or `IN IP6 <address>`, one space apart and without a /suffix, as nearly
 * every c= is written: read without splitting the value (every offer and answer has two or more,
 * each read several times). Anything else is left to the general reader (null).
 */
function commonConnection(value: string): Connection | null {
  const n = value.length;
  if (n < 8 || !value.startsWith('IN IP') || value.charCodeAt(6) !== 0x20) return null;
  const v = value.charCodeAt(5);
  if (v !== 0x34 && v !== 0x36) return null;
  for (let i = 7; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x2f) return null;
  }
  const addrtype: AddrType = v === 0x34 ? 'IP4' : 'IP6';
  const address = value.slice(7);
  return { nettype: 'IN', addrtype, address, literal: isLiteralOf(addrtype, address) };
}

export function readMediaLine(value: string): MediaLine | string {
  const t = fieldTexts(value);
  // RFC 8866 5.14: 1*(SP fmt); no file of the corpus needs an empty format list.
  if (t.length < 4) return 'm= needs media, port, proto and at least one format';
  const [media, portText, proto] = t as [string, string, string];
  const slash = portText.indexOf('/');
  const port = parseUint(slash === -1 ? portText : portText.slice(0, slash), 0, 65535);
  if (port === null) return 'm= port is not a number 0..65535';
  let portCount = 1;
  if (slash !== -1) {
    const count = parseUint(portText.slice(slash + 1), 1, 65535);
    if (count === null) return 'm= port count is not a number 1..65535';
    portCount = count;
  }
  return { media, port, portCount, proto, formats: t.slice(3) };
}

export function parseOrigin(value: string): Origin | null {
  const r = readOrigin(value);
  return typeof r === 'string' ? null : r;
}

export function parseConnection(value: string): Connection | null {
  const r = readConnection(value);
  return typeof r === 'string' ? null : r;
}

export function parseMediaLine(value: string): MediaLine | null {
  const r = readMediaLine(value);
  return typeof r === 'string' ? null : r;
}

/** b=<bwtype>:<bandwidth> (kbit/s for AS and CT). */
export interface Bandwidth {
  type: string;
  bandwidth: number;
}

export function parseBandwidth(value: string): Bandwidth | null {
  const colon = value.indexOf(':');
  if (colon <= 0) return null;
  const bandwidth = parseUint(value.slice(colon + 1), 0, Number.MAX_SAFE_INTEGER);
  return bandwidth === null ? null : { type: value.slice(0, colon), bandwidth };
}

/** t=<start-time> <stop-time>, NTP seconds kept as strings. */
export interface Timing {
  start: string;
  stop: string;
}

export function parseTiming(value: string): Timing | null {
  const t = fieldTexts(value);
  if (t.length !== 2) return null;
  const [start, stop] = t as [string, string];
  return isDigits(start) && isDigits(stop) ? { start, stop } : null;
}
