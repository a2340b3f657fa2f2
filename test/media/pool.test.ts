import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaError, MediaRelay, type RelayStream } from '../../src/media/index.js';
import { bindable, freeRange, LO4 } from './helpers.js';

const side = (realm: string) => ({ realm, rtcpMux: false });

/** Binds a foreign socket (someone else using a port in the relay's range). */
function occupy(port: number): Promise<Socket> {
  const s = createSocket('udp4');
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, LO4, () => resolve(s));
  });
}


describe('port pools', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  async function relayWith(pairsA: number, pairsB: number) {
    const baseA = await freeRange(pairsA * 2);
    const baseB = await freeRange(pairsB * 2);
    const relay = new MediaRelay({
      realms: {
        access: { address: LO4, advertise: '192.0.2.10', portMin: baseA, portMax: baseA + pairsA * 2 },
        core: { address: LO4, portMin: baseB, portMax: baseB + pairsB * 2 },
      },
    });
    cleanup.push(() => relay.close());
    return { relay, baseA, baseB };
  }

  it('gives each side an even RTP port and the next odd RTCP port, bound, in its realm', async () => {
    const { relay, baseA, baseB } = await relayWith(4, 4);
    const s = (await relay.open('call-1:0', side('access'), side('core')))!;
    expect(s).not.toBeNull();
    expect(s.id).toBe('call-1:0');
    const a = s.local('a');
    const b = s.local('b');
    expect(a).toEqual({ address: '192.0.2.10', rtpPort: baseA, rtcpPort: baseA + 1 });
    expect(b).toEqual({ address: LO4, rtpPort: baseB, rtcpPort: baseB + 1 });
    for (const p of [a.rtpPort, a.rtcpPort, b.rtpPort, b.rtcpPort]) expect(await bindable(p)).toBe(false);
    expect(relay.poolStats()).toEqual({ access: { free: 3, used: 1 }, core: { free: 3, used: 1 } });
    expect(relay.streamCount).toBe(1);
  });

  it('resolves null on exhaustion and leaves nothing half-allocated', async () => {
    const { relay, baseA } = await relayWith(3, 2);
    const s1 = await relay.open('s1', side('access'), side('core'));
    const s2 = await relay.open('s2', side('access'), side('core'));
    expect(s1).not.toBeNull();
    expect(s2).not.toBeNull();
    // access still has a pair, core has none: the access pair taken for s3 must go back.
    expect(await relay.open('s3', side('access'), side('core'))).toBeNull();
    expect(relay.poolStats()).toEqual({ access: { free: 1, used: 2 }, core: { free: 0, used: 2 } });
    expect(await bindable(baseA + 4)).toBe(true);
    expect(await bindable(baseA + 5)).toBe(true);
    expect(relay.streamCount).toBe(2);
    // Once a stream closes, its ports serve the next open.
    s1!.close();
    s1!.close(); // idempotent
    expect(relay.poolStats()).toEqual({ access: { free: 2, used: 1 }, core: { free: 1, used: 1 } });
    const s4 = await relay.open('s4', side('access'), side('core'));
    expect(s4).not.toBeNull();
    expect(s4!.local('a').rtpPort % 2).toBe(0);
  });

  it('skips pairs whose even or odd port someone else holds, never keeping half a pair', async () => {
    const { relay, baseA } = await relayWith(3, 3);
    const foreignEven = await occupy(baseA);
    const foreignOdd = await occupy(baseA + 3);
    cleanup.push(() => foreignEven.close(), () => foreignOdd.close());
    const s = (await relay.open('s', side('access'), side('core')))!;
    expect(s.local('a').rtpPort).toBe(baseA + 4);
    // The pair at baseA+2 failed on its odd port: its even port was let go again.
    expect(await bindable(baseA + 2)).toBe(true);
    expect(relay.poolStats().access).toEqual({ free: 2, used: 1 });
    // Both skipped pairs are still in the pool but cannot be bound: the next open finds none.
    expect(await relay.open('t', side('access'), side('core'))).toBeNull();
    expect(relay.poolStats()).toEqual({ access: { free: 2, used: 1 }, core: { free: 2, used: 1 } });
  });

  it('uses the even ports of [portMin, portMax) when portMin is odd', async () => {
    const base = await freeRange(6);
    const relay = new MediaRelay({ realms: { r: { address: LO4, portMin: base + 1, portMax: base + 6 } } });
    cleanup.push(() => relay.close());
    expect(relay.poolStats()).toEqual({ r: { free: 2, used: 0 } });
    const s = (await relay.open('x', side('r'), side('r')))!;
    expect([s.local('a').rtpPort, s.local('b').rtpPort]).toEqual([base + 2, base + 4]);
  });

  it('gives every port back when the relay closes, and refuses to open afterwards', async () => {
    const { relay, baseA, baseB } = await relayWith(4, 4);
    const streams: RelayStream[] = [];
    for (let i = 0; i < 4; i++) streams.push((await relay.open(`c${i}`, side('access'), side('core')))!);
    expect(relay.poolStats()).toEqual({ access: { free: 0, used: 4 }, core: { free: 0, used: 4 } });
    await relay.close();
    expect(relay.streamCount).toBe(0);
    expect(relay.poolStats()).toEqual({ access: { free: 4, used: 0 }, core: { free: 4, used: 0 } });
    for (let p = 0; p < 8; p++) {
      expect(await bindable(baseA + p)).toBe(true);
      expect(await bindable(baseB + p)).toBe(true);
    }
    await expect(relay.open('late', side('access'), side('core'))).rejects.toMatchObject({ code: 'SLUICE_ERR_MEDIA_CLOSED' });
  });

  it('refuses unknown realms and duplicate ids with typed errors', async () => {
    const { relay } = await relayWith(2, 2);
    await expect(relay.open('x', side('nowhere'), side('core'))).rejects.toBeInstanceOf(MediaError);
    await expect(relay.open('x', side('nowhere'), side('core'))).rejects.toMatchObject({ code: 'SLUICE_ERR_MEDIA_REALM' });
    const first = relay.open('dup', side('access'), side('core'));
    await expect(relay.open('dup', side('access'), side('core'))).rejects.toMatchObject({ code: 'SLUICE_ERR_MEDIA_DUPLICATE' });
    expect(await first).not.toBeNull();
    expect(relay.poolStats().access?.used).toBe(1);
  });

  it('refuses realm media sections that cannot work', () => {
    const bad = [
      { address: 'media.example.com', portMin: 20000, portMax: 20010 },
      { address: LO4, portMin: 20010, portMax: 20000 },
      { address: LO4, portMin: 0, portMax: 100 },
      { address: LO4, portMin: 60000, portMax: 70000 },
      { address: LO4, portMin: 20001, portMax: 20002 },
    ];
    for (const media of bad) {
      expect(() => new MediaRelay({ realms: { r: media } })).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_MEDIA_CONFIG' }));
    }
  });
});
