import { isZeroAddress } from './address.js';
import {
  attributeValues,
  hasAttribute,
  parseCrypto,
  parseFmtp,
  parseMilliseconds,
  parseRtcp,
  parseRtpmap,
  sectionDirection,
  type Crypto,
  type Fmtp,
  type Rtcp,
  type Rtpmap,
} from './attributes.js';
import { readConnection, readMediaLine, readOrigin } from './fields.js';
import type { Connection, Direction, HoldState, HoldStyle, MediaLine, Origin, Sdp, SdpLine, SdpMedia } from './model.js';

/**
 * Views of a parsed Sdp that the B2BUA asks for, stream by stream (`index` is the 0-based
 * position of the m= line). A bad index is a programming error (RangeError); so is a line the
 * caller has edited into something the parser would have refused (Error).
 */

export function mediaAt(sdp: Sdp, index: number): SdpMedia {
  const m = sdp.media[index];
  if (m === undefined) throw new RangeError(`no media description ${index} (have ${sdp.media.length})`);
  return m;
}

export function getOrigin(sdp: Sdp): Origin {
  const line = sdp.session.find((l) => l.type === 'o');
  const r = line === undefined ? 'no o= line' : readOrigin(line.value);
  if (typeof r === 'string') throw new Error(`corrupted SDP model: ${r}`);
  return r;
}

/** The s= text, or null when the sender left the line out. */
export function getSessionName(sdp: Sdp): string | null {
  return sdp.session.find((l) => l.type === 's')?.value ?? null;
}

export function getMediaLine(sdp: Sdp, index: number): MediaLine {
  const line = mediaAt(sdp, index).lines[0];
  const r = line === undefined || line.type !== 'm' ? 'media description without m= line' : readMediaLine(line.value);
  if (typeof r === 'string') throw new Error(`corrupted SDP model: ${r}`);
  return r;
}

/** Port 0: the stream is rejected (in an answer) or disabled (in an offer), RFC 3264 6 and 8.2. */
export function isDisabled(sdp: Sdp, index: number): boolean {
  return getMediaLine(sdp, index).port === 0;
}

function connections(lines: readonly SdpLine[]): Connection[] {
  const out: Connection[] = [];
  for (const line of lines) {
    if (line.type !== 'c') continue;
    const r = readConnection(line.value);
    if (typeof r === 'string') throw new Error(`corrupted SDP model: ${r}`);
    out.push(r);
  }
  return out;
}

/** The first c= of a section, or null: what a stream's media address is read from (no array). */
function firstConnection(lines: readonly SdpLine[]): Connection | null {
  for (const line of lines) {
    if (line.type !== 'c') continue;
    const r = readConnection(line.value);
    if (typeof r === 'string') throw new Error(`corrupted SDP model: ${r}`);
    return r;
  }
  return null;
}

/** The session-level c= (the first, should a sender write several), or null. */
export function getSessionConnection(sdp: Sdp): Connection | null {
  return firstConnection(sdp.session);
}

/** Every media-level c= of a stream (several for layered multicast, RFC 8866 5.7). */
export function getMediaConnections(sdp: Sdp, index: number): Connection[] {
  return connections(mediaAt(sdp, index).lines);
}

/**
 * Where the stream's media goes: the first media-level c=, else the session-level c=, else
 * null (no c= at all is legal for a disabled stream and for RTSP-style descriptions).
 */
export function effectiveConnection(sdp: Sdp, index: number): Connection | null {
  return firstConnection(mediaAt(sdp, index).lines) ?? firstConnection(sdp.session);
}

/** Media-level direction attribute, else session-level, else sendrecv (RFC 8866 6.7). */
export function getDirection(sdp: Sdp, target: number | 'session'): Direction {
  if (target !== 'session') {
    const own = sectionDirection(mediaAt(sdp, target).lines);
    if (own !== null) return own;
  }
  return sectionDirection(sdp.session) ?? 'sendrecv';
}

/** True when the stream or the session carries ICE credentials (a=ice-ufrag). */
export function usesIce(sdp: Sdp, index: number): boolean {
  return hasAttribute(mediaAt(sdp, index).lines, 'ice-ufrag') || hasAttribute(sdp.session, 'ice-ufrag');
}

/** See HoldState for the exact definition. */
export function holdState(sdp: Sdp, index: number): HoldState {
  const direction = getDirection(sdp, index);
  const conn = effectiveConnection(sdp, index);
  const zeroAddress = conn !== null && isZeroAddress(conn.addrtype, conn.address);
  let holdStyle: HoldStyle;
  if (direction !== 'sendrecv') holdStyle = direction;
  else holdStyle = zeroAddress && !usesIce(sdp, index) ? 'zero-address' : 'none';
  return { direction, held: holdStyle !== 'none', holdStyle, zeroAddress };
}

export function isOnHold(sdp: Sdp, index: number): boolean {
  return holdState(sdp, index).held;
}

function values(sdp: Sdp, index: number, name: string): string[] {
  return attributeValues(mediaAt(sdp, index).lines, name);
}

function parsedValues<T>(sdp: Sdp, index: number, name: string, parse: (v: string) => T | null): T[] {
  const out: T[] = [];
  for (const v of values(sdp, index, name)) {
    const r = parse(v);
    if (r !== null) out.push(r);
  }
  return out;
}

/** The stream's a=rtcp (the first readable one), or null. */
export function getRtcp(sdp: Sdp, index: number): Rtcp | null {
  for (const v of values(sdp, index, 'rtcp')) {
    const r = parseRtcp(v);
    if (r !== null) return r;
  }
  return null;
}

export function hasRtcpMux(sdp: Sdp, index: number): boolean {
  return hasAttribute(mediaAt(sdp, index).lines, 'rtcp-mux');
}

/** Readable a=rtpmap lines, in order; malformed ones are skipped (and kept in the SDP). */
export function getRtpmaps(sdp: Sdp, index: number): Rtpmap[] {
  return parsedValues(sdp, index, 'rtpmap', parseRtpmap);
}

export function getFmtps(sdp: Sdp, index: number): Fmtp[] {
  return parsedValues(sdp, index, 'fmtp', parseFmtp);
}

/** a=ptime in milliseconds, or null. */
export function getPtime(sdp: Sdp, index: number): number | null {
  return parsedValues(sdp, index, 'ptime', parseMilliseconds)[0] ?? null;
}

export function getMaxptime(sdp: Sdp, index: number): number | null {
  return parsedValues(sdp, index, 'maxptime', parseMilliseconds)[0] ?? null;
}

export function getCryptos(sdp: Sdp, index: number): Crypto[] {
  return parsedValues(sdp, index, 'crypto', parseCrypto);
}

/** ICE candidates as written (RFC 8839 grammar is not interpreted here). */
export function getCandidates(sdp: Sdp, index: number): string[] {
  return values(sdp, index, 'candidate');
}
