import { isIPv4, isIPv6, SocketAddress } from 'node:net';
import type { Backend } from './backend.js';
import { MediaError } from './errors.js';
import type { PortPool } from './port-pool.js';
import { BYTES, DROPPED, LAST_PACKET, MAX_ADDRESS_CHARS, PACKETS, RTCP_PACKETS, type SideIndex, type SlotTable } from './slots.js';
import type { MediaEndpoint, RemoteAddress, Side, SideStats } from './types.js';

/** One side of a stream as the main thread knows it: its realm's pool and its even port. */
export interface StreamSide {
  readonly pool: PortPool;
  readonly port: number;
}

/** What a stream needs from the relay that owns it. */
export interface StreamHost {
  readonly slots: SlotTable;
  /** Now, on the scale of the slot's time stamps. */
  stampNow(): number;
  /** A slot time stamp on the relay clock's scale. */
  toClock(stamp: number): number;
  onClose(stream: RelayStream): void;
}

/**
 * One relayed media stream (one m= line): party A ↔ side a's pair ↔ side b's pair ↔ party B.
 * The packets are forwarded by a backend (this thread or a worker, see forwarder.ts); this is
 * the main thread's handle on it. Everything here is synchronous: setRemote writes the stream's
 * shared slot (the forwarder applies it before its next packet), stats and idleMs read it.
 */
export class RelayStream {
  private closed = false;
  /** Taken at close: the slot is reused afterwards. */
  private final: { stats: [SideStats, SideStats]; activity: number } | null = null;

  /** @internal Streams are made by MediaRelay.open(). */
  constructor(
    readonly id: string,
    /** @internal */ readonly backend: Backend,
    /** @internal */ readonly slot: number,
    /** @internal */ readonly sides: readonly [StreamSide, StreamSide],
    private readonly host: StreamHost,
  ) {}

  /** The relay's endpoint that party `side` must send to (put in the SDP sent to that party). */
  local(side: Side): MediaEndpoint {
    const s = this.sides[sideIndex(side)];
    return { address: s.pool.advertise, rtpPort: s.port, rtcpPort: s.port + 1 };
  }

  /**
   * What party `side` signalled in its SDP. Re-opens latching for that side once: the next
   * acceptable packet (any source; strict: from the signalled IP) becomes the latch. Until then,
   * replies go to the signalled address, or to the old latch when the SDP is unchanged (refresh).
   * null, 0.0.0.0 or :: is hold: nothing is sent to that party (what it sends is still relayed).
   * A no-op once the stream is closed. Throws MediaError SLUICE_ERR_MEDIA_REMOTE (488) for an
   * address of the wrong family (or a host name) or a port outside 1-65535.
   *
   * Takes effect in the forwarding thread before the next packet it handles (the slot is shared
   * memory). Two calls for one side that land between two packets count as the last one alone.
   */
  setRemote(side: Side, remote: RemoteAddress | null): void {
    if (this.closed) return;
    const i = sideIndex(side);
    const slots = this.host.slots;
    if (remote === null || remote.address === '0.0.0.0' || remote.address === '::') {
      // The address stays: in strict mode the holder may still send (music on hold) from its IP.
      slots.writeRemote(this.slot, i, true, null, 0, 0);
    } else {
      const { address, rtpPort, rtcpPort } = remote;
      const family = this.sides[i].pool.family;
      if (family === 4 ? !isIPv4(address) : !isIPv6(address)) {
        throw new MediaError('SLUICE_ERR_MEDIA_REMOTE', `stream ${this.id} side ${side}: ${JSON.stringify(address)} is not an IPv${family} address`, 488);
      }
      if (!validPort(rtpPort) || (rtcpPort !== null && !validPort(rtcpPort))) {
        throw new MediaError('SLUICE_ERR_MEDIA_REMOTE', `stream ${this.id} side ${side}: bad port ${rtpPort}/${rtcpPort}`, 488);
      }
      // rinfo.address comes from inet_ntop; compare like with like (strict mode).
      const canonical = family === 6 ? new SocketAddress({ address, family: 'ipv6' }).address : address;
      if (canonical.length > MAX_ADDRESS_CHARS) {
        throw new MediaError('SLUICE_ERR_MEDIA_REMOTE', `stream ${this.id} side ${side}: address longer than ${MAX_ADDRESS_CHARS} characters`, 488);
      }
      // Without a=rtcp, RTCP is on RTP + 1 (RFC 3550 11); a mux side gets RTCP on its RTP port anyway.
      slots.writeRemote(this.slot, i, false, canonical, rtpPort, rtcpPort ?? (rtpPort === 65535 ? rtpPort : rtpPort + 1));
    }
    this.backend.wake(this.slot);
  }

  /**
   * What the relay received from party `side`. `dropped` counts what the relay refused itself;
   * once a side has latched, its socket is connected and the kernel refuses other sources
   * uncounted (see forwarder.ts). After close(): the figures at close.
   */
  stats(side: Side): SideStats {
    const i = sideIndex(side);
    if (this.final !== null) return { ...this.final.stats[i] };
    return this.read(i);
  }

  /** ms of clock time since the last RTP or RTCP packet from either party (or since open). */
  idleMs(): number {
    const activity = this.final?.activity ?? this.host.slots.f64[this.host.slots.activityIndex(this.slot)]!;
    return Math.max(0, this.host.stampNow() - activity);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the sockets and gives both pairs back to their pools. Idempotent. */
  close(): void {
    if (this.closed) return;
    const slots = this.host.slots;
    this.final = { stats: [this.read(0), this.read(1)], activity: slots.f64[slots.activityIndex(this.slot)]! };
    this.closed = true;
    this.host.onClose(this);
  }

  private read(i: SideIndex): SideStats {
    const slots = this.host.slots;
    const f = slots.f64;
    const b = slots.sideBase(this.slot, i);
    const last = f[b + LAST_PACKET]!;
    return {
      packets: f[b + PACKETS]!,
      bytes: f[b + BYTES]!,
      rtcpPackets: f[b + RTCP_PACKETS]!,
      lost: slots.lost(this.slot, i),
      dropped: f[b + DROPPED]!,
      lastPacketAt: Number.isNaN(last) ? null : this.host.toClock(last),
      latched: slots.readLatch(this.slot, i),
    };
  }
}

function sideIndex(side: Side): SideIndex {
  if (side === 'a') return 0;
  if (side === 'b') return 1;
  throw new MediaError('SLUICE_ERR_MEDIA_REMOTE', `side must be 'a' or 'b', got ${JSON.stringify(side)}`);
}

function validPort(p: number): boolean {
  return Number.isInteger(p) && p >= 1 && p <= 65535;
}
