/**
 * BYE on the lean path (ua/lean-byes.ts), which the non-INVITE transactions do on the general
 * path: the 200 kept for the BYE's retransmissions 64*T1 and no longer, Timers E and F of a BYE
 * we send, a challenge answered, and which BYEs take the path at all. sessions.test.ts and
 * calls.test.ts run the sessions' behaviour on both paths.
 */
import { describe as group, expect, it } from 'vitest';
import { createResponse, parseMessage, serializeMessage, type SipRequest } from '../../src/sip/index.js';
import type { MessageSource } from '../../src/transaction/index.js';
import { stampReceived } from '../../src/transport/index.js';
import type { Session, UaOptions } from '../../src/ua/index.js';
import { ANSWER, Network, OFFER } from './wire.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const FROM_A: MessageSource = { transport: 'UDP', address: A, port: 5060, local: { address: B, port: 5060 }, reliable: false };
const FROM_B: MessageSource = { transport: 'UDP', address: B, port: 5060, local: { address: A, port: 5060 }, reliable: false };

const textOf = (m: SipRequest): string => serializeMessage(m).toString('latin1');

/** A call from A to B, answered, on the lean path: both sessions. */
async function answered(aOptions: Partial<UaOptions> = {}) {
  const net = new Network({ lean: true });
  const b = net.ua(B);
  let callee: Session | undefined;
  b.handler = { onInvite: (call) => void (callee = call.accept({ body: ANSWER })) };
  const a = net.ua(A, aOptions);
  const call = a.invite({ uri: `sip:bob@${B}:5060`, from: '<sip:alice@example.com>', body: OFFER });
  await net.settle();
  return { net, a, b, caller: await call.answered, callee: callee! };
}

/** A request as the transport hands it up: parsed, its Via stamped with where it came from. */
function received(text: string, source: MessageSource): SipRequest {
  const request = parseMessage(Buffer.from(text, 'latin1')) as SipRequest;
  stampReceived(request, source);
  return request;
}

group('BYE on the lean path', () => {
  it('answers a BYE at once, its retransmissions with the same 200, and lets it go 64*T1 later', async () => {
    const { net, a, b, caller, callee } = await answered();
    const bye = caller.bye();
    await net.settle();
    expect((await bye)?.status).toBe(200);
    expect(callee.state).toBe('terminated');
    // No transaction on either side: the lean BYE answered it and keeps its 200.
    expect([a.transactions.counts.nonInviteClient, b.transactions.counts.nonInviteServer]).toEqual([0, 0]);
    expect([a.leanByeCount, b.leanByeCount]).toEqual([0, 1]);
    const text = textOf(net.sent('BYE', A)[0]!.message as SipRequest);
    b.onMessage(received(text, FROM_A), FROM_A);
    await net.settle();
    const oks = net.sent('200 BYE', B).map((s) => serializeMessage(s.message).toString('latin1'));
    expect(oks).toHaveLength(2);
    expect(oks[1]).toBe(oks[0]);
    expect(b.transactions.stats.absorbed).toBe(1);
    await net.run(32_000, 1000);
    expect(b.leanByeCount).toBe(0);
    // After Timer J the BYE is a new request for a dialog that is gone.
    b.onMessage(received(text, FROM_A), FROM_A);
    await net.settle();
    expect(net.sent('481 BYE', B)).toHaveLength(1);
  });

  it("answers a BYE whose session's handler throws, counts the error and goes on", async () => {
    const { net, b, caller, callee } = await answered();
    callee.handler = {
      onTerminated() {
        throw new Error('the application failed');
      },
    };
    const bye = caller.bye();
    await net.settle();
    expect((await bye)?.status).toBe(200);
    expect(callee.state).toBe('terminated');
    expect(b.transactions.stats.errors).toBe(1);
  });

  it('resends a BYE at T1, 2T1 ... T2 until a final, and ends with 408 after 64*T1 (Timers E, F)', async () => {
    const { net, a, caller } = await answered();
    net.drop = (s) => s.to === B;
    const bye = caller.bye();
    await net.settle();
    const start = net.sent('BYE', A)[0]!.at;
    await net.run(33_000, 250);
    expect((await bye)?.status).toBe(408);
    expect(net.sent('BYE', A).map((s) => s.at - start)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(a.transactions.stats.timeouts).toBe(1);
    expect(a.leanByeCount).toBe(0);
  });

  it('resends every T2 once a provisional came', async () => {
    const { net, a, caller } = await answered();
    net.drop = (s) => s.to === B;
    const bye = caller.bye();
    await net.settle();
    const start = net.sent('BYE', A)[0]!.at;
    await net.run(600, 100);
    const sent = net.sent('BYE', A)[0]!.message as SipRequest;
    a.onMessage(createResponse(parseMessage(serializeMessage(sent)) as SipRequest, 100), FROM_B);
    await net.run(9_000, 250);
    expect(net.sent('BYE', A).map((s) => s.at - start)).toEqual([0, 500, 1500, 5500, 9500]);
    a.onMessage(createResponse(parseMessage(serializeMessage(sent)) as SipRequest, 200), FROM_B);
    await net.settle();
    expect((await bye)?.status).toBe(200);
  });

  it('answers a challenge to its BYE with credentials, as a new BYE on the lean path', async () => {
    const credentials: UaOptions['credentials'] = (realm) => (realm === 'trunk.example' ? { username: 'alice', password: 's3cret' } : undefined);
    const { net, a, b, caller, callee } = await answered({ credentials });
    let challenged = false;
    net.drop = (s) => {
      if (challenged || s.message.kind !== 'request' || s.message.method !== 'BYE') return false;
      challenged = true;
      const challenge = createResponse(s.message, 407);
      challenge.appendHeader('Proxy-Authenticate', 'Digest realm="trunk.example", nonce="n0nce", algorithm=MD5');
      queueMicrotask(() => a.onMessage(parseMessage(serializeMessage(challenge)), FROM_B));
      return true;
    };
    const bye = caller.bye();
    await net.settle();
    expect((await bye)?.status).toBe(200);
    const byes = net.sent('BYE', A).map((s) => s.message as SipRequest);
    expect(byes).toHaveLength(2);
    expect(byes[1]!.header('proxy-authorization')).toMatch(/^Digest username="alice", realm="trunk.example"/);
    expect(byes[1]!.cseq.seq).toBe(byes[0]!.cseq.seq + 1);
    expect(callee.state).toBe('terminated');
    expect([a.transactions.counts.nonInviteClient, b.transactions.counts.nonInviteServer]).toEqual([0, 0]);
  });

  it('leaves a BYE for no session, one with an old CSeq, and one over TCP to the transaction layer', async () => {
    const { net, b, caller, callee } = await answered();
    net.drop = (s) => s.to === B; // A's own BYE goes nowhere: the test hands B its variants
    void caller.bye();
    await net.settle();
    const text = textOf(net.sent('BYE', A)[0]!.message as SipRequest);
    const variant = (from: string, to: string, branch: string) => parseMessage(Buffer.from(text.replace(from, to).replace(/branch=z9hG4bK[^;\r\n]*/, `branch=z9hG4bK${branch}`), 'latin1'));
    net.drop = () => false;

    b.onMessage(variant('Call-ID: ', 'Call-ID: other', 'x1'), FROM_A);
    await net.settle();
    expect(net.sent('481 BYE', B)).toHaveLength(1);

    b.onMessage(variant(/CSeq: \d+ BYE/.exec(text)![0], 'CSeq: 1 BYE', 'x2'), FROM_A);
    await net.settle();
    expect(net.sent('500 BYE', B)).toHaveLength(1);
    expect(callee.state).toBe('confirmed');

    b.onMessage(variant('BYE ', 'BYE ', 'x3'), { ...FROM_A, transport: 'TCP', reliable: true });
    await net.settle();
    expect(net.sent('200 BYE', B)).toHaveLength(1);
    expect(callee.state).toBe('terminated');
    // The 481's and the 500's transactions wait out Timer J; the one over TCP ended at its 200.
    expect(b.transactions.counts.nonInviteServer).toBe(2);
    expect(b.leanByeCount).toBe(0);
  });
});
