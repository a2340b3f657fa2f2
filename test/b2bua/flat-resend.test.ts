import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { Resend, type ResendOwner } from '../../src/b2bua/flat-resend.js';
import { LingerQueue, type Destination } from '../../src/transaction/index.js';
import type { UserAgent } from '../../src/ua/index.js';

const T1 = 500;
const T2 = 4000;
const to: Destination = { transport: 'UDP', address: '192.0.2.2', port: 5060, reliable: false };

/** What a Resend asks of its UA, with its sends kept as [time, text]. */
function uaOn(clock: FakeClock) {
  const sent: [number, string][] = [];
  const stats = { retransmissions: 0, timeouts: 0 };
  const t1Queue = new LingerQueue(clock, T1);
  const ua = {
    t1: T1,
    t1Queue,
    clock,
    transport: { sendText: (text: string) => sent.push([clock.now(), text]) },
    transactions: { stats, timers: { t1: T1, t2: T2 } },
  } as unknown as UserAgent;
  return { ua, sent, stats, t1Queue };
}

describe('Resend (a flat call\'s message sent again until answered)', () => {
  it('waits its first T1 in the UA\'s t1Queue, not on a clock timer of its own, and leaves it when stopped', () => {
    const clock = new FakeClock();
    const { ua, sent, t1Queue } = uaOn(clock);
    const resends = Array.from({ length: 100 }, (_, i) => new Resend(ua, `m${i}`, to, T2, null, () => undefined));
    expect(sent).toHaveLength(100);
    expect(t1Queue.size).toBe(100);
    // One clock timer for the queue, none for each message.
    expect(clock.pending).toEqual([T1]);
    for (const r of resends) r.stop();
    expect(t1Queue.size).toBe(0);
    expect(clock.pending).toEqual([]);
    clock.advance(64 * T1);
    expect(sent).toHaveLength(100);
  });

  it('sends again at T1, 3T1, 7T1 ... capped at T2 (Timer E), and tells its owner at 64*T1', () => {
    const clock = new FakeClock();
    const { ua, sent, stats } = uaOn(clock);
    const timedOut: Resend[] = [];
    const owner: ResendOwner = { resendTimedOut: (r) => timedOut.push(r) };
    const r = new Resend(ua, 'BYE', to, T2, owner, () => undefined);
    clock.advance(64 * T1 + 1);
    expect(sent.map(([at]) => at)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(sent.every(([, text]) => text === 'BYE')).toBe(true);
    expect(stats.retransmissions).toBe(10);
    expect(timedOut).toEqual([r]);
    expect(stats.timeouts).toBe(1);
    expect(clock.pending).toEqual([]);
  });

  it('stops between later sends too, and a stop in its first wait leaves the others waiting', () => {
    const clock = new FakeClock();
    const { ua, sent, t1Queue } = uaOn(clock);
    const a = new Resend(ua, 'a', to, T2, null, () => undefined);
    clock.advance(100);
    const b = new Resend(ua, 'b', to, T2, null, () => undefined);
    a.stop();
    clock.advance(T1);
    // b's first wait ended at 600: sent again then; a never.
    expect(sent).toEqual([[0, 'a'], [100, 'b'], [600, 'b']]);
    expect(t1Queue.size).toBe(0);
    clock.advance(500);
    b.stop();
    clock.advance(64 * T1);
    expect(sent).toHaveLength(3);
    expect(clock.pending).toEqual([]);
  });
});
