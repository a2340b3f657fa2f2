import { isIP } from 'node:net';
import type { Logger } from '../observability/logger.js';
import { MediaError } from './errors.js';
import type { RealmMedia } from './types.js';

/** Errors that say "this port is taken", as opposed to "nothing on this address can be bound". */
const PORT_SPECIFIC = new Set(['EADDRINUSE', 'EACCES']);

/**
 * The RTP/RTCP port numbers of one realm; whoever forwards (this thread or a worker) binds the
 * sockets through allocate()'s callback. Even ports are handed out least-recently-released first (a
 * ring), so a port just freed is not reused at once while late packets of the old call may still
 * arrive. A port someone else holds is skipped and put back at the end of the ring.
 */
export class PortPool implements PoolShape {
  readonly family: 4 | 6;
  readonly address: string;
  readonly advertise: string;
  /** The first even port and the number of pairs. */
  readonly first: number;
  readonly pairs: number;
  private readonly ring: Int32Array;
  private head = 0;
  private count: number;
  /**
   * 1 while a pair is allocated (binding or bound): the loop guard, the double-release guard, and
   * (shared with worker threads) what isOwnSource reads.
   */
  readonly taken: Uint8Array;
  private used = 0;
  readonly wildcard: boolean;

  constructor(
    readonly realm: string,
    media: RealmMedia,
    private readonly logger: Logger,
    shared = false,
  ) {
    const family = isIP(media.address);
    if (family === 0) throw new MediaError('SLUICE_ERR_MEDIA_CONFIG', `realm ${realm}: media address ${JSON.stringify(media.address)} is not an IP address`, 500);
    const { portMin, portMax } = media;
    if (!Number.isInteger(portMin) || !Number.isInteger(portMax) || portMin < 1 || portMax > 65536 || portMin >= portMax) {
      throw new MediaError('SLUICE_ERR_MEDIA_CONFIG', `realm ${realm}: media ports need 1 <= portMin < portMax <= 65536, got [${portMin}, ${portMax})`, 500);
    }
    this.first = portMin + (portMin & 1);
    this.pairs = Math.max(0, Math.ceil((portMax - this.first) / 2));
    if (this.pairs === 0) throw new MediaError('SLUICE_ERR_MEDIA_CONFIG', `realm ${realm}: no even port in [${portMin}, ${portMax})`, 500);
    this.family = family === 6 ? 6 : 4;
    this.address = media.address;
    this.advertise = media.advertise ?? media.address;
    this.wildcard = media.address === '0.0.0.0' || media.address === '::';
    this.ring = new Int32Array(this.pairs);
    for (let i = 0; i < this.pairs; i++) this.ring[i] = this.first + 2 * i;
    this.count = this.pairs;
    this.taken = new Uint8Array(shared ? new SharedArrayBuffer(this.pairs) : new ArrayBuffer(this.pairs));
  }

  get free(): number {
    return this.count;
  }

  get inUse(): number {
    return this.used;
  }

  /**
   * Takes the next free pair whose ports `bind` manages to bind (the caller owns the sockets).
   * Tries each free pair at most once (bounded) and resolves its even port, or null when none can
   * be bound. `bind` resolves the bind error (its `code` says whether only that port is taken) or
   * rejects (no pair is then kept: the rejection passes on).
   */
  async allocate(bind: (port: number) => Promise<Error | null>): Promise<number | null> {
    const attempts = this.count;
    for (let n = 0; n < attempts && this.count > 0; n++) {
      const port = this.ring[this.head]!;
      this.head = (this.head + 1) % this.pairs;
      this.count--;
      this.mark(port, 1);
      let err: Error | null;
      try {
        err = await bind(port);
      } catch (thrown) {
        this.mark(port, 0);
        this.push(port);
        throw thrown;
      }
      if (err === null) return port;
      this.mark(port, 0);
      this.push(port);
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (!PORT_SPECIFIC.has(code)) {
        // EADDRNOTAVAIL, EMFILE and the like would fail on every port: stop here.
        this.logger.error({ realm: this.realm, address: this.address, port, err }, 'media port allocation failed');
        return null;
      }
      this.logger.debug({ realm: this.realm, port, code }, 'media port in use elsewhere, skipped');
    }
    return null;
  }

  /** Returns the pair to the end of the ring (its sockets are the caller's to close). Idempotent. */
  release(port: number): void {
    const i = (port - this.first) >> 1;
    if (this.taken[i] !== 1) return;
    this.mark(port, 0);
    this.push(port);
  }

  private mark(port: number, v: 0 | 1): void {
    this.taken[(port - this.first) >> 1] = v;
    this.used += v === 1 ? 1 : -1;
  }

  private push(port: number): void {
    this.ring[(this.head + this.count) % this.pairs] = port;
    this.count++;
  }
}

/** What isOwnSource needs of a pool; worker threads rebuild it over the shared `taken` array. */
export interface PoolShape {
  readonly first: number;
  readonly pairs: number;
  readonly address: string;
  readonly wildcard: boolean;
  readonly taken: Uint8Array;
}

/**
 * True when a datagram's source is one of the relay's own sockets. Used before latching: a party
 * whose SDP points at the relay itself would otherwise make packets circle for ever.
 */
export function isOwnSource(pools: readonly PoolShape[], address: string, port: number): boolean {
  for (const p of pools) {
    const i = port - p.first;
    if (i < 0 || i >= p.pairs * 2 || p.taken[i >> 1] !== 1) continue;
    // A wildcard socket sends from whichever local address routes; loopback is the one that loops.
    if (address === p.address || (p.wildcard && (address.startsWith('127.') || address === '::1'))) return true;
  }
  return false;
}
