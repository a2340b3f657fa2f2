import { connect as netConnect, createServer as createNetServer, isIPv6, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import {
  createResponse,
  latin1Bytes,
  parseMessage,
  serializeMessage,
  SipParseError,
  type SipRequest,
  type SipResponse,
} from '../sip/index.js';
import { completeLimits, type ParseLimits } from '../sip/limits.js';
import { AddressTable } from './addresses.js';
import { StreamConnection, type ConnectionEvents } from './connection.js';
import { TransportError, type Destination, type LocalAddress, type MessageSource, type TransportProtocol } from './types.js';
import type { ReceiveCounters } from './native-recv.js';
import { NativeUdpSender, type SendThreadCounters } from './native-send.js';
import { UdpListener } from './udp.js';
import { responseDestination, stampReceived } from './via.js';

export interface ListenerConfig {
  transport: TransportProtocol;
  address: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** TLS only: PEM certificate chain and key. */
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer; requestCert?: boolean };
}

export interface TransportOptions {
  listeners: ListenerConfig[];
  limits?: Partial<ParseLimits>;
  /** Idle TCP/TLS connections close after this long (default 10 minutes). */
  idleTimeoutMs?: number;
  /** TLS client side: trust these CAs (default: the system's) and whether to verify the peer. */
  tlsClient?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
  /** UDP sends through the native send thread where the addon is built (transport/native-send.ts; default false). */
  udpSendThread?: boolean;
  /** A turn of at most this many datagrams, the send thread asleep, is sent by the main thread (default UDP_SEND_INLINE.default). */
  udpSendInline?: number;
  /** UDP reads in batches through the addon where it is built (transport/native-recv.ts; default false). */
  udpBatchReceive?: boolean;
  logger?: Logger;
}

/**
 * The layer above: gets every parsed message with its true source. The message comes parsed in
 * the 'deferred' mode (sip/parser.ts): its Contact and Request-URI are parsed when first read, or
 * by `completeParse()`, which a user calls before it acts on a message it does not know. That
 * throws the SipParseError a full parse would have thrown; let out of onMessage, it is answered
 * as a message that fails to parse is (400, or a counted drop).
 */
export interface TransportUser {
  onMessage(message: SipRequest | SipResponse, source: MessageSource): void;
}

export interface TransportCounters {
  received: number;
  sent: number;
  malformed: number;
  answered400: number;
  dropped: number;
  keepalives: number;
  sendErrors: number;
  connectionsOpened: number;
  connectionsClosed: number;
}

type SendDone = (err: TransportError | null) => void;

/** The send thread's absence is said once per process, not once per realm's transport; so is the batched reader's. */
let warnedNoSendThread = false;
let warnedNoBatchReceive = false;

/**
 * Sluice's SIP transports: UDP over IPv4/IPv6, TCP and TLS with stream framing and connection
 * reuse. It parses what arrives (answering a malformed request 400 where a response can be
 * addressed, dropping and counting what cannot), stamps received/rport, and sends requests and
 * responses by RFC 3261 18 and RFC 3581. Send failures come back through callbacks, never as
 * exceptions into the event loop.
 */
export class TransportLayer {
  readonly counters: TransportCounters = {
    received: 0,
    sent: 0,
    malformed: 0,
    answered400: 0,
    dropped: 0,
    keepalives: 0,
    sendErrors: 0,
    connectionsOpened: 0,
    connectionsClosed: 0,
  };
  private user: TransportUser | null = null;
  private readonly limits: Readonly<ParseLimits>;
  private readonly log: Logger;
  /** UDP senders' addresses, one string each (addresses.ts). */
  private readonly addresses = new AddressTable();
  private readonly idleTimeoutMs: number;
  private readonly udp: UdpListener[] = [];
  private sender: NativeUdpSender | Error | null = null;
  private readonly servers: { server: Server; transport: TransportProtocol; local: LocalAddress }[] = [];
  /** Open stream connections by id, and by "transport|address|port" for reuse. */
  private readonly connections = new Map<string, StreamConnection>();
  private readonly byPeer = new Map<string, StreamConnection>();
  private nextConnection = 1;
  private readonly connEvents: ConnectionEvents;

  constructor(private readonly options: TransportOptions) {
    this.limits = completeLimits(options.limits);
    this.log = options.logger ?? silentLogger;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 600_000;
    this.connEvents = {
      onMessage: (bytes, conn) =>
        this.receive(bytes, {
          transport: conn.transport,
          address: conn.remoteAddress,
          port: conn.remotePort,
          connectionId: conn.id,
          reliable: true,
        }, (b) => conn.write(b)),
      onFramingError: (err, conn) => {
        this.counters.malformed++;
        this.log.warn({ reason: err.reason, peer: `${conn.remoteAddress}:${conn.remotePort}` }, 'stream framing error; closing');
      },
      onClose: (conn) => {
        this.counters.connectionsClosed++;
        this.connections.delete(conn.id);
        const key = peerKey(conn.transport, conn.remoteAddress, conn.remotePort);
        if (this.byPeer.get(key) === conn) this.byPeer.delete(key);
      },
    };
  }

  setUser(user: TransportUser): void {
    this.user = user;
  }

  /**
   * Opens every listener. Throws TransportError (SLUICE_ERR_TRANSPORT) naming the listener that
   * could not open, after closing those already open: a start that fails leaves nothing bound.
   */
  async start(): Promise<void> {
    for (const l of this.options.listeners) {
      try {
        if (l.transport === 'UDP') {
          const sender = this.sendThread();
          const batch = this.options.udpBatchReceive === true;
          const u = new UdpListener(l.address, l.port, (b, a, p, lst) => this.onDatagram(b, a, p, lst), (err) => this.log.error({ err }, 'UDP socket error'), sender, batch);
          await u.start();
          this.udp.push(u);
          this.log.info({ transport: 'UDP', ...u.local, sendThread: u.sendsOnThread, batchReceive: u.readsInBatches }, 'listening');
          if (u.batchReceiveUnavailable !== null && !warnedNoBatchReceive) {
            warnedNoBatchReceive = true;
            this.log.warn({ transport: 'UDP', ...u.local, reason: u.batchReceiveUnavailable }, 'UDP batched receive unavailable: reading through node:dgram');
          }
          if (sender !== null && !u.sendsOnThread) {
            this.log.warn({ transport: 'UDP', ...u.local, node: process.version }, "UDP send thread unavailable: this Node keeps the socket's descriptor out of reach; sending through node:dgram");
          }
        } else {
          await this.listenStream(l);
        }
      } catch (err) {
        await this.stop().catch(() => undefined); // the bind's error is the one to report
        throw new TransportError(`cannot listen on ${l.transport} ${l.address}:${l.port}: ${whyNotListening(err)}`, { cause: err });
      }
    }
  }

  async stop(): Promise<void> {
    for (const c of this.connections.values()) c.destroy();
    await Promise.all(this.udp.map((u) => u.stop()));
    // Every listener drained it before its socket closed; the last transport to let go stops it.
    if (this.sender instanceof NativeUdpSender) this.sender.release();
    this.sender = null;
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.server.close(() => resolve()))));
    this.udp.length = 0;
    this.servers.length = 0;
  }

  /**
   * The process's UDP send thread (native-send.ts), taken with the first listener when the
   * options ask for it; null without one. Where the addon cannot be had, one warning (for the
   * process) says why and the listeners send through node:dgram.
   */
  private sendThread(): NativeUdpSender | null {
    if (this.options.udpSendThread !== true) return null;
    if (this.sender === null) {
      this.sender = NativeUdpSender.acquire(this.options.udpSendInline);
      if (this.sender instanceof Error && !warnedNoSendThread) {
        warnedNoSendThread = true;
        this.log.warn({ reason: this.sender.message }, 'UDP send thread unavailable: sending through node:dgram');
      }
    }
    return this.sender instanceof Error ? null : this.sender;
  }

  /** The batched readers' counters summed over the UDP listeners, or null where none reads in batches. */
  batchReceiveCounters(): ReceiveCounters | null {
    let sum: ReceiveCounters | null = null;
    for (const u of this.udp) {
      const c = u.receiveCounters();
      if (c === null) continue;
      sum ??= { batches: 0, datagrams: 0, errors: 0, truncated: 0 };
      sum.batches += c.batches;
      sum.datagrams += c.datagrams;
      sum.errors += c.errors;
      sum.truncated += c.truncated;
    }
    return sum;
  }

  /** The UDP send thread's counters, or null without one (see sendThread). */
  sendThreadCounters(): SendThreadCounters | null {
    return this.sender instanceof NativeUdpSender ? this.sender.counters() : null;
  }

  /** Bound addresses, for tests and for building Via/Contact: one per listener. */
  get locals(): { transport: TransportProtocol; address: string; port: number }[] {
    return [
      ...this.udp.map((u) => ({ transport: 'UDP' as const, ...u.local })),
      ...this.servers.map((s) => ({ transport: s.transport, ...s.local })),
    ];
  }

  /** The local address a request to `destination` leaves from (for its Via sent-by). */
  localFor(destination: Pick<Destination, 'transport' | 'address' | 'local'>): LocalAddress {
    const family = familyOf(destination.address);
    if (destination.transport === 'UDP') {
      const u = this.pickUdp(family, destination.local);
      if (u) return u.local;
    } else {
      const s = this.servers.find((x) => x.transport === destination.transport && isIPv6(x.local.address) === (family === 6)) ??
        this.servers.find((x) => x.transport === destination.transport);
      if (s) return s.local;
    }
    const any = this.locals[0];
    if (!any) throw new TransportError('no listener to send from');
    return { address: any.address, port: any.port };
  }

  get openConnections(): number {
    return this.connections.size;
  }

  // ---- sending -----------------------------------------------------------------------------

  sendRequest(request: SipRequest, destination: Destination, done: SendDone = noop): void {
    this.sendBytes(serializeMessage(request), destination, done);
  }

  sendResponse(response: SipResponse, requestSource: MessageSource, done: SendDone = noop): void {
    this.sendBytes(serializeMessage(response), responseDestination(response, requestSource), done);
  }

  responseDestination(response: SipResponse, requestSource: MessageSource): Destination {
    return responseDestination(response, requestSource);
  }

  /** Sends bytes to a destination; `done` is called once, asynchronously on failure. */
  sendBytes(bytes: Buffer, destination: Destination, done: SendDone = noop): void {
    if (destination.transport === 'UDP') return this.sendUdp(bytes, destination, done);
    this.sendStream(bytes, destination, done);
  }

  /**
   * Sends a message kept as latin1 text (a byte per code unit: what responseText and the flat
   * path's writers make), as sendBytes would its bytes. Over UDP with the send thread the text
   * is copied straight into the thread's queue, with no Buffer made for it.
   */
  sendText(text: string, destination: Destination, done: SendDone = noop): void {
    if (destination.transport === 'UDP') return this.sendUdp(text, destination, done);
    this.sendStream(latin1Bytes(text), destination, done);
  }

  private sendUdp(data: Buffer | string, destination: Destination, done: SendDone): void {
    // A latin1 string's length is its byte count.
    if (data.length > 65_507) return this.failSend(done, `message of ${data.length} bytes too large for UDP`);
    const u = this.pickUdp(familyOf(destination.address), destination.local);
    if (!u) return this.failSend(done, `no UDP listener for ${destination.address}`);
    u.send(data, destination.port, destination.address, (err) => {
      if (err) {
        this.counters.sendErrors++;
        done(new TransportError(`UDP send to ${destination.address}:${destination.port} failed: ${err.message}`, { cause: err }));
      } else {
        this.counters.sent++;
        done(null);
      }
    });
  }

  private sendStream(bytes: Buffer, destination: Destination, done: SendDone): void {
    let conn = destination.connectionId ? this.connections.get(destination.connectionId) : undefined;
    if (!conn || conn.isClosed) conn = this.byPeer.get(peerKey(destination.transport, destination.address, destination.port));
    if (!conn || conn.isClosed) {
      try {
        conn = this.connect(destination, done);
      } catch (err) {
        return this.failSend(done, `cannot connect to ${destination.address}:${destination.port}: ${(err as Error).message}`, err);
      }
    }
    if (conn.write(bytes)) {
      this.counters.sent++;
      queueMicrotask(() => done(null));
    } else this.failSend(done, `connection to ${destination.address}:${destination.port} is closed`);
  }

  /** A send that failed before it started: counted, and `done` told asynchronously. */
  private failSend(done: SendDone, msg: string, cause?: unknown): void {
    this.counters.sendErrors++;
    const err = new TransportError(msg, { cause });
    queueMicrotask(() => done(err));
  }

  // Loops, not find() with a closure: this runs for every datagram sent.
  private pickUdp(family: 4 | 6, local?: LocalAddress): UdpListener | undefined {
    const udp = this.udp;
    if (local) {
      for (let i = 0; i < udp.length; i++) {
        const u = udp[i]!;
        if (u.local.port === local.port && u.local.address === local.address) return u;
      }
    }
    for (let i = 0; i < udp.length; i++) if (udp[i]!.family === family) return udp[i];
    return undefined;
  }

  private connect(d: Destination, done: SendDone): StreamConnection {
    const id = `c${this.nextConnection++}`;
    const socket: Socket | TLSSocket =
      d.transport === 'TLS'
        ? tlsConnect({
            host: d.address,
            port: d.port,
            servername: d.serverName && !isIpLiteral(d.serverName) ? d.serverName : undefined,
            ca: this.options.tlsClient?.ca,
            rejectUnauthorized: this.options.tlsClient?.rejectUnauthorized ?? true,
          })
        : netConnect({ host: d.address, port: d.port });
    const conn = new StreamConnection(socket, {
      id,
      transport: d.transport,
      remoteAddress: d.address,
      remotePort: d.port,
      connected: false,
      idleTimeoutMs: this.idleTimeoutMs,
      limits: this.limits,
      events: {
        ...this.connEvents,
        onClose: (c, err) => {
          this.connEvents.onClose(c, err);
          if (err) {
            this.counters.sendErrors++;
            done(new TransportError(`connection to ${d.address}:${d.port} failed: ${err.message}`, { cause: err }));
          }
        },
      },
    });
    this.counters.connectionsOpened++;
    this.connections.set(id, conn);
    this.byPeer.set(peerKey(d.transport, d.address, d.port), conn);
    return conn;
  }

  // ---- receiving ---------------------------------------------------------------------------

  private async listenStream(l: ListenerConfig): Promise<void> {
    const onSocket = (socket: Socket | TLSSocket): void => {
      const id = `c${this.nextConnection++}`;
      const remoteAddress = stripMapped(socket.remoteAddress ?? '');
      const conn = new StreamConnection(socket, {
        id,
        transport: l.transport,
        remoteAddress,
        remotePort: socket.remotePort ?? 0,
        connected: true,
        idleTimeoutMs: this.idleTimeoutMs,
        limits: this.limits,
        events: this.connEvents,
      });
      this.counters.connectionsOpened++;
      this.connections.set(id, conn);
      this.byPeer.set(peerKey(l.transport, remoteAddress, conn.remotePort), conn);
    };
    let server: Server;
    if (l.transport === 'TLS') {
      if (!l.tls) throw new TransportError(`TLS listener on ${l.address}:${l.port} has no certificate and key`);
      server = createTlsServer({ cert: l.tls.cert, key: l.tls.key, ca: l.tls.ca, requestCert: l.tls.requestCert ?? false }, onSocket);
      server.on('tlsClientError', (err) => this.log.debug({ err: err.message }, 'TLS handshake failed'));
    } else {
      server = createNetServer(onSocket);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: l.address, port: l.port, ipv6Only: isIPv6(l.address) }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err }, 'listener error'));
    const a = server.address();
    if (a === null || typeof a === 'string') throw new TransportError('listener has no address');
    const local = { address: a.address, port: a.port };
    this.servers.push({ server, transport: l.transport, local });
    this.log.info({ transport: l.transport, ...local }, 'listening');
  }

  /** A datagram, as bytes (dgram) or as latin1 text (the batched reader). */
  private onDatagram(data: Buffer | string, address: string, port: number, listener: UdpListener): void {
    // Keepalives (CRLF runs) over UDP: counted, never parsed or answered.
    if (data.length <= 4 && isCrlfRun(data)) {
      this.counters.keepalives++;
      return;
    }
    // The listener stands in for a reply function (made only for a malformed request). A UDP
    // socket never reports an IPv4-mapped address (udp6 listeners are IPv6-only). The batched
    // reader's address is its table's string for the peer already; dgram's is new per datagram.
    const from = listener.readsInBatches ? address : this.addresses.of(stripMapped(address));
    this.receive(data, { transport: 'UDP', address: from, port, local: listener.local, reliable: false }, listener);
  }

  private receive(bytes: Buffer | string, source: MessageSource, replyBy: UdpListener | ((b: Buffer) => void)): void {
    this.counters.received++;
    let message: SipRequest | SipResponse;
    try {
      message = parseMessage(bytes, { mode: 'deferred', limits: this.limits, transport: source.reliable ? 'stream' : 'datagram' });
    } catch (err) {
      this.refuse(bytes, err, source, replyBy);
      return;
    }
    if (message.kind === 'request') stampReceived(message, source);
    if (this.user === null) {
      this.counters.dropped++;
      return;
    }
    try {
      this.user.onMessage(message, source);
    } catch (err) {
      // What the deferred parse left (Contact, the Request-URI) failed where the user completed
      // it (TransportUser): refused as a parse failure here is.
      this.refuse(bytes, err, source, replyBy);
    }
  }

  /** A message that did not parse (SipParseError; anything else is thrown on): counted, and answered where it can be. */
  private refuse(bytes: Buffer | string, err: unknown, source: MessageSource, replyBy: UdpListener | ((b: Buffer) => void)): void {
    if (!(err instanceof SipParseError)) throw err;
    this.counters.malformed++;
    this.answerMalformed(bytes, err, replyBy instanceof UdpListener ? (b) => replyBy.send(b, source.port, source.address, noop) : replyBy);
  }

  /**
   * A request that failed to parse gets 400 (505 for another version) with the parser's reason,
   * if enough of it survives to address a response; otherwise it is dropped and counted.
   * A malformed response or ACK is never answered.
   */
  private answerMalformed(bytes: Buffer | string, err: SipParseError, reply: (b: Buffer) => void): void {
    try {
      const framing = parseMessage(bytes, { mode: 'framing', limits: { ...this.limits, maxMessageBytes: Math.max(this.limits.maxMessageBytes, bytes.length) } });
      if (framing.kind !== 'request' || framing.method === 'ACK' || framing.via.length === 0) throw err;
      // The response copies these as written (a bad CSeq is echoed as the peer sent it).
      for (const h of ['call-id', 'cseq', 'from', 'to']) if (!framing.has(h)) throw err;
      const status = err.status === 505 || err.status === 413 ? err.status : 400;
      const res = createResponse(framing, status, err.reason);
      reply(serializeMessage(res));
      this.counters.answered400++;
    } catch {
      this.counters.dropped++;
      this.log.debug({ reason: err.reason }, 'malformed message dropped');
    }
  }
}

function noop(): void {}

/** Whether a datagram (bytes, or latin1 text) is CR and LF only. */
function isCrlfRun(data: Buffer | string): boolean {
  for (let i = 0; i < data.length; i++) {
    const c = typeof data === 'string' ? data.charCodeAt(i) : data[i]!;
    if (c !== 13 && c !== 10) return false;
  }
  return true;
}

/**
 * 4 or 6 as net.isIPv6 tells, without its regular expression for what has no ':' (IPv4
 * literals and names, nearly every destination).
 */
function familyOf(address: string): 4 | 6 {
  return address.indexOf(':') >= 0 && isIPv6(address) ? 6 : 4;
}

function peerKey(t: TransportProtocol, address: string, port: number): string {
  return `${t}|${address}|${port}`;
}

/** '::ffff:192.0.2.1' as a dual-stack socket reports an IPv4 peer: keep the IPv4 form. */
function stripMapped(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

function isIpLiteral(s: string): boolean {
  return /^[\d.]+$/.test(s) || s.includes(':');
}

/** What a failed bind or listen means for the operator, from its errno code. */
function whyNotListening(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EADDRINUSE':
      return 'the address is in use (another process, or another Sluice, holds it)';
    case 'EADDRNOTAVAIL':
      return 'no interface of this host has that address';
    case 'EACCES':
      return 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)';
    default:
      return (err as Error).message ?? String(err);
  }
}
