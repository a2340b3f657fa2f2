import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { MediaRelay, type RelayStream, type Side } from '../../src/media/index.js';
import { Endpoint, freeRange, LO4, LO6, rtcp, rtp, sleep, until } from './helpers.js';

/** One party: an RTP and an RTCP socket on loopback, signalled as address:rtp/rtcp. */
interface Party {
  rtp: Endpoint;
  rtcp: Endpoint;
}

// Every behaviour holds in-thread (workers: 0) and with the sockets in a worker thread, forwarded
// by the native addon (where it is built: test/media/native.test.ts; in-thread not with a
// FakeClock) or by node:dgram.
describe.each([
  { workers: 0, native: true },
  { workers: 0, native: false },
  { workers: 1, native: true },
  { workers: 1, native: false },
])('media relay over loopback (workers: $workers, native: $native)', ({ workers, native }) => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  async function party(address = LO4): Promise<Party> {
    const p = { rtp: await Endpoint.open(address), rtcp: await Endpoint.open(address) };
    cleanup.push(() => p.rtp.close(), () => p.rtcp.close());
    return p;
  }

  async function relay(opts: { strict?: boolean; clock?: FakeClock; pairs?: number; address?: string } = {}): Promise<MediaRelay> {
    const pairs = opts.pairs ?? 4;
    const address = opts.address ?? LO4;
    const base = await freeRange(pairs * 4, address);
    const r = new MediaRelay({
      realms: {
        a: { address, portMin: base, portMax: base + pairs * 2 },
        b: { address, portMin: base + pairs * 2, portMax: base + pairs * 4 },
      },
      strict: opts.strict,
      clock: opts.clock,
      workers,
      native,
    });
    cleanup.push(() => r.close());
    if (!native) expect(r.io).toBe('dgram');
    return r;
  }

  const signal = (s: RelayStream, side: Side, p: Party): void =>
    s.setRemote(side, { address: p.rtp.address, rtpPort: p.rtp.port, rtcpPort: p.rtcp.port });

  async function call(r: MediaRelay, mux: { a?: boolean; b?: boolean } = {}, id = 'call') {
    const s = (await r.open(id, { realm: 'a', rtcpMux: mux.a ?? false }, { realm: 'b', rtcpMux: mux.b ?? false }))!;
    expect(s).not.toBeNull();
    const A = await party(s.local('a').address);
    const B = await party(s.local('b').address);
    signal(s, 'a', A);
    signal(s, 'b', B);
    return { s, A, B };
  }

  it('relays RTP and RTCP both ways, unchanged, from the far side’s ports', async () => {
    const r = await relay();
    const { s, A, B } = await call(r);
    const p1 = rtp(1000, 0xa);
    await A.rtp.send(p1, s.local('a').rtpPort);
    const got1 = await B.rtp.next();
    expect(got1.msg.equals(p1)).toBe(true);
    expect(got1.from.port).toBe(s.local('b').rtpPort);

    const p2 = rtp(7, 0xb);
    await B.rtp.send(p2, s.local('b').rtpPort);
    const got2 = await A.rtp.next();
    expect(got2.msg.equals(p2)).toBe(true);
    expect(got2.from.port).toBe(s.local('a').rtpPort);

    await A.rtcp.send(rtcp(0xa), s.local('a').rtcpPort);
    const got3 = await B.rtcp.next();
    expect(got3.msg.equals(rtcp(0xa))).toBe(true);
    expect(got3.from.port).toBe(s.local('b').rtcpPort);
    await B.rtcp.send(rtcp(0xb), s.local('b').rtcpPort);
    expect((await A.rtcp.next()).from.port).toBe(s.local('a').rtcpPort);

    expect(s.stats('a')).toMatchObject({ packets: 1, bytes: 172, rtcpPackets: 1, lost: 0, dropped: 0, latched: { address: LO4, port: A.rtp.port } });
    expect(s.stats('b')).toMatchObject({ packets: 1, bytes: 172, rtcpPackets: 1, lost: 0, dropped: 0, latched: { address: LO4, port: B.rtp.port } });
  });

  it('latches to the real source: replies go where the party sends from, not where it signalled', async () => {
    const r = await relay();
    const { s, A, B } = await call(r);
    // Before A sends anything, B's media goes to A's signalled port.
    await B.rtp.send(rtp(1), s.local('b').rtpPort);
    expect((await A.rtp.next()).msg.readUInt16BE(2)).toBe(1);
    // A is behind NAT: it sends from another port than it put in its SDP.
    const natted = await Endpoint.open();
    cleanup.push(() => natted.close());
    await natted.send(rtp(50), s.local('a').rtpPort);
    await B.rtp.next();
    expect(s.stats('a').latched).toEqual({ address: LO4, port: natted.port });
    await B.rtp.send(rtp(2), s.local('b').rtpPort);
    expect((await natted.next()).msg.readUInt16BE(2)).toBe(2);
    expect(A.rtp.received).toBe(0);
  });

  it('refuses a stranger after latching (in the kernel: the socket is connected), and lets a new source latch after setRemote', async () => {
    const r = await relay();
    const { s, A, B } = await call(r);
    await A.rtp.send(rtp(1), s.local('a').rtpPort);
    await B.rtp.next();
    const stranger = await Endpoint.open();
    cleanup.push(() => stranger.close());
    await stranger.send(rtp(999, 0xbad), s.local('a').rtpPort);
    await stranger.send(rtcp(0xbad), s.local('a').rtcpPort); // the RTCP port had latched nothing yet: it latches
    await B.rtcp.next();
    // A's stream goes on; the stranger's RTP (sent first) never reached B.
    await A.rtp.send(rtp(2), s.local('a').rtpPort);
    expect((await B.rtp.next()).msg.readUInt16BE(2)).toBe(2);
    expect(B.rtp.received).toBe(0);
    // The kernel refused it: the relay never saw it, so it is not counted.
    expect(s.stats('a')).toMatchObject({ packets: 2, dropped: 0, latched: { port: A.rtp.port } });
    // A re-INVITE moves A: the first source after it latches.
    const moved = await party();
    signal(s, 'a', moved);
    await r.sync();
    await moved.rtp.send(rtp(3), s.local('a').rtpPort);
    expect((await B.rtp.next()).msg.readUInt16BE(2)).toBe(3);
    await A.rtp.send(rtp(4), s.local('a').rtpPort); // the old source is a stranger now
    await B.rtp.send(rtp(5), s.local('b').rtpPort);
    expect((await moved.rtp.next()).msg.readUInt16BE(2)).toBe(5);
    await moved.rtp.send(rtp(6), s.local('a').rtpPort);
    expect((await B.rtp.next()).msg.readUInt16BE(2)).toBe(6);
    expect(A.rtp.received + B.rtp.received).toBe(0);
    expect(s.stats('a').latched).toEqual({ address: LO4, port: moved.rtp.port });
  });

  it('keeps the latched destination across a refresh with the same SDP, and re-latches on the next packet', async () => {
    const r = await relay();
    const { s, A, B } = await call(r);
    const natted = await Endpoint.open();
    cleanup.push(() => natted.close());
    await natted.send(rtp(1), s.local('a').rtpPort);
    await B.rtp.next();
    signal(s, 'a', A); // same SDP again (session refresh)
    await r.sync();
    await B.rtp.send(rtp(2), s.local('b').rtpPort);
    expect((await natted.next()).msg.readUInt16BE(2)).toBe(2);
    await natted.send(rtp(3), s.local('a').rtpPort); // closes the re-opened latch on the same source
    await B.rtp.next();
    const stranger = await Endpoint.open();
    cleanup.push(() => stranger.close());
    await stranger.send(rtp(4), s.local('a').rtpPort);
    await natted.send(rtp(5), s.local('a').rtpPort);
    expect((await B.rtp.next()).msg.readUInt16BE(2)).toBe(5);
    expect(B.rtp.received).toBe(0);
    expect(s.stats('a').latched).toEqual({ address: LO4, port: natted.port });
  });

  it('forwards on after a party was unreachable for a while (ICMP errors on the latched, connected socket)', async () => {
    const r = await relay();
    const { s, A, B } = await call(r);
    await A.rtp.send(rtp(1), s.local('a').rtpPort);
    await B.rtp.next();
    await B.rtp.send(rtp(2), s.local('b').rtpPort);
    await A.rtp.next();
    // B's phone goes away: what the relay sends it now comes back as "port unreachable".
    const port = B.rtp.port;
    B.rtp.close();
    for (let i = 3; i < 8; i++) {
      await A.rtp.send(rtp(i), s.local('a').rtpPort);
      await sleep(5);
    }
    // It comes back on the same port: both directions flow again.
    const B2 = await Endpoint.open(LO4, port);
    cleanup.push(() => B2.close());
    await B2.send(rtp(20), s.local('b').rtpPort);
    expect((await A.rtp.next()).msg.readUInt16BE(2)).toBe(20);
    await A.rtp.send(rtp(21), s.local('a').rtpPort);
    expect((await B2.next()).msg.readUInt16BE(2)).toBe(21);
  });

  it('strict mode latches only sources at the signalled IP', async () => {
    const r = await relay({ strict: true });
    const s = (await r.open('strict', { realm: 'a', rtcpMux: false }, { realm: 'b', rtcpMux: false }))!;
    const A = await party();
    const B = await party();
    // Nothing signalled yet: nothing may latch.
    await A.rtp.send(rtp(1), s.local('a').rtpPort);
    await until(() => s.stats('a').dropped === 1);
    // A said its media is at 127.0.0.2: A's packets from 127.0.0.1 are refused...
    s.setRemote('a', { address: '127.0.0.2', rtpPort: A.rtp.port, rtcpPort: null });
    signal(s, 'b', B);
    await A.rtp.send(rtp(2), s.local('a').rtpPort);
    await until(() => s.stats('a').dropped === 2);
    expect(s.stats('a').latched).toBeNull();
    // ...and once it signals 127.0.0.1, any port at that IP latches (NAT may change the port).
    s.setRemote('a', { address: LO4, rtpPort: 9, rtcpPort: null });
    const otherPort = await Endpoint.open();
    cleanup.push(() => otherPort.close());
    await otherPort.send(rtp(3), s.local('a').rtpPort);
    expect((await B.rtp.next()).msg.readUInt16BE(2)).toBe(3);
    expect(s.stats('a')).toMatchObject({ packets: 1, dropped: 2, latched: { address: LO4, port: otherPort.port } });
    expect(B.rtp.received).toBe(0);
    // On hold (c=0.0.0.0) the holder's music still comes from its last signalled IP.
    s.setRemote('a', null);
    await r.sync(); // the latched socket is re-opened for any source at that IP
    await A.rtp.send(rtp(4), s.local('a').rtpPort);
    expect((await B.rtp.next()).msg.readUInt16BE(2)).toBe(4);
  });

  it('rtcp-mux: RTCP on the mux side’s RTP port crosses to the other side’s RTCP port and back', async () => {
    const r = await relay();
    const { s, A, B } = await call(r, { a: true, b: false });
    await A.rtp.send(rtcp(0xa), s.local('a').rtpPort);
    const up = await B.rtcp.next();
    expect(up.msg.equals(rtcp(0xa))).toBe(true);
    expect(up.from.port).toBe(s.local('b').rtcpPort);
    await B.rtcp.send(rtcp(0xb), s.local('b').rtcpPort);
    const down = await A.rtp.next(); // A muxes: its RTCP arrives on its RTP port, from ours
    expect(down.msg.equals(rtcp(0xb))).toBe(true);
    expect(down.from.port).toBe(s.local('a').rtpPort);
    await A.rtp.send(rtp(1), s.local('a').rtpPort);
    expect((await B.rtp.next()).msg.readUInt16BE(2)).toBe(1);
    expect(s.stats('a')).toMatchObject({ packets: 1, rtcpPackets: 1 });
    expect(A.rtcp.received + B.rtp.received).toBe(0);
    expect(s.local('a').rtpPort % 2).toBe(0);
    expect(r.poolStats().a).toEqual({ free: 3, used: 1 }); // a mux side still holds its pair
  });

  it('rtcp-mux on both sides keeps RTCP on the RTP ports', async () => {
    const r = await relay();
    const { s, A, B } = await call(r, { a: true, b: true });
    await A.rtp.send(rtcp(0xa), s.local('a').rtpPort);
    expect((await B.rtp.next()).msg.equals(rtcp(0xa))).toBe(true);
    await B.rtp.send(rtcp(0xb), s.local('b').rtpPort);
    expect((await A.rtp.next()).msg.equals(rtcp(0xb))).toBe(true);
    expect(s.stats('b')).toMatchObject({ packets: 0, rtcpPackets: 1 });
  });

  it('counts loss from sequence gaps, across the 65535 → 0 wrap and a new SSRC', async () => {
    const r = await relay();
    const { s, A, B } = await call(r);
    const seqs = [65533, 65534, 65535, 0, 2, 3]; // 1 is lost
    for (const q of seqs) await A.rtp.send(rtp(q, 0x1), s.local('a').rtpPort);
    await until(() => B.rtp.received === seqs.length);
    expect(s.stats('a')).toMatchObject({ packets: 6, lost: 1 });
    for (const q of [40, 41, 44]) await A.rtp.send(rtp(q, 0x2), s.local('a').rtpPort); // 42, 43 lost
    await until(() => s.stats('a').packets === 9);
    expect(s.stats('a').lost).toBe(3);
    expect(s.stats('b').lost).toBe(0);
  });

  it('forwards what is not RTP (STUN, DTLS, runts) without counting it', async () => {
    const r = await relay();
    const { s, A, B } = await call(r);
    const odd = [Buffer.from([0x00, 0x01, 0x00, 0x00]), Buffer.from([0x16, 0xfe, 0xfd, 0, 0]), Buffer.from([0x80, 0x00, 0x01]), Buffer.from([0x40])];
    for (const d of odd) await A.rtp.send(d, s.local('a').rtpPort);
    for (const d of odd) expect((await B.rtp.next()).msg.equals(d)).toBe(true);
    expect(s.stats('a')).toMatchObject({ packets: 0, bytes: 0, rtcpPackets: 0, lastPacketAt: null });
  });

  it('sends nothing to a party on hold, while relaying what it sends', async () => {
    const r = await relay();
    const { s, A, B } = await call(r);
    s.setRemote('b', null);
    await A.rtp.send(rtp(1), s.local('a').rtpPort);
    await B.rtp.send(rtp(2), s.local('b').rtpPort); // music on hold from the holder still flows
    expect((await A.rtp.next()).msg.readUInt16BE(2)).toBe(2);
    await until(() => s.stats('a').packets === 1);
    s.setRemote('a', { address: '0.0.0.0', rtpPort: 9, rtcpPort: null }); // c=0.0.0.0 is hold too
    await B.rtp.send(rtp(3), s.local('b').rtpPort);
    await until(() => s.stats('b').packets === 2);
    await sleep(50);
    expect(B.rtp.received + A.rtp.received).toBe(0);
  });

  it('refuses a remote of the wrong family or with a bad port', async () => {
    const r = await relay();
    const { s } = await call(r);
    expect(() => s.setRemote('a', { address: '::1', rtpPort: 4000, rtcpPort: null })).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_MEDIA_REMOTE', status: 488 }));
    expect(() => s.setRemote('a', { address: 'phone.example.com', rtpPort: 4000, rtcpPort: null })).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_MEDIA_REMOTE' }));
    expect(() => s.setRemote('a', { address: LO4, rtpPort: 0, rtcpPort: null })).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_MEDIA_REMOTE' }));
    expect(() => s.setRemote('a', { address: LO4, rtpPort: 4000, rtcpPort: 70000 })).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_MEDIA_REMOTE' }));
  });

  it('never latches the relay’s own ports (a party whose SDP points at the relay cannot make a loop)', async () => {
    const r = await relay();
    const one = await call(r, {}, 'one');
    const two = (await r.open('two', { realm: 'a', rtcpMux: false }, { realm: 'b', rtcpMux: false }))!;
    // Stream one's B claims to receive on stream two's side a.
    one.s.setRemote('b', { address: LO4, rtpPort: two.local('a').rtpPort, rtcpPort: null });
    await one.A.rtp.send(rtp(1), one.s.local('a').rtpPort);
    await until(() => two.stats('a').dropped === 1);
    expect(two.stats('a').latched).toBeNull();
  });

  it('relays over IPv6 (::1)', async () => {
    const r = await relay({ address: LO6 });
    const { s, A, B } = await call(r);
    expect(s.local('a').address).toBe(LO6);
    await A.rtp.send(rtp(1), s.local('a').rtpPort);
    expect((await B.rtp.next()).from.address).toBe(LO6);
    await B.rtp.send(rtp(2), s.local('b').rtpPort);
    expect((await A.rtp.next()).msg.readUInt16BE(2)).toBe(2);
    expect(s.stats('a').latched).toEqual({ address: LO6, port: A.rtp.port });
  });

  it('relays 12 streams of one call at once, then gives every port back', async () => {
    const r = await relay({ pairs: 12 });
    const calls: Awaited<ReturnType<typeof call>>[] = [];
    for (let i = 0; i < 12; i++) calls.push(await call(r, {}, `call:${i}`));
    expect(r.streamCount).toBe(12);
    expect(r.poolStats()).toEqual({ a: { free: 0, used: 12 }, b: { free: 0, used: 12 } });
    expect(await r.open('call:12', { realm: 'a', rtcpMux: false }, { realm: 'b', rtcpMux: false })).toBeNull();
    const ports = new Set(calls.flatMap(({ s }) => [s.local('a').rtpPort, s.local('b').rtpPort]));
    expect(ports.size).toBe(24);
    for (let round = 0; round < 5; round++) {
      await Promise.all(calls.map(({ s, A, B }, i) => Promise.all([A.rtp.send(rtp(round, i), s.local('a').rtpPort), B.rtp.send(rtp(round, 100 + i), s.local('b').rtpPort)])));
    }
    await until(() => calls.every(({ A, B }) => A.rtp.received === 5 && B.rtp.received === 5));
    for (const [i, { s, A, B }] of calls.entries()) {
      expect(s.stats('a')).toMatchObject({ packets: 5, lost: 0, dropped: 0 });
      expect(s.stats('b')).toMatchObject({ packets: 5, lost: 0, dropped: 0 });
      // Each stream carried only its own parties' SSRCs.
      for (let k = 0; k < 5; k++) {
        expect((await B.rtp.next()).msg.readUInt32BE(8)).toBe(i);
        expect((await A.rtp.next()).msg.readUInt32BE(8)).toBe(100 + i);
      }
    }
    for (const { s } of calls) s.close();
    expect(r.streamCount).toBe(0);
    expect(r.poolStats()).toEqual({ a: { free: 12, used: 0 }, b: { free: 12, used: 0 } });
  });

  it.skipIf(workers > 0)('measures idleness on the injected clock', async () => {
    const clock = new FakeClock(1_000);
    const r = await relay({ clock });
    const { s, A, B } = await call(r);
    expect(s.idleMs()).toBe(0);
    clock.advance(500);
    expect(s.idleMs()).toBe(500);
    await A.rtp.send(rtp(1), s.local('a').rtpPort);
    await B.rtp.next();
    expect(s.idleMs()).toBe(0);
    expect(s.stats('a').lastPacketAt).toBe(1_500);
    clock.advance(200);
    await B.rtcp.send(rtcp(), s.local('b').rtcpPort); // RTCP counts as activity too
    await A.rtcp.next();
    clock.advance(50);
    expect(s.idleMs()).toBe(50);
    expect(s.stats('b').lastPacketAt).toBe(1_700);
    expect(s.stats('b').packets).toBe(0);
  });

  it('measures idleness and stamps packets on the relay clock', async () => {
    const r = await relay();
    const { s, A, B } = await call(r);
    await sleep(30);
    expect(s.idleMs()).toBeGreaterThanOrEqual(25);
    const before = performance.now();
    await A.rtp.send(rtp(1), s.local('a').rtpPort);
    await B.rtp.next();
    expect(s.idleMs()).toBeLessThan(25);
    const at = s.stats('a').lastPacketAt!;
    expect(at).toBeGreaterThanOrEqual(before - 1);
    expect(at).toBeLessThanOrEqual(performance.now() + 1);
    expect(s.stats('b').lastPacketAt).toBeNull();
  });
});
