/**
 * The lean path's own duties (ua/lean-invites.ts), which the transaction layer has on the general
 * path: retransmissions answered and absorbed, Timers A, B and G, what is kept for 64*T1 after a
 * final and no longer, and which INVITEs take the path at all. calls.test.ts and sessions.test.ts
 * run the UA cores' behaviour on both paths.
 */
import { describe as group, expect, it } from 'vitest';
import { parseMessage, serializeMessage, type SipRequest } from '../../src/sip/index.js';
import type { IncomingInvite, UserAgent } from '../../src/ua/index.js';
import { ANSWER, Network, OFFER } from './wire.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const FROM_A = { transport: 'UDP' as const, address: A, port: 5060, local: { address: B, port: 5060 }, reliable: false };

/** Hands B a message as A would send it over UDP (its text as A first sent it). */
const again = (b: UserAgent, text: string): void => b.onMessage(parseMessage(Buffer.from(text, 'latin1')), FROM_A);
const textOf = (m: SipRequest | { kind: 'response' }): string => serializeMessage(m as SipRequest).toString('latin1');

group('the lean path', () => {
  it('answers a retransmitted INVITE with the latest provisional, then absorbs it after the 2xx', async () => {
    const net = new Network({ lean: true });
    const b = net.ua(B);
    let accept: (() => void) | undefined;
    b.handler = {
      onInvite(call) {
        call.progress(180);
        accept = () => void call.accept({ body: ANSWER });
      },
    };
    const a = net.ua(A);
    a.invite({ uri: `sip:bob@${B}:5060`, from: '<sip:alice@example.com>', body: OFFER });
    await net.settle();
    expect(b.transactions.counts.inviteServer).toBe(0);
    expect(b.leanCallCount).toBe(1);
    const invite = textOf(net.sent('INVITE 1', A)[0]!.message);
    again(b, invite);
    await net.settle();
    expect(net.sent('100 INVITE', B)).toHaveLength(1);
    expect(net.sent('180 INVITE', B)).toHaveLength(2);
    accept!();
    await net.settle();
    again(b, invite);
    await net.settle();
    // RFC 6026 7.1: after the 2xx a retransmitted INVITE is absorbed; the session resends the 2xx.
    expect(net.sent('180 INVITE', B)).toHaveLength(2);
    expect(net.sent('200 INVITE', B)).toHaveLength(1);
    expect(b.transactions.stats.absorbed).toBe(2);
  });

  it('resends a non-2xx final at T1, 2T1 ... T2 until its ACK, and lets both calls go 64*T1 after it', async () => {
    const net = new Network({ lean: true });
    const b = net.ua(B);
    b.handler = { onInvite: (call) => call.reject(486) };
    const a = net.ua(A);
    let acks = 0;
    net.drop = (s) => s.message.kind === 'request' && s.message.method === 'ACK' && ++acks <= 3;
    const call = a.invite({ uri: `sip:bob@${B}:5060`, from: '<sip:alice@example.com>', body: OFFER });
    await net.settle();
    await net.run(10_000, 250);
    await expect(call.answered).rejects.toMatchObject({ status: 486 });
    // Sent at 0, 500, 1500, 3500: the fourth reached A with the ACK that got through.
    expect(net.sent('486 INVITE', B).map((s) => s.at)).toEqual([0, 500, 1500, 3500]);
    expect(net.sent('ACK 1', A)).toHaveLength(4);
    expect([a.leanCallCount, b.leanCallCount]).toEqual([1, 1]);
    await net.run(23_000, 1000);
    expect([a.leanCallCount, b.leanCallCount]).toEqual([0, 0]);
  });

  it('resends the INVITE at T1, 2T1, 4T1 ... until a response, and fails with 408 after 64*T1 (Timers A, B)', async () => {
    const net = new Network({ lean: true });
    const a = net.ua(A);
    net.drop = (s) => s.to === B;
    const call = a.invite({ uri: `sip:bob@${B}:5060`, from: '<sip:alice@example.com>', body: OFFER });
    await net.run(33_000, 250);
    await expect(call.answered).rejects.toMatchObject({ status: 408 });
    expect(net.sent('INVITE 1', A).map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(a.transactions.stats.retransmissions).toBe(6);
  });

  it('stops Timer A at a provisional and cancels after it; the 487 is ACKed', async () => {
    const net = new Network({ lean: true });
    const b = net.ua(B);
    let cancelled = 0;
    b.handler = {
      onInvite(call) {
        call.onCancel = () => cancelled++;
        call.progress(180);
      },
    };
    const a = net.ua(A);
    const call = a.invite({ uri: `sip:bob@${B}:5060`, from: '<sip:alice@example.com>', body: OFFER });
    await net.run(2_000, 250);
    expect(net.sent('INVITE 1', A)).toHaveLength(1);
    call.cancel();
    await net.settle();
    await expect(call.answered).rejects.toMatchObject({ status: 487 });
    expect([net.sent('CANCEL 1', A).length, net.sent('200 CANCEL', B).length, net.sent('487 INVITE', B).length, net.sent('ACK 1', A).length]).toEqual([1, 1, 1, 1]);
    expect(cancelled).toBe(1);
    expect(b.pendingCallCount).toBe(0);
  });

  it('makes the early session a request names, also when one Call-ID is both placed and answered here', async () => {
    const net = new Network({ lean: true });
    // A call to itself: the same UA places the INVITE and answers it, under one Call-ID.
    const a = net.ua(A);
    let incoming: IncomingInvite | undefined;
    a.handler = {
      onInvite(call) {
        incoming = call;
        call.progress(180);
      },
    };
    const call = a.invite({ uri: `sip:self@${A}:5060`, from: '<sip:alice@example.com>', body: OFFER });
    await net.settle();
    // The answering side's UPDATE names the placing side's early dialog (its To tag is the
    // INVITE's From tag), which is made for it though a call being answered has the same Call-ID.
    const answering = incoming!.earlySession();
    expect(answering?.dialog.role).toBe('uas');
    const up = answering!.update({ body: ANSWER });
    await net.settle();
    expect((await up).status).toBe(200);
    const placing = call.earlySession();
    expect(placing?.dialog.role).toBe('uac');
    const back = placing!.update({ body: OFFER });
    await net.settle();
    expect((await back).status).toBe(200);
  });

  it('leaves an INVITE with a Require, or one over TCP, to the transaction layer', async () => {
    const net = new Network({ lean: true });
    const b = net.ua(B);
    b.handler = { onInvite: (call) => call.reject(603) };
    const a = net.ua(A);
    a.invite({ uri: `sip:bob@${B}:5060`, from: '<sip:alice@example.com>', body: OFFER, reliableProvisional: 'required' });
    await net.settle();
    expect(net.sent('603 INVITE', B)).toHaveLength(1);
    // Placed on the general path (it requires 100rel) and answered on it (it carries a Require).
    expect([a.leanCallCount, b.leanCallCount]).toEqual([0, 0]);
    expect([a.transactions.counts.inviteClient, b.transactions.counts.inviteServer]).toEqual([1, 1]);

    const text = textOf(net.sent('INVITE 1', A)[0]!.message).replace(/\r\nRequire: 100rel/i, '').replace(/branch=z9hG4bK[^;\r\n]*/, 'branch=z9hG4bKtcp1');
    b.onMessage(parseMessage(Buffer.from(text, 'latin1')), { ...FROM_A, transport: 'TCP', reliable: true });
    await net.settle();
    expect(b.leanCallCount).toBe(0);
    expect(b.transactions.counts.inviteServer).toBe(2);
  });
});
