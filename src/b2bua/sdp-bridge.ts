/**
 * SDP regeneration for one leg (pure): what a party sent becomes what the far party sees, with
 * nothing of the sender's topology left. Each leg has its own o= line (our username, session id
 * and version, bumped on every change: RFC 3264 8), our media address in every c=, and each
 * stream's port replaced by the relay's (or by the far party's own, for direct media). ICE
 * lines are dropped when media is anchored, a=ssrc lines always (see ANCHOR_DROPS, DIRECT_DROPS).
 */
import {
  attributeName,
  effectiveConnection,
  getMediaConnections,
  getMediaLine,
  getRtcp,
  getSessionConnection,
  hasRtcpMux,
  isZeroAddress,
  parseSdp,
  serializeSdp,
  setMediaAddress,
  setMediaPort,
  setOrigin,
  setRtcp,
  setSessionAddress,
  type Sdp,
  type SdpLine,
} from '../sdp/index.js';

/**
 * The address type of an address that must be an IP literal (setOrigin and the c= writers refuse
 * anything else): a colon makes it IPv6. node:net's isIPv6 runs a long regular expression on
 * every call, twice or more per SDP.
 */
const addrTypeOf = (address: string): 'IP4' | 'IP6' => (address.includes(':') ? 'IP6' : 'IP4');

/** The o= state of one leg's SDP as we write it (kept in the leg record). */
export interface OriginState {
  sessId: string;
  version: number;
}

/** What one stream of the far party's SDP turns into on this leg. */
export type StreamTarget =
  /** Anchored: the relay's endpoint on this leg's side. */
  | { kind: 'relay'; address: string; rtpPort: number; rtcpPort: number }
  /** Direct media: the other party's own address (corrected by latching knowledge if any). */
  | { kind: 'direct'; address: string; rtpPort: number; rtcpPort: number | null }
  /** A disabled stream (port 0) stays disabled. */
  | { kind: 'disabled' };

/** What a party signalled for one stream: where it wants to receive. */
export interface SignalledStream {
  index: number;
  media: string;
  /** null: the stream is disabled (port 0). */
  port: number | null;
  address: string | null;
  /** c=0.0.0.0 (or ::): RFC 2543 hold. */
  zeroAddress: boolean;
  rtcpPort: number | null;
  rtcpMux: boolean;
}

/** The streams of an SDP, as the relay needs them. */
export function signalledStreams(sdp: Sdp): SignalledStream[] {
  return sdp.media.map((_m, index) => {
    const line = getMediaLine(sdp, index);
    const conn = effectiveConnection(sdp, index);
    const rtcp = getRtcp(sdp, index);
    const zero = conn !== null && isZeroAddress(conn.addrtype, conn.address);
    return {
      index,
      media: line.media,
      port: line.port === 0 ? null : line.port,
      address: conn === null || zero ? null : conn.address,
      zeroAddress: zero,
      rtcpPort: rtcp?.port ?? null,
      rtcpMux: hasRtcpMux(sdp, index),
    };
  });
}

/**
 * Dropped when media is anchored: ICE names the sender's addresses and would steer the far party
 * around the relay; a=ssrc carries a cname that phones fill with their Contact (baresip:
 * `cname:sip:bob-0x...@10.0.0.5:5060`), an address of the other side.
 */
const ANCHOR_DROPS = new Set(['candidate', 'ice-ufrag', 'ice-pwd', 'ice-options', 'ice-lite', 'remote-candidates', 'end-of-candidates', 'ssrc', 'ssrc-group']);

/**
 * Dropped with direct media: a=ssrc, for its cname (above), which is SIP topology, not media. ICE
 * stays: the parties' candidates are their media addresses, which direct media hands on anyway,
 * and the far party needs them to reach the other. a=ssrc is optional (RFC 5576): RTP carries the
 * SSRC itself.
 */
const DIRECT_DROPS = new Set(['ssrc', 'ssrc-group']);

/** Whether a line stays when media is anchored (see ANCHOR_DROPS). */
const kept = (l: SdpLine): boolean => l.type !== 'a' || !ANCHOR_DROPS.has(attributeName(l.value));

/** Whether a line stays with direct media (see DIRECT_DROPS). */
const keptDirect = (l: SdpLine): boolean => l.type !== 'a' || !DIRECT_DROPS.has(attributeName(l.value));

const DISABLED: StreamTarget = { kind: 'disabled' };

/**
 * The SDP the far party gets: what this party sent (text, or already parsed: it is changed in
 * place) with our origin, our address and the targets' ports. `targets[i]` is for stream i.
 */
export function regenerate(input: Sdp | string, origin: OriginState, ourAddress: string, targets: readonly StreamTarget[], anchored: boolean): string {
  const sdp = typeof input === 'string' ? parseSdp(input) : input;
  const addrtype = addrTypeOf(ourAddress);
  const zero = addrtype === 'IP6' ? '::' : '0.0.0.0';
  setOrigin(sdp, { username: 'sluice', sessId: origin.sessId, sessVersion: String(origin.version), addrtype, address: ourAddress });
  const session = getSessionConnection(sdp);
  setSessionAddress(sdp, { addrtype, address: session !== null && isZeroAddress(session.addrtype, session.address) ? zero : ourAddress });
  const keep = anchored ? kept : keptDirect;
  sdp.session = sdp.session.filter(keep);
  for (let i = 0; i < sdp.media.length; i++) {
    const m = sdp.media[i]!;
    const target = targets[i] ?? DISABLED;
    m.lines = m.lines.filter(keep);
    if (target.kind === 'disabled') {
      setMediaPort(sdp, i, 0);
      continue;
    }
    // The party's c= for the stream: its own, else the session's as it came (that one is ours by now).
    const own = getMediaConnections(sdp, i);
    const party = own.length > 0 ? own[0]! : session;
    const address = party !== null && isZeroAddress(party.addrtype, party.address) ? zero : target.address;
    // A domain name (direct media: the party's own) keeps the addrtype the party gave it; a literal's is its own.
    const spec = { addrtype: party !== null && !party.literal && address === party.address ? party.addrtype : addrTypeOf(address), address };
    setMediaAddress(sdp, i, spec);
    setMediaPort(sdp, i, target.rtpPort);
    if (getRtcp(sdp, i) !== null) setRtcp(sdp, i, target.rtcpPort === null ? null : { port: target.rtcpPort, address: spec });
  }
  return serializeSdp(sdp);
}

/**
 * A fresh origin for a leg: a random session id of 10-16 decimal digits (about 52 bits, as
 * RFC 4566 asks for a numeric id, suggesting an NTP timestamp), version 1. It is written as two
 * small integers, each of which V8 turns into text from its cache: a double of 52 bits took its
 * slow path, about 0.8% of the main thread's time at 4,000 calls/s (two per call).
 */
export function newOrigin(random: () => number): OriginState {
  const high = 1 + Math.floor(random() * 4_194_303); // 1 .. 2^22 - 1: no leading zero
  const low = Math.floor(random() * 1e9);
  return { sessId: `${high}${String(low).padStart(9, '0')}`, version: 1 };
}
