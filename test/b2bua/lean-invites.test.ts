/**
 * The engine's INVITEs on the UA core's lean path (sip.leanInvites, on by default) and on the
 * transaction layer (off): the same call either way, told apart by what carries the INVITEs
 * while the callee rings.
 */
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/b2bua/index.js';
import type { Session } from '../../src/ua/index.js';
import { engineSuite, phone, register, until } from './fixtures.js';

const suite = engineSuite('lean-invites');

/** The INVITE transactions and the lean INVITEs of every realm of the engine. */
function carriers(engine: Engine): { transactions: number; lean: number } {
  let transactions = 0;
  let lean = 0;
  for (const r of engine.realms.values()) {
    const c = r.ua.transactions.counts;
    transactions += c.inviteServer + c.inviteClient;
    lean += r.ua.leanCallCount;
  }
  return { transactions, lean };
}

describe.each([
  { path: 'lean (the default)', sip: undefined, ringing: { transactions: 0, lean: 2 } },
  { path: 'transaction layer', sip: { leanInvites: false }, ringing: { transactions: 2, lean: 0 } },
])('a call with its INVITEs on the $path', ({ sip, ringing }) => {
  it('rings, is answered and ends with BYE', async () => {
    const { engine, insidePort } = await suite.start(sip === undefined ? {} : { sip });
    const name = sip === undefined ? 'lean' : 'general';
    const alice = await phone(`alice-${name}`);
    const bob = await phone(`bob-${name}`);
    await register(bob, `bob-${name}`, insidePort);
    let answer: (() => Session) | undefined;
    bob.ua.handler = {
      onInvite(call) {
        call.progress(180);
        answer = () => call.accept({ body: bob.sdp() });
      },
    };
    const call = alice.ua.invite({ uri: `sip:bob-${name}@127.0.0.1:${insidePort}`, from: `<sip:alice-${name}@sluice.test>`, body: alice.sdp() });
    let rang = false;
    call.onProvisional = (r) => (rang ||= r.status === 180);
    await until(() => rang);
    expect(carriers(engine)).toEqual(ringing);
    answer!();
    const session = await call.answered;
    expect((await session.bye())?.status).toBe(200);
    await until(() => engine.activeCalls === 0);
  });
});
