import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parseMessage, SipRequest } from '../../src/sip/index.js';
import {
  TransactionLayer,
  type InviteServerTransaction,
  type NonInviteServerTransaction,
  type TransactionCore,
  type TransportPort,
} from '../../src/transaction/index.js';
import type { TransportLayer } from '../../src/transport/index.js';
import { corpusPath, corpusPresent } from '../conformance/corpus.js';
import { ackFor, answer, bench, RecordingClientUser, request, response, TCP_PEER, UDP_PEER, UDP_SOURCE } from './helpers.js';

describe('TransactionLayer: server-side matching (RFC 3261 17.2.3)', () => {
  it('keeps transactions apart by sent-by and by method, and compares branches case-insensitively', () => {
    const b = bench();
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKsame' }), UDP_SOURCE);
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKsame', sentBy: 'other.example.com' }), UDP_SOURCE);
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKsame', sentBy: 'pc33.atlanta.example.com:5070' }), UDP_SOURCE);
    b.layer.receiveRequest(request('OPTIONS', { branch: 'z9hG4bKsame' }), UDP_SOURCE);
    expect(b.core.requests).toHaveLength(4);
    b.layer.receiveRequest(request('INVITE', { branch: 'Z9HG4BKSAME', sentBy: 'PC33.Atlanta.Example.COM:5060' }), UDP_SOURCE);
    expect(b.core.requests).toHaveLength(4);
    expect(b.layer.counts).toEqual({ inviteClient: 0, nonInviteClient: 0, inviteServer: 3, nonInviteServer: 1 });
  });

  it('hands an ACK that matches nothing (the ACK for a 2xx) to the core', () => {
    const b = bench();
    const { tx, invite } = (() => {
      const invite = request('INVITE', { branch: 'z9hG4bKi' });
      b.layer.receiveRequest(invite, UDP_SOURCE);
      return { tx: b.core.requests[0]!.tx as InviteServerTransaction, invite };
    })();
    const ok = answer(invite, 200, 'uas');
    tx.respond(ok);
    // 13.2.2.4: the ACK for a 2xx is a transaction of its own, with a new branch.
    const ack = ackFor(invite, ok, { branch: 'z9hG4bKack2xx' });
    b.layer.receiveRequest(ack, UDP_SOURCE);
    expect(b.core.acks).toEqual([{ ack, source: UDP_SOURCE, tx: undefined }]);
    expect(b.layer.stats.strayAcks).toBe(1);
    expect(b.core.requests).toHaveLength(1);
    expect(b.layer.size).toBe(1);
  });

  it('matches a CANCEL to the INVITE it cancels (9.2), on a transaction of its own', () => {
    const b = bench();
    const invite = request('INVITE', { branch: 'z9hG4bKc1' });
    b.layer.receiveRequest(invite, UDP_SOURCE);
    const inviteTx = b.core.requests[0]!.tx as InviteServerTransaction;
    const cancel = request('CANCEL', { branch: 'z9hG4bKc1' });
    b.layer.receiveRequest(cancel, UDP_SOURCE);
    expect(b.core.cancels).toHaveLength(1);
    const { tx: cancelTx, invite: found } = b.core.cancels[0]!;
    expect(found).toBe(inviteTx);
    expect(cancelTx.kind).toBe('non-invite-server');
    expect(cancelTx).not.toBe(inviteTx);
    expect(b.layer.findInviteForCancel(cancel)).toBe(inviteTx);

    // The UAS core answers both (9.2); the transactions stay separate.
    cancelTx.respond(answer(cancel, 200));
    inviteTx.respond(answer(invite, 487));
    b.layer.receiveRequest(request('CANCEL', { branch: 'z9hG4bKc1' }), UDP_SOURCE);
    expect(b.transport.sent.map((s) => s.what)).toEqual(['100 INVITE', '200 CANCEL', '487 INVITE', '200 CANCEL']);
    expect(b.core.cancels).toHaveLength(1);
  });

  it('reports a CANCEL with no INVITE to cancel, and without onCancel sends CANCEL to onRequest', () => {
    const b = bench();
    b.layer.receiveRequest(request('CANCEL', { branch: 'z9hG4bKnone' }), UDP_SOURCE);
    expect(b.core.cancels[0]!.invite).toBeUndefined();

    const requests: string[] = [];
    const plain = bench({
      core: {
        onRequest: (r) => requests.push(r.method),
        onAck: () => {},
      },
    });
    plain.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKp' }), UDP_SOURCE);
    plain.layer.receiveRequest(request('CANCEL', { branch: 'z9hG4bKp' }), UDP_SOURCE);
    expect(requests).toEqual(['INVITE', 'CANCEL']);
  });

  it('drops a request without Via', () => {
    const b = bench();
    const req = new SipRequest('OPTIONS', 'sip:x@example.com');
    req.appendHeader('Call-ID', 'abc');
    b.layer.receiveRequest(req, UDP_SOURCE);
    expect(b.core.requests).toEqual([]);
    expect(b.layer.stats.dropped).toBe(1);
  });

  it('never lets a throwing core escape receiveRequest/receiveResponse', () => {
    const core: TransactionCore = {
      onRequest() {
        throw new Error('core bug');
      },
      onAck() {
        throw new Error('core bug');
      },
      onStrayResponse() {
        throw new Error('core bug');
      },
    };
    const b = bench({ core });
    const invite = request('INVITE');
    expect(() => b.layer.receiveRequest(invite, UDP_SOURCE)).not.toThrow();
    expect(() => b.layer.receiveRequest(request('ACK', { branch: 'z9hG4bKx' }), UDP_SOURCE)).not.toThrow();
    expect(() => b.layer.receiveResponse(response(invite, 200), UDP_SOURCE)).not.toThrow();
    expect(b.layer.stats.errors).toBe(3);
    // The INVITE's transaction was made before the core threw: it still answers retransmissions.
    b.layer.receiveRequest(request('INVITE'), UDP_SOURCE);
    expect(b.transport.sent.map((s) => s.what)).toEqual(['100 INVITE', '100 INVITE']);
  });
});

describe('TransactionLayer: RFC 2543 fallback matching (17.2.3)', () => {
  const legacy = (method: string, spec: Parameters<typeof request>[1] = {}): SipRequest =>
    request(method, { branch: null, callId: 'old-ua-1', cseq: 7, fromTag: 'f1', ...spec });

  it('matches retransmissions by Request-URI, tags, Call-ID, CSeq and top Via', () => {
    const b = bench();
    b.layer.receiveRequest(legacy('INVITE'), UDP_SOURCE);
    expect(b.core.requests).toHaveLength(1);
    b.layer.receiveRequest(legacy('INVITE'), UDP_SOURCE);
    b.layer.receiveRequest(legacy('INVITE', { uri: 'sip:bob@BILOXI.example.com' }), UDP_SOURCE); // equal by 19.1.4
    expect(b.core.requests).toHaveLength(1);
    expect(b.transport.sent.map((s) => s.what)).toEqual(['100 INVITE', '100 INVITE', '100 INVITE']);
    // Any field that differs makes it another request.
    b.layer.receiveRequest(legacy('INVITE', { uri: 'sip:carol@biloxi.example.com' }), UDP_SOURCE);
    b.layer.receiveRequest(legacy('INVITE', { toTag: 'x' }), UDP_SOURCE);
    b.layer.receiveRequest(legacy('INVITE', { fromTag: 'f2' }), UDP_SOURCE);
    b.layer.receiveRequest(legacy('INVITE', { callId: 'old-ua-2' }), UDP_SOURCE);
    b.layer.receiveRequest(legacy('INVITE', { cseq: 8 }), UDP_SOURCE);
    b.layer.receiveRequest(legacy('INVITE', { sentBy: 'other.example.com' }), UDP_SOURCE);
    b.layer.receiveRequest(legacy('OPTIONS', { cseq: 7 }), UDP_SOURCE);
    expect(b.core.requests).toHaveLength(8);
    expect(b.core.requests.every((r) => r.tx.id.startsWith('2543 '))).toBe(true);
  });

  it("matches an ACK to the INVITE by everything but the To tag, which must be the response's", () => {
    const b = bench();
    const invite = legacy('INVITE');
    b.layer.receiveRequest(invite, UDP_SOURCE);
    const tx = b.core.requests[0]!.tx as InviteServerTransaction;
    const final = answer(invite, 486, 'uas9');
    tx.respond(final);
    // A To tag other than the response's: not this transaction, so the core gets it.
    b.layer.receiveRequest(legacy('ACK', { cseqMethod: 'ACK', toTag: 'wrong' }), UDP_SOURCE);
    expect(b.core.acks).toHaveLength(1);
    expect(tx.state).toBe('completed');
    b.layer.receiveRequest(legacy('ACK', { cseqMethod: 'ACK', toTag: 'uas9' }), UDP_SOURCE);
    expect(tx.state).toBe('confirmed');
    expect(b.core.acks).toHaveLength(1);
  });

  it('finds the INVITE a CANCEL without cookie cancels', () => {
    const b = bench();
    b.layer.receiveRequest(legacy('INVITE'), UDP_SOURCE);
    const inviteTx = b.core.requests[0]!.tx;
    b.layer.receiveRequest(legacy('CANCEL'), UDP_SOURCE);
    expect(b.core.cancels[0]!.invite).toBe(inviteTx);
    expect(b.core.cancels[0]!.tx).not.toBe(inviteTx);
    b.layer.receiveRequest(legacy('CANCEL'), UDP_SOURCE);
    expect(b.core.cancels).toHaveLength(1);
  });

  it("treats a branch of exactly 'z9hG4bK' (RFC 4475 badbranch) as RFC 2543: no merging", () => {
    const b = bench();
    b.layer.receiveRequest(legacy('OPTIONS', { branch: 'z9hG4bK', callId: 'a' }), UDP_SOURCE);
    b.layer.receiveRequest(legacy('OPTIONS', { branch: 'z9hG4bK', callId: 'b' }), UDP_SOURCE);
    b.layer.receiveRequest(legacy('OPTIONS', { branch: 'z9hG4bK', callId: 'b' }), UDP_SOURCE);
    expect(b.core.requests.map((r) => r.request.callId)).toEqual(['a', 'b']);
    expect(b.core.requests.every((r) => r.tx.id.startsWith('2543 '))).toBe(true);
  });

  it.skipIf(!corpusPresent)('takes the RFC 4475 badbranch message and absorbs its retransmission', () => {
    const b = bench();
    const bytes = readFileSync(corpusPath('rfc4475', 'valid', 'badbranch.dat'));
    b.layer.receiveRequest(parseMessage(bytes) as SipRequest, UDP_SOURCE);
    b.layer.receiveRequest(parseMessage(bytes) as SipRequest, UDP_SOURCE);
    expect(b.core.requests).toHaveLength(1);
    const tx = b.core.requests[0]!.tx as NonInviteServerTransaction;
    expect(tx.id.startsWith('2543 ')).toBe(true);
    tx.respond(answer(tx.request, 200));
    expect(b.transport.sent.map((s) => s.what)).toEqual(['200 OPTIONS']);
  });
});

describe('TransactionLayer: client side and strays (17.1.3, RFC 6026)', () => {
  it('hands a response matching no client transaction to onStrayResponse with its source', () => {
    const b = bench();
    const ok = response(request('INVITE', { branch: 'z9hG4bKunknown' }), 200, 'x');
    b.layer.receiveResponse(ok, UDP_SOURCE);
    expect(b.core.strays).toEqual([{ response: ok, source: UDP_SOURCE }]);
    expect(b.layer.stats.strayResponses).toBe(1);
  });

  it('silently discards stray responses when the core has no onStrayResponse (RFC 6026, 18.1.2)', () => {
    let calls = 0;
    const b = bench({ core: { onRequest: () => calls++, onAck: () => calls++ } });
    b.layer.receiveResponse(response(request('INVITE', { branch: 'z9hG4bKgone' }), 200, 'x'), UDP_SOURCE);
    b.layer.receiveResponse(response(request('INVITE', { branch: null }), 200, 'x'), UDP_SOURCE);
    expect(calls).toBe(0);
    expect(b.layer.stats.strayResponses).toBe(2);
    expect(b.transport.sent).toEqual([]);
  });

  it('finds client transactions by branch (any case) and CSeq method', () => {
    const b = bench();
    const inv = request('INVITE', { branch: 'z9hG4bKAbC' });
    const tx = b.layer.createClientTransaction(inv, UDP_PEER, new RecordingClientUser(b.clock));
    expect(b.layer.findClientTransaction(response(request('INVITE', { branch: 'z9hg4bkabc' }), 180))).toBe(tx);
    expect(b.layer.findClientTransaction(response(request('CANCEL', { branch: 'z9hG4bKAbC' }), 200))).toBeUndefined();
  });

  it('routes onMessage to the right side', () => {
    const b = bench();
    const inv = request('INVITE', { branch: 'z9hG4bKm' });
    const user = new RecordingClientUser(b.clock);
    b.layer.createClientTransaction(inv, UDP_PEER, user);
    b.layer.onMessage(response(inv, 180, 't'), UDP_SOURCE);
    b.layer.onMessage(request('OPTIONS', { branch: 'z9hG4bKo' }), UDP_SOURCE);
    expect(user.names()).toEqual(['provisional']);
    expect(b.core.requests.map((r) => r.request.method)).toEqual(['OPTIONS']);
  });

  it('makes branches from the injected id source, with an optional embedded key', () => {
    const b = bench();
    expect(b.layer.newBranch()).toBe('z9hG4bKid1');
    expect(b.layer.newBranch('leg42')).toBe('z9hG4bKleg42.id2');
  });
});

describe('TransactionLayer: counts and disposal', () => {
  it('counts live transactions by kind and leaves no timer once all have ended', () => {
    const b = bench();
    const user = new RecordingClientUser(b.clock);
    const inv = request('INVITE', { branch: 'z9hG4bKa1' });
    b.layer.createClientTransaction(inv, UDP_PEER, user);
    b.layer.createClientTransaction(request('BYE', { branch: 'z9hG4bKa2' }), TCP_PEER, user);
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKb1' }), UDP_SOURCE);
    b.layer.receiveRequest(request('MESSAGE', { branch: 'z9hG4bKb2' }), UDP_SOURCE);
    expect(b.layer.counts).toEqual({ inviteClient: 1, nonInviteClient: 1, inviteServer: 1, nonInviteServer: 1 });
    expect(b.layer.size).toBe(4);

    b.layer.receiveResponse(response(inv, 200, 'x'), UDP_SOURCE);
    const [ist, nist] = b.core.requests.map((r) => r.tx);
    ist!.respond(answer(ist!.request, 486));
    nist!.respond(answer(nist!.request, 200));
    while (b.clock.advanceToNext()) {
      /* run every timer to its end */
    }
    expect(b.layer.counts).toEqual({ inviteClient: 0, nonInviteClient: 0, inviteServer: 0, nonInviteServer: 0 });
    expect(b.layer.size).toBe(0);
    expect(b.clock.pending).toEqual([]);
    expect(b.clock.now()).toBe(32_000); // Timers M, F, H and J, all 64*T1
  });

  it('dispose() ends every transaction in any state and clears every timer', () => {
    const b = bench({ trying: 'delayed' });
    const user = new RecordingClientUser(b.clock);
    const inv = request('INVITE', { branch: 'z9hG4bKd1' });
    b.layer.createClientTransaction(inv, UDP_PEER, user);
    b.layer.createClientTransaction(request('OPTIONS', { branch: 'z9hG4bKd2' }), UDP_PEER, user);
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKd3' }), UDP_SOURCE);
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKd4' }), UDP_SOURCE);
    b.layer.receiveRequest(request('NOTIFY', { branch: 'z9hG4bKd5' }), UDP_SOURCE);
    b.layer.receiveRequest(request('INVITE', { branch: null }), UDP_SOURCE);
    const [, ist2, nist] = b.core.requests.map((r) => r.tx);
    ist2!.respond(answer(ist2!.request, 500));
    nist!.respond(answer(nist!.request, 200));
    expect(b.clock.pending.length).toBeGreaterThan(0);
    b.layer.dispose();
    expect(b.clock.pending).toEqual([]);
    expect(b.layer.size).toBe(0);
    expect(b.layer.counts).toEqual({ inviteClient: 0, nonInviteClient: 0, inviteServer: 0, nonInviteServer: 0 });
    expect(user.events).toEqual([]);
    expect(b.core.requests.every((r) => r.tx.state === 'terminated')).toBe(true);
  });

  it('refuses bad timer configuration', () => {
    const b = bench();
    const make = (timers: object): unknown => new TransactionLayer({ clock: b.clock, transport: b.transport, core: b.core, timers });
    expect(() => make({ t1: 0 })).toThrow(/t1/);
    expect(() => make({ t1: 500, t2: 100 })).toThrow(/t2/);
    expect(() => make({ t4: -1 })).toThrow(/t4/);
    expect(new TransactionLayer({ clock: b.clock, transport: b.transport, core: b.core }).timers).toEqual({ t1: 500, t2: 4000, t4: 5000 });
  });

  it('accepts the transport layer as its TransportPort (type contract, checked by tsc)', () => {
    expectTypeOf<TransportLayer>().toExtend<TransportPort>();
  });
});
