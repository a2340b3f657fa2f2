/**
 * The rate search's rules, with sipp's results scripted (sipp itself is exercised by
 * `npm run bench`): a probe or a confirm that retransmits fails, a step that has failed is
 * stopped there, and a step after a failed one runs on a restarted target whose new pids are
 * the ones measured. Searches in turns alternate step for step, each capped by its own time.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { SippSummary } from '../interop/harness/sipp.js';

const sippRuns: { rate: number; port: number }[] = [];
/** How long each scripted sipp run takes (0: at once). */
let stepDelayMs = 0;
/** When set, also a step of more than `calls` calls (a confirm, here) retransmits on 5% of them. */
let longStepsRetransmitOver: number | null = null;
const cpuReads: number[][] = [];
let kernelSeconds = 0;
/** What each step's stopWhen said of the step's first tenth (the counts after its first second). */
const stopVerdicts: boolean[] = [];

/** The counters the search's stopWhen reads. */
type Sofar = Pick<SippSummary, 'successful' | 'failed' | 'retransmissions'>;

vi.mock('../interop/harness/sipp.js', () => ({
  runSipp: vi.fn(async (opts: { args: string[]; stopWhen?: (s: Sofar) => boolean }) => {
    const rate = Number(opts.args[opts.args.indexOf('-r') + 1]);
    const calls = Number(opts.args[opts.args.indexOf('-m') + 1]);
    const port = Number(opts.args.find((a) => a.startsWith('127.0.0.1:'))?.split(':')[1]);
    sippRuns.push({ rate, port });
    if (stepDelayMs > 0) await new Promise((r) => setTimeout(r, stepDelayMs));
    // A target that holds 1,000 calls/s, queues (retransmissions, every call completes) up to
    // 1,200 and loses calls above.
    const retransmits = rate > 1_000 || (longStepsRetransmitOver !== null && calls > longStepsRetransmitOver);
    const retransmissions = retransmits ? Math.round(calls * 0.05) : 0;
    const failed = rate > 1_200 ? Math.round(calls * 0.1) : 0;
    // The statistics row after the first tenth of the calls, by when a failing step has made all
    // its retransmissions: it is stopped there, as sipp would be (the other calls never placed).
    const tenth = (n: number): number => Math.round(n / 10);
    const early = { successful: tenth(calls - failed), failed: tenth(failed), retransmissions };
    const stop = opts.stopWhen?.(early) ?? false;
    stopVerdicts.push(stop);
    const at = stop ? early : { successful: calls - failed, failed, retransmissions };
    return { code: 0, signal: null, timedOut: false, stoppedEarly: stop, ...at, unexpected: 0, outgoing: 0, incoming: 0, current: 0, failures: {}, stats: {}, counts: {}, errors: '', stdout: '', stderr: '' };
  }),
}));

vi.mock('../../bench/lib/proc.js', () => ({
  cpuSecondsOf: () => 0,
  cpuSecondsOfAll: (pids: number[]) => {
    cpuReads.push([...pids]);
    return 0;
  },
  // The kernel's seconds of the target: 0.25 more at every read, so 0.25 s per step (read before and after it).
  systemCpuSecondsOfAll: (pids: number[]) => (pids.length === 0 ? 0 : (kernelSeconds += 0.25)),
  udpDropsOf: () => 0,
}));

const { searchMaxRate } = await import('../../bench/lib/sipp-rate.js');
const { Turns } = await import('../../bench/lib/turns.js');

const base = { target: { host: '127.0.0.1', port: 5060, transport: 'udp' as const }, probeSeconds: 1, confirmSeconds: 2, callLengthMs: 0, settleMs: 0, refine: 0 };

describe('rate search', () => {
  beforeEach(() => {
    sippRuns.length = 0;
    cpuReads.length = 0;
    stopVerdicts.length = 0;
    longStepsRetransmitOver = null;
    stepDelayMs = 0;
  });

  it('fails a probe whose calls all completed but with retransmissions on more than 1% of them', async () => {
    const r = await searchMaxRate({ ...base, startRate: 800, factor: 1.4 });
    const probes = r.steps.filter((s) => s.kind === 'probe').map((s) => [s.rate, s.passed, s.failed]);
    // 1,120 completes every call but retransmits: a failed probe, so the search confirms 800.
    expect(probes).toEqual([
      [800, true, 0],
      [1120, false, 0],
    ]);
    expect(r.best?.rate).toBe(800);
  });

  it('fails a confirm that retransmits as it fails a probe: a target shedding load completes its calls late', async () => {
    // Probes are 1 s (800 calls at 800 calls/s), confirms 2 s: only the confirms retransmit.
    longStepsRetransmitOver = 1_000;
    const r = await searchMaxRate({ ...base, startRate: 800, factor: 1.4, maxStepDowns: 1 });
    const confirms = r.steps.filter((s) => s.kind === 'confirm').map((s) => [s.rate, s.passed, s.failed]);
    expect(confirms).toEqual([
      [800, false, 0],
      [680, false, 0],
    ]);
    expect(r.best).toBeNull();
  });

  it('stops a step once it has failed, and steps a confirm down by its rule, not by the calls it never placed', async () => {
    // Only the confirms retransmit, 5% of their calls from the start: each is stopped after its first tenth.
    longStepsRetransmitOver = 1_000;
    const r = await searchMaxRate({ ...base, startRate: 800, factor: 1.4 });
    // Probes 800 (passes) and 1,120 (over the limit); then the confirms.
    expect(stopVerdicts).toEqual([false, true, true, true, true, false]);
    const confirms = r.steps.filter((s) => s.kind === 'confirm');
    expect(confirms.map((s) => [s.rate, s.passed, s.stoppedEarly])).toEqual([
      // 0.85 of the rate each time, three times by default: a tenth of the calls placed is no loss of nine tenths.
      [800, false, true],
      [680, false, true],
      [578, false, true],
      // 982 calls: no retransmission.
      [491, true, false],
    ]);
    expect(confirms[0]?.incomplete).toBe(1_440);
    expect(r.best?.rate).toBe(491);
  });

  it('starts a probe only if a confirm that fails late (into its 10 s margin) and a step-down after it still fit the cap', async () => {
    // Each confirm is nominally 3 s here (2 s, no call length, 1 s to finish): 3 + 10 + 3 s are reserved.
    const tight = await searchMaxRate({ ...base, startRate: 800, maxSeconds: 17 });
    expect(tight.steps).toEqual([]);
    expect(tight.note).toMatch(/before a probe at 800/);
    const roomy = await searchMaxRate({ ...base, startRate: 800, factor: 1.4, maxSeconds: 19 });
    expect(roomy.best?.rate).toBe(800);
  });

  it('restarts the target after each failed step and measures the new pids from then on', async () => {
    let restarts = 0;
    const r = await searchMaxRate({
      ...base,
      startRate: 800,
      factor: 2,
      pids: [1],
      restartTarget: async () => {
        restarts++;
        return [100 + restarts];
      },
    });
    expect(r.steps.map((s) => [s.kind, s.rate, s.passed, s.targetRestarted ?? false])).toEqual([
      ['probe', 800, true, false],
      ['probe', 1600, false, true],
      ['confirm', 800, true, false],
    ]);
    expect(restarts).toBe(1);
    // Before and after each step; the confirm after the restart reads pid 101.
    expect(cpuReads.at(-1)).toEqual([101]);
    expect(cpuReads[0]).toEqual([1]);
  });

  it("gives the kernel's part of the target's CPU per 1,000 calls, for each step and the best", async () => {
    const r = await searchMaxRate({ ...base, startRate: 800, factor: 2, pids: [1] });
    // The confirm: 1,600 calls at 800 calls/s for 2 s, 0.25 kernel seconds.
    expect(r.best?.rate).toBe(800);
    expect(r.best?.kernelCpuSecondsPer1000Calls).toBe(0.156);
    expect(r.steps.every((s) => s.kernelCpuSecondsPer1000Calls !== null)).toBe(true);
    const none = await searchMaxRate({ ...base, startRate: 800, factor: 2 });
    expect(none.best?.kernelCpuSecondsPer1000Calls).toBeNull();
  });

  it('takes the steps of searches in turns one at a time, alternating, and caps each by the time of its own steps', async () => {
    // 300 ms per step. A probe needs 18 s of cap left (2 s nominal, 16 s reserved for a failing
    // confirm and a step-down): with 18.7 s, one that has spent more than 0.7 s starts no probe.
    // Each search's third probe comes after 0.6 s of its own steps and 1.2 s of both searches'.
    stepDelayMs = 300;
    const turns = new Turns();
    turns.join('a');
    turns.join('b');
    const opts = { ...base, startRate: 600, factor: 1.3, maxSeconds: 18.7 };
    const [a, b] = await Promise.all([
      searchMaxRate({ ...opts, target: { ...base.target, port: 5061 }, turns: { turns, id: 'a' } }),
      searchMaxRate({ ...opts, target: { ...base.target, port: 5062 }, turns: { turns, id: 'b' } }),
    ]);
    for (const r of [a, b]) {
      expect(r.steps.map((st) => [st.kind, st.rate, st.passed])).toEqual([
        ['probe', 600, true],
        ['probe', 780, true],
        ['probe', 1014, false],
        ['confirm', 780, true],
      ]);
      expect(r.ownSeconds).toBeLessThan(r.elapsedSeconds);
    }
    expect(sippRuns.map((run) => run.port)).toEqual([5061, 5062, 5061, 5062, 5061, 5062, 5061, 5062]);
    expect(turns.log).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
    // Alone, by the wall clock, the same cap leaves no room for the third probe after 1.2 s.
    stepDelayMs = 600;
    const alone = await searchMaxRate(opts);
    expect(alone.steps.filter((st) => st.kind === 'probe').map((st) => st.rate)).toEqual([600, 780]);
    expect(alone.note).toMatch(/before a probe at 1014/);
  });
});
