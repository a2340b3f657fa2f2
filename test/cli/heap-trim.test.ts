import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HeapTrim, type HeapTrimHooks } from '../../src/cli/heap-trim.js';

const MB = 1 << 20;

/** Hooks whose loop utilization and young generation the test sets; collect() shrinks it to `shrinksTo` (or keeps it). */
function fakeHooks(young: number) {
  const state = { utilization: 0, young, shrinksTo: 1 * MB as number | null, collected: 0, told: [] as [number, number][] };
  const hooks: HeapTrimHooks = {
    utilization: () => state.utilization,
    youngBytes: () => state.young,
    collect: () => {
      state.collected++;
      if (state.shrinksTo !== null) state.young = state.shrinksTo;
    },
    trimmed: (before, after) => state.told.push([before, after]),
  };
  return { state, hooks };
}

describe('HeapTrim', () => {
  it('collects once after six quiet checks (30 s) with a grown young generation, and not again while it stays small', () => {
    const { state, hooks } = fakeHooks(128 * MB);
    const trim = new HeapTrim(hooks);
    for (let i = 0; i < 5; i++) trim.check();
    expect(state.collected).toBe(0);
    trim.check();
    expect(state.collected).toBe(1);
    expect(state.told).toEqual([[128 * MB, 1 * MB]]);
    for (let i = 0; i < 10; i++) trim.check();
    expect(state.collected).toBe(1);
  });

  it('never collects while the loop is busy, and a busy check starts the quiet count again', () => {
    const { state, hooks } = fakeHooks(128 * MB);
    const trim = new HeapTrim(hooks, { quietChecks: 2 });
    state.utilization = 0.5;
    for (let i = 0; i < 5; i++) trim.check();
    expect(state.collected).toBe(0);
    state.utilization = 0.01;
    trim.check();
    state.utilization = 0.05; // at or above quietUtilization (0.05): busy
    trim.check();
    state.utilization = 0;
    trim.check();
    expect(state.collected).toBe(0);
    trim.check();
    expect(state.collected).toBe(1);
  });

  it('leaves a young generation that has not grown past grownBytes alone', () => {
    const { state, hooks } = fakeHooks(16 * MB);
    const trim = new HeapTrim(hooks);
    for (let i = 0; i < 10; i++) trim.check();
    expect(state.collected).toBe(0);
  });

  it('retries a collection that shrank nothing at the next checks a few times, then twice as long each time, up to the cap', () => {
    const { state, hooks } = fakeHooks(128 * MB);
    state.shrinksTo = null;
    const trim = new HeapTrim(hooks, { quietChecks: 2, quickRetries: 3, maxBackoffChecks: 8 });
    const attemptsAt: number[] = [];
    for (let i = 1; i <= 40; i++) {
      const before = state.collected;
      trim.check();
      if (state.collected > before) attemptsAt.push(i);
    }
    // After 2 quiet checks, three quick retries, then gaps of 4, 8, 8 (capped)...
    expect(attemptsAt.slice(0, 8)).toEqual([2, 3, 4, 5, 9, 17, 25, 33]);
    expect(state.told.every(([b, a]) => b === a)).toBe(true);
    // Busy for a while: the back-off stays (8 quiet checks before the next attempt).
    state.utilization = 1;
    trim.check();
    state.utilization = 0;
    state.shrinksTo = 1 * MB;
    const n = state.collected;
    for (let i = 0; i < 7; i++) trim.check();
    expect(state.collected).toBe(n);
    trim.check();
    expect(state.collected).toBe(n + 1);
    expect(state.young).toBe(1 * MB);
    // A shrink forgets it: grown again, the next attempt comes after quietChecks.
    state.young = 128 * MB;
    trim.check();
    trim.check();
    expect(state.collected).toBe(n + 2);
  });
});

describe('the process heap trim on V8', () => {
  // A real node with npm start's flags: the young generation grows to 64 MB semi-spaces under
  // load and is given back once the process is quiet, by the collection the trim asks for.
  it('gives a grown young generation back once the process is quiet', async () => {
    const child = spawn(process.execPath, ['--max-semi-space-size=64', '--expose-gc', '--import', 'tsx', 'test/cli/heap-trim-child.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: { msg: string; youngMb?: number; beforeMb?: number; afterMb?: number }[] = [];
    let buffered = '';
    const givenBack = await new Promise<{ beforeMb: number; afterMb: number } | null>((resolve) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = JSON.parse(buffered.slice(0, nl)) as (typeof lines)[number];
          buffered = buffered.slice(nl + 1);
          lines.push(line);
          if (line.msg === 'quiet: young generation given back') resolve({ beforeMb: line.beforeMb!, afterMb: line.afterMb! });
        }
      });
      child.once('exit', () => resolve(null));
    });
    child.kill();
    expect(lines.find((l) => l.msg === 'load over')?.youngMb).toBeGreaterThanOrEqual(64);
    expect(givenBack, JSON.stringify(lines)).not.toBeNull();
    expect(givenBack!.beforeMb).toBeGreaterThanOrEqual(64);
    expect(givenBack!.afterMb).toBeLessThanOrEqual(16);
  }, 40_000);
});
