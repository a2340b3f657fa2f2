/**
 * Hold and resume through the B2BUA: sendonly, recvonly, inactive and c=0.0.0.0 reach the far
 * phone as sent (regenerated), media flows again after resume, and with `releaseOnHold` the
 * relay's ports go back to the pool while on hold and are allocated again on resume.
 */
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/b2bua/index.js';
import type { Session } from '../../src/ua/index.js';
import { mediaOf, phone, register, rtpPacket, engineSuite, until, type Phone } from './fixtures.js';

const suite = engineSuite('b2bua-hold');

/** RTP both ways through the relay, given the SDP each phone last got. */
async function mediaFlows(alice: Phone, bob: Phone, toAlice: string, toBob: string): Promise<void> {
  const [a, b] = [alice.received.length, bob.received.length];
  alice.rtp.send(rtpPacket(1), mediaOf(toAlice).port, '127.0.0.1');
  await until(() => bob.received.length > b);
  bob.rtp.send(rtpPacket(2), mediaOf(toBob).port, '127.0.0.1');
  await until(() => alice.received.length > a);
}

async function call(engine: Engine, insidePort: number, tag: string): Promise<{ alice: Phone; bob: Phone; s: Session; lastToBob: () => string }> {
  const alice = await phone(`${tag}a`);
  const bob = await phone(`${tag}b`);
  await register(bob, `${tag}b`, insidePort);
  let toBob = '';
  bob.ua.handler = {
    onInvite(c) {
      toBob = c.offer!;
      c.accept({ body: bob.sdp() }).handler = {
        onOffer(o) {
          toBob = o.sdp ?? toBob;
          // Answer as a phone does: recvonly to sendonly, inactive to inactive, else sendrecv.
          const dir = /a=sendonly/.test(toBob) ? 'a=recvonly\r\n' : /a=inactive/.test(toBob) ? 'a=inactive\r\n' : '';
          o.accept({ body: bob.sdp(dir) });
        },
      };
    },
  };
  const s = await alice.ua.invite({ uri: `sip:${tag}b@127.0.0.1:${insidePort}`, from: `<sip:${tag}a@sluice.test>`, body: alice.sdp() }).answered;
  return { alice, bob, s, lastToBob: () => toBob };
}

describe('hold and resume', () => {
  it('passes each hold variant and resumes with media both ways', async () => {
    const { engine, insidePort } = await suite.start();
    const { alice, bob, s, lastToBob } = await call(engine, insidePort, 'h1');
    await mediaFlows(alice, bob, s.record.remoteSdp!, lastToBob());
    for (const [variant, expectBob, expectAlice] of [
      ['a=sendonly\r\n', 'a=sendonly', 'a=recvonly'],
      ['a=recvonly\r\n', 'a=recvonly', null],
      ['a=inactive\r\n', 'a=inactive', 'a=inactive'],
    ] as const) {
      expect((await s.reinvite({ body: alice.sdp(variant) })).status).toBe(200);
      expect(lastToBob()).toContain(expectBob);
      if (expectAlice !== null) expect(s.record.remoteSdp).toContain(expectAlice);
    }
    expect((await s.reinvite({ body: alice.sdp().replace(/c=IN IP4 127\.0\.0\.1/, 'c=IN IP4 0.0.0.0') })).status).toBe(200);
    expect(lastToBob()).toContain('c=IN IP4 0.0.0.0');
    // Resume: sendrecv again, and media flows both ways.
    expect((await s.reinvite({ body: alice.sdp() })).status).toBe(200);
    expect(lastToBob()).not.toMatch(/a=(sendonly|recvonly|inactive)|0\.0\.0\.0/);
    await mediaFlows(alice, bob, s.record.remoteSdp!, lastToBob());
    await s.bye();
    await until(() => engine.activeCalls === 0 && engine.relay!.poolStats().inside!.used === 0);
  });

  it('releases the relay ports on a c=0.0.0.0 hold when configured, and allocates again on resume', async () => {
    const { engine, insidePort } = await suite.start({ calls: { releaseOnHold: true } });
    const { alice, bob, s, lastToBob } = await call(engine, insidePort, 'h2');
    expect(engine.relay!.poolStats().inside!.used).toBe(2);
    expect((await s.reinvite({ body: alice.sdp().replace(/c=IN IP4 127\.0\.0\.1/, 'c=IN IP4 0.0.0.0') })).status).toBe(200);
    expect(engine.relay!.poolStats().inside!.used).toBe(0);
    expect((await s.reinvite({ body: alice.sdp() })).status).toBe(200);
    expect(engine.relay!.poolStats().inside!.used).toBe(2);
    await mediaFlows(alice, bob, s.record.remoteSdp!, lastToBob());
    await s.bye();
    await until(() => engine.activeCalls === 0 && engine.relay!.poolStats().inside!.used === 0);
  });
});

describe('answers and hang-ups', () => {
  it('carries an answer without media (inactive) and a BYE from the callee to the caller', async () => {
    const { engine, insidePort } = await suite.start();
    const alice = await phone('ia1');
    const bob = await phone('ib1');
    await register(bob, 'ib1', insidePort);
    let bobSession: Session | undefined;
    bob.ua.handler = { onInvite: (c) => void (bobSession = c.accept({ body: bob.sdp('a=inactive\r\n') })) };
    const s = await alice.ua.invite({ uri: `sip:ib1@127.0.0.1:${insidePort}`, from: '<sip:ia1@sluice.test>', body: alice.sdp() }).answered;
    expect(s.record.remoteSdp).toContain('a=inactive');
    const ended: string[] = [];
    s.handler = { onTerminated: (e) => ended.push(`${e.by} ${e.cause}`) };
    expect((await bobSession!.bye())?.status).toBe(200);
    await until(() => ended.length === 1 && engine.activeCalls === 0);
    expect(ended).toEqual(['remote bye']);
  });
});

describe('early dialogs', () => {
  it('carries an UPDATE in the early dialog (RFC 3311) to the callee and its answer back', async () => {
    const { engine, insidePort } = await suite.start();
    const alice = await phone('ua1');
    const bob = await phone('ub1');
    await register(bob, 'ub1', insidePort);
    let updated = '';
    let answer: (() => void) | undefined;
    bob.ua.handler = {
      onInvite(c) {
        c.progress(183, { reliable: true, body: bob.sdp() });
        c.session!.handler = {
          onOffer(o) {
            updated = o.sdp ?? '';
            o.accept({ body: bob.sdp('a=recvonly\r\n') });
          },
        };
        answer = () => void c.accept({ body: bob.sdp() });
      },
    };
    const call = alice.ua.invite({ uri: `sip:ub1@127.0.0.1:${insidePort}`, from: '<sip:ua1@sluice.test>', body: alice.sdp() });
    let early: Session | null = null;
    call.onProvisional = (_r, s) => (early = s ?? early);
    await until(() => early !== null && answer !== undefined);
    const r = await early!.update({ body: alice.sdp('a=sendonly\r\n') });
    expect(r.status).toBe(200);
    expect(updated).toContain('a=sendonly');
    expect(early!.record.remoteSdp).toContain('a=recvonly');
    answer!();
    const s = await call.answered;
    await s.bye();
    await until(() => engine.activeCalls === 0);
  });
});

describe('offerless re-INVITE', () => {
  it('asks the far phone for an offer, hands it over regenerated, and media still flows after the ACK answer', async () => {
    const { engine, insidePort } = await suite.start();
    const { alice, bob, s, lastToBob } = await call(engine, insidePort, 'ol');
    const r = await s.reinvite();
    expect(r.status).toBe(200);
    expect(mediaOf(s.record.remoteSdp!).port).toBeGreaterThanOrEqual(20000);
    expect(s.record.remoteSdp).not.toContain(String(bob.rtpPort));
    await mediaFlows(alice, bob, s.record.remoteSdp!, lastToBob());
    await s.bye();
    await until(() => engine.activeCalls === 0);
  });
});
