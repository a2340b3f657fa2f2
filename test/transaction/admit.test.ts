import { describe, expect, it } from 'vitest';
import type { SipRequest } from '../../src/sip/index.js';
import type { MessageSource } from '../../src/transaction/index.js';
import { bench, FakeTransport, RecordingCore, request, TCP_SOURCE, UDP_SOURCE } from './helpers.js';
import { FakeClock } from '../../src/clock.js';

/** A core that refuses what `refuse` says, and records what it was asked. */
class GatedCore extends RecordingCore {
  refuse = true;
  readonly asked: { method: string; source: MessageSource }[] = [];
  admit(req: SipRequest, source: MessageSource): boolean {
    this.asked.push({ method: req.method, source });
    return !this.refuse;
  }
}

function gated() {
  const clock = new FakeClock();
  const core = new GatedCore(clock, new FakeTransport(clock));
  return { ...bench({ core }), core };
}

describe('TransactionLayer: TransactionCore.admit', () => {
  it('drops a refused new request unanswered, makes no transaction and counts it', () => {
    const b = gated();
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKshed1' }), UDP_SOURCE);
    expect(b.core.requests).toHaveLength(0);
    expect(b.transport.sent).toHaveLength(0); // not even 100 Trying
    expect(b.layer.size).toBe(0);
    expect(b.layer.stats).toMatchObject({ shed: 1, requests: 0 });
  });

  it('takes up the retransmission once the core admits again (RFC 3261 Timer A brings it back)', () => {
    const b = gated();
    const invite = request('INVITE', { branch: 'z9hG4bKshed2' });
    b.layer.receiveRequest(invite, UDP_SOURCE);
    b.core.refuse = false;
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKshed2' }), UDP_SOURCE);
    expect(b.core.requests).toHaveLength(1);
    expect(b.transport.sent.map((s) => s.what)).toEqual(['100 INVITE']);
    expect(b.layer.stats).toMatchObject({ shed: 1, requests: 1 });
  });

  it('does not ask about a request that matches a transaction, nor about an ACK', () => {
    const b = gated();
    b.core.refuse = false;
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKkept' }), UDP_SOURCE);
    b.core.refuse = true;
    // The retransmission is absorbed by its transaction, which repeats its 100.
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKkept' }), UDP_SOURCE);
    b.layer.receiveRequest(request('ACK', { branch: 'z9hG4bKack', toTag: 'x' }), UDP_SOURCE);
    expect(b.core.asked.map((a) => a.method)).toEqual(['INVITE']);
    expect(b.layer.stats).toMatchObject({ shed: 0, requests: 1, absorbed: 1 });
    expect(b.core.acks).toHaveLength(1);
  });

  it('hands the core the source, so that it can tell TCP from UDP', () => {
    const b = gated();
    b.core.refuse = false;
    b.layer.receiveRequest(request('OPTIONS', { branch: 'z9hG4bKtcp', viaTransport: 'TCP' }), TCP_SOURCE);
    expect(b.core.asked).toEqual([{ method: 'OPTIONS', source: TCP_SOURCE }]);
  });
});
