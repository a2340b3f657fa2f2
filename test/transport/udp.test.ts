import { createSocket, Socket, type Socket as UdpSocket } from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UdpListener } from '../../src/transport/udp.js';

const open: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const o of open.splice(0)) await o.stop();
});

async function listener(): Promise<UdpListener> {
  const l = new UdpListener('127.0.0.1', 0, () => undefined, () => undefined);
  await l.start();
  open.push(l);
  return l;
}

async function receiver(): Promise<{ port: number; got: string[]; arrived(n: number): Promise<void> }> {
  const s: UdpSocket = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  open.push({ stop: () => new Promise<void>((r) => s.close(() => r())) });
  const got: string[] = [];
  const waiters: (() => void)[] = [];
  s.on('message', (m) => {
    got.push(m.toString());
    for (const w of waiters.splice(0)) w();
  });
  const arrived = async (n: number): Promise<void> => {
    while (got.length < n) await new Promise<void>((r) => waiters.push(r));
  };
  return { port: s.address().port, got, arrived };
}

const turnEnds = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('UdpListener sends', () => {
  it('holds the datagrams of one event-loop turn and sends them together after it, in order', async () => {
    const l = await listener();
    const peer = await receiver();
    const sends = vi.spyOn(Socket.prototype, 'send');
    const done: (Error | null)[] = [];
    for (let i = 0; i < 20; i++) l.send(Buffer.from(`m${i}`), peer.port, '127.0.0.1', (err) => done.push(err));
    expect(sends).not.toHaveBeenCalled();
    await turnEnds();
    expect(sends).toHaveBeenCalledTimes(20);
    await peer.arrived(20);
    expect(peer.got).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    await vi.waitFor(() => expect(done).toHaveLength(20));
    expect(done.every((e) => e === null)).toBe(true);
  });

  it('sends what was queued when it stops', async () => {
    const l = new UdpListener('127.0.0.1', 0, () => undefined, () => undefined);
    await l.start();
    const peer = await receiver();
    l.send(Buffer.from('last words'), peer.port, '127.0.0.1', () => undefined);
    await l.stop();
    await peer.arrived(1);
    expect(peer.got).toEqual(['last words']);
  });

  it('reports a datagram the socket refuses through its callback, and still sends the rest of the batch', async () => {
    const l = await listener();
    const peer = await receiver();
    const errors: (Error | null)[] = [];
    l.send(Buffer.from('a'), peer.port, '127.0.0.1', (err) => errors.push(err));
    l.send(Buffer.from('b'), 70_000, '127.0.0.1', (err) => errors.push(err));
    l.send(Buffer.from('c'), peer.port, '127.0.0.1', (err) => errors.push(err));
    await peer.arrived(2);
    expect(peer.got).toEqual(['a', 'c']);
    await vi.waitFor(() => expect(errors).toHaveLength(3));
    expect(errors.filter((e) => e !== null).map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ERR_SOCKET_BAD_PORT']);
  });
});
