/** Turns for searches side by side (bench/lib/turns.ts): strict round robin, one turn at a time. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { terminate } from '../../bench/lib/proc.js';
import { Turns } from '../../bench/lib/turns.js';

/** A process's state letter from /proc (T: stopped, S: sleeping), once a signal sent to it has been taken (R while it runs to take it). */
function stateOf(pid: number): string {
  const read = (): string => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0]!;
  const until = Date.now() + 1_000;
  let state = read();
  while (state === 'R' && Date.now() < until) state = read();
  return state;
}

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Turns', () => {
  it('runs one turn at a time, in the order the members joined, waiting for a member between its turns', async () => {
    const turns = new Turns();
    const running: string[] = [];
    let overlap = false;
    const member = async (id: string, n: number, gapMs: number): Promise<void> => {
      turns.join(id);
      try {
        for (let i = 0; i < n; i++) {
          await turns.take(id, async () => {
            if (running.length > 0) overlap = true;
            running.push(id);
            await tick();
            running.pop();
          });
          // Work of its own between turns: the others wait for it rather than run ahead.
          await tick(gapMs);
        }
      } finally {
        turns.leave(id);
      }
    };
    await Promise.all([member('k1', 3, 0), member('k2', 2, 20), member('s', 3, 0)]);
    expect(overlap).toBe(false);
    // k2 leaves after two turns; the other two go on in turn.
    expect(turns.log).toEqual(['k1', 'k2', 's', 'k1', 'k2', 's', 'k1', 's']);
  });

  it('passes the turn on when a turn throws, and returns the error to its member', async () => {
    const turns = new Turns();
    turns.join('a');
    turns.join('b');
    const a = turns.take('a', async () => {
      throw new Error('sipp failed');
    });
    const b = turns.take('b', async () => 'b ran');
    await expect(a).rejects.toThrow('sipp failed');
    await expect(b).resolves.toBe('b ran');
  });

  it('goes on without a member that leaves while the others wait for its turn', async () => {
    const turns = new Turns();
    turns.join('a');
    turns.join('b');
    turns.join('c');
    await turns.take('a', async () => undefined);
    // b's turn now, but b never takes one: c waits until b leaves.
    let cRan = false;
    const c = turns.take('c', async () => {
      cRan = true;
    });
    await tick(20);
    expect(cRan).toBe(false);
    turns.leave('b');
    await c;
    expect(turns.log).toEqual(['a', 'c']);
  });

  it('refuses a turn to a search that has not joined, or that waits for one already', async () => {
    const turns = new Turns();
    await expect(turns.take('x', async () => undefined)).rejects.toThrow(/not joined/);
    turns.join('a');
    turns.join('b');
    await turns.take('a', async () => undefined);
    const first = turns.take('a', async () => undefined); // waits: it is b's turn
    await expect(turns.take('a', async () => undefined)).rejects.toThrow(/waiting/);
    turns.leave('b');
    await first;
    expect(() => turns.join('a')).toThrow(/joined already/);
  });

  it("holds a member's processes still between its turns, and lets them go for its turns and when it leaves", async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const turns = new Turns();
      turns.join('a', { processes: () => [child.pid!] });
      turns.join('b');
      const states: string[] = [];
      await turns.take('a', async () => {
        states.push(stateOf(child.pid!));
      });
      states.push(stateOf(child.pid!)); // b's turn is next: a is held
      await turns.take('b', async () => {
        states.push(stateOf(child.pid!));
      });
      const a = turns.take('a', async () => {
        states.push(stateOf(child.pid!));
      });
      await a;
      states.push(stateOf(child.pid!));
      turns.leave('a');
      states.push(stateOf(child.pid!));
      expect(states).toEqual(['S', 'T', 'T', 'S', 'T', 'S']);
    } finally {
      await terminate(child.pid!, exited, 1_000);
    }
  });
});
