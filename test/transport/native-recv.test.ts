import { createSocket, type Socket, type Socket as UdpSocket } from 'node:dgram';
import { readdirSync, readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { NativeUdpReceiver } from '../../src/transport/native-recv.js';
import { socketFd } from '../../src/transport/native-send.js';
import { TransportLayer } from '../../src/transport/layer.js';
import { UdpListener } from '../../src/transport/udp.js';
import type { SipRequest, SipResponse } from '../../src/sip/index.js';
import type { MessageSource } from '../../src/transport/types.js';

// npm install builds the addon where a compiler is present; CI must have it, a user may not.
const unavailable = NativeUdpReceiver.unavailable();
const built = unavailable === null;
if (!built && process.env.CI === undefined) console.log(`UDP batched receive tests skipped: ${unavailable}`);

const open: { stop(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.stop();
});

interface Got {
  bytes: Buffer;
  address: string;
  port: number;
}

async function listener(address: string, batch: boolean): Promise<{ l: UdpListener; got: Got[]; arrived(n: number): Promise<void> }> {
  const got: Got[] = [];
  const waiters: (() => void)[] = [];
  const l = new UdpListener(
    address,
    0,
    (data, from, port) => {
      // The batched reader gives latin1 text (a code unit per byte), dgram a Buffer.
      expect(typeof data).toBe(batch ? 'string' : 'object');
      got.push({ bytes: typeof data === 'string' ? Buffer.from(data, 'latin1') : data, address: from, port });
      for (const w of waiters.splice(0)) w();
    },
    () => undefined,
    null,
    batch,
  );
  await l.start();
  open.push(l);
  const arrived = async (n: number): Promise<void> => {
    const until = Date.now() + 5_000;
    while (got.length < n && Date.now() < until) await new Promise<void>((r) => (waiters.push(r), setTimeout(r, 50)));
  };
  return { l, got, arrived };
}

async function client(type: 'udp4' | 'udp6'): Promise<UdpSocket & { port: number }> {
  const s = createSocket({ type, sendBufferSize: 4 << 20 });
  await new Promise<void>((r) => s.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', r));
  open.push({ stop: () => new Promise<void>((r) => s.close(() => r())) });
  return Object.assign(s, { port: s.address().port });
}

const send = (s: UdpSocket, bytes: Buffer, port: number, address: string): Promise<void> =>
  new Promise((resolve, reject) => s.send(bytes, port, address, (err) => (err ? reject(err) : resolve())));

/** The descriptors of this process open on a socket (by its inode, as /proc names it: 'socket:[N]'). */
const descriptorsOf = (socketLink: string): number =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === socketLink;
    } catch {
      return false; // closed while listing
    }
  }).length;

describe.skipIf(!built && process.env.CI === undefined)('batched UDP receive (native/sip-recv.c)', () => {
  it('refuses a descriptor that is not open, with a message that says so', () => {
    const r = NativeUdpReceiver.open(1_000_000, () => undefined);
    expect(r instanceof Error ? r.message : 'opened').toMatch(/not an open descriptor/);
  });

  it('delivers 2,000 datagrams sent in bursts, each once, byte for byte, with its source, in fewer reads than datagrams', async () => {
    const { l, got, arrived } = await listener('127.0.0.1', true);
    expect(l.readsInBatches).toBe(true);
    const c = await client('udp4');
    const sent: Buffer[] = [];
    for (let burst = 0; burst < 20; burst++) {
      const all: Promise<void>[] = [];
      for (let i = 0; i < 100; i++) {
        const b = Buffer.from(`datagram ${burst * 100 + i} ${'x'.repeat((burst * 100 + i) % 900)}`);
        sent.push(b);
        all.push(send(c, b, l.local.port, '127.0.0.1'));
      }
      await Promise.all(all);
    }
    await arrived(2_000);
    expect(got.length).toBe(2_000);
    expect(got.map((g) => g.bytes.toString())).toEqual(sent.map((b) => b.toString()));
    expect(new Set(got.map((g) => g.address))).toEqual(new Set(['127.0.0.1']));
    expect(new Set(got.map((g) => g.port))).toEqual(new Set([c.port]));
    // One string per peer, not one per datagram.
    expect(got.every((g) => g.address === got[0]!.address)).toBe(true);
    // Each datagram is text of its own, not a view of the reader's slab: read back above after
    // every later read had overwritten that slab, each is still what was sent.
    const counters = l.receiveCounters()!;
    expect(counters.datagrams).toBe(2_000);
    expect(counters.batches).toBeLessThanOrEqual(2_000);
    expect(counters.errors + counters.truncated).toBe(0);
  });

  it('reads over IPv6, and the largest datagram UDP carries, whole', async () => {
    const { l, got, arrived } = await listener('::1', true);
    expect(l.readsInBatches).toBe(true);
    const c = await client('udp6');
    const jumbo = Buffer.alloc(65_507, 0x61);
    jumbo.write('INVITE', 0);
    await send(c, Buffer.from('small'), l.local.port, '::1');
    await send(c, jumbo, l.local.port, '::1');
    await arrived(2);
    expect(got.map((g) => g.bytes.length)).toEqual([5, 65_507]);
    expect(got[1]!.bytes.equals(jumbo)).toBe(true);
    expect(got.map((g) => g.address)).toEqual(['::1', '::1']);
    expect(got[0]!.port).toBe(c.port);
  });

  it('reads from several peers, each under its own address string and port', async () => {
    const { l, got, arrived } = await listener('127.0.0.1', true);
    const a = await client('udp4');
    const b = createSocket('udp4');
    await new Promise<void>((r) => b.bind(0, '127.0.0.2', r));
    open.push({ stop: () => new Promise<void>((r) => b.close(() => r())) });
    await send(a, Buffer.from('from a'), l.local.port, '127.0.0.1');
    await send(b, Buffer.from('from b'), l.local.port, '127.0.0.1');
    await arrived(2);
    const by = Object.fromEntries(got.map((g) => [g.bytes.toString(), `${g.address}:${g.port}`]));
    expect(by).toEqual({ 'from a': `127.0.0.1:${a.port}`, 'from b': `127.0.0.2:${b.address().port}` });
  });

  it('stops at once when the listener stops, and closes the descriptor it read', async () => {
    const { l, got, arrived } = await listener('127.0.0.1', true);
    const port = l.local.port;
    const fd = socketFd((l as unknown as { socket: Socket }).socket)!;
    const link = readlinkSync(`/proc/self/fd/${fd}`);
    // dgram's descriptor and the reader's duplicate.
    expect(descriptorsOf(link)).toBe(2);
    const c = await client('udp4');
    await send(c, Buffer.from('one'), port, '127.0.0.1');
    await arrived(1);
    await l.stop();
    open.splice(open.indexOf(l), 1);
    await send(c, Buffer.from('two'), port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 100));
    expect(got.map((g) => g.bytes.toString())).toEqual(['one']);
    expect(descriptorsOf(link)).toBe(0);
  });

  it('is not used when not asked for: dgram reads, with the same delivery', async () => {
    const { l, got, arrived } = await listener('127.0.0.1', false);
    expect(l.readsInBatches).toBe(false);
    expect(l.receiveCounters()).toBeNull();
    const c = await client('udp4');
    await send(c, Buffer.from('via dgram'), l.local.port, '127.0.0.1');
    await arrived(1);
    expect(got.map((g) => [g.bytes.toString(), g.address, g.port])).toEqual([['via dgram', '127.0.0.1', c.port]]);
  });

  it('carries SIP through the transport layer: a request parsed with its source, a malformed one answered 400', async () => {
    const t = new TransportLayer({ listeners: [{ transport: 'UDP', address: '127.0.0.1', port: 0 }], udpBatchReceive: true });
    const messages: [SipRequest | SipResponse, MessageSource][] = [];
    t.setUser({ onMessage: (m, s) => messages.push([m, s]) });
    await t.start();
    open.push(t);
    const port = t.locals[0]!.port;
    const c = await client('udp4');
    const replies: string[] = [];
    c.on('message', (m) => replies.push(m.toString('latin1')));
    const head = (extra: string): string =>
      `OPTIONS sip:sluice@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${c.port};branch=z9hG4bK-b1\r\nMax-Forwards: 70\r\n` +
      `From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:sluice@127.0.0.1>\r\nCall-ID: batch-1\r\n${extra}Content-Length: 0\r\n\r\n`;
    await send(c, Buffer.from(head('CSeq: 1 OPTIONS\r\n')), port, '127.0.0.1');
    await send(c, Buffer.from(head('CSeq: one OPTIONS\r\n')), port, '127.0.0.1');
    const until = Date.now() + 5_000;
    while ((messages.length < 1 || replies.length < 1) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(messages.length).toBe(1);
    expect(messages[0]![1]).toMatchObject({ transport: 'UDP', address: '127.0.0.1', port: c.port, reliable: false });
    expect(replies[0]).toMatch(/^SIP\/2.0 400 /);
    expect(t.batchReceiveCounters()).toMatchObject({ datagrams: 2, errors: 0, truncated: 0 });
  });
});
