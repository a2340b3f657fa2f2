import { createSocket, type Socket } from 'node:dgram';
import type { LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { Logger } from '../observability/logger.js';
import { MediaError } from './errors.js';
import type { RealmMedia } from './types.js';

/** One allocated even/odd pair, both sockets bound. */
export interface PortPair {
  readonly port: number;
  readonly rtp: Socket;
  readonly rtcp: Socket;
}

// Generous kernel buffers absorb event-loop pauses (GC, a burst of signalling) without loss.
// Linux clamps to net.core.[rw]mem_max; a refusal only costs headroom, so it is ignored.
const RECV_BUFFER = 2 << 20;
const SEND_BUFFER = 1 << 20;

/**
 * dgram resolves every destination through dns.lookup, which for an IP literal still costs a
 * process.nextTick per packet. The relay only ever sends to validated literals, so it answers
 * at once and the send happens synchronously.
 */
function literalLookup(address: string, _options: LookupOneOptions | number, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  callback(null, address, isIP(address));
}

/** Errors that say "this port is taken", as opposed to "nothing on this address can be bound". */
const PORT_SPECIFIC = new Set(['EADDRINUSE', 'EACCES']);

/**
 * The RTP/RTCP ports of one realm. Even ports are handed out least-recently-released first (a
 * ring), so a port just freed is not reused at once while late packets of the old call may still
 * arrive. A port someone else holds is skipped and put back at the end of the ring.
 */
export class PortPool {
  readonly family: 4 | 6;
  readonly address: string;
  readonly advertise: string;
  /** The first even port and the number of pairs. */
  private readonly first: number;
  private readonly pairs: number;
  private readonly ring: Int32Array;
  private head = 0;
  private count: number;
  /** 1 while a pair is allocated (binding or bound): the loop guard and double-release guard. */
  private readonly taken: Uint8Array;
  private used = 0;
  private readonly wildcard: boolean;

  constructor(
    readonly realm: string,
    media: RealmMedia,
    private readonly logger: Logger,
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
    this.taken = new Uint8Array(this.pairs);
  }

  get free(): number {
    return this.count;
  }

  get inUse(): number {
    return this.used;
  }

  /**
   * True when a datagram's source is one of this pool's own sockets. Used before latching: a
   * party whose SDP points at the relay itself would otherwise make packets circle for ever.
   */
  isOwn(address: string, port: number): boolean {
    const i = port - this.first;
    if (i < 0 || i >= this.pairs * 2 || this.taken[i >> 1] !== 1) return false;
    // A wildcard socket sends from whichever local address routes; loopback is the one that loops.
    return address === this.address || (this.wildcard && (address.startsWith('127.') || address === '::1'));
  }

  /**
   * Binds the next free pair. Tries each free pair at most once (bounded), never leaves half a
   * pair bound, and resolves null when none can be bound.
   */
  async allocate(): Promise<PortPair | null> {
    const attempts = this.count;
    for (let n = 0; n < attempts && this.count > 0; n++) {
      const port = this.ring[this.head]!;
      this.head = (this.head + 1) % this.pairs;
      this.count--;
      this.mark(port, 1);
      const rtp = await this.bind(port);
      let err: Error;
      if (rtp instanceof Error) {
        err = rtp;
      } else {
        const rtcp = await this.bind(port + 1);
        if (!(rtcp instanceof Error)) return { port, rtp, rtcp };
        closeQuietly(rtp);
        err = rtcp;
      }
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

  /** Closes both sockets and returns the pair to the end of the ring. Idempotent. */
  release(pair: PortPair): void {
    closeQuietly(pair.rtp);
    closeQuietly(pair.rtcp);
    const i = (pair.port - this.first) >> 1;
    if (this.taken[i] !== 1) return;
    this.mark(pair.port, 0);
    this.push(pair.port);
  }

  private mark(port: number, v: 0 | 1): void {
    this.taken[(port - this.first) >> 1] = v;
    this.used += v === 1 ? 1 : -1;
  }

  private push(port: number): void {
    this.ring[(this.head + this.count) % this.pairs] = port;
    this.count++;
  }

  private bind(port: number): Promise<Socket | Error> {
    const socket = createSocket({ type: this.family === 6 ? 'udp6' : 'udp4', ipv6Only: this.family === 6, lookup: literalLookup });
    return new Promise((resolve) => {
      const onError = (err: Error): void => {
        closeQuietly(socket);
        resolve(err);
      };
      socket.once('error', onError);
      socket.bind({ port, address: this.address, exclusive: true }, () => {
        socket.off('error', onError);
        socket.on('error', (err) => this.logger.warn({ realm: this.realm, port, err }, 'media socket error'));
        try {
          socket.setRecvBufferSize(RECV_BUFFER);
          socket.setSendBufferSize(SEND_BUFFER);
        } catch {
          // Clamped or refused: the default buffers still work.
        }
        resolve(socket);
      });
    });
  }
}

function closeQuietly(socket: Socket): void {
  try {
    socket.close();
  } catch {
    // Already closed.
  }
}
