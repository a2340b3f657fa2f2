/**
 * Where a call's records go (b2bua/call-store.ts, keepsCallRecords): into a store that another
 * process reads, for a takeover; not into one that ends with this process, where the live call
 * holds the same facts. engine.test.ts checks the records themselves, on a store reporting
 * itself shared.
 */
import { describe, expect, it } from 'vitest';
import { keepsCallRecords } from '../../src/b2bua/call-store.js';
import { MemoryStore } from '../../src/state/index.js';
import { answerCalls, engineSuite, phone, register, until } from './fixtures.js';

const suite = engineSuite('call-records');

describe("a call's records", () => {
  it('go only into a shared store', async () => {
    const own = new MemoryStore();
    const shared = new MemoryStore({ shared: true });
    expect(own.shared).toBe(false);
    expect(keepsCallRecords(own)).toBe(false);
    expect(keepsCallRecords(shared)).toBe(true);
    await Promise.all([own.close(), shared.close()]);
  });

  it('are not written to the single-node default store, while the call runs or after it ended', async () => {
    const { engine, insidePort } = await suite.start();
    expect(engine.store.shared).toBe(false);
    const alice = await phone('alice-rec');
    const bob = await phone('bob-rec');
    await register(bob, 'bob-rec', insidePort);
    const bobEnds = answerCalls(bob);
    const session = await alice.ua.invite({ uri: `sip:bob-rec@127.0.0.1:${insidePort}`, from: '<sip:alice-rec@sluice.test>', body: alice.sdp() }).answered;
    expect(engine.activeCalls).toBe(1);
    // The registrar's bindings are this store's to keep (it reads them back for every call).
    expect((await engine.store.list('registration')).length).toBe(1);
    for (const kind of ['call', 'leg', 'media'] as const) expect(await engine.store.list(kind)).toEqual([]);

    // A re-INVITE saves the call again where records are kept: still nothing here.
    expect((await session.reinvite({ body: alice.sdp() })).status).toBe(200);
    expect((await session.bye())?.status).toBe(200);
    await until(() => bobEnds.length === 1 && engine.activeCalls === 0);
    for (const kind of ['call', 'leg', 'media'] as const) expect(await engine.store.list(kind)).toEqual([]);
  });
});
