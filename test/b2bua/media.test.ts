/**
 * Media shapes through the B2BUA: 12 m= lines at once, a re-INVITE adding a video stream (new
 * ports) and removing it again (ports freed), direct media by dialplan policy, and media
 * inactivity ending the call.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getMediaLine, parseSdp } from '../../src/sdp/index.js';
import type { SessionEnd } from '../../src/ua/index.js';
import { engineSuite, phone, register, until } from './fixtures.js';

const suite = engineSuite('b2bua-media');

const streams = (n: number, port: number, extra = ''): string =>
  'v=0\r\no=p 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
  Array.from({ length: n }, (_, i) => `m=${i % 2 === 0 ? 'audio' : 'video'} ${port + 2 * i} RTP/AVP ${i % 2 === 0 ? '0' : '96'}\r\n${i % 2 === 1 ? 'a=rtpmap:96 H264/90000\r\n' : ''}`).join('') +
  extra;

const ports = (sdp: string): number[] => parseSdp(sdp).media.map((_m, i) => getMediaLine(parseSdp(sdp), i).port);

describe('media through the B2BUA', () => {
  it('relays 12 m= lines, adds a stream by re-INVITE and frees it again', async () => {
    const { engine, insidePort } = await suite.start({ insidePairs: 40 });
    const alice = await phone('ma12');
    const bob = await phone('mb12');
    await register(bob, 'mb12', insidePort);
    let offers: string[] = [];
    bob.ua.handler = {
      onInvite(c) {
        offers.push(c.offer!);
        c.accept({ body: streams(parseSdp(c.offer!).media.length, 50000) }).handler = {
          onOffer(o) {
            offers.push(o.sdp!);
            const n = parseSdp(o.sdp!).media.length;
            o.accept({ body: streams(n, 50000).replace(/m=video 50002/, n === 2 && o.sdp!.includes('m=video 0') ? 'm=video 0' : 'm=video 50002') });
          },
        };
      },
    };
    const s = await alice.ua.invite({ uri: `sip:mb12@127.0.0.1:${insidePort}`, from: '<sip:ma12@sluice.test>', body: streams(12, 40000) }).answered;
    expect(ports(offers[0]!)).toHaveLength(12);
    expect(ports(offers[0]!).every((p) => p % 2 === 0 && p !== 0)).toBe(true);
    expect(new Set(ports(s.record.remoteSdp!)).size).toBe(12);
    expect(engine.relay!.poolStats().inside!.used).toBe(24);
    await s.bye();
    await until(() => engine.relay!.poolStats().inside!.used === 0);

    // An audio call; a re-INVITE adds video (new ports), another disables it (ports freed).
    offers = [];
    const c2 = await alice.ua.invite({ uri: `sip:mb12@127.0.0.1:${insidePort}`, from: '<sip:ma12@sluice.test>', body: streams(1, 40000) }).answered;
    expect(engine.relay!.poolStats().inside!.used).toBe(2);
    expect((await c2.reinvite({ body: streams(2, 40000) })).status).toBe(200);
    expect(ports(offers[1]!)[1]).not.toBe(0);
    expect(engine.relay!.poolStats().inside!.used).toBe(4);
    expect((await c2.reinvite({ body: streams(2, 40000).replace('m=video 40002', 'm=video 0') })).status).toBe(200);
    expect(ports(offers[2]!)[1]).toBe(0);
    expect(engine.relay!.poolStats().inside!.used).toBe(2);
    await c2.bye();
    await until(() => engine.relay!.poolStats().inside!.used === 0);
  });

  it('hands each side the other one\'s address with direct media', async () => {
    const { engine, insidePort } = await suite.start({ sharedStore: true, dialplan: { rules: [{ name: 'direct', match: { registered: true }, to: 'registered', media: 'direct' }] } });
    const alice = await phone('da1');
    const bob = await phone('db1');
    await register(bob, 'db1', insidePort);
    let offer = '';
    bob.ua.handler = { onInvite: (c) => void ((offer = c.offer!), c.accept({ body: bob.sdp() })) };
    const s = await alice.ua.invite({ uri: `sip:db1@127.0.0.1:${insidePort}`, from: '<sip:da1@sluice.test>', body: alice.sdp() }).answered;
    expect(ports(offer)).toEqual([alice.rtpPort]);
    expect(ports(s.record.remoteSdp!)).toEqual([bob.rtpPort]);
    expect(offer).toContain('o=sluice ');
    expect(engine.relay!.poolStats().inside!.used).toBe(0);
    // No pinholes, so no media record; the call and its legs are on record as ever.
    for (let i = 0; i < 100 && (await engine.store.list('leg')).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await engine.store.list('leg')).toHaveLength(2);
    expect(await engine.store.list('media')).toEqual([]);
    await s.bye();
  });

  it('ends a call whose media stopped (inactivity), with BYE on both legs', async () => {
    const { engine, insidePort, cdrFile } = await suite.start({ calls: { mediaTimeoutSeconds: 1 } });
    const alice = await phone('ia');
    const bob = await phone('ib');
    await register(bob, 'ib', insidePort);
    const ends: SessionEnd[] = [];
    bob.ua.handler = { onInvite: (c) => void (c.accept({ body: bob.sdp() }).handler = { onTerminated: (e) => ends.push(e) }) };
    await alice.ua.invite({ uri: `sip:ib@127.0.0.1:${insidePort}`, from: '<sip:ia@sluice.test>', body: alice.sdp() }).answered;
    await until(() => ends.length === 1, 5000);
    await engine.cdr!.flush();
    const cdr = JSON.parse(readFileSync(cdrFile, 'utf8').trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(cdr).toMatchObject({ endReason: 'media-timeout', endedBy: 'sluice' });
  });
});
