import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { LocalAddress } from './types.js';

/** One UDP listener: a bound socket that delivers datagrams with their true source. */
export class UdpListener {
  readonly family: 4 | 6;
  private readonly socket: Socket;
  private bound: LocalAddress | null = null;

  constructor(
    private readonly address: string,
    private readonly port: number,
    private readonly onDatagram: (bytes: Buffer, rinfo: RemoteInfo, listener: UdpListener) => void,
    private readonly onError: (err: Error) => void,
  ) {
    this.family = isIPv6(address) ? 6 : 4;
    // 64 KiB datagrams both ways (RFC 3261 18.1.1 jumbo messages).
    this.socket = createSocket({ type: this.family === 6 ? 'udp6' : 'udp4', ipv6Only: this.family === 6, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  }

  async start(): Promise<LocalAddress> {
    this.socket.on('message', (bytes, rinfo) => this.onDatagram(bytes, rinfo, this));
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(this.port, this.address, () => {
        this.socket.off('error', reject);
        resolve();
      });
    });
    this.socket.on('error', this.onError);
    const a = this.socket.address();
    this.bound = { address: a.address, port: a.port };
    return this.bound;
  }

  get local(): LocalAddress {
    if (this.bound === null) throw new Error('UDP listener not started');
    return this.bound;
  }

  /** Sends one datagram; the callback gets the error, never a throw. */
  send(bytes: Buffer, port: number, address: string, done: (err: Error | null) => void): void {
    try {
      this.socket.send(bytes, port, address, (err) => done(err ?? null));
    } catch (err) {
      // dgram throws synchronously for a bad port or address family.
      queueMicrotask(() => done(err as Error));
    }
  }

  async stop(): Promise<void> {
    if (this.bound === null) return;
    this.bound = null;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
