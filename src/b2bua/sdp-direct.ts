/**
 * SDP regeneration for direct media without the model: the common offer or answer (sipp's, a
 * phone's) is rewritten by one scan of its text, for about a fifth of the CPU of parse, setters
 * and serialize. Anything off that shape gets null and the caller takes the full path, which
 * stays the definition: the output here is byte for byte what it writes (the unit test's property
 * holds the two together).
 */
import { isIpv4Literal, isIpv6Literal, isZeroAddress, SDP_LIMITS } from '../sdp/index.js';
import type { OriginState } from './sdp-bridge.js';

const LF = 0x0a;
const CR = 0x0d;
const EQ = 0x3d;
const ZERO = 0x30;

const isBlank = (c: number): boolean => c === 0x20 || c === 0x09;

function skipBlanks(text: string, i: number, end: number): number {
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  return i;
}

function skipToken(text: string, i: number, end: number): number {
  while (i < end && !isBlank(text.charCodeAt(i))) i++;
  return i;
}

function isDigitText(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < ZERO || c > 0x39) return false;
  }
  return true;
}

function onlyLineBreaks(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== CR && c !== LF) return false;
  }
  return true;
}

/**
 * The address of a c= value written `IN IP4 <dotted quad>` or `IN IP6 <IPv6 literal>`, else
 * null. Only this shape is taken: for it the full path writes the value back unchanged (a colon
 * makes an address IP6 there, and these literals agree with their addrtype), and the parser
 * accepts it; hostnames, lower case, /ttl and odd spacing go to the full path.
 */
function literalAddress(text: string, start: number, end: number): string | null {
  if (end - start < 9 || !text.startsWith('IN IP', start) || text.charCodeAt(start + 6) !== 0x20) return null;
  const v = text.charCodeAt(start + 5);
  const address = text.slice(start + 7, end);
  if (v === 0x34) return isIpv4Literal(address) ? address : null;
  if (v === 0x36) return isIpv6Literal(address) ? address : null;
  return null;
}

/** RFC 3605 a=rtcp (as isAttribute reads the name): the full path rewrites it, so it bails. */
function isRtcp(text: string, start: number, end: number): boolean {
  let i = skipBlanks(text, start, end);
  // By character: a=rtpmap starts alike, and a builtin call per line costs more than the compares.
  if (end - i < 4 || text.charCodeAt(i) !== 0x72 || text.charCodeAt(i + 1) !== 0x74 || text.charCodeAt(i + 2) !== 0x63 || text.charCodeAt(i + 3) !== 0x70) return false;
  i = skipBlanks(text, i + 4, end);
  return i === end || text.charCodeAt(i) === 0x3a;
}

/**
 * a=ssrc or a=ssrc-group (any name that starts so, after blanks): the full path drops them
 * (sdp-bridge.ts, DIRECT_DROPS), so the fast path bails.
 */
function isSsrc(text: string, start: number, end: number): boolean {
  const i = skipBlanks(text, start, end);
  return end - i >= 4 && text.startsWith('ssrc', i);
}

/** Our address and the values made of it, once per address. */
interface Ours {
  addrtype: 'IP4' | 'IP6';
  /** The session c= value. */
  conn: string;
  /** A zero address in our family: what a zero c= becomes. */
  zeroConn: string;
  /** The end of our o= value, from the nettype's leading space on. */
  originTail: string;
}

/**
 * Our addresses, checked: an SBC writes the same few all day (one per realm, alternating
 * between a call's offer and answer). null: one the fast path refuses. Bounded against a
 * caller that passes many.
 */
const oursCache = new Map<string, Ours | null>();

function oursFor(address: string): Ours | null {
  let o = oursCache.get(address);
  if (o === undefined) {
    o = checkOurs(address);
    if (oursCache.size >= 64) oursCache.clear();
    oursCache.set(address, o);
  }
  return o;
}

/**
 * null where the full path refuses the address (not a literal of the family its colon gives it),
 * or where it is a zero address (which the full path takes in some cases: not worth matching).
 */
function checkOurs(address: string): Ours | null {
  if (typeof address !== 'string') return null;
  const ip6 = address.includes(':');
  const addrtype = ip6 ? 'IP6' : 'IP4';
  if (!(ip6 ? isIpv6Literal(address) : isIpv4Literal(address)) || isZeroAddress(addrtype, address)) return null;
  return { addrtype, conn: `IN ${addrtype} ${address}`, zeroConn: ip6 ? 'IN IP6 ::' : 'IN IP4 0.0.0.0', originTail: ` IN ${addrtype} ${address}` };
}

/**
 * The o= value as setOrigin writes it: username, sess-id, sess-version, addrtype and address
 * replaced, nettype and every run of blanks kept; null unless it has the 6 fields and a decimal
 * sess-version the parser demands.
 */
function originValue(text: string, start: number, end: number, sessId: string, version: string, ours: Ours, address: string): string | null {
  return commonOrigin(text, start, end, sessId, version, ours) ?? anyOrigin(text, start, end, sessId, version, ours, address);
}

/**
 * originValue for `<user> <id> <version> IN <addrtype> <address>`, single spaces, as nearly
 * every o= is written: fields found by the indexOf builtin (a character loop over the line cost
 * a fifth of regenerateDirect), the value joined from four pieces. null for any other spacing.
 */
function commonOrigin(text: string, start: number, end: number, sessId: string, version: string, ours: Ours): string | null {
  const s1 = text.indexOf(' ', start);
  const s2 = text.indexOf(' ', s1 + 1);
  const s3 = text.indexOf(' ', s2 + 1);
  const s4 = text.indexOf(' ', s3 + 1);
  const s5 = text.indexOf(' ', s4 + 1);
  const tab = text.indexOf('\t', start);
  const after = text.indexOf(' ', s5 + 1);
  // Fields non-empty (user, id, version, address), nettype IN, nothing after the address.
  if (s1 <= start || s2 <= s1 + 1 || s3 <= s2 + 1 || s4 !== s3 + 3 || s5 <= s4 + 1 || s5 >= end - 1) return null;
  if ((tab !== -1 && tab < end) || (after !== -1 && after < end)) return null;
  if (text.charCodeAt(s3 + 1) !== 0x49 || text.charCodeAt(s3 + 2) !== 0x4e) return null;
  for (let i = s2 + 1; i < s3; i++) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > 0x39) return null;
  }
  return 'sluice ' + sessId + ' ' + version + ours.originTail;
}

/** originValue for any spacing: SP/HTAB runs between fields kept as they were. */
function anyOrigin(text: string, start: number, end: number, sessId: string, version: string, ours: Ours, address: string): string | null {
  const u0 = skipBlanks(text, start, end);
  const u1 = skipToken(text, u0, end);
  const i0 = skipBlanks(text, u1, end);
  const i1 = skipToken(text, i0, end);
  const v0 = skipBlanks(text, i1, end);
  const v1 = skipToken(text, v0, end);
  const n0 = skipBlanks(text, v1, end);
  const n1 = skipToken(text, n0, end);
  const t0 = skipBlanks(text, n1, end);
  const t1 = skipToken(text, t0, end);
  const a0 = skipBlanks(text, t1, end);
  const a1 = skipToken(text, a0, end);
  // Six non-empty fields and nothing but blanks after the last.
  if (a0 === a1 || skipBlanks(text, a1, end) !== end || v0 === v1) return null;
  for (let i = v0; i < v1; i++) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > 0x39) return null;
  }
  return (
    text.slice(start, u0) + 'sluice' + text.slice(u1, i0) + sessId + text.slice(i1, v0) + version +
    text.slice(v1, t0) + ours.addrtype + text.slice(t1, a0) + address + text.slice(a1, end)
  );
}

/**
 * regenerate(parseSdp(text), origin, ourAddress, directTargets(signalledStreams(parsed)), false)
 * for the common SDP, by one scan of its text; null where it is not that common shape (the
 * caller then takes the full path), and wherever the full path would throw. `origin` is only read.
 *
 * The shape: `v=0`, `o=` (6 fields), `s=`, then at session level `t=`, `a=` and at most one
 * `c=`; then `m=` lines (port without /count) each followed by `a=` lines and at most one `c=`.
 * Every c= is `IN IP4|IP6 <literal>`; no a=rtcp and no a=ssrc anywhere. Line endings, a missing
 * final one and trailing blank lines are the parser's (kept as they were, new lines get the
 * first line's).
 *
 * What the full path writes for it, and so this: o= with our fields; the session c= set to our
 * address (0.0.0.0 or :: in our family when it was a zero address), or inserted after s= if
 * absent; per active stream, the port as a plain number and a media c= (inserted right after
 * m= when absent) of the party's own address, or our family's zero address for a zero one; a
 * disabled stream (port 0) keeps all but its port text. An active stream with no c= at either
 * level has no address to hand on: the full path refuses it (MediaRefused), so this is null.
 */
export function regenerateDirect(text: string, origin: OriginState, ourAddress: string): string | null {
  const n = text.length;
  if (n > SDP_LIMITS.maxBytes || !text.startsWith('v=0')) return null;

  // What setOrigin and setSessionAddress refuse, refused here.
  const sessId = origin.sessId;
  const version = String(origin.version);
  if (typeof sessId !== 'string' || !isDigitText(sessId) || !isDigitText(version)) return null;
  const ours = oursFor(ourAddress);
  if (ours === null) return null;
  const ourConn = ours.conn;
  const zeroConn = ours.zeroConn;

  // v=0 and the document's line ending (the first line's), which new lines get.
  let eol: string;
  let pos: number;
  if (text.charCodeAt(3) === LF) {
    eol = '\n';
    pos = 4;
  } else if (text.charCodeAt(3) === CR && text.charCodeAt(4) === LF) {
    eol = '\r\n';
    pos = 5;
  } else {
    return null;
  }

  // The output is the input with a few spans replaced: text[copied..] is not written yet.
  let out = '';
  let copied = 0;
  let lineNo = 1;
  let media = 0;
  /** The party's session c= value, and whether it is a zero address (hold). */
  let sessionConn: string | null = null;
  let sessionZero = false;
  /** State of the current level (session, then each stream). */
  let sawConn = false;
  let active = false;
  /** Where a c= goes when the level has none (after s=, after m=), and whether that line was the last, unterminated. */
  let insertAt = -1;
  let insertBare = false;

  while (pos < n) {
    lineNo++;
    const c0 = text.charCodeAt(pos);
    if (c0 === CR || c0 === LF) {
      // Blank lines: the parser's trailer at the very end (kept verbatim), its error elsewhere.
      if (!onlyLineBreaks(text, pos)) return null;
      break;
    }
    if (lineNo > SDP_LIMITS.maxLines) return null;
    const nl = text.indexOf('\n', pos);
    // c0 is neither CR nor LF, so a CR before the LF is this line's, as the parser reads it.
    const end = nl === -1 ? n : text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
    const next = nl === -1 ? n : nl + 1;
    if (end - pos < 2 || text.charCodeAt(pos + 1) !== EQ) return null;
    const vs = pos + 2;

    if (lineNo <= 3) {
      if (lineNo === 2) {
        if (c0 !== 0x6f) return null; // o=
        const value = originValue(text, vs, end, sessId, version, ours, ourAddress);
        if (value === null) return null;
        out = text.slice(0, vs) + value;
        copied = end;
      } else {
        if (c0 !== 0x73) return null; // s=: a new session c= goes after it (v, o, s are the only lines before)
        insertAt = next;
        insertBare = nl === -1;
      }
      pos = next;
      continue;
    }

    switch (c0) {
      case 0x61: {
        // a=; the first character tested inline: nearly every a= line is something else
        const a0 = text.charCodeAt(vs);
        if ((a0 === 0x72 || isBlank(a0)) && isRtcp(text, vs, end)) return null;
        if ((a0 === 0x73 || isBlank(a0)) && isSsrc(text, vs, end)) return null;
        break;
      }
      case 0x63: {
        // c=
        if (sawConn) return null;
        sawConn = true;
        const address = literalAddress(text, vs, end);
        if (address === null) return null;
        const zero = text.charCodeAt(vs + 5) === 0x34 ? address === '0.0.0.0' : isZeroAddress('IP6', address);
        let value: string | null = null;
        if (media === 0) {
          sessionConn = text.slice(vs, end);
          sessionZero = zero;
          value = zero ? zeroConn : ourConn;
        } else if (active && zero) {
          value = zeroConn;
        }
        // A non-zero media c= is written back as it was: the party's own address.
        if (value !== null) {
          out += text.slice(copied, vs) + value;
          copied = end;
        }
        break;
      }
      case 0x74: // t=
        if (media !== 0) return null;
        break;
      case 0x6d: {
        // m=: the level before it is complete
        if (!sawConn && (media === 0 || active)) {
          const value = media === 0 ? ourConn : streamConn(sessionConn, sessionZero, zeroConn);
          if (value === null) return null;
          out += insertion(text, copied, insertAt, insertBare, eol, value);
          copied = insertAt;
        }
        if (++media > SDP_LIMITS.maxMedia) return null;
        // <media> <port> <proto> <fmt>...: the port plain digits, at least one format.
        const ps = skipBlanks(text, skipToken(text, skipBlanks(text, vs, end), end), end);
        let pe = ps;
        let port = 0;
        while (pe < end) {
          const c = text.charCodeAt(pe);
          if (isBlank(c)) break;
          if (c < ZERO || c > 0x39) return null;
          port = port * 10 + (c - ZERO);
          pe++;
        }
        if (pe === ps || pe - ps > 10 || port > 65535) return null;
        const protoStart = skipBlanks(text, pe, end);
        if (protoStart === end || skipBlanks(text, skipToken(text, protoStart, end), end) === end) return null;
        // setMediaPort writes the number: leading zeros go.
        if (pe - ps > 1 && text.charCodeAt(ps) === ZERO) {
          out += text.slice(copied, ps) + String(port);
          copied = pe;
        }
        active = port !== 0;
        sawConn = false;
        insertAt = next;
        insertBare = nl === -1;
        break;
      }
      default:
        return null;
    }
    pos = next;
  }

  if (insertAt === -1) return null; // no s= line: v= and o= alone
  if (!sawConn && (media === 0 || active)) {
    const value = media === 0 ? ourConn : streamConn(sessionConn, sessionZero, zeroConn);
    if (value === null) return null;
    out += insertion(text, copied, insertAt, insertBare, eol, value);
    copied = insertAt;
  }
  return out + text.slice(copied);
}

/**
 * The c= the full path adds to a stream that has none: it reads the session c= after rewriting
 * it (zero stays zero, in our family), but takes the address from the party's own (so it is
 * written back as the party wrote it). Null with no session c= either: the full path refuses a
 * stream with no address at all.
 */
function streamConn(sessionConn: string | null, sessionZero: boolean, zeroConn: string): string | null {
  if (sessionConn === null) return null;
  return sessionZero ? zeroConn : sessionConn;
}

/**
 * The text up to `at`, then a new c= line there. Each line ends with its own ending or the
 * document's; the last one only if the original's last did: after an unterminated last line,
 * the new line goes after a document ending and itself gets none.
 */
function insertion(text: string, copied: number, at: number, bare: boolean, eol: string, value: string): string {
  return bare ? text.slice(copied, at) + eol + 'c=' + value : text.slice(copied, at) + 'c=' + value + eol;
}
