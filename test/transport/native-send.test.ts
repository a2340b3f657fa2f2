import { createSocket, Socket, type Socket as UdpSocket } from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NATIVE_SIP_ADDON_PATH, NativeUdpSender } from '../../src/transport/native-send.js';
import { TransportLayer } from '../../src/transport/layer.js';
import { UdpListener } from '../../src/transport/udp.js';

// npm install builds the addon where a compiler is present; CI must have it, a user may not.
const probe = NativeUdpSender.open();
const built = !(probe instanceof Error);
if (built) probe.close();
else if (process.env.CI === undefined) console.log(`UDP send thread tests skipped: ${probe.message}`);

const open: { stop(): Promise<void> | void }[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const o of open.splice(0).reverse()) await o.stop();
});

function sender(inlineMax?: number): NativeUdpSender {
  const s = NativeUdpSender.open(inlineMax);
  if (s instanceof Error) throw s;
  open.push({ stop: () => s.close() });
  return s;
}

async function listener(s: NativeUdpSender | null, address = '127.0.0.1'): Promise<UdpListener> {
  const l = new UdpListener(address, 0, () => undefined, () => undefined, s);
  await l.start();
  open.push(l);
  return l;
}

/**
 * Time for a send thread just started, or just done, to reach its wait: a turn goes inline (and a
 * wake-up is counted) only while it sleeps.
 */
const threadAsleep = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

async function receiver(type: 'udp4' | 'udp6' = 'udp4'): Promise<{ port: number; got: Buffer[]; arrived(n: number): Promise<void> }> {
  const s: UdpSocket = createSocket({ type, recvBufferSize: 1 << 20 });
  await new Promise<void>((r) => s.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', r));
  open.push({ stop: () => new Promise<void>((r) => s.close(() => r())) });
  const got: Buffer[] = [];
  const waiters: (() => void)[] = [];
  s.on('message', (m) => {
    got.push(m);
    for (const w of waiters.splice(0)) w();
  });
  const arrived = async (n: number): Promise<void> => {
    while (got.length < n) await new Promise<void>((r) => waiters.push(r));
  };
  return { port: s.address().port, got, arrived };
}

describe.skipIf(!built && process.env.CI === undefined)('the UDP send thread (native/sip-send.c)', () => {
  it('is built and loads', () => {
    expect(probe instanceof Error ? probe.message : NATIVE_SIP_ADDON_PATH).toBe(NATIVE_SIP_ADDON_PATH);
  });

  it('sends 2,000 datagrams in order, byte for byte, in bursts of 100 a turn, and calls back each once with null', async () => {
    const s = sender();
    const l = await listener(s);
    expect(l.sendsOnThread).toBe(true);
    const peer = await receiver();
    const dgram = vi.spyOn(Socket.prototype, 'send');
    const done: (Error | null)[] = [];
    const expected: Buffer[] = [];
    // A burst a turn, small enough for a receive buffer of Linux's default size (rmem_max 208 KB).
    for (let i = 0; i < 2_000; i++) {
      // Sizes from 2 bytes to 1.4 KB, each led by its place in the run.
      const b = Buffer.alloc(2 + ((i * 7) % 1_400), i % 251);
      b.writeUInt16BE(i, 0);
      expected.push(Buffer.from(b));
      l.send(b, peer.port, '127.0.0.1', (err) => done.push(err));
      // The queue holds a copy: the caller may reuse its buffer at once.
      b.fill(0);
      if (i === 0) expect(done).toHaveLength(0);
      if (i % 100 === 99) await peer.arrived(i + 1);
    }
    expect(dgram).not.toHaveBeenCalled();
    for (let i = 0; i < 2_000; i++) expect(peer.got[i]!.equals(expected[i]!)).toBe(true);
    await vi.waitFor(() => expect(done).toHaveLength(2_000));
    expect(done.every((e) => e === null)).toBe(true);
    const c = s.counters();
    expect(c).toMatchObject({ sent: 2_000, failed: 0, unreported: 0 });
    expect(c.batches).toBeGreaterThanOrEqual(1);
  });

  it('copies latin1 text into its queue byte for byte, every byte value, between Buffers and in ropes', async () => {
    const s = sender();
    const l = await listener(s);
    const peer = await receiver();
    const dgram = vi.spyOn(Socket.prototype, 'send');
    const done: (Error | null)[] = [];
    const expected: Buffer[] = [];
    let all = '';
    for (let c = 0; c < 256; c++) all += String.fromCharCode(c);
    for (let i = 0; i < 300; i++) {
      if (i % 3 === 2) {
        // A Buffer after text: the NUL napi writes after the text is this one's first byte.
        const b = Buffer.alloc(1 + (i % 40), 0x41 + (i % 26));
        expected.push(Buffer.from(b));
        l.send(b, peer.port, '127.0.0.1', (err) => done.push(err));
      } else {
        // A rope of pieces (as a message is written), of every byte value, NUL included.
        const text = `${i}:` + all.slice(i % 256) + all.slice(0, i % 256) + (i % 2 === 0 ? '' : 'é\u00ff');
        expected.push(Buffer.from(text, 'latin1'));
        l.send(text, peer.port, '127.0.0.1', (err) => done.push(err));
      }
      if (i % 50 === 49) await peer.arrived(i + 1);
    }
    expect(dgram).not.toHaveBeenCalled();
    expect(peer.got).toHaveLength(300);
    for (let i = 0; i < 300; i++) expect(peer.got[i]!.equals(expected[i]!)).toBe(true);
    await vi.waitFor(() => expect(done).toHaveLength(300));
    expect(done.every((e) => e === null)).toBe(true);
  });

  it('sends a turn of few datagrams from the main thread while the thread sleeps, and wakes it for a larger one', async () => {
    // Every turn inline: the thread is never woken, and each datagram arrives in order, once.
    const inline = sender(1_024);
    const l = await listener(inline);
    const peer = await receiver();
    const done: (Error | null)[] = [];
    await threadAsleep();
    for (let i = 0; i < 500; i++) {
      l.send(Buffer.from(`inline ${i}`), peer.port, '127.0.0.1', (err) => done.push(err));
      if (i % 50 === 49) await peer.arrived(i + 1);
    }
    expect(peer.got.map(String)).toEqual(Array.from({ length: 500 }, (_, i) => `inline ${i}`));
    await vi.waitFor(() => expect(done).toHaveLength(500));
    expect(done.every((e) => e === null)).toBe(true);
    const c = inline.counters();
    expect(c).toMatchObject({ sent: 500, failed: 0, wakes: 0 });
    expect(c.inlineBatches).toBe(10);

    // Turns of 4 with a limit of 8 go inline; turns of 20 wake the thread.
    const mixed = sender(8);
    const m = await listener(mixed);
    const other = await receiver();
    for (let turn = 0; turn < 10; turn++) {
      const n = turn % 2 === 0 ? 4 : 20;
      const before = other.got.length;
      await threadAsleep();
      for (let i = 0; i < n; i++) m.send(Buffer.from(`${turn}.${i}`), other.port, '127.0.0.1', () => undefined);
      await other.arrived(before + n);
    }
    expect(other.got).toHaveLength(5 * 4 + 5 * 20);
    // The thread counts a datagram as sent after the kernel has delivered it: the receiver may be first.
    await vi.waitFor(() => expect(mixed.counters()).toMatchObject({ inlineBatches: 5, wakes: 5, sent: 120 }));

    // None: every turn is the thread's.
    const none = sender(0);
    const n = await listener(none);
    const third = await receiver();
    await threadAsleep();
    n.send(Buffer.from('handed over'), third.port, '127.0.0.1', () => undefined);
    await third.arrived(1);
    await vi.waitFor(() => expect(none.counters()).toMatchObject({ sent: 1, inlineBatches: 0, wakes: 1 }));
  });

  it('refuses an inline limit it cannot honour, saying which', () => {
    const bad = NativeUdpSender.open(-1);
    expect(bad).toBeInstanceOf(RangeError);
    expect((bad as Error).message).toBe('inlineMax must be an integer from 0 to 1024, not -1');
    expect(NativeUdpSender.open(1.5)).toBeInstanceOf(RangeError);
    expect(NativeUdpSender.open(1_025)).toBeInstanceOf(RangeError);
  });

  it('serves IPv4 and IPv6 listeners with one thread', async () => {
    const s = sender();
    const v4 = await listener(s, '127.0.0.1');
    const v6 = await listener(s, '::1');
    const p4 = await receiver('udp4');
    const p6 = await receiver('udp6');
    for (let i = 0; i < 50; i++) {
      v4.send(Buffer.from(`four ${i}`), p4.port, '127.0.0.1', () => undefined);
      v6.send(Buffer.from(`six ${i}`), p6.port, '::1', () => undefined);
    }
    await Promise.all([p4.arrived(50), p6.arrived(50)]);
    expect(p4.got.map(String)).toEqual(Array.from({ length: 50 }, (_, i) => `four ${i}`));
    expect(p6.got.map(String)).toEqual(Array.from({ length: 50 }, (_, i) => `six ${i}`));
  });

  it('takes an IPv6 zone by interface name or index; what it cannot address goes the dgram way', async () => {
    const s = sender();
    const v6 = await listener(s, '::1');
    const peer = await receiver('udp6');
    const dgram = vi.spyOn(Socket.prototype, 'send');
    const done: ((Error & { code?: string }) | null)[] = [];
    v6.send(Buffer.from('by name'), peer.port, '::1%lo', (err) => done.push(err));
    v6.send(Buffer.from('by index'), peer.port, '::1%1', (err) => done.push(err));
    // No such interface: dgram (libuv) sends it without a zone, as before the thread.
    v6.send(Buffer.from('unknown zone'), peer.port, '::1%nosuchif0', (err) => done.push(err));
    await peer.arrived(3);
    expect(peer.got.map(String).sort()).toEqual(['by index', 'by name', 'unknown zone']);
    expect(dgram).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(done).toEqual([null, null, null]));
  });

  it('leaves to dgram an address of the other family, which fails there as it did before', async () => {
    const s = sender();
    const l = await listener(s);
    const peer = await receiver();
    const dgram = vi.spyOn(Socket.prototype, 'send');
    const done: { i: number; err: (Error & { code?: string }) | null }[] = [];
    l.send(Buffer.from('a'), peer.port, '127.0.0.1', (err) => done.push({ i: 0, err }));
    l.send(Buffer.from('b'), peer.port, '::1', (err) => done.push({ i: 1, err }));
    l.send(Buffer.from('c'), peer.port, '127.0.0.1', (err) => done.push({ i: 2, err }));
    await peer.arrived(2);
    expect(peer.got.map(String)).toEqual(['a', 'c']);
    // dgram's send waits for the listener's own end-of-turn flush (udp.ts), which can run a turn
    // after the send thread's: the datagrams sent through the thread may arrive first.
    await vi.waitFor(() => expect(dgram).toHaveBeenCalledTimes(1));
    await vi.waitFor(() => expect(done).toHaveLength(3));
    expect(done.filter((d) => d.err !== null).map((d) => [d.i, d.err!.code])).toEqual([[1, 'EINVAL']]);
  });

  it.each([
    ['the thread', 0],
    ['the main thread', 1_024],
  ])("reports the kernel's refusal of one datagram to that datagram's callback only (EMSGSIZE), sent by %s", async (_by, inlineMax) => {
    const s = sender(inlineMax);
    const l = await listener(s);
    const peer = await receiver();
    await threadAsleep();
    const done = new Map<string, (Error & { code?: string }) | null>();
    l.send(Buffer.from('before'), peer.port, '127.0.0.1', (err) => done.set('before', err));
    // Larger than an IPv4 datagram can carry (65,507 bytes of payload): sendmsg says EMSGSIZE.
    l.send(Buffer.alloc(65_535), peer.port, '127.0.0.1', (err) => done.set('jumbo', err));
    l.send(Buffer.from('after'), peer.port, '127.0.0.1', (err) => done.set('after', err));
    await peer.arrived(2);
    expect(peer.got.map(String)).toEqual(['before', 'after']);
    await vi.waitFor(() => expect(done.size).toBe(3));
    expect(done.get('before')).toBeNull();
    expect(done.get('after')).toBeNull();
    expect(done.get('jumbo')?.code).toBe('EMSGSIZE');
    expect(s.counters()).toMatchObject({ sent: 2, failed: 1, unreported: 0, inlineBatches: inlineMax === 0 ? 0 : 1 });
  });

  it('sends what was queued before a listener stops, then lets go of its socket', async () => {
    const s = sender();
    const l = new UdpListener('127.0.0.1', 0, () => undefined, () => undefined, s);
    await l.start();
    const peer = await receiver();
    for (let i = 0; i < 100; i++) l.send(Buffer.from(`last ${i}`), peer.port, '127.0.0.1', () => undefined);
    await l.stop();
    await peer.arrived(100);
    expect(peer.got.map(String)).toEqual(Array.from({ length: 100 }, (_, i) => `last ${i}`));
    // Nothing is left queued for the closed descriptor.
    expect(s.counters().sent).toBe(100);
  });

  it('settles every callback when closed, and fails sends after it', async () => {
    const s = NativeUdpSender.open();
    if (s instanceof Error) throw s;
    const l = await listener(s);
    const peer = await receiver();
    const done: (Error | null)[] = [];
    for (let i = 0; i < 10; i++) l.send(Buffer.from(`x${i}`), peer.port, '127.0.0.1', (err) => done.push(err));
    s.close();
    expect(done).toEqual(Array.from({ length: 10 }, () => null));
    await peer.arrived(10);
    s.close();
    let after: (Error & { code?: string }) | null | undefined;
    s.send(0, 4, Buffer.from('late'), peer.port, '127.0.0.1', (err) => (after = err));
    await vi.waitFor(() => expect(after?.code).toBe('EBADF'));
  });

  it('is what a TransportLayer with udpSendThread uses: one thread for its listeners, counted as sent', async () => {
    const layer = new TransportLayer({
      listeners: [
        { transport: 'UDP', address: '127.0.0.1', port: 0 },
        { transport: 'UDP', address: '127.0.0.1', port: 0 },
      ],
      udpSendThread: true,
    });
    layer.setUser({ onMessage: () => undefined });
    await layer.start();
    open.push(layer);
    const peer = await receiver();
    const [a, b] = layer.locals;
    const done: (Error | null)[] = [];
    layer.sendBytes(Buffer.from('from a'), { transport: 'UDP', address: '127.0.0.1', port: peer.port, reliable: false, local: a }, (err) => done.push(err));
    layer.sendBytes(Buffer.from('from b'), { transport: 'UDP', address: '127.0.0.1', port: peer.port, reliable: false, local: b }, (err) => done.push(err));
    await peer.arrived(2);
    expect(peer.got.map(String).sort()).toEqual(['from a', 'from b']);
    await vi.waitFor(() => expect(done).toEqual([null, null]));
    expect(layer.counters.sent).toBe(2);
    expect(layer.sendThreadCounters()).toMatchObject({ sent: 2, failed: 0 });
  });
});

describe.skipIf(!built && process.env.CI === undefined)('the send thread of a process', () => {
  it("is one for every TransportLayer (a realm each), and outlives a layer that stops before the others", async () => {
    const start = async (): Promise<TransportLayer> => {
      const layer = new TransportLayer({ listeners: [{ transport: 'UDP', address: '127.0.0.1', port: 0 }], udpSendThread: true });
      layer.setUser({ onMessage: () => undefined });
      await layer.start();
      return layer;
    };
    const inside = await start();
    const outside = await start();
    open.push(outside);
    const peer = await receiver();
    const to = { transport: 'UDP' as const, address: '127.0.0.1', port: peer.port, reliable: false };
    inside.sendBytes(Buffer.from('inside'), to);
    outside.sendBytes(Buffer.from('outside'), to);
    await peer.arrived(2);
    expect(inside.sendThreadCounters()).toEqual(outside.sendThreadCounters());
    expect(outside.sendThreadCounters()).toMatchObject({ sent: 2 });
    await inside.stop();
    expect(inside.sendThreadCounters()).toBeNull();
    outside.sendBytes(Buffer.from('after'), to);
    await peer.arrived(3);
    expect(peer.got.map(String)).toEqual(['inside', 'outside', 'after']);
    expect(outside.sendThreadCounters()).toMatchObject({ sent: 3 });
  });
});

describe('a TransportLayer without udpSendThread', () => {
  /** A started layer with one UDP listener and no send thread, and a peer to send to. */
  const plain = async () => {
    const layer = new TransportLayer({ listeners: [{ transport: 'UDP', address: '127.0.0.1', port: 0 }] });
    layer.setUser({ onMessage: () => undefined });
    await layer.start();
    open.push(layer);
    return { layer, peer: await receiver() };
  };

  it('sends through node:dgram and has no send thread', async () => {
    const { layer, peer } = await plain();
    const dgram = vi.spyOn(Socket.prototype, 'send');
    layer.sendBytes(Buffer.from('plain'), { transport: 'UDP', address: '127.0.0.1', port: peer.port, reliable: false });
    await peer.arrived(1);
    expect(dgram).toHaveBeenCalledTimes(1);
    expect(layer.sendThreadCounters()).toBeNull();
  });

  it('sends text as its latin1 bytes through node:dgram too (dgram alone would write a string as UTF-8)', async () => {
    const { layer, peer } = await plain();
    const done: (Error | null)[] = [];
    layer.sendText('caf\u00e9 \u00ff\u0000!', { transport: 'UDP', address: '127.0.0.1', port: peer.port, reliable: false }, (err) => done.push(err));
    await peer.arrived(1);
    expect([...peer.got[0]!]).toEqual([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff, 0x00, 0x21]);
    await vi.waitFor(() => expect(done).toEqual([null]));
    expect(layer.counters.sent).toBe(1);
  });
});
