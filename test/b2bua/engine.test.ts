/**
 * The call engine end to end over loopback sockets: two of Sluice's own UAs as phones REGISTER
 * to the `inside` realm, one calls the other through the B2BUA, RTP crosses the relay both ways,
 * nothing of one leg's topology reaches the other, and when the call ends every port is back.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/b2bua/index.js';
import { serializeMessage } from '../../src/sip/index.js';
import { CallFailed, type IncomingInvite, type Session } from '../../src/ua/index.js';
import { answerCalls, mediaOf, phone, register, rtpPacket, startEngine, stops, until } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-b2bua-'));
let cdrFile = '';
let base = 0;
let engine: Engine;
let insidePort = 0;

beforeAll(async () => {
  // A store that reports itself shared, as a cluster's is: the engine writes the call's records to it.
  ({ engine, insidePort, base, cdrFile } = await startEngine(dir, { sharedStore: true }));
});

afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

afterAll(async () => {
  await engine.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('B2BUA call engine', () => {
  it('bridges a call between registered phones with media through the relay, topology hidden', async () => {
    const alice = await phone('alice');
    const bob = await phone('bob');
    await register(bob, 'bob', insidePort);
    let incoming: IncomingInvite | undefined;
    const bobEnds = answerCalls(bob, (call) => (incoming = call));
    const call = alice.ua.invite({ uri: `sip:bob@127.0.0.1:${insidePort}`, from: '<sip:alice@sluice.test>', body: alice.sdp() });
    const session: Session = await call.answered;

    // The callee's INVITE is Sluice's own: new Call-ID, one Via, no trace of alice's ports.
    const inv = incoming!.request;
    expect(inv.callId).not.toBe(call.callId);
    expect(inv.via).toHaveLength(1);
    expect(inv.via[0]!.port).toBe(insidePort);
    const text = serializeMessage(inv).toString('latin1');
    expect(text).not.toContain(String(alice.port));
    expect(text).not.toContain(String(alice.rtpPort));
    expect(inv.header('contact')).toMatch(/^<sip:[0-9a-f]{16}b@127\.0\.0\.1:/);
    const toBob = mediaOf(incoming!.offer!);
    const toAlice = mediaOf(session.record.remoteSdp!);
    expect(toBob.port).toBeGreaterThanOrEqual(base);
    expect(toAlice.port).toBeGreaterThanOrEqual(base);
    expect(toBob.port % 2).toBe(0);
    expect(session.record.remoteSdp).not.toContain(String(bob.rtpPort));

    // The call, both legs and the pinholes are records in the store (plain data).
    const calls = await engine.store.list<{ state: string }>('call');
    expect(calls.some((c) => c.value.state === 'answered')).toBe(true);
    const legs = await engine.store.list<{ session: { dialog: { callId: string } } }>('leg');
    expect(legs.map((l) => l.value.session.dialog.callId)).toEqual(expect.arrayContaining([call.callId, inv.callId]));
    // What never changes in place is a frozen value, which the store holds once instead of copying.
    for (const l of legs) expect(Object.isFrozen(l.value.session.dialog)).toBe(true);
    const answeredCall = calls.find((c) => c.value.state === 'answered')!.value as unknown as Record<string, unknown>;
    for (const part of ['caller', 'callee', 'route', 'deadlines']) expect(Object.isFrozen(answeredCall[part])).toBe(true);
    const pinholes = await engine.store.list<{ streams: { caller: { rtpPort: number } }[] }>('media');
    expect(pinholes.some((p) => p.value.streams[0]?.caller.rtpPort === toAlice.port)).toBe(true);

    // RTP both ways through the relay.
    for (let i = 0; i < 5; i++) alice.rtp.send(rtpPacket(i), toAlice.port, '127.0.0.1');
    await until(() => bob.received.length >= 5);
    for (let i = 0; i < 5; i++) bob.rtp.send(rtpPacket(100 + i), toBob.port, '127.0.0.1');
    await until(() => alice.received.length >= 5);
    expect(alice.received[0]!.readUInt16BE(2)).toBe(100);

    // Hang up: both legs end, the ports go back, a CDR is written.
    expect((await session.bye())?.status).toBe(200);
    await until(() => bobEnds.length === 1 && engine.activeCalls === 0);
    expect(bobEnds[0]).toEqual({ by: 'remote', cause: 'bye' });
    await until(() => Object.values(engine.relay!.poolStats()).every((p) => p.used === 0));
    await engine.cdr!.flush();
    const cdr = JSON.parse(readFileSync(cdrFile, 'utf8').trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(cdr).toMatchObject({ callIds: { caller: call.callId, callee: inv.callId }, endReason: 'bye', endedBy: 'caller' });

    // The ended call stays on record; its legs and pinholes are gone.
    const ended = await engine.store.list<{ state: string; caller: { callId: string } }>('call');
    expect(ended.find((c) => c.value.caller.callId === call.callId)?.value.state).toBe('ended');
    expect(await engine.store.list('leg')).toEqual([]);
    expect(await engine.store.list('media')).toEqual([]);
  });

  it('passes a refusal (486) and a hold re-INVITE, and cancels a ringing call', async () => {
    const alice = await phone('alice2');
    const bob = await phone('bob2');
    await register(bob, 'bob2', insidePort);
    bob.ua.handler = { onInvite: (c) => c.reject(486) };
    const refused = alice.ua.invite({ uri: `sip:bob2@127.0.0.1:${insidePort}`, from: '<sip:alice2@sluice.test>', body: alice.sdp() });
    await expect(refused.answered).rejects.toMatchObject({ status: 486 });

    let held = '';
    bob.ua.handler = {
      onInvite(c) {
        c.accept({ body: bob.sdp() }).handler = {
          onOffer(o) {
            held = o.sdp ?? '';
            o.accept({ body: bob.sdp('a=recvonly\r\n') });
          },
        };
      },
    };
    const s = await alice.ua.invite({ uri: `sip:bob2@127.0.0.1:${insidePort}`, from: '<sip:alice2@sluice.test>', body: alice.sdp() }).answered;
    const r = await s.reinvite({ body: alice.sdp('a=sendonly\r\n') });
    expect(r.status).toBe(200);
    expect(held).toContain('a=sendonly');
    expect(s.record.remoteSdp).toContain('a=recvonly');
    await s.bye();

    let ringing = 0;
    bob.ua.handler = { onInvite: (c) => (c.progress(180), ringing++) };
    const ring = alice.ua.invite({ uri: `sip:bob2@127.0.0.1:${insidePort}`, from: '<sip:alice2@sluice.test>', body: alice.sdp() });
    await until(() => ringing === 1);
    await new Promise((res) => setTimeout(res, 50));
    ring.cancel();
    await expect(ring.answered).rejects.toBeInstanceOf(CallFailed);
    await expect(ring.answered).rejects.toMatchObject({ status: 487 });
    await until(() => engine.activeCalls === 0);
  });

  it('bridges a late offer: the callee offers in its 200, the caller answers in its ACK, and media flows', async () => {
    const alice = await phone('alice4');
    const bob = await phone('bob4');
    await register(bob, 'bob4', insidePort);
    let acked: string | null = null;
    bob.ua.handler = {
      onInvite(c) {
        expect(c.offer).toBeNull();
        c.accept({ body: bob.sdp() }).handler = { onAck: (ack) => (acked = ack.body.toString('utf8')) };
      },
    };
    const call = alice.ua.invite({ uri: `sip:bob4@127.0.0.1:${insidePort}`, from: '<sip:alice4@sluice.test>', deferAck: true });
    const s = await call.answered;
    const offerToAlice = mediaOf(s.record.remoteSdp!);
    expect(offerToAlice.port).toBeGreaterThanOrEqual(base);
    s.acknowledge({ body: alice.sdp() });
    await until(() => acked !== null);
    const answerToBob = mediaOf(acked!);
    expect(answerToBob.port).toBeGreaterThanOrEqual(base);
    expect(acked).not.toContain(String(alice.rtpPort));
    alice.rtp.send(rtpPacket(7), offerToAlice.port, '127.0.0.1');
    await until(() => bob.received.length >= 1);
    bob.rtp.send(rtpPacket(8), answerToBob.port, '127.0.0.1');
    await until(() => alice.received.length >= 1);
    await s.bye();
    await until(() => engine.activeCalls === 0);
  });

  it('answers 404 for an unknown user, by the dialplan', async () => {
    const alice = await phone('alice3');
    await expect(alice.ua.invite({ uri: `sip:nobody@127.0.0.1:${insidePort}`, from: '<sip:alice3@sluice.test>', body: alice.sdp() }).answered).rejects.toMatchObject({ status: 404 });
  });
});

describe('B2BUA in-dialog requests', () => {
  it('carries INFO (DTMF) and MESSAGE across, and resolves re-INVITE glare between the phones', async () => {
    const alice = await phone('ga');
    const bob = await phone('gb');
    await register(bob, 'gb', insidePort);
    const infos: string[] = [];
    let bobSession: Session | undefined;
    bob.ua.handler = {
      onInvite(c) {
        bobSession = c.accept({ body: bob.sdp() });
        bobSession.handler = {
          onRequest(r) {
            infos.push(`${r.method} ${r.request.body.toString()}`);
            r.respond(r.method === 'MESSAGE' ? 202 : 200);
          },
        };
      },
    };
    const s = await alice.ua.invite({ uri: `sip:gb@127.0.0.1:${insidePort}`, from: '<sip:ga@sluice.test>', body: alice.sdp() }).answered;
    expect((await s.request('INFO', { body: 'Signal=5\r\nDuration=160\r\n', contentType: 'application/dtmf-relay' })).status).toBe(200);
    expect((await s.request('MESSAGE', { body: 'hello', contentType: 'text/plain' })).status).toBe(202);
    expect(infos).toEqual(['INFO Signal=5\r\nDuration=160\r\n', 'MESSAGE hello']);
    // Both phones re-INVITE at once: each gets 491 from Sluice or the far phone and retries (14.1).
    const [ra, rb] = await Promise.all([s.reinvite({ body: alice.sdp('a=sendonly\r\n') }), bobSession!.reinvite({ body: bob.sdp('a=sendonly\r\n') })]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    await s.bye();
    await until(() => engine.activeCalls === 0);
  }, 20_000);
});

describe('B2BUA identity crossing', () => {
  it('re-escapes the caller user part and strips control characters from the display name', async () => {
    const alice = await phone('ea');
    const bob = await phone('eb');
    await register(bob, 'eb', insidePort);
    let from = '';
    bob.ua.handler = { onInvite: (c) => void ((from = c.request.header('from') ?? ''), c.reject(486)) };
    const call = alice.ua.invite({ uri: `sip:eb@127.0.0.1:${insidePort}`, from: '"Eve\\\\ \\"x\\"" <sip:evil%0D%0AX-Injected:%201@sluice.test>', body: alice.sdp() });
    await expect(call.answered).rejects.toMatchObject({ status: 486 });
    // The user part came unescaped from the parser (CR LF in it); it goes out escaped again.
    expect(from).toMatch(/^"Eve x" <sip:evil%0D%0AX-Injected@127\.0\.0\.1>;tag=/);
  });
});
