import { describe, expect, it } from 'vitest';
import { SipRequest } from '../../src/sip/index.js';
import type { InviteClientTransaction } from '../../src/transaction/index.js';
import { bench, RecordingClientUser, request, response, TCP_PEER, UDP_PEER, UDP_SOURCE, type Bench } from './helpers.js';

function start(b: Bench, destination = UDP_PEER, routes?: string[]): { tx: InviteClientTransaction; user: RecordingClientUser; invite: SipRequest } {
  const invite = request('INVITE', { branch: 'z9hG4bKinv1', routes });
  const user = new RecordingClientUser(b.clock);
  const tx = b.layer.createClientTransaction(invite, destination, user) as InviteClientTransaction;
  return { tx, user, invite };
}

describe('INVITE client transaction (RFC 3261 17.1.1, RFC 6026 7.2)', () => {
  it('retransmits over UDP at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s and times out with Timer B at 32 s', () => {
    const b = bench();
    const { tx, user } = start(b);
    expect(tx.kind).toBe('invite-client');
    expect(tx.state).toBe('calling');
    b.clock.advance(31_999);
    expect(b.transport.times('INVITE')).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(user.events).toEqual([]);
    b.clock.advance(1);
    expect(user.events).toEqual([
      ['timeout', 32_000],
      ['terminated', 32_000],
    ]);
    expect(tx.state).toBe('terminated');
    expect(b.clock.pending).toEqual([]);
    expect(b.layer.size).toBe(0);
    expect(b.layer.counts.inviteClient).toBe(0);
    expect(b.layer.stats.retransmissions).toBe(6);
    expect(b.layer.stats.timeouts).toBe(1);
  });

  it('follows a custom T1: 0, 0.2, 0.6, 1.4, 3.0, 6.2, 12.6 s and Timer B at 64*T1 = 12.8 s', () => {
    const b = bench({ timers: { t1: 200 } });
    const { user } = start(b);
    b.clock.advance(12_799);
    expect(b.transport.times('INVITE')).toEqual([0, 200, 600, 1400, 3000, 6200, 12600]);
    expect(user.names()).toEqual([]);
    b.clock.advance(1);
    expect(user.names()).toEqual(['timeout', 'terminated']);
  });

  it('sends once over a reliable transport (no Timer A) and still times out at 64*T1', () => {
    const b = bench();
    const { user } = start(b, TCP_PEER);
    expect(b.clock.pending).toEqual([32_000]);
    b.clock.advance(40_000);
    expect(b.transport.times('INVITE')).toEqual([0]);
    expect(b.transport.sent[0]!.to).toBe(TCP_PEER);
    expect(user.events).toEqual([
      ['timeout', 32_000],
      ['terminated', 32_000],
    ]);
  });

  it('stops retransmitting on a provisional and passes every 1xx up (Proceeding)', () => {
    const b = bench();
    const { tx, user, invite } = start(b);
    b.clock.advance(1000);
    b.layer.receiveResponse(response(invite, 100), UDP_SOURCE);
    expect(tx.state).toBe('proceeding');
    b.clock.advance(1000);
    b.layer.receiveResponse(response(invite, 180, 'b1'), UDP_SOURCE);
    b.clock.advance(60_000);
    // Timer B applies only in Calling: no timeout in Proceeding, and no timer left.
    expect(b.transport.times('INVITE')).toEqual([0, 500]);
    expect(user.events).toEqual([
      ['provisional', 100, 1000],
      ['provisional', 180, 2000],
    ]);
    expect(tx.state).toBe('proceeding');
    expect(b.clock.pending).toEqual([]);
  });

  it('ACKs a non-2xx final per 17.1.1.3, absorbs its retransmissions with a new ACK, ends at Timer D', () => {
    const b = bench();
    const routes = ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>'];
    const { tx, user, invite } = start(b, UDP_PEER, routes);
    b.layer.receiveResponse(response(invite, 180, 'b1'), UDP_SOURCE);
    b.clock.advance(2000);
    const busy = response(invite, 486, 'b1');
    b.layer.receiveResponse(busy, UDP_SOURCE);
    expect(tx.state).toBe('completed');
    expect(user.events).toEqual([
      ['provisional', 180, 0],
      ['final', 486, 2000],
    ]);

    const acks = b.transport.sent.filter((s) => s.what === 'ACK');
    expect(acks).toHaveLength(1);
    const ack = acks[0]!.message as SipRequest;
    expect(acks[0]!.to).toBe(UDP_PEER);
    expect(ack.uriText).toBe(invite.uriText);
    expect(ack.via).toHaveLength(1);
    expect(ack.topVia!.branch).toBe('z9hG4bKinv1');
    expect(ack.topVia!.host).toBe(invite.topVia!.host);
    expect(ack.callId).toBe(invite.callId);
    expect(ack.fromTag).toBe(invite.fromTag);
    expect(ack.toTag).toBe('b1');
    expect(ack.cseq).toEqual({ seq: invite.cseq.seq, method: 'ACK' });
    expect(ack.headerValues('route')).toEqual(routes);
    expect(ack.maxForwards).toBe(70);

    b.clock.advance(500);
    b.layer.receiveResponse(response(invite, 486, 'b1'), UDP_SOURCE);
    b.layer.receiveResponse(response(invite, 486, 'b1'), UDP_SOURCE);
    expect(b.transport.times('ACK')).toEqual([2000, 2500, 2500]);
    expect(user.finals).toHaveLength(1);
    expect(b.layer.stats.absorbed).toBe(2);

    // Timer D: max(32 s, 64*T1) = 32 s after entering Completed.
    b.clock.advance(31_499);
    expect(tx.state).toBe('completed');
    b.clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(user.names()).toEqual(['provisional', 'final', 'terminated']);
    expect(b.clock.pending).toEqual([]);
  });

  it('Timer D is max(32 s, 64*T1): 64 s when T1 is 1 s', () => {
    const b = bench({ timers: { t1: 1000, t2: 4000 } });
    const { tx, invite } = start(b);
    b.layer.receiveResponse(response(invite, 404, 'x'), UDP_SOURCE);
    expect(b.clock.pending).toEqual([64_000]);
    b.clock.advance(64_000);
    expect(tx.state).toBe('terminated');
  });

  it('Timer D is zero over a reliable transport: Terminated right after the final', () => {
    const b = bench();
    const { tx, user, invite } = start(b, TCP_PEER);
    b.layer.receiveResponse(response(invite, 603, 'x'), UDP_SOURCE);
    expect(b.transport.times('ACK')).toEqual([0]);
    expect(tx.state).toBe('terminated');
    expect(user.names()).toEqual(['final', 'terminated']);
    expect(b.clock.pending).toEqual([]);
  });

  it('Accepted (RFC 6026): passes every 2xx up until Timer M, then the 2xx is stray', () => {
    const b = bench();
    const { tx, user, invite } = start(b);
    b.clock.advance(700);
    b.layer.receiveResponse(response(invite, 200, 'b1'), UDP_SOURCE);
    expect(tx.state).toBe('accepted');
    // The transaction does not ACK a 2xx (13.2.2.4: the UAC core does).
    expect(b.transport.times('ACK')).toEqual([]);
    expect(b.transport.times('INVITE')).toEqual([0, 500]);

    b.clock.advance(500);
    b.layer.receiveResponse(response(invite, 200, 'b1'), UDP_SOURCE); // retransmission
    b.clock.advance(500);
    b.layer.receiveResponse(response(invite, 200, 'b2'), UDP_SOURCE); // another fork
    b.layer.receiveResponse(response(invite, 180, 'b3'), UDP_SOURCE); // no transition: dropped
    b.layer.receiveResponse(response(invite, 486, 'b4'), UDP_SOURCE); // no transition: dropped
    expect(user.events).toEqual([
      ['final', 200, 700],
      ['final', 200, 1200],
      ['final', 200, 1700],
    ]);
    expect(user.finals.map((r) => r.toTag)).toEqual(['b1', 'b1', 'b2']);
    expect(b.layer.stats.dropped).toBe(2);
    expect(b.core.strays).toEqual([]);

    // Timer M = 64*T1 from entering Accepted.
    b.clock.advance(32_000 - 1000 - 1);
    expect(tx.state).toBe('accepted');
    b.clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(user.names().at(-1)).toBe('terminated');
    b.layer.receiveResponse(response(invite, 200, 'b1'), UDP_SOURCE);
    expect(b.core.strays).toHaveLength(1);
    expect(b.core.strays[0]!.source).toBe(UDP_SOURCE);
    expect(b.clock.pending).toEqual([]);
  });

  it('a 2xx after a provisional also goes to Accepted, with Timer M on a reliable transport too', () => {
    const b = bench();
    const { tx, user, invite } = start(b, TCP_PEER);
    b.layer.receiveResponse(response(invite, 183, 'b1'), UDP_SOURCE);
    b.layer.receiveResponse(response(invite, 200, 'b1'), UDP_SOURCE);
    expect(tx.state).toBe('accepted');
    expect(b.clock.pending).toEqual([32_000]);
    expect(user.names()).toEqual(['provisional', 'final']);
  });

  it('reports a synchronous transport error as onTransportError, without throwing, and ends', () => {
    const b = bench();
    b.transport.fail('sync', new Error('no route'));
    const invite = request('INVITE', { branch: 'z9hG4bKsync' });
    const user = new RecordingClientUser(b.clock);
    let tx: InviteClientTransaction | undefined;
    expect(() => {
      tx = b.layer.createClientTransaction(invite, UDP_PEER, user) as InviteClientTransaction;
    }).not.toThrow();
    expect(tx!.state).toBe('terminated');
    expect(user.events).toEqual([
      ['transportError', 'no route', 0],
      ['terminated', 0],
    ]);
    expect(b.clock.pending).toEqual([]);
    expect(b.layer.size).toBe(0);
    expect(b.layer.stats.transportErrors).toBe(1);
  });

  it('reports an asynchronous transport error on a retransmission and stops retransmitting', () => {
    const b = bench();
    const { tx, user } = start(b);
    b.clock.advance(400);
    b.transport.fail('async', new Error('ICMP unreachable'));
    b.clock.advance(100); // Timer A fires at 500; the failure comes back on the next tick
    expect(tx.state).toBe('terminated');
    expect(user.events).toEqual([
      ['transportError', 'ICMP unreachable', 500],
      ['terminated', 500],
    ]);
    b.clock.advance(60_000);
    expect(b.transport.times('INVITE')).toEqual([0, 500]);
    expect(b.clock.pending).toEqual([]);
  });

  it('reports a failed ACK in Completed to the TU and ends (RFC 6026 figure 4)', () => {
    const b = bench();
    const { tx, user, invite } = start(b);
    b.transport.fail('async', new Error('gone'));
    b.layer.receiveResponse(response(invite, 500, 'x'), UDP_SOURCE);
    b.clock.advance(0);
    expect(tx.state).toBe('terminated');
    expect(user.names()).toEqual(['final', 'transportError', 'terminated']);
    expect(b.clock.pending).toEqual([]);
  });

  it('reports a synchronously failing ACK after the final it acknowledges', () => {
    const b = bench();
    const { tx, user, invite } = start(b);
    b.transport.fail('sync', new Error('EPERM'));
    b.layer.receiveResponse(response(invite, 404, 'x'), UDP_SOURCE);
    expect(tx.state).toBe('terminated');
    expect(user.events).toEqual([
      ['final', 404, 0],
      ['transportError', 'EPERM', 0],
      ['terminated', 0],
    ]);
    expect(b.clock.pending).toEqual([]);
  });

  it('ignores a late transport error once Accepted', () => {
    const b = bench();
    const { tx, user, invite } = start(b);
    b.transport.fail('held', new Error('late'));
    b.clock.advance(500); // the retransmission fails, reported after the 2xx came in
    b.layer.receiveResponse(response(invite, 200, 'b1'), UDP_SOURCE);
    b.transport.release();
    expect(tx.state).toBe('accepted');
    expect(user.names()).toEqual(['final']);
  });

  it('keeps a TU that throws from a timer out of the event loop', () => {
    const b = bench();
    const invite = request('INVITE', { branch: 'z9hG4bKthrow' });
    const tx = b.layer.createClientTransaction(invite, UDP_PEER, {
      onFinal() {},
      onTimeout() {
        throw new Error('TU bug');
      },
      onTransportError() {},
    });
    expect(() => b.clock.advance(32_000)).not.toThrow();
    expect(tx.state).toBe('terminated');
    expect(b.layer.stats.errors).toBe(1);
    expect(b.layer.size).toBe(0);
    expect(b.clock.pending).toEqual([]);
  });

  it('dispose() ends it at once, silently, with no timer left', () => {
    const b = bench();
    const { tx, user } = start(b);
    tx.dispose();
    expect(tx.state).toBe('terminated');
    expect(user.events).toEqual([]);
    expect(b.clock.pending).toEqual([]);
    expect(b.layer.size).toBe(0);
    b.clock.advance(60_000);
    expect(b.transport.times('INVITE')).toEqual([0]);
  });
});
