import { isDomainName } from './address.js';
import { isAttribute, isDirection, parseAttribute } from './attributes.js';
import { isLiteralOf } from './fields.js';
import { mediaAt } from './media.js';
import type { AddrType, Direction, Origin, Sdp, SdpLine } from './model.js';
import { fieldBounds, isDigitRange, isDigits, isFieldText, tokenEnd, tokenStart } from './tokens.js';

/**
 * In-place rewrites for SDP regeneration. Each edits the line it is about and leaves every
 * other line, and the spacing of fields it does not change, as they were. Inputs are checked
 * (a bad one throws TypeError or RangeError) so nothing written can break the line structure.
 * Use cloneSdp first to keep the original.
 */

export interface AddressSpec {
  addrtype: AddrType;
  /**
   * An IP literal of `addrtype`, or a domain name (RFC 8866 allows one in c=: direct media hands a
   * party's own on as it came); no /ttl.
   */
  address: string;
}

export function cloneSdp(sdp: Sdp): Sdp {
  const copy = (l: SdpLine): SdpLine => ({ ...l });
  return {
    session: sdp.session.map(copy),
    media: sdp.media.map((m) => ({ lines: m.lines.map(copy) })),
    eol: sdp.eol,
    finalEol: sdp.finalEol,
    trailer: sdp.trailer,
  };
}

function connectionValue(spec: AddressSpec): string {
  if (spec.addrtype !== 'IP4' && spec.addrtype !== 'IP6') {
    throw new TypeError(`addrtype must be IP4 or IP6, not ${String(spec.addrtype)}`);
  }
  if (typeof spec.address !== 'string' || !(isLiteralOf(spec.addrtype, spec.address) || isDomainName(spec.address))) {
    throw new TypeError(`neither an ${spec.addrtype} literal nor a domain name: ${JSON.stringify(spec.address)}`);
  }
  return `IN ${spec.addrtype} ${spec.address}`;
}

/** Removes, in one pass, every line after `keep` that matches. */
function removeOthers(lines: SdpLine[], keep: number, match: (l: SdpLine) => boolean): void {
  let w = 0;
  for (let r = 0; r < lines.length; r++) {
    const l = lines[r] as SdpLine;
    if (r === keep || !match(l)) lines[w++] = l;
  }
  lines.length = w;
}

/** Sets the first line matching, removes the others; returns false when there was none. */
function replaceAll(lines: SdpLine[], match: (l: SdpLine) => boolean, value: string): boolean {
  const first = lines.findIndex(match);
  if (first === -1) return false;
  (lines[first] as SdpLine).value = value;
  removeOthers(lines, first, match);
  return true;
}

const isC = (l: SdpLine): boolean => l.type === 'c';

/** Writes the session-level c= (after v o s i u e p, RFC 8866 order, when it is new). */
export function setSessionAddress(sdp: Sdp, spec: AddressSpec): void {
  const value = connectionValue(spec);
  if (replaceAll(sdp.session, isC, value)) return;
  let at = 0;
  sdp.session.forEach((l, i) => {
    if ('vosiuep'.includes(l.type)) at = i + 1;
  });
  sdp.session.splice(at, 0, { type: 'c', value });
}

/**
 * Writes one media-level c= for the stream, replacing any (extra multicast c= lines go: the
 * stream now has one unicast address). A new c= goes right after the m= and i= lines.
 */
export function setMediaAddress(sdp: Sdp, index: number, spec: AddressSpec): void {
  const lines = mediaAt(sdp, index).lines;
  const value = connectionValue(spec);
  if (replaceAll(lines, isC, value)) return;
  let at = 1;
  while (lines[at]?.type === 'i') at++;
  lines.splice(at, 0, { type: 'c', value });
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${what} must be an integer 0..65535, not ${port}`);
  }
}

/** Sets the m= port, keeping a /count and everything else on the line. */
export function setMediaPort(sdp: Sdp, index: number, port: number): void {
  checkPort(port, 'port');
  const line = mediaAt(sdp, index).lines[0] as SdpLine;
  const value = line.value;
  const start = line.type === 'm' ? tokenStart(value, 1) : -1;
  if (start === -1) throw new Error('corrupted SDP model: bad m= line');
  const end = tokenEnd(value, start);
  // The port field ends at a '/' (a port count follows) or at the field's end.
  let portEnd = start;
  while (portEnd < end && value.charCodeAt(portEnd) !== 0x2f) portEnd++;
  line.value = value.slice(0, start) + String(port) + value.slice(portEnd);
}

const isRtcp = (l: SdpLine): boolean => l.type === 'a' && isAttribute(l.value, 'rtcp');

/**
 * Sets the stream's a=rtcp (RFC 3605) to `port`, with an address when given; null removes it.
 * A new a=rtcp goes before the stream's first attribute.
 */
export function setRtcp(sdp: Sdp, index: number, rtcp: { port: number; address?: AddressSpec } | null): void {
  const lines = mediaAt(sdp, index).lines;
  if (rtcp === null) {
    removeOthers(lines, -1, isRtcp);
    return;
  }
  checkPort(rtcp.port, 'RTCP port');
  const value = 'rtcp:' + String(rtcp.port) + (rtcp.address ? ' ' + connectionValue(rtcp.address) : '');
  if (replaceAll(lines, isRtcp, value)) return;
  const firstA = lines.findIndex((l) => l.type === 'a');
  lines.splice(firstA === -1 ? lines.length : firstA, 0, { type: 'a', value });
}

const ORIGIN_FIELDS = ['username', 'sessId', 'sessVersion', 'nettype', 'addrtype', 'address'] as const;

/** The o= line and its fields' bounds, checked as the parser checks them (six fields, a decimal sess-version). */
function originFields(sdp: Sdp): { line: SdpLine; bounds: number[] } {
  let line: SdpLine | undefined;
  for (const l of sdp.session) {
    if (l.type === 'o') {
      line = l;
      break;
    }
  }
  const bounds = line === undefined ? [] : fieldBounds(line.value);
  if (line === undefined || bounds.length !== 12 || !isDigitRange(line.value, bounds[4]!, bounds[5]!)) {
    throw new Error('corrupted SDP model: bad or missing o= line');
  }
  return { line, bounds };
}

/** Changes the given o= fields; the others (and their spacing) stay as they are. */
export function setOrigin(sdp: Sdp, fields: Partial<Origin>): void {
  const { line, bounds } = originFields(sdp);
  // In ORIGIN_FIELDS' order, read by name: a key read per field name would be a keyed lookup
  // in a loop (megamorphic in V8), on every SDP a call regenerates.
  const values = [fields.username, fields.sessId, fields.sessVersion, fields.nettype, fields.addrtype, fields.address];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === undefined) continue;
    const name = ORIGIN_FIELDS[i]!;
    if (typeof v !== 'string' || !isFieldText(v)) throw new TypeError(`o= ${name} must be one field: ${JSON.stringify(v)}`);
    if ((i === 1 || i === 2) && !isDigits(v)) throw new TypeError(`o= ${name} must be decimal digits: ${JSON.stringify(v)}`);
  }
  // One pass over the fields (originFields checked there are six), the spacing between them kept.
  const value = line.value;
  let out = '';
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === undefined) continue;
    out += value.slice(at, bounds[2 * i]) + v;
    at = bounds[2 * i + 1]!;
  }
  line.value = at === 0 ? value : out + value.slice(at);
}

/**
 * Increments o= sess-version (RFC 3264 8: every changed offer), as an arbitrary-precision
 * decimal; returns the new version.
 */
export function bumpVersion(sdp: Sdp): string {
  const { line, bounds } = originFields(sdp);
  const value = line.value;
  const next = (BigInt(value.slice(bounds[4], bounds[5])) + 1n).toString();
  line.value = value.slice(0, bounds[4]) + next + value.slice(bounds[5]);
  return next;
}

const isDirectionLine = (l: SdpLine): boolean => {
  if (l.type !== 'a') return false;
  const a = parseAttribute(l.value);
  return a.value === null && isDirection(a.name);
};

/**
 * Sets the direction attribute of a stream or of the session, replacing any there (only one
 * is allowed per level); a new one goes at the end of that level's lines.
 */
export function setDirection(sdp: Sdp, target: number | 'session', direction: Direction): void {
  if (!isDirection(direction)) throw new TypeError(`not a direction: ${String(direction)}`);
  const lines = target === 'session' ? sdp.session : mediaAt(sdp, target).lines;
  if (replaceAll(lines, isDirectionLine, direction)) return;
  lines.push({ type: 'a', value: direction });
}
