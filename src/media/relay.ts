import { BoxedMap } from '../boxed-map.js';
import { SystemClock, type Clock } from '../clock.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { LocalBackend, type Backend } from './backend.js';
import { MediaError } from './errors.js';
import type { ForwarderOptions } from './forwarder.js';
import { forwarderFor } from './native-forwarder.js';
import { loadNativeRelay } from './native.js';
import { PortPool } from './port-pool.js';
import { SlotTable, type SideIndex } from './slots.js';
import { RelayStream, type StreamHost } from './stream.js';
import type { RealmMedia, StreamSideSpec } from './types.js';
import { monotonicOffsetMs, WorkerBackend, type WorkerInit } from './worker-host.js';

export interface MediaRelayOptions {
  realms: Record<string, RealmMedia>;
  /** Accept (latch) only sources whose IP is the one the party signalled. */
  strict?: boolean;
  clock?: Clock;
  logger?: Logger;
  /**
   * Worker threads that forward packets, each owning the sockets of the streams placed on it
   * (the least loaded, round-robin among equals), so every core forwards. 0 (the default):
   * forwarding in this thread. With workers, packet times are real time, mapped onto `clock`
   * when read: a worker cannot follow an injected (fake) clock, so such tests use 0.
   */
  workers?: number;
  /**
   * Forward with the native addon (native/: recvmmsg/sendmmsg, no JavaScript per packet)
   * when it was built; false, or no addon, forwards through node:dgram. Default true. In-thread
   * (workers: 0) with an injected clock other than SystemClock, node:dgram: only the JS
   * forwarder stamps packets on such a clock.
   */
  native?: boolean;
}

const MAX_WORKERS = 64;
const SLOT_SLACK = 256;
/** A worker that died this many times within RESTART_WINDOW_MS is not started again. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

/**
 * The media relay of one process: a port pool per realm and the open streams. It knows no SIP
 * or SDP; the B2BUA opens a stream per anchored m= line and feeds it the parties' addresses.
 * Port numbers, slots and streams are the main thread's; sockets are the backends'.
 */
export class MediaRelay {
  private readonly pools = new Map<string, PortPool>();
  private readonly streams = new BoxedMap<string, RelayStream>();
  /** Ids being opened: a second open() of the same id must not race the first. */
  private readonly opening = new Set<string>();
  /** Opens and closes under way, awaited by close(). */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Ports whose sockets a backend is still closing: a new bind there waits for it. */
  private readonly busy = new Map<string, Promise<void>>();
  private readonly slots: SlotTable;
  private readonly freeSlots: number[] = [];
  private readonly backends: Backend[] = [];
  private readonly restarts: number[][] = [];
  private readonly host: StreamHost;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly strict: boolean;
  /** How packets are read and sent: by the native addon or through node:dgram. */
  readonly io: 'native' | 'dgram';
  private next = 0;
  private closed = false;

  /** Throws MediaError SLUICE_ERR_MEDIA_CONFIG for a realm whose media section cannot work, or a bad worker count. */
  constructor(options: MediaRelayOptions) {
    // The composition root passes a module child already (moduleLogger); another would repeat the key.
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? new SystemClock();
    this.strict = options.strict ?? false;
    const workers = options.workers ?? 0;
    if (!Number.isInteger(workers) || workers < 0 || workers > MAX_WORKERS) {
      throw new MediaError('SLUICE_ERR_MEDIA_CONFIG', `media workers must be an integer 0-${MAX_WORKERS}, got ${workers}`, 500);
    }
    const shared = workers > 0;
    // In this thread the addon stamps packets on the monotonic clock: right for the real clock,
    // not for an injected one (tests' FakeClock), which only the JS forwarder follows.
    const realClock = options.clock === undefined || options.clock instanceof SystemClock;
    this.io = 'dgram';
    let native: ReturnType<typeof loadNativeRelay> | null = null;
    if ((shared || realClock) && options.native !== false) {
      native = loadNativeRelay();
      if (native instanceof Error) this.logger.warn({ err: native.message }, 'native media I/O unavailable; media is forwarded through node:dgram');
      else this.io = 'native';
    }
    let pairs = 0;
    for (const [name, media] of Object.entries(options.realms)) {
      const pool = new PortPool(name, media, this.logger, shared);
      this.pools.set(name, pool);
      pairs += pool.pairs;
    }
    // A stream holds two pairs; the slack covers streams whose backend has not yet confirmed
    // their close (a slot is reused only then).
    this.slots = SlotTable.create(Math.floor(pairs / 2) + SLOT_SLACK, shared);
    for (let i = this.slots.capacity - 1; i >= 0; i--) this.freeSlots.push(i);
    const clock = this.clock;
    this.host = shared
      ? {
          slots: this.slots,
          stampNow: () => performance.now(),
          toClock: (t) => t + (clock.now() - performance.now()),
          onClose: (s) => this.onStreamClose(s),
        }
      : { slots: this.slots, stampNow: () => clock.now(), toClock: (t) => t, onClose: (s) => this.onStreamClose(s) };
    if (!shared) {
      const log = this.logger;
      const fo: ForwarderOptions = { slots: this.slots, pools: [...this.pools.values()], strict: this.strict, now: () => clock.now(), debug: debugOn(log), log: (level, fields, msg) => log[level](fields, msg) };
      // performance.now() is the real clock's now(): the addon's stamps land on its scale.
      this.backends.push(new LocalBackend(forwarderFor(native, fo, monotonicOffsetMs())));
    }
    for (let i = 0; i < workers; i++) {
      this.restarts.push([]);
      this.backends.push(this.spawn(i));
    }
  }

  /**
   * Opens one relayed stream: an even RTP port and the next odd RTCP port on side a's realm and
   * on side b's realm, bound by the backend that will forward it. Resolves null when either realm
   * has no free pair; then nothing stays allocated. Rejects with MediaError for an unknown realm
   * (SLUICE_ERR_MEDIA_REALM), an id already open (SLUICE_ERR_MEDIA_DUPLICATE), a closed relay
   * (SLUICE_ERR_MEDIA_CLOSED) or no running worker (SLUICE_ERR_MEDIA_WORKER).
   */
  async open(id: string, a: StreamSideSpec, b: StreamSideSpec): Promise<RelayStream | null> {
    if (this.closed) throw new MediaError('SLUICE_ERR_MEDIA_CLOSED', 'media relay is closed', 503);
    const poolA = this.pool(a.realm);
    const poolB = this.pool(b.realm);
    if (this.streams.has(id) || this.opening.has(id)) throw new MediaError('SLUICE_ERR_MEDIA_DUPLICATE', `media stream ${JSON.stringify(id)} is already open`, 500);
    const backend = this.pick();
    if (backend === null) throw new MediaError('SLUICE_ERR_MEDIA_WORKER', 'no media worker is running', 503);
    const slot = this.freeSlots.pop();
    if (slot === undefined) {
      this.logger.warn({ stream: id }, 'no free media stream slot');
      return null;
    }
    this.opening.add(id);
    const work = this.bindBoth(backend, slot, poolA, poolB);
    this.inFlight.add(work);
    let ports: [number, number] | null;
    try {
      ports = await work;
    } catch (err) {
      this.freeSlot(slot, backend.close(slot));
      throw err;
    } finally {
      this.inFlight.delete(work);
      this.opening.delete(id);
    }
    if (ports === null) {
      this.freeSlot(slot, Promise.resolve());
      this.logger.warn({ stream: id, realmA: a.realm, realmB: b.realm }, 'no free media port pair');
      return null;
    }
    if (this.closed || !backend.alive) {
      const done = backend.close(slot);
      this.release(poolA, ports[0], done);
      this.release(poolB, ports[1], done);
      this.freeSlot(slot, done);
      if (this.closed) throw new MediaError('SLUICE_ERR_MEDIA_CLOSED', 'media relay closed while the stream was opening', 503);
      throw new MediaError('SLUICE_ERR_MEDIA_WORKER', 'media worker died while the stream was opening', 503);
    }
    this.slots.reset(slot, this.host.stampNow());
    backend.start(slot, id, a.rtcpMux, b.rtcpMux);
    const stream = new RelayStream(id, backend, slot, [{ pool: poolA, port: ports[0] }, { pool: poolB, port: ports[1] }], this.host);
    this.streams.set(id, stream);
    return stream;
  }

  /** Free and used pairs per realm. */
  poolStats(): Record<string, { free: number; used: number }> {
    const out: Record<string, { free: number; used: number }> = {};
    for (const [name, pool] of this.pools) out[name] = { free: pool.free, used: pool.inUse };
    return out;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** An open stream by id (undefined once closed). */
  stream(id: string): RelayStream | undefined {
    return this.streams.get(id);
  }

  /**
   * Resolves once every backend has applied what was asked of it so far. setRemote takes effect
   * for the next packet a worker handles; but a socket connected to the old latch hears no new
   * source until the worker has re-opened it, and a test that sends from one at once awaits this.
   */
  async sync(): Promise<void> {
    await Promise.all(this.backends.map((b) => b.sync()));
  }

  /** Streams per backend (one entry in-thread, one per worker), for placement checks and metrics. */
  get load(): number[] {
    return this.backends.map((b) => (b.alive ? b.load : 0));
  }

  /** The worker threads (empty in-thread), for tests that kill one. @internal */
  get threads(): readonly WorkerBackend[] {
    return this.backends.filter((b): b is WorkerBackend => b instanceof WorkerBackend);
  }

  /**
   * Closes every stream and socket and ends the workers; opens still in progress release their
   * ports as they finish. Resolves when every port can be bound again.
   */
  async close(): Promise<void> {
    this.closed = true;
    // Bounded: each close() removes its stream from the map.
    for (const stream of [...this.streams.values()]) stream.close();
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled([...this.busy.values()]);
    await Promise.allSettled(this.backends.map((b) => b.terminate()));
  }

  private pool(realm: string): PortPool {
    const pool = this.pools.get(realm);
    if (pool === undefined) throw new MediaError('SLUICE_ERR_MEDIA_REALM', `no media realm ${JSON.stringify(realm)}`, 500);
    return pool;
  }

  /** The live backend with the fewest streams, starting the search after the last one picked. */
  private pick(): Backend | null {
    let best: Backend | null = null;
    const n = this.backends.length;
    for (let k = 0; k < n; k++) {
      const b = this.backends[(this.next + k) % n]!;
      if (b.alive && (best === null || b.load < best.load)) best = b;
    }
    if (best !== null) this.next = (this.backends.indexOf(best) + 1) % n;
    return best;
  }

  /** Both pairs or neither: a's pair goes back when b's realm has none (or the backend died). */
  private async bindBoth(backend: Backend, slot: number, poolA: PortPool, poolB: PortPool): Promise<[number, number] | null> {
    const pa = await poolA.allocate((port) => this.bindAt(backend, slot, 0, poolA, port));
    if (pa === null) return null;
    let pb: number | null;
    try {
      pb = await poolB.allocate((port) => this.bindAt(backend, slot, 1, poolB, port));
    } catch (err) {
      this.release(poolA, pa, backend.close(slot));
      throw err;
    }
    if (pb === null) {
      const done = backend.close(slot);
      this.release(poolA, pa, done);
      await done;
      return null;
    }
    return [pa, pb];
  }

  private async bindAt(backend: Backend, slot: number, side: SideIndex, pool: PortPool, port: number): Promise<Error | null> {
    const busy = this.busy.get(`${pool.realm}:${port}`);
    if (busy !== undefined) await busy;
    return backend.bindSide(slot, side, pool.address, pool.family, port);
  }

  /** The pair counts as free at once; a bind on it waits until its old sockets are closed. */
  private release(pool: PortPool, port: number, done: Promise<void>): void {
    pool.release(port);
    const key = `${pool.realm}:${port}`;
    this.busy.set(key, done);
    void done.then(() => {
      if (this.busy.get(key) === done) this.busy.delete(key);
    });
  }

  /** The slot is reused only once its old sockets are closed (no late write from the old stream). */
  private freeSlot(slot: number, done: Promise<void>): void {
    this.inFlight.add(done);
    void done.then(() => {
      this.inFlight.delete(done);
      this.freeSlots.push(slot);
    });
  }

  private onStreamClose(stream: RelayStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    const done = stream.backend.close(stream.slot);
    this.release(stream.sides[0].pool, stream.sides[0].port, done);
    this.release(stream.sides[1].pool, stream.sides[1].port, done);
    this.freeSlot(stream.slot, done);
  }

  private spawn(index: number): WorkerBackend {
    const init: WorkerInit = {
      slots: this.slots.buffer as SharedArrayBuffer,
      capacity: this.slots.capacity,
      pools: [...this.pools.values()].map((p) => ({ first: p.first, pairs: p.pairs, address: p.address, wildcard: p.wildcard, taken: p.taken.buffer as SharedArrayBuffer })),
      strict: this.strict,
      debug: debugOn(this.logger),
      mainOffsetMs: monotonicOffsetMs(),
      native: this.io === 'native',
    };
    return new WorkerBackend(index, init, this.logger, (dead, reason) => this.died(dead, reason));
  }

  /** A worker died: its sockets are gone, so are its streams (their stats stay readable). */
  private died(dead: WorkerBackend, reason: string): void {
    let lost = 0;
    for (const s of [...this.streams.values()]) {
      if (s.backend !== dead) continue;
      s.close();
      lost++;
    }
    const times = this.restarts[dead.index]!;
    const now = performance.now();
    while (times.length > 0 && now - times[0]! > RESTART_WINDOW_MS) times.shift();
    const restart = !this.closed && times.length < MAX_RESTARTS;
    this.logger.error({ worker: dead.index, reason, streamsClosed: lost, restart }, 'media worker died; its streams are closed');
    if (!restart) return;
    times.push(now);
    this.backends[this.backends.indexOf(dead)] = this.spawn(dead.index);
  }
}

function debugOn(logger: Logger): boolean {
  return typeof logger.isLevelEnabled === 'function' && logger.isLevelEnabled('debug');
}
