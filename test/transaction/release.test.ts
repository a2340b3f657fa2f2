/**
 * Transactions let their request go on entering the states they linger in (Accepted,
 * Completed: up to 32 s on UDP), and still do everything those states do.
 */
import { describe, expect, it } from 'vitest';
import type { SipRequest } from '../../src/sip/index.js';
import type { InviteClientTransaction, InviteServerTransaction, NonInviteClientTransaction, NonInviteServerTransaction } from '../../src/transaction/index.js';
import { ackFor, answer, bench, RecordingClientUser, request, response, UDP_PEER, UDP_SOURCE } from './helpers.js';

function released(read: () => SipRequest): void {
  expect(read).toThrowError(expect.objectContaining({ code: 'SLUICE_ERR_TRANSACTION_RELEASED' }) as Error);
}

describe('transactions release their request where they linger', () => {
  it('INVITE server: Accepted holds no request, still absorbs retransmissions and passes ACKs up', () => {
    const b = bench();
    const invite = request('INVITE', { branch: 'z9hG4bKrel1' });
    b.layer.receiveRequest(invite, UDP_SOURCE);
    const tx = b.core.requests[0]!.tx as InviteServerTransaction;
    expect(tx.request).toBe(invite);
    const ok = answer(invite, 200, 'uas1');
    tx.respond(ok);
    expect(tx.state).toBe('accepted');
    expect(tx.holdsRequest).toBe(false);
    released(() => tx.request);
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKrel1' }), UDP_SOURCE);
    expect(b.core.requests).toHaveLength(1);
    b.layer.receiveRequest(ackFor(invite, ok), UDP_SOURCE);
    expect(b.core.acks).toHaveLength(1);
    b.clock.advance(32_000);
    expect(tx.state).toBe('terminated');
  });

  it('INVITE server: Completed resends its final and takes the ACK without the request', () => {
    const b = bench();
    const invite = request('INVITE', { branch: 'z9hG4bKrel2' });
    b.layer.receiveRequest(invite, UDP_SOURCE);
    const tx = b.core.requests[0]!.tx as InviteServerTransaction;
    const busy = answer(invite, 486, 'uas2');
    tx.respond(busy);
    expect(tx.holdsRequest).toBe(false);
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKrel2' }), UDP_SOURCE);
    expect(b.transport.sent.map((s) => s.what)).toEqual(['100 INVITE', '486 INVITE', '486 INVITE']);
    b.layer.receiveRequest(ackFor(invite, busy), UDP_SOURCE);
    expect(tx.state).toBe('confirmed');
  });

  it('non-INVITE server: Completed resends its final without the request', () => {
    const b = bench();
    const bye = request('BYE', { branch: 'z9hG4bKrel3' });
    b.layer.receiveRequest(bye, UDP_SOURCE);
    const tx = b.core.requests[0]!.tx as NonInviteServerTransaction;
    tx.respond(answer(bye, 200));
    expect(tx.holdsRequest).toBe(false);
    b.layer.receiveRequest(request('BYE', { branch: 'z9hG4bKrel3' }), UDP_SOURCE);
    expect(b.transport.sent.map((s) => s.what)).toEqual(['200 BYE', '200 BYE']);
    expect(b.core.requests).toHaveLength(1);
  });

  it('RFC 2543 server transactions keep the request their matching reads', () => {
    const b = bench();
    const invite = request('INVITE', { branch: null, callId: 'old', cseq: 3, fromTag: 'f' });
    b.layer.receiveRequest(invite, UDP_SOURCE);
    const tx = b.core.requests[0]!.tx as InviteServerTransaction;
    const busy = answer(invite, 486, 'uas3');
    tx.respond(busy);
    expect(tx.holdsRequest).toBe(true);
    expect(tx.request).toBe(invite);
    b.layer.receiveRequest(request('ACK', { branch: null, callId: 'old', cseq: 3, fromTag: 'f', cseqMethod: 'ACK', toTag: 'uas3' }), UDP_SOURCE);
    expect(tx.state).toBe('confirmed');
  });

  it('INVITE client: Accepted holds no request and still passes every 2xx up', () => {
    const b = bench();
    const invite = request('INVITE', { branch: 'z9hG4bKrel4' });
    const user = new RecordingClientUser(b.clock);
    const tx = b.layer.createClientTransaction(invite, UDP_PEER, user) as InviteClientTransaction;
    const ok = response(invite, 200, 'b1');
    b.layer.receiveResponse(ok, UDP_SOURCE);
    expect(tx.state).toBe('accepted');
    expect(tx.holdsRequest).toBe(false);
    released(() => tx.request);
    b.layer.receiveResponse(response(invite, 200, 'b2'), UDP_SOURCE);
    expect(user.events.filter(([e]) => e === 'final')).toHaveLength(2);
  });

  it('INVITE client: Completed ACKs retransmitted finals without the request', () => {
    const b = bench();
    const invite = request('INVITE', { branch: 'z9hG4bKrel5' });
    const tx = b.layer.createClientTransaction(invite, UDP_PEER, new RecordingClientUser(b.clock)) as InviteClientTransaction;
    b.layer.receiveResponse(response(invite, 503, 'b3'), UDP_SOURCE);
    expect(tx.holdsRequest).toBe(false);
    b.layer.receiveResponse(response(invite, 503, 'b3'), UDP_SOURCE);
    expect(b.transport.sent.map((s) => s.what)).toEqual(['INVITE', 'ACK', 'ACK']);
  });

  it('non-INVITE client: Completed holds no request', () => {
    const b = bench();
    const options = request('OPTIONS', { branch: 'z9hG4bKrel6' });
    const tx = b.layer.createClientTransaction(options, UDP_PEER, new RecordingClientUser(b.clock)) as NonInviteClientTransaction;
    expect(tx.request).toBe(options);
    b.layer.receiveResponse(response(options, 200), UDP_SOURCE);
    expect(tx.state).toBe('completed');
    expect(tx.holdsRequest).toBe(false);
  });
});
