import { describe, expect, it } from 'vitest';
import { TransactionError, type NonInviteClientTransaction } from '../../src/transaction/index.js';
import { bench, RecordingClientUser, request, response, TCP_PEER, UDP_PEER, UDP_SOURCE, type Bench } from './helpers.js';

function start(b: Bench, destination = UDP_PEER, method = 'OPTIONS'): { tx: NonInviteClientTransaction; user: RecordingClientUser; req: ReturnType<typeof request> } {
  const req = request(method, { branch: 'z9hG4bKnict1' });
  const user = new RecordingClientUser(b.clock);
  const tx = b.layer.createClientTransaction(req, destination, user) as NonInviteClientTransaction;
  return { tx, user, req };
}

describe('non-INVITE client transaction (RFC 3261 17.1.2)', () => {
  it('retransmits over UDP at 0, 0.5, 1.5, 3.5, 7.5, then every T2 (11.5, 15.5, ...) and times out with Timer F at 32 s', () => {
    const b = bench();
    const { tx, user } = start(b);
    expect(tx.kind).toBe('non-invite-client');
    expect(tx.state).toBe('trying');
    b.clock.advance(31_999);
    expect(b.transport.times('OPTIONS')).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(user.events).toEqual([]);
    b.clock.advance(1);
    expect(user.events).toEqual([
      ['timeout', 32_000],
      ['terminated', 32_000],
    ]);
    expect(b.clock.pending).toEqual([]);
    expect(b.layer.size).toBe(0);
  });

  it('caps Timer E at a custom T2', () => {
    const b = bench({ timers: { t1: 500, t2: 2000 } });
    start(b);
    b.clock.advance(12_000);
    expect(b.transport.times('OPTIONS')).toEqual([0, 500, 1500, 3500, 5500, 7500, 9500, 11500]);
  });

  it('after a provisional retransmits every T2 (Timer E in Proceeding), until Timer F', () => {
    const b = bench();
    const { tx, user, req } = start(b);
    b.clock.advance(600);
    b.layer.receiveResponse(response(req, 100), UDP_SOURCE);
    expect(tx.state).toBe('proceeding');
    b.clock.advance(40_000);
    // E was armed for 1 s at 0.5 s; it fires in Proceeding at 1.5 s and from then on every T2.
    expect(b.transport.times('OPTIONS')).toEqual([0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500]);
    expect(user.events).toEqual([
      ['provisional', 100, 600],
      ['timeout', 32_000],
      ['terminated', 32_000],
    ]);
  });

  it('passes the final up once, absorbs its retransmissions in Completed, and ends at Timer K = T4', () => {
    const b = bench();
    const { tx, user, req } = start(b, UDP_PEER, 'BYE');
    b.clock.advance(700);
    b.layer.receiveResponse(response(req, 180, 'x'), UDP_SOURCE);
    b.layer.receiveResponse(response(req, 200, 'x'), UDP_SOURCE);
    expect(tx.state).toBe('completed');
    b.layer.receiveResponse(response(req, 200, 'x'), UDP_SOURCE);
    b.layer.receiveResponse(response(req, 180, 'x'), UDP_SOURCE);
    expect(user.finals).toHaveLength(1);
    expect(b.layer.stats.absorbed).toBe(2);
    b.clock.advance(10_000);
    // No retransmission after the final.
    expect(b.transport.times('BYE')).toEqual([0, 500]);
    expect(user.events).toEqual([
      ['provisional', 180, 700],
      ['final', 200, 700],
      ['terminated', 5700],
    ]);
    expect(b.clock.pending).toEqual([]);
  });

  it('follows a custom T4 for Timer K', () => {
    const b = bench({ timers: { t4: 2500 } });
    const { tx, req } = start(b);
    b.layer.receiveResponse(response(req, 404, 'x'), UDP_SOURCE);
    expect(b.clock.pending).toEqual([2500]);
    b.clock.advance(2500);
    expect(tx.state).toBe('terminated');
  });

  it('sends once over a reliable transport and ends with the final (Timer K = 0)', () => {
    const b = bench();
    const { tx, user, req } = start(b, TCP_PEER, 'REGISTER');
    expect(b.clock.pending).toEqual([32_000]);
    b.clock.advance(3000);
    b.layer.receiveResponse(response(req, 401, 'x'), UDP_SOURCE);
    expect(tx.state).toBe('terminated');
    expect(b.transport.times('REGISTER')).toEqual([0]);
    expect(user.names()).toEqual(['final', 'terminated']);
    expect(b.clock.pending).toEqual([]);
  });

  it('times out over a reliable transport with Timer F at 64*T1', () => {
    const b = bench({ timers: { t1: 250 } });
    const { user } = start(b, TCP_PEER);
    b.clock.advance(16_000);
    expect(user.events).toEqual([
      ['timeout', 16_000],
      ['terminated', 16_000],
    ]);
  });

  it('turns a transport error into onTransportError (as 503), never an exception', () => {
    const b = bench();
    b.transport.fail('async', new Error('refused'));
    const { tx, user } = start(b, TCP_PEER);
    expect(() => b.clock.advance(0)).not.toThrow();
    expect(tx.state).toBe('terminated');
    expect(user.events).toEqual([
      ['transportError', 'refused', 0],
      ['terminated', 0],
    ]);
    expect(b.clock.pending).toEqual([]);
  });

  it('keeps CANCEL in a transaction of its own, matched by CSeq method (17.1.3)', () => {
    const b = bench();
    const invite = request('INVITE', { branch: 'z9hG4bKshared' });
    const cancel = request('CANCEL', { branch: 'z9hG4bKshared' });
    const inviteUser = new RecordingClientUser(b.clock);
    const cancelUser = new RecordingClientUser(b.clock);
    b.layer.createClientTransaction(invite, UDP_PEER, inviteUser);
    const ctx = b.layer.createClientTransaction(cancel, UDP_PEER, cancelUser);
    expect(ctx.kind).toBe('non-invite-client');
    b.layer.receiveResponse(response(cancel, 200, 'x'), UDP_SOURCE);
    b.layer.receiveResponse(response(invite, 487, 'x'), UDP_SOURCE);
    expect(cancelUser.finals.map((r) => r.status)).toEqual([200]);
    expect(inviteUser.finals.map((r) => r.status)).toEqual([487]);
    expect(b.layer.counts).toEqual({ inviteClient: 1, nonInviteClient: 1, inviteServer: 0, nonInviteServer: 0 });
  });

  it('refuses requests that cannot have a client transaction', () => {
    const b = bench();
    const user = new RecordingClientUser(b.clock);
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return e instanceof TransactionError ? e.code : 'other';
      }
      return undefined;
    };
    expect(code(() => b.layer.createClientTransaction(request('ACK'), UDP_PEER, user))).toBe('SLUICE_ERR_TRANSACTION_REQUEST');
    expect(code(() => b.layer.createClientTransaction(request('OPTIONS', { branch: null }), UDP_PEER, user))).toBe(
      'SLUICE_ERR_TRANSACTION_REQUEST',
    );
    expect(code(() => b.layer.createClientTransaction(request('OPTIONS', { branch: 'abc123' }), UDP_PEER, user))).toBe(
      'SLUICE_ERR_TRANSACTION_REQUEST',
    );
    expect(code(() => b.layer.createClientTransaction(request('OPTIONS', { branch: 'z9hG4bK' }), UDP_PEER, user))).toBe(
      'SLUICE_ERR_TRANSACTION_REQUEST',
    );
    b.layer.createClientTransaction(request('OPTIONS', { branch: 'z9hG4bKdup' }), UDP_PEER, user);
    expect(code(() => b.layer.createClientTransaction(request('OPTIONS', { branch: 'z9hG4bKDUP' }), UDP_PEER, user))).toBe(
      'SLUICE_ERR_TRANSACTION_EXISTS',
    );
    expect(b.transport.sent).toHaveLength(1);
    expect(b.layer.size).toBe(1);
  });
});
