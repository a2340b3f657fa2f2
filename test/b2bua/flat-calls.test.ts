/**
 * The flat path of the common call (sip.flatCalls, b2bua/flat-call.ts): calls to a trunk with
 * media direct held by one object for both legs, and promoted to a Call when their dialogs need
 * more than ACK and BYE.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/b2bua/index.js';
import type { SessionEnd } from '../../src/ua/index.js';
import { answerCalls, engineSuite, phone, until, type Phone } from './fixtures.js';

const suite = engineSuite('flat-calls');

/** An engine whose dialplan sends every call from inside to a trunk at `callee`'s port, media direct. */
async function flatEngine(callee: Phone, sip: Record<string, unknown> = { flatCalls: true }): Promise<{ engine: Engine; insidePort: number; cdrFile: string }> {
  return suite.start({
    sip,
    dialplan: { trunks: [{ name: 'pbx', realm: 'outside', host: '127.0.0.1', port: callee.port, transport: 'udp' }], rules: [{ name: 'out', match: { realm: 'inside' }, trunk: 'pbx', media: 'direct' }] },
  });
}

describe('a flat call', () => {
  it('rings, is answered and ends with the caller\'s BYE, one object holding both legs', async () => {
    const alice = await phone('alice');
    const bob = await phone('bob');
    const { engine, insidePort, cdrFile } = await flatEngine(bob);
    const ends = answerCalls(bob);
    const call = alice.ua.invite({ uri: `sip:bob@127.0.0.1:${insidePort}`, from: '<sip:alice@sluice.test>', body: alice.sdp() });
    let rang = false;
    call.onProvisional = (r) => (rang ||= r.status === 180);
    const session = await call.answered;
    expect(rang).toBe(true);
    expect(engine.flatCallCount).toBe(1);
    expect(session.record.remoteSdp).toContain(`m=audio ${bob.rtpPort} `);
    expect((await session.bye())?.status).toBe(200);
    await until(() => ends.length === 1 && engine.activeCalls === 0 && existsSync(cdrFile) && readFileSync(cdrFile, 'utf8').includes('"bye"'));
    expect(ends[0]).toMatchObject({ by: 'remote', cause: 'bye' });
    const cdr = JSON.parse(readFileSync(cdrFile, 'utf8').trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(cdr).toMatchObject({ endReason: 'bye', endedBy: 'caller', route: { rule: 'out', kind: 'trunk', trunk: 'pbx' } });
  });

  it('ends with the callee\'s BYE', async () => {
    const alice = await phone('alice2');
    const bob = await phone('bob2');
    const { engine, insidePort } = await flatEngine(bob);
    let bobSession: import('../../src/ua/index.js').Session | undefined;
    bob.ua.handler = { onInvite: (c) => (bobSession = c.accept({ body: bob.sdp() })) };
    const call = alice.ua.invite({ uri: `sip:bob@127.0.0.1:${insidePort}`, from: '<sip:alice@sluice.test>', body: alice.sdp() });
    const session = await call.answered;
    const ended = new Promise<SessionEnd>((r) => (session.handler = { onTerminated: r }));
    await until(() => bobSession !== undefined);
    expect((await bobSession!.bye())?.status).toBe(200);
    expect(await ended).toMatchObject({ by: 'remote', cause: 'bye' });
    await until(() => engine.activeCalls === 0);
  });

  it('passes the callee\'s refusal to the caller, and holds nothing after it', async () => {
    const alice = await phone('alice3');
    const bob = await phone('bob3');
    const { engine, insidePort, cdrFile } = await flatEngine(bob);
    bob.ua.handler = { onInvite: (c) => c.reject(486) };
    const call = alice.ua.invite({ uri: `sip:bob@127.0.0.1:${insidePort}`, from: '<sip:alice@sluice.test>', body: alice.sdp() });
    await expect(call.answered).rejects.toMatchObject({ status: 486 });
    await until(() => engine.activeCalls === 0 && existsSync(cdrFile) && readFileSync(cdrFile, 'utf8').includes('"rejected"'));
    const cdr = JSON.parse(readFileSync(cdrFile, 'utf8').trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(cdr).toMatchObject({ endReason: 'rejected', endedBy: 'callee', status: 486 });
  });

  it('is cancelled while it rings: 487 to the caller, CANCEL to the callee', async () => {
    const alice = await phone('alice4');
    const bob = await phone('bob4');
    const { engine, insidePort } = await flatEngine(bob);
    let cancelled = false;
    bob.ua.handler = {
      onInvite(c) {
        c.progress(180);
        c.onCancel = () => (cancelled = true);
      },
    };
    const call = alice.ua.invite({ uri: `sip:bob@127.0.0.1:${insidePort}`, from: '<sip:alice@sluice.test>', body: alice.sdp() });
    let rang = false;
    call.onProvisional = (r) => (rang ||= r.status === 180);
    await until(() => rang);
    call.cancel();
    await expect(call.answered).rejects.toMatchObject({ status: 487 });
    await until(() => cancelled && engine.activeCalls === 0);
  });

  it('is promoted to a Call by a re-INVITE (hold), which crosses, and then ends as any call', async () => {
    const alice = await phone('alice5');
    const bob = await phone('bob5');
    const { engine, insidePort } = await flatEngine(bob);
    const offers: string[] = [];
    let bobSession: import('../../src/ua/index.js').Session | undefined;
    bob.ua.handler = {
      onInvite(c) {
        bobSession = c.accept({ body: bob.sdp() });
        bobSession.handler = {
          onOffer(offer) {
            offers.push(offer.sdp ?? '');
            offer.accept({ body: bob.sdp('a=recvonly\r\n') });
          },
        };
      },
    };
    const call = alice.ua.invite({ uri: `sip:bob@127.0.0.1:${insidePort}`, from: '<sip:alice@sluice.test>', body: alice.sdp() });
    const session = await call.answered;
    const response = await session.reinvite({ body: alice.sdp('a=sendonly\r\n') });
    expect(response.status).toBe(200);
    expect(offers).toHaveLength(1);
    expect(offers[0]).toContain('a=sendonly');
    expect(session.record.remoteSdp).toContain('a=recvonly');
    expect(engine.activeCalls).toBe(1);
    // The Call holds it now; BYE from the callee ends both legs.
    const ended = new Promise<SessionEnd>((r) => (session.handler = { onTerminated: r }));
    expect((await bobSession!.bye())?.status).toBe(200);
    expect(await ended).toMatchObject({ by: 'remote', cause: 'bye' });
    await until(() => engine.activeCalls === 0);
  });

  it('is promoted by an INFO, which crosses to the other leg', async () => {
    const alice = await phone('alice6');
    const bob = await phone('bob6');
    const { engine, insidePort } = await flatEngine(bob);
    const infos: string[] = [];
    bob.ua.handler = {
      onInvite(c) {
        c.accept({ body: bob.sdp() }).handler = {
          onRequest(incoming) {
            infos.push(incoming.request.body.toString());
            incoming.respond(200);
          },
        };
      },
    };
    const call = alice.ua.invite({ uri: `sip:bob@127.0.0.1:${insidePort}`, from: '<sip:alice@sluice.test>', body: alice.sdp() });
    const session = await call.answered;
    const r = await session.request('INFO', { body: 'Signal=5\r\n', contentType: 'application/dtmf-relay' });
    expect(r.status).toBe(200);
    expect(infos).toEqual(['Signal=5\r\n']);
    expect((await session.bye())?.status).toBe(200);
    await until(() => engine.activeCalls === 0);
  });

  it('is promoted while it rings by an UPDATE in the early dialog, and is then answered', async () => {
    const alice = await phone('alice7');
    const bob = await phone('bob7');
    const { engine, insidePort } = await flatEngine(bob);
    let answer: (() => void) | undefined;
    const updates: string[] = [];
    bob.ua.handler = {
      onInvite(c) {
        c.progress(183, { body: bob.sdp() });
        // Bob's UA takes the general path: its early session is made with the provisional.
        c.session!.handler = {
          onOffer(offer) {
            updates.push(offer.request.method);
            offer.accept({ body: bob.sdp() });
          },
        };
        answer = () => void c.accept({ body: bob.sdp() });
      },
    };
    const call = alice.ua.invite({ uri: `sip:bob@127.0.0.1:${insidePort}`, from: '<sip:alice@sluice.test>', body: alice.sdp() });
    let early: import('../../src/ua/index.js').Session | null = null;
    call.onProvisional = (r) => {
      if (r.status === 183) early = call.earlySession();
    };
    await until(() => early !== null);
    const r = await early!.update({ body: alice.sdp('a=sendrecv\r\n') });
    expect(r.status).toBe(200);
    expect(updates).toEqual(['UPDATE']);
    expect(engine.flatCallCount).toBe(0);
    answer!();
    const session = await call.answered;
    expect((await session.bye())?.status).toBe(200);
    await until(() => engine.activeCalls === 0);
  });

  it('PRACKs the callee\'s reliable provisional', async () => {
    const alice = await phone('alice8');
    const bob = await phone('bob8');
    const { engine, insidePort } = await flatEngine(bob);
    let pracked = false;
    bob.ua.handler = {
      onInvite(c) {
        c.onPrack = () => {
          pracked = true;
          c.accept({ body: bob.sdp() });
        };
        c.progress(180, { reliable: true });
      },
    };
    const call = alice.ua.invite({ uri: `sip:bob@127.0.0.1:${insidePort}`, from: '<sip:alice@sluice.test>', body: alice.sdp() });
    const session = await call.answered;
    expect(pracked).toBe(true);
    expect((await session.bye())?.status).toBe(200);
    await until(() => engine.activeCalls === 0);
  });

  it('ends at its maximum duration with BYE on both legs', async () => {
    const alice = await phone('alice9');
    const bob = await phone('bob9');
    const { engine, insidePort } = await suite.start({
      sip: { flatCalls: true },
      calls: { maxDurationSeconds: 1 },
      dialplan: { trunks: [{ name: 'pbx', realm: 'outside', host: '127.0.0.1', port: bob.port, transport: 'udp' }], rules: [{ name: 'out', match: { realm: 'inside' }, trunk: 'pbx', media: 'direct' }] },
    });
    const ends = answerCalls(bob);
    const call = alice.ua.invite({ uri: `sip:bob@127.0.0.1:${insidePort}`, from: '<sip:alice@sluice.test>', body: alice.sdp() });
    const session = await call.answered;
    const ended = new Promise<SessionEnd>((r) => (session.handler = { onTerminated: r }));
    expect(await ended).toMatchObject({ by: 'remote', cause: 'bye' });
    await until(() => ends.length === 1 && engine.activeCalls === 0);
  });
});

