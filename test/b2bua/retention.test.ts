/**
 * What an ended call leaves in memory. The transactions of its legs outlive it (Timer M, L and J
 * run 32 s on UDP, RFC 6026), and at a thousand calls a second whatever they reach is held for
 * 32,000 calls: the call itself, with its legs, media plan and records, must not be among it.
 */
import { describe, expect, it } from 'vitest';
import type { Call } from '../../src/b2bua/call.js';
import type { Session } from '../../src/ua/index.js';
import { collectAfterTurns } from '../../bench/lib/heap.js';
import { answerCalls, engineSuite, phone, register, until } from './fixtures.js';

const suite = engineSuite('retention');

describe('an ended call', () => {
  it('is not kept by the transactions that outlive it', async () => {
    const { engine, insidePort } = await suite.start();
    const alice = await phone('alice-ret');
    const bob = await phone('bob-ret');
    await register(bob, 'bob-ret', insidePort);
    const bobEnds = answerCalls(bob);
    const out = alice.ua.invite({ uri: `sip:bob-ret@127.0.0.1:${insidePort}`, from: '<sip:alice-ret@sluice.test>', body: alice.sdp() });
    const session: Session = await out.answered;

    // The engine's table of live calls is private; the test reads it to hold the call weakly.
    const active = (engine as unknown as { active: Map<string, Call> }).active;
    expect(active.size).toBe(1);
    const call = new WeakRef([...active.values()][0]!);

    expect((await session.bye())?.status).toBe(200);
    await until(() => bobEnds.length === 1 && engine.activeCalls === 0);

    // The legs' transactions are still there (the callee leg's INVITE in Accepted for Timer M,
    // the caller leg's INVITE for Timer L, the BYE for Timer J), or on the lean path the INVITEs
    // kept for the same 64*T1: what they hold is what counts.
    const transactions = [...engine.realms.values()].reduce((n, r) => n + r.ua.transactions.size + r.ua.leanCallCount, 0);
    expect(transactions).toBeGreaterThanOrEqual(3);

    await collectAfterTurns();
    expect(call.deref()).toBeUndefined();
  });
});
