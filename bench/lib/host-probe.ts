/**
 * What state the host is in, in two numbers a run's report carries beside its figures: the speed
 * of plain computation (ns per step of a fixed integer loop) and the cost of waking another thread
 * (µs per round trip of two threads waking each other through Atomics.wait/notify, that is, two
 * futex wakes, across cores where the scheduler puts them). On this project's 2-core guest the
 * second moved a great deal between sessions while the first moved little, and with it the
 * figures of a peer made of many processes waking each other (Kamailio's CPU per call moved 4x
 * between sessions, Sluice's 1.8x): a reader comparing two runs' ratios should compare these too.
 * Each is the median of 5 short trials (about a second in all).
 */
import { Worker } from 'node:worker_threads';

export interface HostProbe {
  /** ns per step of the fixed loop (lower is faster). */
  loopNsPerStep: number;
  /** µs per round trip of two threads waking each other (lower is cheaper). */
  threadWakeUsPerRoundTrip: number;
}

const LOOP_STEPS = 5_000_000;
const ROUND_TRIPS = 2_000;
const TRIALS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A xorshift loop V8 cannot fold away: its result is returned. */
function loop(steps: number): number {
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < steps; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}

/** The loops' results, kept where the compiler cannot prove them unused. */
export let loopSink = 0;

function loopNs(): number {
  loopSink ^= loop(LOOP_STEPS); // compiled before it is timed
  const trials: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    const t0 = process.hrtime.bigint();
    loopSink ^= loop(LOOP_STEPS);
    trials.push(Number(process.hrtime.bigint() - t0) / LOOP_STEPS);
  }
  return Math.round(median(trials) * 1_000) / 1_000;
}

/** The worker waits for each odd value and answers with the next even one. */
const PONG = `
const { workerData } = require('node:worker_threads');
const cell = new Int32Array(workerData);
for (let want = 1; ; want += 2) {
  Atomics.wait(cell, 0, want - 1);
  if (Atomics.load(cell, 0) < 0) break;
  Atomics.store(cell, 0, want + 1);
  Atomics.notify(cell, 0);
}
`;

async function wakeUs(): Promise<number> {
  const shared = new SharedArrayBuffer(4);
  const cell = new Int32Array(shared);
  const worker = new Worker(PONG, { eval: true, workerData: shared });
  try {
    const trials: number[] = [];
    let value = 0;
    const rounds = (n: number): number => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        Atomics.store(cell, 0, ++value);
        Atomics.notify(cell, 0);
        // Bounded: a worker that died leaves the probe with no figure, not a hung run.
        if (Atomics.wait(cell, 0, value, 1_000) === 'timed-out') throw new Error('the probe thread did not answer');
        value++;
      }
      return Number(process.hrtime.bigint() - t0) / n / 1_000;
    };
    rounds(200); // both threads started and compiled
    for (let t = 0; t < TRIALS; t++) trials.push(rounds(ROUND_TRIPS));
    return Math.round(median(trials) * 100) / 100;
  } finally {
    Atomics.store(cell, 0, -1);
    Atomics.notify(cell, 0);
    await worker.terminate();
  }
}

/** Both numbers, or null for one that could not be had (said in the report). */
export async function probeHost(): Promise<HostProbe | { error: string }> {
  try {
    return { loopNsPerStep: loopNs(), threadWakeUsPerRoundTrip: await wakeUs() };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}
