import { describe, expect, it } from 'vitest';
import { serializeMessage } from '../../src/sip/index.js';
import type { NonInviteServerTransaction } from '../../src/transaction/index.js';
import { answer, bench, request, TCP_SOURCE, UDP_SOURCE, type Bench } from './helpers.js';

function receive(b: Bench, source = UDP_SOURCE, method = 'OPTIONS'): { tx: NonInviteServerTransaction; req: ReturnType<typeof request> } {
  const req = request(method, { branch: 'z9hG4bKnist1' });
  b.layer.receiveRequest(req, source);
  return { tx: b.core.requests.at(-1)!.tx as NonInviteServerTransaction, req };
}

const again = (method = 'OPTIONS'): ReturnType<typeof request> => request(method, { branch: 'z9hG4bKnist1' });

describe('non-INVITE server transaction (RFC 3261 17.2.2)', () => {
  it('hands the request up once and silently discards retransmissions in Trying', () => {
    const b = bench();
    const { tx } = receive(b);
    expect(tx.kind).toBe('non-invite-server');
    expect(tx.state).toBe('trying');
    b.clock.advance(500);
    b.layer.receiveRequest(again(), UDP_SOURCE);
    b.layer.receiveRequest(again(), UDP_SOURCE);
    expect(b.core.requests).toHaveLength(1);
    expect(b.transport.sent).toEqual([]); // no 100 for non-INVITE
    expect(b.layer.stats.absorbed).toBe(2);
  });

  it('resends the latest provisional in Proceeding and the final in Completed', () => {
    const b = bench();
    const { tx, req } = receive(b, UDP_SOURCE, 'SUBSCRIBE');
    tx.respond(answer(req, 100));
    expect(tx.state).toBe('proceeding');
    b.clock.advance(500);
    b.layer.receiveRequest(again('SUBSCRIBE'), UDP_SOURCE);
    tx.respond(answer(req, 202));
    expect(tx.state).toBe('completed');
    b.clock.advance(1000);
    b.layer.receiveRequest(again('SUBSCRIBE'), UDP_SOURCE);
    expect(b.transport.sent.map((s) => [s.what, s.at])).toEqual([
      ['100 SUBSCRIBE', 0],
      ['100 SUBSCRIBE', 500],
      ['202 SUBSCRIBE', 500],
      ['202 SUBSCRIBE', 1500],
    ]);
    expect(b.core.requests).toHaveLength(1);
  });

  it('keeps the final for Timer J as the bytes it sent, and resends them where they went', () => {
    const b = bench();
    const { tx, req } = receive(b, UDP_SOURCE, 'SUBSCRIBE');
    const final = answer(req, 202);
    final.appendHeader('Expires', '600');
    tx.respond(final);
    b.layer.receiveRequest(again('SUBSCRIBE'), UDP_SOURCE);
    b.layer.receiveRequest(again('SUBSCRIBE'), UDP_SOURCE);
    const sent = b.transport.sent.map((s) => serializeMessage(s.message).toString('latin1'));
    expect(sent).toEqual([serializeMessage(final).toString('latin1'), sent[0], sent[0]]);
    expect(b.transport.sent.map((s) => s.to)).toEqual([UDP_SOURCE, UDP_SOURCE, UDP_SOURCE]);
    expect(tx.lastResponse?.header('expires')).toBe('600');
    expect(tx.holdsRequest).toBe(false);
  });

  it('ends at Timer J = 64*T1 over UDP and discards further finals from the TU', () => {
    const b = bench();
    const { tx, req } = receive(b);
    const user = b.core.user(tx);
    b.clock.advance(300);
    expect(tx.respond(answer(req, 200))).toBe(true);
    expect(tx.respond(answer(req, 500))).toBe(false);
    expect(b.transport.sent.map((s) => s.what)).toEqual(['200 OPTIONS']);
    b.clock.advance(31_999);
    expect(tx.state).toBe('completed');
    b.clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(user.events).toEqual([['terminated', 32_300]]);
    expect(b.clock.pending).toEqual([]);
    expect(b.layer.size).toBe(0);
  });

  it('follows a custom T1 for Timer J', () => {
    const b = bench({ timers: { t1: 50, t2: 4000 } });
    const { tx, req } = receive(b);
    tx.respond(answer(req, 200));
    expect(b.clock.pending).toEqual([3200]);
  });

  it('ends with the final over a reliable transport (Timer J = 0); a later copy is a new request', () => {
    const b = bench();
    const { tx, req } = receive(b, TCP_SOURCE, 'BYE');
    tx.respond(answer(req, 200));
    expect(tx.state).toBe('terminated');
    expect(b.clock.pending).toEqual([]);
    expect(b.transport.sent[0]!.to).toBe(TCP_SOURCE);
    b.layer.receiveRequest(again('BYE'), TCP_SOURCE);
    expect(b.core.requests).toHaveLength(2);
  });

  it('moves its responses to the connection a retransmission came on (18.2.2)', () => {
    const b = bench();
    const { tx, req } = receive(b, TCP_SOURCE);
    tx.respond(answer(req, 180));
    const reconnected = { ...TCP_SOURCE, port: 40999, connectionId: 'c10' };
    b.layer.receiveRequest(again(), reconnected);
    expect(tx.source).toBe(reconnected);
    expect(b.transport.last().to).toBe(reconnected);
  });

  it('resends a final kept for Timer J on the connection a retransmission came on (18.2.2)', () => {
    const b = bench();
    const { tx, req } = receive(b, UDP_SOURCE);
    tx.respond(answer(req, 200));
    const connection = { ...TCP_SOURCE, port: 40998, connectionId: 'c11' };
    b.layer.receiveRequest(again(), connection);
    expect(b.transport.sent.map((s) => [s.what, s.to])).toEqual([
      ['200 OPTIONS', UDP_SOURCE],
      ['200 OPTIONS', connection],
    ]);
  });

  it('reports a transport error to its user and ends', () => {
    const b = bench();
    const { tx, req } = receive(b);
    const user = b.core.user(tx);
    b.transport.fail('async', new Error('socket closed'));
    tx.respond(answer(req, 200));
    b.clock.advance(0);
    expect(tx.state).toBe('terminated');
    expect(user.events).toEqual([
      ['transportError', 'socket closed', 0],
      ['terminated', 0],
    ]);
    expect(b.clock.pending).toEqual([]);
  });

  it('discards what the TU sends once Completed (17.2.2) or ended, without throwing', () => {
    const b = bench();
    const { tx, req } = receive(b);
    tx.respond(answer(req, 200));
    expect(tx.respond(answer(req, 100))).toBe(false);
    expect(b.transport.sent).toHaveLength(1);
    tx.dispose();
    expect(() => expect(tx.respond(answer(req, 200))).toBe(false)).not.toThrow();
    expect(b.transport.sent).toHaveLength(1);
  });
});
