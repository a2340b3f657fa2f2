import { afterEach, describe, expect, it } from 'vitest';
import { MediaRelay, type RelayStream } from '../../src/media/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { bindable, Endpoint, freeRange, LO4, rtcp, rtp, until } from './helpers.js';


describe('media relay with worker threads', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  async function relay(workers: number, pairs = 4) {
    const base = await freeRange(pairs * 4);
    const logs: { level: number; msg: string; [k: string]: unknown }[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(JSON.parse(line) as (typeof logs)[number]) } });
    const r = new MediaRelay({
      realms: { a: { address: LO4, portMin: base, portMax: base + pairs * 2 }, b: { address: LO4, portMin: base + pairs * 2, portMax: base + pairs * 4 } },
      workers,
      logger,
    });
    cleanup.push(() => r.close());
    return { r, logs };
  }

  async function call(r: MediaRelay, id: string) {
    const s = (await r.open(id, { realm: 'a', rtcpMux: false }, { realm: 'b', rtcpMux: false }))!;
    expect(s).not.toBeNull();
    const A = { rtp: await Endpoint.open(), rtcp: await Endpoint.open() };
    const B = { rtp: await Endpoint.open(), rtcp: await Endpoint.open() };
    cleanup.push(() => [A.rtp, A.rtcp, B.rtp, B.rtcp].forEach((e) => e.close()));
    s.setRemote('a', { address: LO4, rtpPort: A.rtp.port, rtcpPort: A.rtcp.port });
    s.setRemote('b', { address: LO4, rtpPort: B.rtp.port, rtcpPort: B.rtcp.port });
    return { s, A, B };
  }

  /** One packet each way, checked, through stream s. */
  async function roundTrip({ s, A, B }: Awaited<ReturnType<typeof call>>, seq: number): Promise<void> {
    await A.rtp.send(rtp(seq, 0xa), s.local('a').rtpPort);
    expect((await B.rtp.next()).msg.readUInt16BE(2)).toBe(seq);
    await B.rtp.send(rtp(seq, 0xb), s.local('b').rtpPort);
    expect((await A.rtp.next()).msg.readUInt16BE(2)).toBe(seq);
  }

  it('spreads streams over the workers and relays both ways; stats are read in the main thread', async () => {
    const { r, logs } = await relay(2);
    const calls = [];
    for (let i = 0; i < 4; i++) calls.push(await call(r, `c${i}`));
    expect(r.load).toEqual([2, 2]);
    for (const [i, c] of calls.entries()) await roundTrip(c, 100 + i);
    const { s, A, B } = calls[0]!;
    await A.rtcp.send(rtcp(0xa), s.local('a').rtcpPort);
    expect((await B.rtcp.next()).from.port).toBe(s.local('b').rtcpPort);
    expect(s.stats('a')).toMatchObject({ packets: 1, bytes: 172, rtcpPackets: 1, lost: 0, dropped: 0, latched: { address: LO4, port: A.rtp.port } });
    expect(s.stats('b')).toMatchObject({ packets: 1, rtcpPackets: 0, latched: { address: LO4, port: B.rtp.port } });
    expect(s.idleMs()).toBeLessThan(1_000);
    // Latches are logged through the main thread's logger.
    expect(logs.some((l) => l.msg === 'media latched' && l.stream === 'c0')).toBe(true);
  });

  it('gives ports back on close: counted at once, bindable once the worker has closed them', async () => {
    const { r } = await relay(1);
    const c = await call(r, 'x');
    await roundTrip(c, 1);
    const ports = [c.s.local('a').rtpPort, c.s.local('a').rtcpPort, c.s.local('b').rtpPort, c.s.local('b').rtcpPort];
    c.s.close();
    expect(r.poolStats()).toEqual({ a: { free: 4, used: 0 }, b: { free: 4, used: 0 } });
    expect(r.streamCount).toBe(0);
    // What it had counted stays readable after close.
    expect(c.s.stats('a')).toMatchObject({ packets: 1, latched: { port: c.A.rtp.port } });
    await r.sync();
    for (const p of ports) expect(await bindable(p)).toBe(true);
    expect(r.load).toEqual([0]);
  });

  it('close() ends every worker thread and frees every port', async () => {
    const { r } = await relay(2);
    const streams: RelayStream[] = [];
    for (let i = 0; i < 3; i++) streams.push((await call(r, `s${i}`)).s);
    const exits = r.threads.map((t) => new Promise((res) => t.thread.once('exit', res)));
    await r.close();
    await Promise.all(exits);
    expect(r.poolStats()).toEqual({ a: { free: 4, used: 0 }, b: { free: 4, used: 0 } });
    for (const s of streams) {
      expect(s.isClosed).toBe(true);
      expect(await bindable(s.local('a').rtpPort)).toBe(true);
      expect(await bindable(s.local('b').rtcpPort)).toBe(true);
    }
    await expect(r.open('late', { realm: 'a', rtcpMux: false }, { realm: 'b', rtcpMux: false })).rejects.toMatchObject({ code: 'SLUICE_ERR_MEDIA_CLOSED' });
  });

  it('reports a worker that dies, closes its streams, and goes on with a new one', async () => {
    const { r, logs } = await relay(1);
    const c = await call(r, 'doomed');
    await roundTrip(c, 1);
    const port = c.s.local('a').rtpPort;
    await r.threads[0]!.thread.terminate(); // as a crash would: the relay did not ask for it
    await until(() => c.s.isClosed);
    expect(logs.some((l) => l.msg === 'media worker died; its streams are closed' && l.streamsClosed === 1 && l.restart === true)).toBe(true);
    expect(c.s.stats('a').packets).toBe(1);
    expect(r.poolStats().a).toEqual({ free: 4, used: 0 });
    expect(r.stream('doomed')).toBeUndefined();
    c.s.setRemote('a', null); // a no-op on a closed stream, never a throw
    // The dead thread's sockets went with it; a replacement worker takes new streams.
    expect(await bindable(port)).toBe(true);
    await roundTrip(await call(r, 'after'), 2);
  });

  it('fails clearly once workers keep dying', async () => {
    const { r, logs } = await relay(1);
    // Bounded: four deaths within the restart window, the last one is not restarted.
    for (let i = 0; i < 4; i++) {
      const t = r.threads[0]!;
      await until(() => r.load.length === 1 && r.threads[0] !== undefined);
      await t.thread.terminate();
      await until(() => logs.filter((l) => l.msg === 'media worker died; its streams are closed').length === i + 1);
    }
    expect(logs.at(-1)).toMatchObject({ restart: false });
    await expect(r.open('none', { realm: 'a', rtcpMux: false }, { realm: 'b', rtcpMux: false })).rejects.toMatchObject({ code: 'SLUICE_ERR_MEDIA_WORKER', status: 503 });
  });

  it('survives bad input: empty, tiny, huge and random datagrams on every port', async () => {
    const { r } = await relay(1);
    const c = await call(r, 'fuzz');
    const stranger = await Endpoint.open();
    cleanup.push(() => stranger.close());
    const junk = [Buffer.alloc(0), Buffer.from([0x80]), Buffer.alloc(65_000, 0x80), Buffer.from([0x80, 200, 0xff, 0xff]), Buffer.from('INVITE sip:x SIP/2.0\r\n\r\n')];
    for (let i = 0; i < 50; i++) junk.push(Buffer.from(Array.from({ length: 1 + ((i * 37) % 300) }, (_, k) => (i * 131 + k * 17) & 0xff)));
    const marker = { rtp: rtp(4242, 0x4242), rtcp: rtcp(0x4242) };
    // Room for everything that comes back (the 65,000-byte ones too): nothing is lost on our side.
    for (const e of [stranger, c.A.rtp, c.A.rtcp, c.B.rtp, c.B.rtcp]) e.socket.setRecvBufferSize(4 << 20);
    for (const local of [c.s.local('a'), c.s.local('b')]) {
      for (const d of [...junk, marker.rtp]) await stranger.send(d, local.rtpPort);
      for (const d of [...junk, marker.rtcp]) await stranger.send(d, local.rtcpPort);
    }
    // The markers went last on each port: once all four are out (to the signalled parties, or to
    // the stranger once it had latched the far side), the relay has handled all the junk; else a
    // late datagram would latch the side re-opened below.
    const outs = [stranger, c.A.rtp, c.A.rtcp, c.B.rtp, c.B.rtcp];
    let markers = 0;
    for (let i = 0; i < 400 && markers < 4; i++) {
      await until(() => outs.some((e) => e.received > 0));
      for (const e of outs) {
        while (e.received > 0) {
          const { msg } = await e.next();
          if (msg.equals(marker.rtp) || msg.equals(marker.rtcp)) markers++;
        }
      }
    }
    expect(markers).toBe(4);
    expect(r.threads[0]!.alive).toBe(true);
    expect(c.s.isClosed).toBe(false);
    // Non-strict, the stranger latched both sides first; the parties re-signal and it works on.
    const A = await Endpoint.open();
    const B = await Endpoint.open();
    cleanup.push(() => A.close(), () => B.close());
    c.s.setRemote('a', { address: LO4, rtpPort: A.port, rtcpPort: null });
    c.s.setRemote('b', { address: LO4, rtpPort: B.port, rtcpPort: null });
    await r.sync();
    await A.send(rtp(7), c.s.local('a').rtpPort);
    expect((await B.next()).msg.readUInt16BE(2)).toBe(7);
    await B.send(rtp(8), c.s.local('b').rtpPort);
    expect((await A.next()).msg.readUInt16BE(2)).toBe(8);
  });

  it('refuses a worker count that cannot work', () => {
    for (const workers of [-1, 1.5, 65, Number.NaN]) {
      expect(() => new MediaRelay({ realms: { r: { address: LO4, portMin: 20000, portMax: 20010 } }, workers })).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_MEDIA_CONFIG' }));
    }
  });
});
