import { SystemClock, type Clock } from '../clock.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { MediaError } from './errors.js';
import { PortPool, type PortPair } from './port-pool.js';
import { Leg, RelayStream, type StreamContext } from './stream.js';
import type { RealmMedia, StreamSideSpec } from './types.js';

export interface MediaRelayOptions {
  realms: Record<string, RealmMedia>;
  /** Accept (latch) only sources whose IP is the one the party signalled. */
  strict?: boolean;
  clock?: Clock;
  logger?: Logger;
}

/**
 * The media relay of one process: a port pool per realm and the open streams. It knows no SIP
 * or SDP; the B2BUA opens a stream per anchored m= line and feeds it the parties' addresses.
 */
export class MediaRelay {
  private readonly pools = new Map<string, PortPool>();
  private readonly poolList: PortPool[];
  private readonly streams = new Map<string, RelayStream>();
  /** Ids being opened: a second open() of the same id must not race the first. */
  private readonly opening = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly ctx: StreamContext;
  private readonly logger: Logger;
  private closed = false;

  /** Throws MediaError SLUICE_ERR_MEDIA_CONFIG for a realm whose media section cannot work. */
  constructor(options: MediaRelayOptions) {
    // The composition root passes a module child already (moduleLogger); another would repeat the key.
    this.logger = options.logger ?? silentLogger;
    for (const [name, media] of Object.entries(options.realms)) this.pools.set(name, new PortPool(name, media, this.logger));
    this.poolList = [...this.pools.values()];
    const pools = this.poolList;
    this.ctx = {
      clock: options.clock ?? new SystemClock(),
      logger: this.logger,
      strict: options.strict ?? false,
      isOwnSource(address, port) {
        for (let i = 0; i < pools.length; i++) if (pools[i]!.isOwn(address, port)) return true;
        return false;
      },
      onClose: (stream) => {
        if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
      },
    };
  }

  /**
   * Opens one relayed stream: an even RTP port and the next odd RTCP port on side a's realm and
   * on side b's realm. Resolves null when either realm has no free pair; then nothing stays
   * allocated. Rejects with MediaError for an unknown realm (SLUICE_ERR_MEDIA_REALM), an id
   * already open (SLUICE_ERR_MEDIA_DUPLICATE) or a closed relay (SLUICE_ERR_MEDIA_CLOSED).
   */
  async open(id: string, a: StreamSideSpec, b: StreamSideSpec): Promise<RelayStream | null> {
    if (this.closed) throw new MediaError('SLUICE_ERR_MEDIA_CLOSED', 'media relay is closed', 503);
    const poolA = this.pool(a.realm);
    const poolB = this.pool(b.realm);
    if (this.streams.has(id) || this.opening.has(id)) throw new MediaError('SLUICE_ERR_MEDIA_DUPLICATE', `media stream ${JSON.stringify(id)} is already open`, 500);
    this.opening.add(id);
    const work = this.allocate(poolA, poolB);
    this.inFlight.add(work);
    let pairs: [PortPair, PortPair] | null;
    try {
      pairs = await work;
    } finally {
      this.inFlight.delete(work);
      this.opening.delete(id);
    }
    if (pairs === null) {
      this.logger.warn({ stream: id, realmA: a.realm, realmB: b.realm }, 'no free media port pair');
      return null;
    }
    if (this.closed) {
      poolA.release(pairs[0]);
      poolB.release(pairs[1]);
      throw new MediaError('SLUICE_ERR_MEDIA_CLOSED', 'media relay closed while the stream was opening', 503);
    }
    const stream = new RelayStream(id, new Leg(poolA, pairs[0], a.rtcpMux), new Leg(poolB, pairs[1], b.rtcpMux), this.ctx);
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

  /** Closes every stream and socket; opens still in progress release their ports as they finish. */
  async close(): Promise<void> {
    this.closed = true;
    // Bounded: each close() removes its stream from the map.
    for (const stream of [...this.streams.values()]) stream.close();
    await Promise.allSettled([...this.inFlight]);
  }

  private pool(realm: string): PortPool {
    const pool = this.pools.get(realm);
    if (pool === undefined) throw new MediaError('SLUICE_ERR_MEDIA_REALM', `no media realm ${JSON.stringify(realm)}`, 500);
    return pool;
  }

  /** Both pairs or neither: a's pair goes back when b's realm has none. */
  private async allocate(poolA: PortPool, poolB: PortPool): Promise<[PortPair, PortPair] | null> {
    const pa = await poolA.allocate();
    if (pa === null) return null;
    let pb: PortPair | null;
    try {
      pb = await poolB.allocate();
    } catch (err) {
      poolA.release(pa);
      throw err;
    }
    if (pb === null) {
      poolA.release(pa);
      return null;
    }
    return [pa, pb];
  }
}
