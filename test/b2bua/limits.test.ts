/**
 * What ends or refuses calls: no free media ports (503, nothing half-allocated), an SDP the relay
 * cannot use (488), the maximum call duration (BYE on both legs, the reason in the CDR).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Session, SessionEnd } from '../../src/ua/index.js';
import { engineSuite, phone, register, until } from './fixtures.js';

const suite = engineSuite('b2bua-limits');

describe('call limits', () => {
  it('refuses a call with 503 when no media port pair is free, leaving nothing allocated', async () => {
    // Two pairs inside: a call between two inside phones takes both (one per leg).
    const { engine, insidePort } = await suite.start({ insidePairs: 2 });
    const alice = await phone('la');
    const bob = await phone('lb');
    await register(bob, 'lb', insidePort);
    bob.ua.handler = { onInvite: (c) => void c.accept({ body: bob.sdp() }) };
    const first = await alice.ua.invite({ uri: `sip:lb@127.0.0.1:${insidePort}`, from: '<sip:la@sluice.test>', body: alice.sdp() }).answered;
    const second = alice.ua.invite({ uri: `sip:lb@127.0.0.1:${insidePort}`, from: '<sip:la@sluice.test>', body: alice.sdp() });
    await expect(second.answered).rejects.toMatchObject({ status: 503 });
    expect(engine.relay!.poolStats().inside).toEqual({ free: 0, used: 2 });
    await first.bye();
    await until(() => engine.activeCalls === 0 && engine.relay!.poolStats().inside!.used === 0);
  });

  it('refuses an SDP whose media address the relay cannot use with 488', async () => {
    const { engine, insidePort } = await suite.start();
    const alice = await phone('ma');
    const bob = await phone('mb');
    await register(bob, 'mb', insidePort);
    const hostname = alice.sdp().replace(/c=IN IP4 127\.0\.0\.1/, 'c=IN IP4 phone.example.com');
    await expect(alice.ua.invite({ uri: `sip:mb@127.0.0.1:${insidePort}`, from: '<sip:ma@sluice.test>', body: hostname }).answered).rejects.toMatchObject({ status: 488 });
    // A body that is no SDP at all gets 488 too, and the engine goes on.
    await expect(alice.ua.invite({ uri: `sip:mb@127.0.0.1:${insidePort}`, from: '<sip:ma@sluice.test>', body: 'not an SDP\r\n' }).answered).rejects.toMatchObject({ status: 488 });
    await until(() => engine.activeCalls === 0);
    expect(engine.relay!.poolStats().inside!.used).toBe(0);
  });

  it('ends a call at its maximum duration with BYE on both legs, recorded in the CDR', async () => {
    const { engine, insidePort, cdrFile } = await suite.start({ calls: { maxDurationSeconds: 1 } });
    const alice = await phone('da');
    const bob = await phone('db');
    await register(bob, 'db', insidePort);
    const ends: SessionEnd[] = [];
    bob.ua.handler = { onInvite: (c) => void (c.accept({ body: bob.sdp() }).handler = { onTerminated: (e) => ends.push(e) }) };
    const s: Session = await alice.ua.invite({ uri: `sip:db@127.0.0.1:${insidePort}`, from: '<sip:da@sluice.test>', body: alice.sdp() }).answered;
    const aliceEnds: SessionEnd[] = [];
    s.handler = { onTerminated: (e) => aliceEnds.push(e) };
    await until(() => ends.length === 1 && aliceEnds.length === 1, 4000);
    expect(ends[0]).toEqual({ by: 'remote', cause: 'bye' });
    expect(aliceEnds[0]).toEqual({ by: 'remote', cause: 'bye' });
    await engine.cdr!.flush();
    const cdr = JSON.parse(readFileSync(cdrFile, 'utf8').trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(cdr).toMatchObject({ endReason: 'max-duration', endedBy: 'sluice' });
    expect(cdr.durationSeconds).toBeGreaterThanOrEqual(0.9);
  });
});
