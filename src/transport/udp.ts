import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import { latin1Bytes } from '../sip/index.js';
import { readInBatches, type NativeUdpReceiver, type ReceiveCounters } from './native-recv.js';
import { socketFd, type NativeUdpSender } from './native-send.js';
import type { LocalAddress } from './types.js';

/** One UDP listener: a bound socket that delivers datagrams with their true source. */
export class UdpListener {
  readonly family: 4 | 6;
  private readonly socket: Socket;
  private bound: LocalAddress | null = null;
  /** Datagrams sent in this turn of the event loop, not yet handed to the socket (see flush). */
  private queued: QueuedDatagram[] = [];
  /** The send thread and this socket's descriptor, once bound; null: sends go through dgram. */
  private thread: { sender: NativeUdpSender; fd: number } | null = null;
  /** The batched reader (native-recv.ts) once bound, if asked for and available; null: dgram reads. */
  private reader: NativeUdpReceiver | null = null;
  /** Why the batched reader was asked for and not had, for the transport to say once. */
  batchReceiveUnavailable: string | null = null;

  constructor(
    private readonly address: string,
    private readonly port: number,
    /** A datagram as dgram reads it (bytes) or as the batched reader does (latin1 text). */
    private readonly onDatagram: (data: Buffer | string, address: string, port: number, listener: UdpListener) => void,
    private readonly onError: (err: Error) => void,
    /** The transport's send thread (native-send.ts), if it has one. */
    private readonly sender: NativeUdpSender | null = null,
    /** Read through the batched reader (native-recv.ts) where it can be had. */
    private readonly batchReceive = false,
  ) {
    this.family = isIPv6(address) ? 6 : 4;
    // 64 KiB datagrams both ways (RFC 3261 18.1.1 jumbo messages).
    this.socket = createSocket({ type: this.family === 6 ? 'udp6' : 'udp4', ipv6Only: this.family === 6, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20, lookup: literalLookup });
  }

  async start(): Promise<LocalAddress> {
    // Until the batched reader takes over (if it does), dgram reads: nothing sent meanwhile is lost.
    this.socket.on('message', (bytes, rinfo) => this.onDatagram(bytes, rinfo.address, rinfo.port, this));
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error): void => {
        // The socket that could not bind is closed: nothing of a failed start stays open.
        this.socket.close();
        reject(err);
      };
      this.socket.once('error', failed);
      this.socket.bind(this.port, this.address, () => {
        this.socket.off('error', failed);
        resolve();
      });
    });
    this.socket.on('error', this.onError);
    const a = this.socket.address();
    this.bound = { address: a.address, port: a.port };
    const fd = this.sender !== null || this.batchReceive ? socketFd(this.socket) : null;
    if (this.sender !== null && fd !== null) this.thread = { sender: this.sender, fd };
    if (this.batchReceive) {
      const reader = readInBatches(this.socket, fd, (text, address, port) => this.onDatagram(text, address, port, this));
      if (reader instanceof Error) this.batchReceiveUnavailable = reader.message;
      else this.reader = reader;
    }
    return this.bound;
  }

  /** Whether datagrams are read in batches (native-recv.ts) rather than by dgram. */
  get readsInBatches(): boolean {
    return this.reader !== null;
  }

  /** The batched reader's counters, or null where dgram reads. */
  receiveCounters(): ReceiveCounters | null {
    return this.reader?.counters() ?? null;
  }

  /**
   * Whether datagrams leave through the send thread: false without one, or where this Node keeps
   * a socket's descriptor out of reach (native-send.ts, socketFd).
   */
  get sendsOnThread(): boolean {
    return this.thread !== null;
  }

  get local(): LocalAddress {
    if (this.bound === null) throw new Error('UDP listener not started');
    return this.bound;
  }

  /**
   * Sends one datagram; the callback gets the error, never a throw. The datagram goes out at the
   * end of this turn of the event loop, with every other one sent in it (see flush). `data` is
   * the datagram's bytes, or latin1 text (a byte per code unit), which the send thread copies
   * without a Buffer between.
   */
  send(data: Buffer | string, port: number, address: string, done: (err: Error | null) => void): void {
    // Copied into the thread's queue now, handed over at the end of the turn; what the thread
    // cannot address (a name: dgram resolves it) goes the dgram way.
    const thread = this.thread;
    if (thread !== null && thread.sender.send(thread.fd, this.family, data, port, address, done)) return;
    // dgram would take a string as UTF-8.
    const bytes = typeof data === 'string' ? latin1Bytes(data) : data;
    this.queued.push({ bytes, port, address, done });
    if (this.queued.length === 1) setImmediate(this.flush);
  }

  /**
   * Sends what this turn queued, back to back. A receiver that sleeps (a phone, a PBX, a load
   * generator on the same host) is then woken once for a burst rather than once per datagram;
   * on loopback, and for any receiver on this host, that wake-up is paid inside the sender's
   * sendmsg. A datagram waits at most for the rest of the turn (the messages read with it).
   */
  private readonly flush = (): void => {
    const batch = this.queued;
    this.queued = [];
    for (const d of batch) this.sendNow(d.bytes, d.port, d.address, d.done);
  };

  private sendNow(bytes: Buffer, port: number, address: string, done: (err: Error | null) => void): void {
    try {
      // dgram calls back with null on success (and the byte count, which done ignores).
      this.socket.send(bytes, port, address, done);
    } catch (err) {
      // dgram throws synchronously for a bad port or address family.
      queueMicrotask(() => done(err as Error));
    }
  }

  async stop(): Promise<void> {
    if (this.bound === null) return;
    this.bound = null;
    this.reader?.close();
    this.reader = null;
    // What was sent before stop() still goes out (a final response, a BYE's 200), and the
    // thread lets go of the socket before it closes.
    this.flush();
    if (this.thread !== null) {
      this.thread.sender.flush();
      this.thread.sender.drain();
      this.thread = null;
    }
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

interface QueuedDatagram {
  bytes: Buffer;
  port: number;
  address: string;
  done: (err: Error | null) => void;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * dgram resolves every send's address through `lookup`; dns.lookup answers an IP literal (every
 * SIP destination here, resolved before) on the next tick. This answers at once, so the
 * datagram goes out within socket.send() without a tick and dns.lookup's option handling per
 * message.
 * Names still go to dns.lookup.
 */
function literalLookup(hostname: string, options: LookupOneOptions | number, callback: LookupCallback): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, options as LookupOneOptions, callback);
}
