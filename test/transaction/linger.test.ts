import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { LingerQueue, type Lingering } from '../../src/transaction/linger.js';

/** An entry that records when it fell due, and with which token. */
function recorder(clock: FakeClock, log: [string, number, number][], name: string): Lingering {
  return { lingerDue: (token) => log.push([name, token, clock.now()]) };
}

describe('LingerQueue: waits of one duration, one clock timer for all', () => {
  it('calls each entry when its wait is over, in the order they came, holding one timer', () => {
    const clock = new FakeClock();
    const q = new LingerQueue(clock, 1000);
    const log: [string, number, number][] = [];
    const a = q.add(recorder(clock, log, 'a'));
    clock.advance(10);
    const b = q.add(recorder(clock, log, 'b'));
    const c = q.add(recorder(clock, log, 'c'));
    expect(clock.pending).toEqual([990]); // the oldest entry's, due in 990 ms
    expect(q.size).toBe(3);
    clock.advance(989);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual([['a', a, 1000]]);
    expect(clock.pending).toEqual([10]);
    clock.advance(10);
    expect(log).toEqual([['a', a, 1000], ['b', b, 1010], ['c', c, 1010]]);
    expect(clock.pending).toEqual([]);
    expect(q.size).toBe(0);
  });

  it('takes a cancelled entry out, and drops the clock timer when none is left', () => {
    const clock = new FakeClock();
    const q = new LingerQueue(clock, 500);
    const log: [string, number, number][] = [];
    const a = q.add(recorder(clock, log, 'a'));
    clock.advance(100);
    const b = q.add(recorder(clock, log, 'b'));
    q.cancel(a);
    q.cancel(a); // twice is harmless
    expect(q.size).toBe(1);
    clock.advance(400);
    expect(log).toEqual([]); // a's time, but a was cancelled
    expect(clock.pending).toEqual([100]);
    q.cancel(b);
    expect(q.size).toBe(0);
    expect(clock.pending).toEqual([]);
    clock.advance(1000);
    expect(log).toEqual([]);
    q.cancel(12345); // unknown token: nothing happens
  });

  it('takes entries added while it calls others, at their own time', () => {
    const clock = new FakeClock();
    const q = new LingerQueue(clock, 100);
    const log: [string, number, number][] = [];
    q.add({
      lingerDue: () => {
        log.push(['first', 0, clock.now()]);
        q.add(recorder(clock, log, 'again'));
      },
    });
    clock.advance(100);
    clock.advance(100);
    expect(log.map(([n, , at]) => [n, at])).toEqual([
      ['first', 100],
      ['again', 200],
    ]);
    expect(clock.pending).toEqual([]);
  });

  it('goes on past an entry that throws', () => {
    const clock = new FakeClock();
    const q = new LingerQueue(clock, 100);
    const log: [string, number, number][] = [];
    q.add({
      lingerDue: () => {
        throw new Error('boom');
      },
    });
    const b = q.add(recorder(clock, log, 'b'));
    expect(() => clock.advance(100)).toThrow('boom');
    clock.advance(0);
    expect(log).toEqual([['b', b, 100]]);
  });

  it('keeps order and cancellation right across many entries (the arrays are cut down as it goes)', () => {
    const clock = new FakeClock();
    const q = new LingerQueue(clock, 50);
    const fired: number[] = [];
    const tokens: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const n = i;
      tokens.push(q.add({ lingerDue: () => fired.push(n) }));
      if (i % 3 === 0) clock.advance(1);
      if (i % 7 === 0 && i > 0) q.cancel(tokens[i - 1]!);
    }
    clock.advance(10_000);
    const expected = [...Array(20_000).keys()].filter((i) => !((i + 1) % 7 === 0 && i + 1 < 20_000));
    expect(fired).toEqual(expected);
    expect(q.size).toBe(0);
    expect(clock.pending).toEqual([]);
  });
});
