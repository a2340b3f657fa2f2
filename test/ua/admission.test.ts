import { describe as group, expect, it } from 'vitest';
import { CallFailed, type Admission } from '../../src/ua/index.js';
import { ANSWER, Network, OFFER } from './wire.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

group('UaOptions.admission', () => {
  it("'busy' answers a new INVITE 503 with Retry-After, and the application never sees it", async () => {
    const net = new Network();
    const b = net.ua(B, { admission: (r) => (r.method === 'INVITE' && r.toTag === null ? 'busy' : 'accept') });
    let offered = 0;
    b.handler = { onInvite: () => offered++ };
    const call = net.ua(A).invite({ uri: `sip:bob@${B}:5060`, from: '<sip:alice@example.com>', body: OFFER });
    const failed = call.answered.catch((e: unknown) => e);
    await net.settle();
    const err = await failed;
    expect(err).toBeInstanceOf(CallFailed);
    expect((err as CallFailed).status).toBe(503);
    const refusal = net.sent('503 INVITE', B)[0]!.message;
    expect(refusal.header('retry-after')).toBe('2');
    expect(offered).toBe(0);
  });

  it("'drop' leaves a new INVITE unanswered; the caller's retransmission is taken up once accepted", async () => {
    const net = new Network();
    let admission: Admission = 'drop';
    const b = net.ua(B, { admission: () => admission });
    b.handler = { onInvite: (c) => void c.accept({ body: ANSWER }) };
    const call = net.ua(A).invite({ uri: `sip:bob@${B}:5060`, from: '<sip:alice@example.com>', body: OFFER });
    await net.settle();
    expect(net.log.filter((s) => s.from === B)).toHaveLength(0); // not even 100 Trying
    expect(b.transactions.stats.shed).toBe(1);
    admission = 'accept';
    await net.run(600); // Timer A: the INVITE again at 500 ms
    expect(net.sent('INVITE', A)).toHaveLength(2);
    const session = await call.answered;
    expect(session).toBeDefined();
    expect(b.transactions.stats.requests).toBeGreaterThanOrEqual(1);
  });
});
