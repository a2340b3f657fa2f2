import type { RemoteInfo, Socket } from 'node:dgram';
import { isOwnSource, type PoolShape } from './port-pool.js';
import { isMuxedRtcp, isVersion2, RTP_HEADER, rtpSeq, rtpSsrc, SeqTracker } from './rtp.js';
import { bindPair, closePair, type PortPair } from './sockets.js';
import { BYTES, DROPPED, LAST_PACKET, PACKETS, RTCP_PACKETS, SEQ, type RemoteState, type SideIndex, type SlotTable } from './slots.js';

export interface ForwarderOptions {
  slots: SlotTable;
  /** The relay's pools (their `taken` arrays), to refuse latching the relay's own sockets. */
  pools: readonly PoolShape[];
  /** Accept (latch) only sources whose IP is the one the party signalled. */
  strict: boolean;
  /** Time stamps for lastPacketAt and idleness, on the scale the main thread reads them. */
  now: () => number;
  /** Logs through the owner: in a worker, posted to the main thread's logger. */
  log: (level: 'debug' | 'warn', fields: Record<string, unknown>, msg: string) => void;
  /** Latch events are logged only when the main logger shows debug (a message each otherwise). */
  debug: boolean;
}

const RTCP_MIN = 4;

/** What a forwarder keeps of what a side signalled (both forwarders' sides have these fields). */
export interface SignalledSide {
  /** The slot's generation last applied (see SlotTable.writeRemote). */
  gen: number;
  hold: boolean;
  remoteAddr: string | null;
  remoteRtpPort: number;
  remoteRtcpPort: number;
}

/**
 * Takes a new setRemote generation into `side`; true when its latches belong to the old SDP and
 * must go. The same SDP again (a session refresh) keeps sending to the latched source meanwhile,
 * so a phone behind NAT loses nothing; a changed one, or hold, means the old latch is stale.
 */
export function applySignalled(side: SignalledSide, r: RemoteState): boolean {
  side.gen = r.gen;
  const before = side.hold ? null : side.remoteAddr;
  const beforePorts = side.remoteRtpPort * 65536 + side.remoteRtcpPort;
  side.hold = r.hold;
  side.remoteAddr = r.address;
  side.remoteRtpPort = r.rtpPort;
  side.remoteRtcpPort = r.rtcpPort;
  return side.hold || side.remoteAddr !== before || side.remoteRtpPort * 65536 + side.remoteRtcpPort !== beforePorts;
}

/**
 * Whether a new source may latch a side (both forwarders ask it): in strict mode only from the
 * address the side signalled, and never from one of the relay's own ports.
 */
export function mayLatch(o: Pick<ForwarderOptions, 'strict' | 'pools'>, side: SignalledSide, address: string, port: number): boolean {
  if (o.strict && address !== side.remoteAddr) return false;
  return !isOwnSource(o.pools, address, port);
}

/** What a forwarding thread runs: this file's Forwarder (node:dgram) or the NativeForwarder (the addon in native/). */
export interface PacketForwarder {
  readonly size: number;
  /** Binds side `side`'s pair of `slot` at exactly `port`; resolves the bind error, if any. */
  bindSide(slot: number, side: SideIndex, address: string, family: 4 | 6, port: number): Promise<Error | null>;
  /** Starts forwarding for a slot whose two sides are bound; applies what setRemote wrote so far. */
  start(slot: number, id: string, muxA: boolean, muxB: boolean): void;
  /** setRemote wrote to the slot. */
  wake(slot: number): void;
  /** Closes the slot's sockets (started or still pending), at once. Idempotent. */
  close(slot: number): void;
  closeAll(): void;
}

/** One party's side as the forwarding thread sees it: its sockets, what it signalled, what it latched. */
class Leg implements SignalledSide {
  // Signalled (applied from the slot). hold: nothing is sent to the party; remoteAddr is then the
  // last address it signalled. gen: the slot's generation last applied.
  gen = 0;
  hold = false;
  remoteAddr: string | null = null;
  remoteRtpPort = 0;
  remoteRtcpPort = 0;
  // Latches, one per local socket. open: the next acceptable source becomes the latch. connected:
  // the socket is connect()ed to the latch (see latch()).
  rtpOpen = true;
  rtpAddr: string | null = null;
  rtpPort = 0;
  rtpConnected = false;
  rtcpOpen = true;
  rtcpAddr: string | null = null;
  rtcpPort = 0;
  rtcpConnected = false;
  readonly seq: SeqTracker;

  constructor(
    readonly side: SideIndex,
    readonly pair: PortPair,
    readonly mux: boolean,
    /** Float64 index of this side's counters in the slot table. */
    readonly base: number,
    f64: Float64Array,
  ) {
    this.seq = new SeqTracker(f64, base + SEQ);
  }
}

/** One stream in the forwarding thread: party A ↔ side a's pair ↔ side b's pair ↔ party B. */
class Flow {
  /** The slot's remote lock value last applied (see SlotTable.writeRemote). */
  seen = -1;

  constructor(
    readonly id: string,
    readonly slot: number,
    readonly a: Leg,
    readonly b: Leg,
    readonly lockIndex: number,
    readonly activityIndex: number,
  ) {}
}

/**
 * Owns the sockets of the streams given to one thread (the main thread, or one worker) and
 * forwards their packets: as received (same Buffer, no copy), reading a few header bytes in
 * place, counting into the stream's slot. No allocation per packet on the forwarding path.
 *
 * Once a side has latched, its socket is connect()ed to the latched source: send() then skips
 * the address argument and the kernel's per-packet route lookup, and the kernel itself refuses
 * datagrams from anyone else (they cost no user-space work; they are not counted as dropped).
 * Re-opening the latch (setRemote) disconnects it. Node 20's dgram offers no recvmmsg/sendmmsg
 * (libuv reads one datagram per recvmsg) and no SO_REUSEPORT: batching is not available from JS,
 * so throughput comes from spreading streams over worker threads.
 */
export class Forwarder implements PacketForwarder {
  private readonly flows = new Map<number, Flow>();
  /** Pairs bound for slots whose stream has not started yet. */
  private readonly bound = new Map<number, [PortPair | null, PortPair | null]>();
  private readonly f64: Float64Array;
  private readonly i32: Int32Array;
  private readonly scratch: [RemoteState, RemoteState] = [emptyRemote(), emptyRemote()];

  constructor(private readonly o: ForwarderOptions) {
    this.f64 = o.slots.f64;
    this.i32 = o.slots.i32;
  }

  get size(): number {
    return this.flows.size;
  }

  /** Binds side `side`'s pair of `slot` at exactly `port`; resolves the bind error, if any. */
  async bindSide(slot: number, side: SideIndex, address: string, family: 4 | 6, port: number): Promise<Error | null> {
    const pair = await bindPair(address, family, port, (err, p) => this.socketError(slot, p, err));
    if (pair instanceof Error) return pair;
    let pending = this.bound.get(slot);
    if (pending === undefined) this.bound.set(slot, (pending = [null, null]));
    if (pending[side] !== null) closePair(pending[side]);
    pending[side] = pair;
    return null;
  }

  /** Starts forwarding for a slot whose two sides are bound; applies what setRemote wrote so far. */
  start(slot: number, id: string, muxA: boolean, muxB: boolean): void {
    const pending = this.bound.get(slot);
    this.bound.delete(slot);
    if (pending === undefined || pending[0] === null || pending[1] === null) {
      if (pending !== undefined) for (const p of pending) if (p !== null) closePair(p);
      this.o.log('warn', { stream: id, slot }, 'media stream started without both sides bound');
      return;
    }
    const s = this.o.slots;
    const a = new Leg(0, pending[0], muxA, s.sideBase(slot, 0), this.f64);
    const b = new Leg(1, pending[1], muxB, s.sideBase(slot, 1), this.f64);
    const f = new Flow(id, slot, a, b, s.remoteLockIndex(slot), s.activityIndex(slot));
    // One closure per socket, made once: the per-packet path allocates nothing of its own.
    a.pair.rtp.on('message', (msg, rinfo) => this.fromRtpPort(f, a, b, msg, rinfo));
    a.pair.rtcp.on('message', (msg, rinfo) => this.fromRtcpPort(f, a, b, msg, rinfo));
    b.pair.rtp.on('message', (msg, rinfo) => this.fromRtpPort(f, b, a, msg, rinfo));
    b.pair.rtcp.on('message', (msg, rinfo) => this.fromRtcpPort(f, b, a, msg, rinfo));
    this.flows.set(slot, f);
    this.apply(f);
  }

  /** setRemote wrote to the slot: apply it now (packets would also apply it, but a connected socket may hear none). */
  wake(slot: number): void {
    const f = this.flows.get(slot);
    if (f !== undefined) this.apply(f);
  }

  /** Closes the slot's sockets (started or still pending). Idempotent. */
  close(slot: number): void {
    const f = this.flows.get(slot);
    if (f !== undefined) {
      this.flows.delete(slot);
      closePair(f.a.pair);
      closePair(f.b.pair);
    }
    const pending = this.bound.get(slot);
    if (pending !== undefined) {
      this.bound.delete(slot);
      for (const p of pending) if (p !== null) closePair(p);
    }
  }

  closeAll(): void {
    for (const slot of [...this.flows.keys(), ...this.bound.keys()]) this.close(slot);
  }

  // --- setRemote, applied in this thread ---

  private apply(f: Flow): void {
    const v = this.o.slots.readRemote(f.slot, this.scratch);
    // Being written right now: the writer's wake (or the next packet) applies it.
    if (v === null) return;
    f.seen = v;
    this.applySide(f, f.a, this.scratch[0]);
    this.applySide(f, f.b, this.scratch[1]);
  }

  private applySide(f: Flow, leg: Leg, r: RemoteState): void {
    if (r.gen === leg.gen) return;
    if (applySignalled(leg, r)) {
      leg.rtpAddr = null;
      leg.rtcpAddr = null;
      this.o.slots.writeLatch(f.slot, leg.side, null, 0);
    }
    leg.rtpOpen = true;
    leg.rtcpOpen = true;
    // A connected socket would hear only the old source: the next acceptable one must get through.
    leg.rtpConnected = disconnect(leg.pair.rtp, leg.rtpConnected);
    leg.rtcpConnected = disconnect(leg.pair.rtcp, leg.rtcpConnected);
  }

  // --- the per-packet path: no allocation, no copies ---

  private fromRtpPort(f: Flow, x: Leg, y: Leg, msg: Buffer, rinfo: RemoteInfo): void {
    // A plain read (Atomics.load is a call here): at worst stale, and then the wake applies it.
    if (this.i32[f.lockIndex] !== f.seen) this.apply(f);
    if ((rinfo.port !== x.rtpPort || rinfo.address !== x.rtpAddr || x.rtpOpen) && !this.latchRtp(f, x, rinfo)) return;
    const s = this.f64;
    if (isVersion2(msg)) {
      // Demultiplexed on every side, not only mux ones: RTP never uses these types (RFC 5761 4).
      if (isMuxedRtcp(msg)) {
        s[x.base + RTCP_PACKETS] = s[x.base + RTCP_PACKETS]! + 1;
        this.touch(f, x);
        this.toRtcp(y, msg);
        return;
      }
      if (msg.length >= RTP_HEADER) {
        s[x.base + PACKETS] = s[x.base + PACKETS]! + 1;
        s[x.base + BYTES] = s[x.base + BYTES]! + msg.length;
        x.seq.add(rtpSeq(msg), rtpSsrc(msg));
        this.touch(f, x);
      }
    }
    // Not RTP (STUN, DTLS, ZRTP, runts): forwarded as it is, not counted.
    this.toRtp(y, msg);
  }

  private fromRtcpPort(f: Flow, x: Leg, y: Leg, msg: Buffer, rinfo: RemoteInfo): void {
    if (this.i32[f.lockIndex] !== f.seen) this.apply(f);
    if ((rinfo.port !== x.rtcpPort || rinfo.address !== x.rtcpAddr || x.rtcpOpen) && !this.latchRtcp(f, x, rinfo)) return;
    if (isVersion2(msg) && msg.length >= RTCP_MIN) {
      this.f64[x.base + RTCP_PACKETS] = this.f64[x.base + RTCP_PACKETS]! + 1;
      this.touch(f, x);
    }
    this.toRtcp(y, msg);
  }

  private toRtp(y: Leg, msg: Buffer): void {
    if (y.hold) return;
    if (y.rtpConnected) sendConnected(y.pair.rtp, msg);
    else if (y.rtpAddr !== null) send(y.pair.rtp, msg, y.rtpPort, y.rtpAddr);
    else if (y.remoteAddr !== null) send(y.pair.rtp, msg, y.remoteRtpPort, y.remoteAddr);
  }

  private toRtcp(y: Leg, msg: Buffer): void {
    if (y.mux) return this.toRtp(y, msg);
    if (y.hold) return;
    if (y.rtcpConnected) sendConnected(y.pair.rtcp, msg);
    else if (y.rtcpAddr !== null) send(y.pair.rtcp, msg, y.rtcpPort, y.rtcpAddr);
    else if (y.remoteAddr !== null) send(y.pair.rtcp, msg, y.remoteRtcpPort, y.remoteAddr);
  }

  private touch(f: Flow, x: Leg): void {
    const now = this.o.now();
    this.f64[x.base + LAST_PACKET] = now;
    this.f64[f.activityIndex] = now;
  }

  // --- latching: only reached for a source other than the latched one, or while re-opened ---

  private latchRtp(f: Flow, x: Leg, rinfo: RemoteInfo): boolean {
    if (!x.rtpOpen || !mayLatch(this.o, x, rinfo.address, rinfo.port)) {
      this.f64[x.base + DROPPED] = this.f64[x.base + DROPPED]! + 1;
      return false;
    }
    x.rtpOpen = false;
    x.rtpAddr = rinfo.address;
    x.rtpPort = rinfo.port;
    this.o.slots.writeLatch(f.slot, x.side, rinfo.address, rinfo.port);
    x.rtpConnected = connect(x.pair.rtp, x.rtpConnected, rinfo);
    this.logLatch(f, x, 'rtp', rinfo);
    return true;
  }

  private latchRtcp(f: Flow, x: Leg, rinfo: RemoteInfo): boolean {
    if (!x.rtcpOpen || !mayLatch(this.o, x, rinfo.address, rinfo.port)) {
      this.f64[x.base + DROPPED] = this.f64[x.base + DROPPED]! + 1;
      return false;
    }
    x.rtcpOpen = false;
    x.rtcpAddr = rinfo.address;
    x.rtcpPort = rinfo.port;
    x.rtcpConnected = connect(x.pair.rtcp, x.rtcpConnected, rinfo);
    this.logLatch(f, x, 'rtcp', rinfo);
    return true;
  }

  private logLatch(f: Flow, x: Leg, kind: 'rtp' | 'rtcp', rinfo: RemoteInfo): void {
    if (!this.o.debug) return;
    this.o.log('debug', { stream: f.id, side: x.side === 0 ? 'a' : 'b', kind, address: rinfo.address, port: rinfo.port, signalled: x.remoteAddr }, 'media latched');
  }

  private socketError(slot: number, port: number, err: Error): void {
    // A connected socket hears the ICMP "port unreachable" of a party that went away: routine.
    if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
      if (this.o.debug) this.o.log('debug', { slot, port, code: 'ECONNREFUSED' }, 'media peer unreachable');
      return;
    }
    this.o.log('warn', { slot, port, err: String(err) }, 'media socket error');
  }
}

function emptyRemote(): RemoteState {
  return { gen: 0, hold: false, address: null, rtpPort: 0, rtcpPort: 0 };
}

/**
 * connect() with the literal lookup completes synchronously; remoteAddress() confirms it, so a
 * failed connect leaves the side sending with an address rather than not at all.
 */
function connect(socket: Socket, connected: boolean, rinfo: RemoteInfo): boolean {
  disconnect(socket, connected);
  try {
    socket.connect(rinfo.port, rinfo.address);
    socket.remoteAddress();
    return true;
  } catch {
    return false;
  }
}

function disconnect(socket: Socket, connected: boolean): false {
  if (connected) {
    try {
      socket.disconnect();
    } catch {
      // Closed, or never connected after all.
    }
  }
  return false;
}

/** Sends without a callback: nothing is allocated for it, and a failed send is a lost packet. */
function send(socket: Socket, msg: Buffer, port: number, address: string): void {
  try {
    socket.send(msg, port, address);
  } catch {
    // Only a socket closed under us can throw here (addresses and ports were validated).
  }
}

function sendConnected(socket: Socket, msg: Buffer): void {
  try {
    socket.send(msg);
  } catch {
    // Closed under us.
  }
}
