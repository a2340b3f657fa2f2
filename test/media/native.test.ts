import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { MediaRelay } from '../../src/media/index.js';
import { loadNativeRelay, NATIVE_ADDON_PATH } from '../../src/media/native.js';
import { NativeForwarder } from '../../src/media/native-forwarder.js';
import { SlotTable } from '../../src/media/slots.js';
import { monotonicMs } from '../../src/media/worker-host.js';
import { Endpoint, freeRange, LO4, rtp, until } from './helpers.js';

// npm install builds the addon where a compiler is present; CI must have it, a user may not.
const native = loadNativeRelay();
const built = !(native instanceof Error);
if (!built && process.env.CI === undefined) console.log(`native media I/O tests skipped: ${native.message}`);

describe.skipIf(!built && process.env.CI === undefined)('native media I/O (native/)', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  async function relay(options: { workers: number; native?: boolean; pairs?: number; base?: number; clock?: FakeClock }): Promise<MediaRelay> {
    const pairs = options.pairs ?? 4;
    const base = options.base ?? (await freeRange(pairs * 4));
    const r = new MediaRelay({
      realms: { a: { address: LO4, portMin: base, portMax: base + pairs * 2 }, b: { address: LO4, portMin: base + pairs * 2, portMax: base + pairs * 4 } },
      workers: options.workers,
      native: options.native,
      clock: options.clock,
    });
    cleanup.push(() => r.close());
    return r;
  }

  it('is built, loads, and was compiled for the slot layout src/media uses', () => {
    expect(native instanceof Error ? native.message : NATIVE_ADDON_PATH).toBe(NATIVE_ADDON_PATH);
  });

  it('forwards natively by default; through node:dgram with native: false, or in-thread on an injected clock', async () => {
    expect((await relay({ workers: 1 })).io).toBe('native');
    expect((await relay({ workers: 0 })).io).toBe('native');
    expect((await relay({ workers: 1, native: false })).io).toBe('dgram');
    expect((await relay({ workers: 0, native: false })).io).toBe('dgram');
    expect((await relay({ workers: 0, clock: new FakeClock(0) })).io).toBe('dgram');
    // A worker keeps its own clock: an injected one is mapped when read (relay.ts), so it forwards natively.
    expect((await relay({ workers: 1, clock: new FakeClock(0) })).io).toBe('native');
  });

  it('skips a port someone else holds (the bind error carries its errno name, as dgram gives it)', async () => {
    const base = await freeRange(16);
    const squatter = createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(base, LO4, () => resolve()));
    cleanup.push(() => squatter.close());
    const r = await relay({ workers: 1, base });
    const s = (await r.open('skip', { realm: 'a', rtcpMux: false }, { realm: 'b', rtcpMux: false }))!;
    expect(s.local('a').rtpPort).not.toBe(base);
    const A = await Endpoint.open();
    const B = await Endpoint.open();
    cleanup.push(() => A.close(), () => B.close());
    s.setRemote('a', { address: LO4, rtpPort: A.port, rtcpPort: null });
    s.setRemote('b', { address: LO4, rtpPort: B.port, rtcpPort: null });
    await A.send(rtp(1), s.local('a').rtpPort);
    expect((await B.next()).msg.readUInt16BE(2)).toBe(1);
  });

  it('relays a burst (several datagrams per recvmmsg) in order, counting every one', async () => {
    const r = await relay({ workers: 1 });
    const s = (await r.open('burst', { realm: 'a', rtcpMux: false }, { realm: 'b', rtcpMux: false }))!;
    const A = await Endpoint.open();
    const B = await Endpoint.open();
    cleanup.push(() => A.close(), () => B.close());
    B.socket.setRecvBufferSize(4 << 20);
    s.setRemote('a', { address: LO4, rtpPort: A.port, rtcpPort: null });
    s.setRemote('b', { address: LO4, rtpPort: B.port, rtcpPort: null });
    // The first packet latches (a call into JS); the rest go as fast as the sender can.
    await A.send(rtp(0, 7), s.local('a').rtpPort);
    await B.next();
    const n = 2_000;
    const sends: Promise<void>[] = [];
    for (let i = 1; i <= n; i++) sends.push(A.send(rtp(i, 7), s.local('a').rtpPort));
    await Promise.all(sends);
    await until(() => B.received >= n, 5_000);
    for (let i = 1; i <= n; i++) expect((await B.next()).msg.readUInt16BE(2)).toBe(i);
    expect(s.stats('a')).toMatchObject({ packets: n + 1, bytes: (n + 1) * 172, lost: 0, dropped: 0 });
  });

  describe('NativeForwarder in this thread', () => {
    function forwarder(slots = SlotTable.create(4, false)): NativeForwarder {
      if (native instanceof Error) throw native;
      const logs: string[] = [];
      const f = new NativeForwarder(native, { slots, pools: [], strict: false, debug: false, now: () => 0, log: (_l, _f, msg) => void logs.push(msg) }, monotonicMs());
      cleanup.push(() => f.closeAll());
      return f;
    }

    it('forwards and counts without calling into JavaScript per packet: only to apply the remotes and to latch', async () => {
      const slots = SlotTable.create(4, false);
      const f = forwarder(slots);
      const port = await freeRange(4);
      expect(await f.bindSide(0, 0, LO4, 4, port)).toBeNull();
      expect(await f.bindSide(0, 1, LO4, 4, port + 2)).toBeNull();
      const A = await Endpoint.open();
      const B = await Endpoint.open();
      cleanup.push(() => A.close(), () => B.close());
      slots.reset(0, 0);
      slots.writeRemote(0, 0, false, LO4, A.port, A.port + 1);
      slots.writeRemote(0, 1, false, LO4, B.port, B.port + 1);
      f.start(0, 'direct', false, false);
      const n = 300;
      for (let i = 0; i < n; i++) await A.send(rtp(i, 5), port);
      await until(() => B.received >= n);
      expect(B.received).toBe(n);
      expect(slots.f64[slots.sideBase(0, 0)]).toBe(n); // PACKETS
      const [recvErrors, sendErrors, calls] = f.counters();
      expect([recvErrors, sendErrors]).toEqual([0, 0]);
      // The remotes were applied from start() itself; the first packet latched side a: one call.
      expect(calls).toBe(1);
    });

    it('reports bind errors by errno name and binds nothing then', async () => {
      const f = forwarder();
      const port = await freeRange(4);
      expect(await f.bindSide(0, 0, LO4, 4, port)).toBeNull();
      expect(await f.bindSide(1, 0, LO4, 4, port)).toMatchObject({ code: 'EADDRINUSE', syscall: 'bind', port });
      // RTP free, RTCP taken: the RTP socket is given back.
      expect(await f.bindSide(2, 0, LO4, 4, port - 1)).toMatchObject({ code: 'EADDRINUSE', port });
      expect(await f.bindSide(3, 0, '::1', 4, port + 2)).toMatchObject({ code: 'EINVAL' });
      f.close(0);
      expect(await f.bindSide(0, 0, LO4, 4, port - 1)).toBeNull();
    });

    it('refuses to start a stream missing a side, and closes what was bound', async () => {
      const f = forwarder();
      const port = await freeRange(4);
      expect(await f.bindSide(0, 0, LO4, 4, port)).toBeNull();
      f.start(0, 'half', false, false);
      expect(f.size).toBe(0);
      expect(await f.bindSide(1, 0, LO4, 4, port)).toBeNull();
    });
  });
});
