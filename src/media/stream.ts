import type { RemoteInfo } from 'node:dgram';
import { isIPv4, isIPv6, SocketAddress } from 'node:net';
import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import { MediaError } from './errors.js';
import type { PortPair, PortPool } from './port-pool.js';
import { isMuxedRtcp, isVersion2, RTP_HEADER, rtpSeq, rtpSsrc, SeqTracker } from './rtp.js';
import type { MediaEndpoint, RemoteAddress, Side, SideStats } from './types.js';

/** One party's side of a stream: the relay's pair facing it, what it signalled, what it latched. */
export class Leg {
  // Signalled (setRemote). hold: the party asked for nothing (null or c=0.0.0.0); remoteAddr is
  // then the last address it signalled.
  hold = false;
  remoteAddr: string | null = null;
  remoteRtpPort = 0;
  remoteRtcpPort = 0;
  // Latches, one per local socket. open: the next acceptable source becomes the latch.
  rtpOpen = true;
  rtpAddr: string | null = null;
  rtpPort = 0;
  rtcpOpen = true;
  rtcpAddr: string | null = null;
  rtcpPort = 0;
  // Statistics of what the party sent.
  packets = 0;
  bytes = 0;
  rtcpPackets = 0;
  dropped = 0;
  lastPacketAt: number | null = null;
  readonly seq = new SeqTracker();

  constructor(
    readonly pool: PortPool,
    readonly pair: PortPair,
    readonly mux: boolean,
  ) {}
}

/** What a stream needs from the relay that owns it. */
export interface StreamContext {
  clock: Clock;
  logger: Logger;
  strict: boolean;
  /** True when the source is one of the relay's own sockets (never latched: it would loop). */
  isOwnSource(address: string, port: number): boolean;
  onClose(stream: RelayStream): void;
}

const RTCP_MIN = 4;

/**
 * One relayed media stream (one m= line): party A ↔ side a's pair ↔ side b's pair ↔ party B.
 * Packets are forwarded as received (same Buffer, no copy); only a few header bytes are read.
 */
export class RelayStream {
  private readonly legA: Leg;
  private readonly legB: Leg;
  private lastActivity: number;
  private closed = false;

  /** @internal Streams are made by MediaRelay.open(). */
  constructor(
    readonly id: string,
    a: Leg,
    b: Leg,
    private readonly ctx: StreamContext,
  ) {
    this.legA = a;
    this.legB = b;
    this.lastActivity = ctx.clock.now();
    a.pair.rtp.on('message', (msg, rinfo) => this.fromRtpPort(a, b, msg, rinfo));
    a.pair.rtcp.on('message', (msg, rinfo) => this.fromRtcpPort(a, b, msg, rinfo));
    b.pair.rtp.on('message', (msg, rinfo) => this.fromRtpPort(b, a, msg, rinfo));
    b.pair.rtcp.on('message', (msg, rinfo) => this.fromRtcpPort(b, a, msg, rinfo));
  }

  /** The relay's endpoint that party `side` must send to (put in the SDP sent to that party). */
  local(side: Side): MediaEndpoint {
    const leg = this.leg(side);
    return { address: leg.pool.advertise, rtpPort: leg.pair.port, rtcpPort: leg.pair.port + 1 };
  }

  /**
   * What party `side` signalled in its SDP. Re-opens latching for that side once: the next
   * acceptable packet (any source; strict: from the signalled IP) becomes the latch. Until then,
   * replies go to the signalled address, or to the old latch when the SDP is unchanged (refresh).
   * null, 0.0.0.0 or :: is hold: nothing is sent to that party (what it sends is still relayed).
   * A no-op once the stream is closed. Throws MediaError SLUICE_ERR_MEDIA_REMOTE (488) for an
   * address of the wrong family (or a host name) or a port outside 1-65535.
   */
  setRemote(side: Side, remote: RemoteAddress | null): void {
    if (this.closed) return;
    const leg = this.leg(side);
    const before = leg.hold ? null : leg.remoteAddr;
    const beforePorts = leg.remoteRtpPort * 65536 + leg.remoteRtcpPort;
    if (remote === null || remote.address === '0.0.0.0' || remote.address === '::') {
      // remoteAddr stays: in strict mode the holder may still send (music on hold) from its IP.
      leg.hold = true;
    } else {
      const { address, rtpPort, rtcpPort } = remote;
      const family = leg.pool.family;
      if (family === 4 ? !isIPv4(address) : !isIPv6(address)) {
        throw new MediaError('SLUICE_ERR_MEDIA_REMOTE', `stream ${this.id} side ${side}: ${JSON.stringify(address)} is not an IPv${family} address`, 488);
      }
      if (!validPort(rtpPort) || (rtcpPort !== null && !validPort(rtcpPort))) {
        throw new MediaError('SLUICE_ERR_MEDIA_REMOTE', `stream ${this.id} side ${side}: bad port ${rtpPort}/${rtcpPort}`, 488);
      }
      leg.hold = false;
      // rinfo.address comes from inet_ntop; compare like with like (strict mode).
      leg.remoteAddr = family === 6 ? new SocketAddress({ address, family: 'ipv6' }).address : address;
      leg.remoteRtpPort = rtpPort;
      // Without a=rtcp, RTCP is on RTP + 1 (RFC 3550 11); a mux side gets RTCP on its RTP port anyway.
      leg.remoteRtcpPort = rtcpPort ?? (rtpPort === 65535 ? rtpPort : rtpPort + 1);
    }
    // The same SDP again (a session refresh) keeps sending to the latched source meanwhile, so a
    // phone behind NAT loses nothing; a changed one means the old latch belongs to the old SDP.
    if (leg.hold || leg.remoteAddr !== before || leg.remoteRtpPort * 65536 + leg.remoteRtcpPort !== beforePorts) {
      leg.rtpAddr = null;
      leg.rtcpAddr = null;
    }
    leg.rtpOpen = true;
    leg.rtcpOpen = true;
  }

  /** What the relay received from party `side`. */
  stats(side: Side): SideStats {
    const leg = this.leg(side);
    return {
      packets: leg.packets,
      bytes: leg.bytes,
      rtcpPackets: leg.rtcpPackets,
      lost: leg.seq.lost,
      dropped: leg.dropped,
      lastPacketAt: leg.lastPacketAt,
      latched: leg.rtpAddr === null ? null : { address: leg.rtpAddr, port: leg.rtpPort },
    };
  }

  /** ms of clock time since the last RTP or RTCP packet from either party (or since open). */
  idleMs(): number {
    return this.ctx.clock.now() - this.lastActivity;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Releases both pairs back to their pools. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.legA.pool.release(this.legA.pair);
    this.legB.pool.release(this.legB.pair);
    this.ctx.onClose(this);
  }

  private leg(side: Side): Leg {
    if (side === 'a') return this.legA;
    if (side === 'b') return this.legB;
    throw new MediaError('SLUICE_ERR_MEDIA_REMOTE', `side must be 'a' or 'b', got ${JSON.stringify(side)}`);
  }

  // --- the per-packet path: no allocation, no copies ---

  private fromRtpPort(x: Leg, y: Leg, msg: Buffer, rinfo: RemoteInfo): void {
    if ((rinfo.port !== x.rtpPort || rinfo.address !== x.rtpAddr || x.rtpOpen) && !this.latchRtp(x, rinfo)) return;
    if (isVersion2(msg)) {
      // Demultiplexed on every side, not only mux ones: RTP never uses these types (RFC 5761 4).
      if (isMuxedRtcp(msg)) {
        x.rtcpPackets++;
        this.touch(x);
        this.toRtcp(y, msg);
        return;
      }
      if (msg.length >= RTP_HEADER) {
        x.packets++;
        x.bytes += msg.length;
        x.seq.add(rtpSeq(msg), rtpSsrc(msg));
        this.touch(x);
      }
    }
    // Not RTP (STUN, DTLS, ZRTP, runts): forwarded as it is, not counted.
    this.toRtp(y, msg);
  }

  private fromRtcpPort(x: Leg, y: Leg, msg: Buffer, rinfo: RemoteInfo): void {
    if ((rinfo.port !== x.rtcpPort || rinfo.address !== x.rtcpAddr || x.rtcpOpen) && !this.latchRtcp(x, rinfo)) return;
    if (isVersion2(msg) && msg.length >= RTCP_MIN) {
      x.rtcpPackets++;
      this.touch(x);
    }
    this.toRtcp(y, msg);
  }

  private toRtp(y: Leg, msg: Buffer): void {
    if (y.hold) return;
    if (y.rtpAddr !== null) send(y.pair, false, msg, y.rtpPort, y.rtpAddr);
    else if (y.remoteAddr !== null) send(y.pair, false, msg, y.remoteRtpPort, y.remoteAddr);
  }

  private toRtcp(y: Leg, msg: Buffer): void {
    if (y.mux) return this.toRtp(y, msg);
    if (y.hold) return;
    if (y.rtcpAddr !== null) send(y.pair, true, msg, y.rtcpPort, y.rtcpAddr);
    else if (y.remoteAddr !== null) send(y.pair, true, msg, y.remoteRtcpPort, y.remoteAddr);
  }

  private touch(x: Leg): void {
    const now = this.ctx.clock.now();
    x.lastPacketAt = now;
    this.lastActivity = now;
  }

  // --- latching: only reached for a source other than the latched one, or while re-opened ---

  private acceptable(x: Leg, rinfo: RemoteInfo): boolean {
    if (this.ctx.strict && rinfo.address !== x.remoteAddr) return false;
    return !this.ctx.isOwnSource(rinfo.address, rinfo.port);
  }

  private latchRtp(x: Leg, rinfo: RemoteInfo): boolean {
    if (!x.rtpOpen || !this.acceptable(x, rinfo)) {
      x.dropped++;
      return false;
    }
    x.rtpOpen = false;
    x.rtpAddr = rinfo.address;
    x.rtpPort = rinfo.port;
    this.logLatch(x, 'rtp', rinfo);
    return true;
  }

  private latchRtcp(x: Leg, rinfo: RemoteInfo): boolean {
    if (!x.rtcpOpen || !this.acceptable(x, rinfo)) {
      x.dropped++;
      return false;
    }
    x.rtcpOpen = false;
    x.rtcpAddr = rinfo.address;
    x.rtcpPort = rinfo.port;
    this.logLatch(x, 'rtcp', rinfo);
    return true;
  }

  private logLatch(x: Leg, kind: 'rtp' | 'rtcp', rinfo: RemoteInfo): void {
    const side = x === this.legA ? 'a' : 'b';
    this.ctx.logger.debug({ stream: this.id, side, kind, address: rinfo.address, port: rinfo.port, signalled: x.remoteAddr }, 'media latched');
  }
}

function validPort(p: number): boolean {
  return Number.isInteger(p) && p >= 1 && p <= 65535;
}

/** Sends without a callback: nothing is allocated per packet, and a failed send is a lost packet. */
function send(pair: PortPair, rtcp: boolean, msg: Buffer, port: number, address: string): void {
  try {
    (rtcp ? pair.rtcp : pair.rtp).send(msg, port, address);
  } catch {
    // Only a socket closed under us can throw here (addresses and ports were validated).
  }
}
