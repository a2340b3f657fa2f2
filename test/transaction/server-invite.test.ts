import { describe, expect, it } from 'vitest';
import { SipResponse } from '../../src/sip/index.js';
import { TransactionError, type InviteServerTransaction } from '../../src/transaction/index.js';
import { ackFor, answer, bench, request, TCP_SOURCE, UDP_SOURCE, type Bench } from './helpers.js';

function receiveInvite(b: Bench, source = UDP_SOURCE, branch = 'z9hG4bKuac1'): { tx: InviteServerTransaction; invite: ReturnType<typeof request> } {
  const invite = request('INVITE', { branch });
  b.layer.receiveRequest(invite, source);
  const tx = b.core.requests.at(-1)!.tx as InviteServerTransaction;
  return { tx, invite };
}

describe('INVITE server transaction (RFC 3261 17.2.1, RFC 6026 7.1)', () => {
  it('sends 100 Trying at once, before the core sees the INVITE', () => {
    const b = bench();
    const { tx, invite } = receiveInvite(b);
    expect(tx.kind).toBe('invite-server');
    expect(tx.state).toBe('proceeding');
    expect(tx.request).toBe(invite);
    expect(tx.source).toBe(UDP_SOURCE);
    expect(b.core.requests).toHaveLength(1);
    expect(b.core.requests[0]!.sentBefore).toBe(1);
    const trying = b.transport.sent[0]!;
    expect(trying.what).toBe('100 INVITE');
    expect(trying.at).toBe(0);
    expect(trying.to).toBe(UDP_SOURCE);
    expect((trying.message as SipResponse).toTag).toBeNull();
    expect(b.clock.pending).toEqual([]);
  });

  it("sends no 100 when the TU takes the duty ('never')", () => {
    const b = bench({ trying: 'never' });
    receiveInvite(b);
    b.clock.advance(10_000);
    expect(b.transport.sent).toEqual([]);
  });

  it("'delayed': 100 Trying at 200 ms only if the TU has sent nothing", () => {
    const b = bench({ trying: 'delayed' });
    receiveInvite(b, UDP_SOURCE, 'z9hG4bKslow');
    const fast = receiveInvite(b, UDP_SOURCE, 'z9hG4bKfast');
    b.clock.advance(100);
    fast.tx.respond(answer(fast.invite, 180));
    b.clock.advance(1000);
    expect(b.transport.sent.map((s) => [s.what, s.at])).toEqual([
      ['180 INVITE', 100],
      ['100 INVITE', 200],
    ]);
    expect(b.clock.pending).toEqual([]);
  });

  it('absorbs INVITE retransmissions in Proceeding and resends the latest provisional', () => {
    const b = bench();
    const { tx, invite } = receiveInvite(b);
    b.clock.advance(500);
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKuac1' }), UDP_SOURCE);
    tx.respond(answer(invite, 180));
    b.clock.advance(1000);
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKuac1' }), UDP_SOURCE);
    expect(b.core.requests).toHaveLength(1);
    expect(b.transport.sent.map((s) => [s.what, s.at])).toEqual([
      ['100 INVITE', 0],
      ['100 INVITE', 500],
      ['180 INVITE', 500],
      ['180 INVITE', 1500],
    ]);
    expect(b.layer.stats.absorbed).toBe(2);
    expect(b.layer.counts.inviteServer).toBe(1);
  });

  it('retransmits a non-2xx final at T1 doubling to T2 (Timer G) and reports Timer H at 64*T1 without ACK', () => {
    const b = bench();
    const { tx, invite } = receiveInvite(b);
    const user = b.core.user(tx);
    b.clock.advance(1000);
    expect(tx.respond(answer(invite, 486))).toBe(true);
    expect(tx.state).toBe('completed');
    b.clock.advance(31_999);
    expect(b.transport.times('486 INVITE').map((t) => t - 1000)).toEqual([
      0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
    ]);
    expect(user.events).toEqual([]);
    b.clock.advance(1);
    expect(user.events).toEqual([
      ['timeoutH', 33_000],
      ['terminated', 33_000],
    ]);
    expect(tx.state).toBe('terminated');
    expect(b.layer.stats.timeouts).toBe(1);
    expect(b.clock.pending).toEqual([]);
    expect(b.layer.size).toBe(0);
  });

  it('resends the final on an INVITE retransmission in Completed', () => {
    const b = bench();
    const { tx, invite } = receiveInvite(b, TCP_SOURCE);
    tx.respond(answer(invite, 404));
    b.clock.advance(100);
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKuac1' }), TCP_SOURCE);
    expect(b.transport.times('404 INVITE')).toEqual([0, 100]);
    expect(b.core.requests).toHaveLength(1);
  });

  it('absorbs the ACK for a non-2xx (Confirmed), stops Timer G, then ends at Timer I = T4', () => {
    const b = bench();
    const { tx, invite } = receiveInvite(b);
    const user = b.core.user(tx);
    const final = answer(invite, 603, 'uas1');
    tx.respond(final);
    b.clock.advance(2000); // G retransmissions at 500 and 1500
    b.layer.receiveRequest(ackFor(invite, final), UDP_SOURCE);
    expect(tx.state).toBe('confirmed');
    expect(user.events).toEqual([['ack', 'ACK', 2000]]);
    expect(b.core.acks).toEqual([]);
    b.clock.advance(1000);
    b.layer.receiveRequest(ackFor(invite, final), UDP_SOURCE); // retransmitted ACK: absorbed
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKuac1' }), UDP_SOURCE); // absorbed
    expect(b.core.acks).toEqual([]);
    expect(b.core.requests).toHaveLength(1);
    b.clock.advance(3999);
    expect(tx.state).toBe('confirmed');
    b.clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(b.transport.times('603 INVITE')).toEqual([0, 500, 1500]);
    expect(user.names()).toEqual(['ack', 'terminated']);
    expect(b.clock.pending).toEqual([]);
  });

  it('over a reliable transport: no Timer G, Timer H still 64*T1, Timer I zero', () => {
    const b = bench();
    const first = receiveInvite(b, TCP_SOURCE, 'z9hG4bKtcp1');
    first.tx.respond(answer(first.invite, 480));
    expect(b.clock.pending).toEqual([32_000]);
    const second = receiveInvite(b, TCP_SOURCE, 'z9hG4bKtcp2');
    const final = answer(second.invite, 486, 'x');
    second.tx.respond(final);
    b.layer.receiveRequest(ackFor(second.invite, final), TCP_SOURCE);
    expect(second.tx.state).toBe('terminated');
    b.clock.advance(32_000);
    expect(first.tx.state).toBe('terminated');
    expect(b.core.user(first.tx).names()).toEqual(['timeoutH', 'terminated']);
    expect(b.transport.times('480 INVITE')).toEqual([0]);
    expect(b.clock.pending).toEqual([]);
  });

  it('Accepted (RFC 6026): absorbs INVITE retransmissions, sends the TU 2xx retransmissions, passes ACKs to the core, ends at Timer L', () => {
    const b = bench();
    const { tx, invite } = receiveInvite(b);
    const ok = answer(invite, 200, 'uas1');
    b.clock.advance(3000);
    tx.respond(ok);
    expect(tx.state).toBe('accepted');
    // Nothing is resent from Accepted, so no message is kept for Timer L; the To tag is (2543 ACKs).
    expect(tx.lastResponse).toBeNull();
    expect(tx.responseToTag).toBe('uas1');
    b.clock.advance(500);
    // The transaction never retransmits a 2xx itself (13.3.1.4: the TU does, through it).
    expect(b.transport.times('200 INVITE')).toEqual([3000]);
    expect(tx.respond(ok)).toBe(true);
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKuac1' }), UDP_SOURCE);
    expect(b.core.requests).toHaveLength(1);
    expect(b.layer.counts.inviteServer).toBe(1);
    expect(b.transport.times('200 INVITE')).toEqual([3000, 3500]);

    // An ACK that reuses the INVITE's branch matches the transaction and goes up with it.
    const ack = ackFor(invite, ok);
    b.layer.receiveRequest(ack, UDP_SOURCE);
    expect(b.core.acks).toHaveLength(1);
    expect(b.core.acks[0]).toEqual({ ack, source: UDP_SOURCE, tx });
    expect(tx.state).toBe('accepted');

    b.clock.advance(32_000 - 500 - 1);
    expect(tx.state).toBe('accepted');
    b.clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(b.core.user(tx).names()).toEqual(['terminated']);
    expect(b.clock.pending).toEqual([]);
    expect(tx.respond(ok)).toBe(false);

    // After Timer L the same INVITE would be new: a new transaction.
    b.layer.receiveRequest(request('INVITE', { branch: 'z9hG4bKuac1' }), UDP_SOURCE);
    expect(b.core.requests).toHaveLength(2);
  });

  it('keeps Timer L on a reliable transport', () => {
    const b = bench();
    const { tx, invite } = receiveInvite(b, TCP_SOURCE);
    tx.respond(answer(invite, 200));
    expect(b.clock.pending).toEqual([32_000]);
  });

  it('follows a custom T1/T2 for Timers G, H and L', () => {
    const b = bench({ timers: { t1: 100, t2: 400 } });
    const a = receiveInvite(b, UDP_SOURCE, 'z9hG4bKa');
    a.tx.respond(answer(a.invite, 500));
    b.clock.advance(6400);
    expect(b.transport.times('500 INVITE')).toEqual([0, 100, 300, 700, 1100, 1500, 1900, 2300, 2700, 3100, 3500, 3900, 4300, 4700, 5100, 5500, 5900, 6300]);
    expect(a.tx.state).toBe('terminated');
    const c = receiveInvite(b, UDP_SOURCE, 'z9hG4bKc');
    c.tx.respond(answer(c.invite, 200));
    expect(b.clock.pending).toEqual([6400]);
  });

  it('tells the TU of a transport error and stays in its state (RFC 6026 figure 5)', () => {
    const b = bench();
    const { tx, invite } = receiveInvite(b);
    const user = b.core.user(tx);
    b.transport.fail('async', new Error('no route'));
    tx.respond(answer(invite, 486));
    b.clock.advance(0);
    expect(tx.state).toBe('completed');
    expect(user.events).toEqual([['transportError', 'no route', 0]]);
    b.clock.advance(1000);
    expect(b.transport.times('486 INVITE')).toEqual([0, 500]);
  });

  it('handles a synchronous send failure after the transition it happened in', () => {
    const b = bench();
    const { tx, invite } = receiveInvite(b);
    b.transport.fail('sync', new Error('EHOSTUNREACH'));
    expect(() => tx.respond(answer(invite, 486))).not.toThrow();
    expect(tx.state).toBe('completed');
    expect(b.core.user(tx).events).toEqual([['transportError', 'EHOSTUNREACH', 0]]);
    expect(b.clock.pending).toEqual([500, 32_000]);
  });

  it('refuses responses the state does not allow, and ignores them once ended', () => {
    const b = bench();
    const { tx, invite } = receiveInvite(b);
    tx.respond(answer(invite, 200));
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return e instanceof TransactionError ? e.code : 'other';
      }
      return undefined;
    };
    expect(code(() => tx.respond(answer(invite, 180)))).toBe('SLUICE_ERR_TRANSACTION_STATE');
    expect(code(() => tx.respond(answer(invite, 486)))).toBe('SLUICE_ERR_TRANSACTION_STATE');
    const other = receiveInvite(b, UDP_SOURCE, 'z9hG4bKother');
    other.tx.respond(answer(other.invite, 486));
    expect(code(() => other.tx.respond(answer(other.invite, 200)))).toBe('SLUICE_ERR_TRANSACTION_STATE');
    expect(code(() => other.tx.respond(answer(other.invite, 183)))).toBe('SLUICE_ERR_TRANSACTION_STATE');
    const fresh = receiveInvite(b, UDP_SOURCE, 'z9hG4bKfresh');
    const odd = answer(fresh.invite, 180);
    odd.status = 99;
    expect(code(() => fresh.tx.respond(odd))).toBe('SLUICE_ERR_TRANSACTION_RESPONSE');
    expect(fresh.tx.state).toBe('proceeding');
    other.tx.dispose();
    expect(other.tx.respond(answer(other.invite, 486))).toBe(false);
  });

  it('drops an ACK that arrives before any final (no transition in Proceeding)', () => {
    const b = bench();
    const { tx, invite } = receiveInvite(b);
    b.layer.receiveRequest(ackFor(invite, answer(invite, 486)), UDP_SOURCE);
    expect(tx.state).toBe('proceeding');
    expect(b.core.acks).toEqual([]);
    expect(b.layer.stats.dropped).toBe(1);
  });
});
