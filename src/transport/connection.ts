import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SipParseError, StreamFramer } from '../sip/index.js';
import type { ParseLimits } from '../sip/limits.js';
import type { TransportProtocol } from './types.js';

export interface ConnectionEvents {
  onMessage(bytes: Buffer, conn: StreamConnection): void;
  onFramingError(err: SipParseError, conn: StreamConnection): void;
  onClose(conn: StreamConnection, err: Error | null): void;
}

/**
 * One TCP or TLS connection: frames SIP messages by Content-Length, answers a CRLFCRLF ping
 * with a CRLF pong (RFC 5626 4.4.1), closes after an idle period, and queues writes made
 * before it is connected.
 */
export class StreamConnection {
  readonly id: string;
  readonly transport: TransportProtocol;
  readonly remoteAddress: string;
  readonly remotePort: number;
  private readonly framer: StreamFramer;
  private idleTimer: NodeJS.Timeout | null = null;
  private connected: boolean;
  private closed = false;
  private queue: Buffer[] = [];
  /** Writes are held (cork) until the end of this turn of the event loop. */
  private corked = false;
  private lastActivity = Date.now();

  constructor(
    readonly socket: Socket | TLSSocket,
    options: {
      id: string;
      transport: TransportProtocol;
      remoteAddress: string;
      remotePort: number;
      connected: boolean;
      idleTimeoutMs: number;
      limits: ParseLimits;
      events: ConnectionEvents;
    },
  ) {
    this.id = options.id;
    this.transport = options.transport;
    this.remoteAddress = options.remoteAddress;
    this.remotePort = options.remotePort;
    this.connected = options.connected;
    this.framer = new StreamFramer({ limits: options.limits });
    const events = options.events;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.lastActivity = Date.now();
      let items;
      try {
        items = this.framer.push(chunk);
      } catch (err) {
        // A stream that cannot be framed cannot be resynchronised: close it.
        if (err instanceof SipParseError) {
          events.onFramingError(err, this);
          this.close();
          return;
        }
        throw err;
      }
      for (const item of items) {
        if (item.kind === 'message') events.onMessage(item.bytes, this);
        else if (item.type === 'ping') this.write(Buffer.from('\r\n'));
      }
    });
    socket.on('error', (err) => this.finish(events, err));
    socket.on('close', () => this.finish(events, null));
    if (!this.connected) {
      socket.once(options.transport === 'TLS' ? 'secureConnect' : 'connect', () => {
        this.connected = true;
        for (const b of this.queue) socket.write(b);
        this.queue = [];
      });
    }
    this.armIdle(options.idleTimeoutMs);
  }

  /**
   * Writes a message (queued until connected). False if the connection is closed. The messages
   * written in one turn of the event loop leave together after it, in one write (as the UDP
   * listener sends its datagrams: see UdpListener.flush).
   */
  write(bytes: Buffer): boolean {
    if (this.closed) return false;
    this.lastActivity = Date.now();
    if (this.connected) {
      if (!this.corked) {
        this.corked = true;
        this.socket.cork();
        setImmediate(this.uncork);
      }
      this.socket.write(bytes);
    } else this.queue.push(bytes);
    return true;
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    // end() sends what was corked in this turn first.
    this.socket.end();
    this.socket.destroySoon?.();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private armIdle(ms: number): void {
    if (ms <= 0) return;
    const check = (): void => {
      const idle = Date.now() - this.lastActivity;
      if (idle >= ms) this.close();
      else this.idleTimer = setTimeout(check, ms - idle).unref();
    };
    this.idleTimer = setTimeout(check, ms).unref();
  }

  private finish(events: ConnectionEvents, err: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.queue = [];
    events.onClose(this, err);
  }
}
