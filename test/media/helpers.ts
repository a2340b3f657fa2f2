import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';

/** Test parties live on loopback only. */
export const LO4 = '127.0.0.1';
export const LO6 = '::1';

/**
 * An even base port with `count` consecutive ports free on `address` right now. Relay ranges sit
 * below Linux's ephemeral range (32768+), so party sockets bound to port 0 never land in them;
 * the random base keeps parallel test files apart. Bounded: 50 tries.
 */
export async function freeRange(count: number, address = LO4): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 2 * randomInt(10_500, 16_000 - count);
    const sockets: Socket[] = [];
    let ok = true;
    for (let p = base; p < base + count && ok; p++) {
      const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
      ok = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.bind(p, address, () => resolve(true));
      });
      sockets.push(s);
    }
    for (const s of sockets) {
      try {
        s.close();
      } catch {
        // never bound
      }
    }
    if (ok) return base;
  }
  throw new Error('no free port range found');
}

export interface Datagram {
  msg: Buffer;
  from: RemoteInfo;
}

/** One socket of a test party: sends to the relay, queues what it receives. */
export class Endpoint {
  readonly socket: Socket;
  private readonly queue: Datagram[] = [];
  private readonly waiters: ((d: Datagram) => void)[] = [];

  private constructor(readonly address: string) {
    this.socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    this.socket.on('message', (msg, from) => {
      const w = this.waiters.shift();
      if (w) w({ msg, from });
      else this.queue.push({ msg, from });
    });
  }

  /** Bound to `port` (0: any free one). */
  static async open(address = LO4, port = 0): Promise<Endpoint> {
    const e = new Endpoint(address);
    await new Promise<void>((resolve, reject) => {
      e.socket.once('error', reject);
      e.socket.bind(port, address, () => resolve());
    });
    return e;
  }

  get port(): number {
    return this.socket.address().port;
  }

  get received(): number {
    return this.queue.length;
  }

  send(msg: Buffer, port: number, address = this.address): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(msg, port, address, (err) => (err ? reject(err) : resolve())));
  }

  /** The next datagram, or a rejection after `ms`. */
  next(ms = 2_000): Promise<Datagram> {
    const d = this.queue.shift();
    if (d) return Promise.resolve(d);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`nothing received on ${this.address}:${this.port} within ${ms} ms`));
      }, ms);
      const done = (x: Datagram): void => {
        clearTimeout(t);
        resolve(x);
      };
      this.waiters.push(done);
    });
  }

  /** Idempotent: a test may close a party early. */
  close(): void {
    try {
      this.socket.close();
    } catch {
      // closed already
    }
  }
}

/** A G.711 RTP packet: version 2, PT 0, 160 bytes of payload. */
export function rtp(seq: number, ssrc = 0x11223344, payload = 160): Buffer {
  const b = Buffer.alloc(12 + payload, 0xff);
  b[0] = 0x80;
  b[1] = 0;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 160) >>> 0, 4);
  b.writeUInt32BE(ssrc >>> 0, 8);
  return b;
}

/** An RTCP receiver report with no blocks (PT 201), 8 bytes. */
export function rtcp(ssrc = 0x11223344): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 0x80;
  b[1] = 201;
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  return b;
}

/** Polls `cond` every 5 ms until true, at most `ms`. */
export async function until(cond: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** True when nobody holds the port (the relay, or its worker, released it). */
export async function bindable(port: number): Promise<boolean> {
  const s = createSocket('udp4');
  const ok = await new Promise<boolean>((resolve) => {
    s.once('error', () => resolve(false));
    s.bind(port, LO4, () => resolve(true));
  });
  s.close();
  return ok;
}
