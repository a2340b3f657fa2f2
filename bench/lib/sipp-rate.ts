/**
 * Rate search for benchmarks: drive a SIP target with sipp at rising call rates and report the
 * highest rate at which every call succeeded, with the CPU time a chosen process (the target)
 * spent at each step. Steps run one after another; the search stops at the first step that
 * loses or fails a call, so a rate list of n entries costs at most n * (seconds + 30) s.
 * searchMaxRate is the bounded variant: short probes, then a full-length confirm, under a cap.
 */
import { runSipp } from '../../test/interop/harness/sipp.js';
import { cpuSecondsOf, cpuSecondsOfAll, mainThreadCpuSecondsOf, systemCpuSecondsOfAll, udpDropsOf } from './proc.js';
import type { Turns } from './turns.js';

// Kept here for the benches that import it from this module.
export { cpuSecondsOf };

export interface RateStep {
  rate: number;
  seconds: number;
  /** Calls sipp was told to place: rate * seconds. */
  attempted: number;
  successful: number;
  failed: number;
  /** CPU seconds (user + system) the observed pid(s) used during the step; null without any. */
  cpuSeconds: number | null;
  /** sipp's exit code, for diagnosing a failed step. */
  code: number | null;
  timedOut: boolean;
}

export interface RateSearchResult {
  steps: RateStep[];
  /** The highest rate whose step had no failed or missing call; null if even the first failed. */
  best: { rate: number; cpuSeconds: number | null } | null;
}

export interface RateSearchOptions {
  target: { host: string; port: number; transport: 'udp' | 'tcp' };
  /** Process whose CPU time to report (e.g. the Sluice under test). */
  pid?: number;
  /** Processes whose CPU time to report as one sum (e.g. Kamailio's main and children); adds to pid. */
  pids?: number[];
  /** Rising calls per second. */
  rates: number[];
  /** Duration of each step, e.g. 20. */
  seconds: number;
  /** Scenario: a file (-sf) or a built-in name (-sn); default -sn uac. */
  scenario?: { file?: string; sn?: string };
  /** Call length (sipp -d); default 1000 ms so that dialogs overlap as in real traffic. */
  callLengthMs?: number;
  /** Namespace to run sipp in (null/undefined = host, where the target must be on loopback). */
  ns?: string | null;
  /** Extra sipp arguments (e.g. -i ADDR when running in a namespace). */
  sippArgs?: string[];
}

function observedPids(opts: { pid?: number; pids?: number[] }): number[] {
  return [...(opts.pid === undefined ? [] : [opts.pid]), ...(opts.pids ?? [])];
}

function scenarioArgs(scenario: RateSearchOptions['scenario']): string[] {
  if (scenario?.file !== undefined) return ['-sf', scenario.file];
  return ['-sn', scenario?.sn ?? 'uac'];
}

/** Runs one sipp step per rate, rising, until a step loses or fails a call. */
export async function findMaxRate(opts: RateSearchOptions): Promise<RateSearchResult> {
  const { target, seconds } = opts;
  if (!(seconds > 0)) throw new Error('seconds must be > 0');
  const callLengthMs = opts.callLengthMs ?? 1_000;
  const steps: RateStep[] = [];
  let best: RateSearchResult['best'] = null;
  const observed = observedPids(opts);
  // The rate list bounds the loop; 1000 steps is far beyond any sensible search.
  for (const rate of opts.rates.slice(0, 1_000)) {
    if (!(rate > 0)) throw new Error(`rate must be > 0, got ${rate}`);
    const attempted = Math.round(rate * seconds);
    const before = observed.length === 0 ? null : cpuSecondsOfAll(observed);
    const result = await runSipp({
      args: [
        ...scenarioArgs(opts.scenario),
        `${target.host}:${target.port}`,
        '-t', target.transport === 'tcp' ? 't1' : 'u1',
        '-r', String(rate),
        '-m', String(attempted),
        '-d', String(callLengthMs),
        ...(opts.sippArgs ?? []),
      ],
      ns: opts.ns ?? null,
      // The step itself plus the last call's length plus room for retransmission timers.
      timeoutMs: (seconds + 30) * 1_000 + callLengthMs,
    });
    const after = observed.length === 0 ? null : cpuSecondsOfAll(observed);
    // Rounded to the millisecond: clock ticks are 10 ms anyway, and this hides float noise.
    const cpuSeconds = before === null || after === null ? null : Math.round((after - before) * 1_000) / 1_000;
    steps.push({
      rate,
      seconds,
      attempted,
      successful: result.successful,
      failed: result.failed,
      cpuSeconds,
      code: result.code,
      timedOut: result.timedOut,
    });
    if (result.failed > 0 || result.successful < attempted) break;
    best = { rate, cpuSeconds };
  }
  return { steps, best };
}

export interface SearchStep {
  /** 'probe': a short step to find the range; 'confirm': a full-length step that may set best. */
  kind: 'probe' | 'confirm';
  rate: number;
  seconds: number;
  callLengthMs: number;
  attempted: number;
  successful: number;
  failed: number;
  retransmissions: number;
  /** Set when the step failed and the target was started afresh after it (restartTarget). */
  targetRestarted?: boolean;
  /** The non-zero Failed*(C) counters, to tell timeouts from unexpected messages. */
  failures: Record<string, number>;
  /**
   * Calls neither successful nor failed when the step ended: still running at its time cap, or
   * never placed when the step was stopped early.
   */
  incomplete: number;
  /** Non-zero per-message Timeout/Unexp counts of the scenario (-trace_counts), for diagnosis. */
  anomalies: Record<string, number>;
  /** The first unexpected message sipp logged (where, and its first line), if any. */
  firstUnexpected?: string;
  /** Mean INVITE-to-200 time in ms (sipp's ResponseTime1, rtd on the 200); null if not reported. */
  responseMs: number | null;
  /** Every call completed and none failed (and, for a probe, responseMs within maxProbeResponseMs). */
  passed: boolean;
  /**
   * Datagrams the kernel dropped at the observed pids' UDP sockets during the step (their
   * receive buffers were full: the target fell behind); null without pids.
   */
  udpDrops: number | null;
  /** CPU seconds of the observed pids during the step (including the tail of its last calls). */
  cpuSeconds: number | null;
  cpuSecondsPer1000Calls: number | null;
  /**
   * The kernel's part of cpuSecondsPer1000Calls (stime: system calls, the loopback network stack,
   * context switches); the rest is the target's own code in user space.
   */
  kernelCpuSecondsPer1000Calls: number | null;
  /** With mainThread: the CPU of the target's main thread alone (see SearchOptions.mainThread). */
  mainThreadCpuSecondsPer1000Calls?: number | null;
  /** CPU seconds of each other group of pids (e.g. { redis: 1.2 }). */
  otherCpuSeconds: Record<string, number>;
  wallSeconds: number;
  code: number | null;
  timedOut: boolean;
  /**
   * The step was stopped as soon as it had failed (a failed call, or retransmissions past the
   * limit, counts that only grow): the rest of its calls were never placed.
   */
  stoppedEarly: boolean;
}

export interface SearchResult {
  steps: SearchStep[];
  /** Only from a confirm step that passed. */
  best: {
    rate: number;
    seconds: number;
    cpuSeconds: number | null;
    cpuSecondsPer1000Calls: number | null;
    kernelCpuSecondsPer1000Calls: number | null;
    mainThreadCpuSecondsPer1000Calls?: number | null;
    otherCpuSecondsPer1000Calls: Record<string, number>;
  } | null;
  elapsedSeconds: number;
  /** In turns (SearchOptions.turns): the time of its own steps, which maxSeconds capped. */
  ownSeconds?: number;
  /** Why the search ended without a confirmed rate or before its plan was done, if it did. */
  note?: string;
}

export interface SearchOptions {
  target: { host: string; port: number; transport: 'udp' | 'tcp' };
  /** Processes whose summed CPU time is the target's (e.g. Kamailio's main and children). */
  pids?: number[];
  /**
   * The target is one process (pids[0]) whose main thread's CPU is reported apart, per step: a
   * Node process's call rate ends where its main thread reaches a core, before all its threads do.
   */
  mainThread?: boolean;
  /** Further groups whose CPU is reported apart (e.g. { redis: [pid] }). */
  otherPids?: Record<string, number[]>;
  /** First probe rate (calls/s). */
  startRate: number;
  /** Probe rates rise by this factor (default 1.5). */
  factor?: number;
  /** No probe above this rate (default 50000). */
  maxRate?: number;
  /** Probe length in seconds (default 5). */
  probeSeconds?: number;
  /** Confirm length in seconds (default 20). */
  confirmSeconds?: number;
  /** Call length, sipp -d (default 2000 ms). */
  callLengthMs?: number;
  /** Probes between the highest passing and the lowest failing rate, each at their geometric mean (default 1). */
  refine?: number;
  /**
   * A probe whose mean INVITE-to-200 time exceeds this fails even with every call completed
   * (default 200 ms; a healthy loopback path answers in a few ms): with large socket buffers an
   * overloaded target queues rather than drops, and a short probe would pass what a 20 s step fails.
   */
  maxProbeResponseMs?: number;
  /**
   * A step, probe or confirm, with more sipp retransmissions than this per call attempted fails
   * too (default MAX_RETRANSMISSIONS_PER_CALL, 0.01): on loopback a retransmission means a message waited T1 (500 ms)
   * somewhere, the target queueing past its capacity or shedding load. A target with overload
   * control (Sluice drops new INVITEs while it cannot keep up, and their callers retransmit)
   * can complete every call of a 20 s step far past its capacity, late: a rate is held only if
   * it is served without that.
   */
  maxRetransmissionsPerCall?: number;
  /**
   * Called after a failed step, before the next: starts the target afresh so that the next step
   * does not inherit what the overload left (Kamailio's tm keeps the transactions it could not
   * finish, and their shared memory, for its timers: 30 to 120 s). Returns the pids to measure
   * from then on. Without it the search only pauses (settleMs).
   */
  restartTarget?: () => Promise<number[]>;
  /**
   * A failed confirm is retried at this fraction of its rate (default 0.85; lower when fewer of
   * its completed calls succeeded, down to half), at most maxStepDowns times (default 3).
   */
  stepDown?: number;
  maxStepDowns?: number;
  /** Cap on the whole search in seconds (default 300): no step starts that could not end in time. */
  maxSeconds?: number;
  /** Pause after a failed step so that retransmissions and stale transactions die out (default 3000 ms). */
  settleMs?: number;
  scenario?: { file?: string; sn?: string };
  ns?: string | null;
  sippArgs?: string[];
  /**
   * Take each step (with its pause and restart after a failure) in this search's turn among
   * searches run side by side (turns.ts). maxSeconds then caps the time of its own turns: the
   * turns of the others do not count against it.
   */
  turns?: { turns: Turns; id: string };
  /** Told of each step as it ends (progress lines). */
  onStep?: (step: SearchStep) => void;
}

/** SearchOptions.maxRetransmissionsPerCall's default: past it a step did not hold its rate. */
export const MAX_RETRANSMISSIONS_PER_CALL = 0.01;

// How long after its nominal end (rate period + call length) a step may run: enough for a few
// retransmissions (500 ms, 1 s, 2 s, 4 s), short enough that an overloaded step ends soon. A
// probe gets less: it only has to say pass or fail, and failing probes are the common case.
const STEP_MARGIN_MS = 10_000;
const PROBE_MARGIN_MS = 4_000;

const round3 = (x: number): number => Math.round(x * 1_000) / 1_000;

/** The main thread's CPU seconds, or null once the process is gone (a step's target may die). */
function mainThreadOf(pid: number): number | null {
  try {
    return mainThreadCpuSecondsOf(pid);
  } catch {
    return null;
  }
}

/** sipp's "HH:MM:SS:uuuuuu" duration in ms, or null. */
function sippDurationMs(v: string | undefined): number | null {
  const m = /^(\d+):(\d+):(\d+):(\d+)$/.exec(v ?? '');
  if (m === null) return null;
  return Number(m[1]) * 3_600_000 + Number(m[2]) * 60_000 + Number(m[3]) * 1_000 + Math.round(Number(m[4]) / 1_000);
}

/** A step as a progress line: "probe 3000 calls/s held (0 failed, 0 retransmissions), 0.25 CPU s per 1,000 calls". */
export function stepLine(st: SearchStep): string {
  return `${st.kind} ${st.rate} calls/s ${st.passed ? 'held' : 'not held'} (${st.failed} failed, ${st.retransmissions} retransmissions), ${st.cpuSecondsPer1000Calls ?? '-'} CPU s per 1,000 calls`;
}

/**
 * Bounded search for the highest call rate sustained with zero failed calls and retransmissions
 * on at most 1% of them (maxRetransmissionsPerCall): short probes at
 * geometrically rising rates from startRate until one fails (falling instead if the first one
 * fails), `refine` bisecting probes, then a full-length confirm at the highest passing probe
 * rate, stepping down after a failed confirm. Only a passed confirm sets best.
 */
export async function searchMaxRate(opts: SearchOptions): Promise<SearchResult> {
  const factor = opts.factor ?? 1.5;
  const maxRate = opts.maxRate ?? 50_000;
  const probeSeconds = opts.probeSeconds ?? 5;
  const confirmSeconds = opts.confirmSeconds ?? 20;
  const callLengthMs = opts.callLengthMs ?? 2_000;
  const stepDown = opts.stepDown ?? 0.85;
  const maxStepDowns = opts.maxStepDowns ?? 3;
  const settleMs = opts.settleMs ?? 3_000;
  const started = Date.now();
  const budgetMs = (opts.maxSeconds ?? 300) * 1_000;
  // The time of this search's own steps: all of it when it runs alone, its turns when in turns.
  const turns = opts.turns;
  let ownMs = 0;
  let turnStart: number | null = null;
  const spentMs = (): number => (turns === undefined ? Date.now() - started : ownMs + (turnStart === null ? 0 : Date.now() - turnStart));
  if (!(opts.startRate >= 1) || !(factor > 1) || !(stepDown > 0 && stepDown < 1) || !(probeSeconds > 0) || !(confirmSeconds > 0)) {
    throw new Error('searchMaxRate: bad options');
  }
  const steps: SearchStep[] = [];
  let pids = opts.pids ?? [];
  const others = Object.entries(opts.otherPids ?? {});
  let note: string | undefined;

  /** Runs one step, or returns null when it could not finish before the deadline. */
  const confirmMs = confirmSeconds * 1_000 + callLengthMs + 1_000;
  const step = (kind: SearchStep['kind'], rate: number, seconds: number): Promise<SearchStep | null> => {
    if (turns === undefined) return runStep(kind, rate, seconds);
    return turns.turns.take(turns.id, async () => {
      turnStart = Date.now();
      try {
        return await runStep(kind, rate, seconds);
      } finally {
        ownMs += Date.now() - turnStart;
        turnStart = null;
      }
    });
  };
  const runStep = async (kind: SearchStep['kind'], rate: number, seconds: number): Promise<SearchStep | null> => {
    const nominalMs = seconds * 1_000 + callLengthMs + 1_000;
    // A probe must leave room for a confirm and one step-down after it, or the search could
    // end unconfirmed. A confirm that fails runs into its margin (an overloaded target leaves
    // calls open) before the pause and the step-down.
    const reserveMs = kind === 'probe' ? confirmMs + settleMs + (maxStepDowns > 0 ? STEP_MARGIN_MS + settleMs + confirmMs : 0) : 0;
    if (spentMs() + nominalMs + reserveMs > budgetMs) {
      note = `time cap of ${opts.maxSeconds ?? 300} s reached before a ${kind} at ${rate} calls/s`;
      return null;
    }
    const attempted = Math.round(rate * seconds);
    const maxRetransmissions = attempted * (opts.maxRetransmissionsPerCall ?? MAX_RETRANSMISSIONS_PER_CALL);
    const t0 = Date.now();
    const cpu0 = pids.length === 0 ? null : cpuSecondsOfAll(pids);
    const kernel0 = pids.length === 0 ? null : systemCpuSecondsOfAll(pids);
    const main0 = opts.mainThread === true && pids.length > 0 ? mainThreadOf(pids[0]!) : null;
    const drops0 = pids.length === 0 ? null : udpDropsOf(pids);
    const other0 = others.map(([, p]) => cpuSecondsOfAll(p));
    const r = await runSipp({
      args: [
        ...scenarioArgs(opts.scenario),
        `${opts.target.host}:${opts.target.port}`,
        '-t', opts.target.transport === 'tcp' ? 't1' : 'u1',
        '-r', String(rate),
        '-m', String(attempted),
        '-d', String(callLengthMs),
        // Explicit call limit: every call of the step may be open at once, so sipp never
        // throttles the rate because of concurrency (its default is 3 x rate x call length).
        '-l', String(attempted),
        ...(opts.sippArgs ?? []),
      ],
      ns: opts.ns ?? null,
      timeoutMs: Math.max(1_000, Math.min(nominalMs + (kind === 'probe' ? PROBE_MARGIN_MS : STEP_MARGIN_MS), budgetMs - reserveMs - spentMs())),
      // A step that has failed cannot pass any more: ending it there leaves the search's time to
      // the steps below it (a collapsing 20 s confirm otherwise runs 33 s and more).
      stopWhen: (sofar) => sofar.failed > 0 || sofar.retransmissions > maxRetransmissions,
    });
    const cpu = cpu0 === null ? null : round3(cpuSecondsOfAll(pids) - cpu0);
    const kernel = kernel0 === null ? null : systemCpuSecondsOfAll(pids) - kernel0;
    const main1 = main0 === null ? null : mainThreadOf(pids[0]!);
    const mainCpu = main0 === null || main1 === null ? null : main1 - main0;
    const udpDrops = drops0 === null ? null : udpDropsOf(pids) - drops0;
    const otherCpuSeconds: Record<string, number> = {};
    others.forEach(([name, p], i) => {
      otherCpuSeconds[name] = round3(cpuSecondsOfAll(p) - (other0[i] ?? 0));
    });
    const failures = Object.fromEntries(Object.entries(r.failures).filter(([, n]) => n > 0));
    const anomalies: Record<string, number> = {};
    for (const [k, v] of Object.entries(r.counts)) {
      if (/_(Timeout|Unexp)$/.test(k) && Number(v) > 0) anomalies[k] = Number(v);
    }
    const unexpected = /(while [^,]+), received '([^\r\n']*)/.exec(r.errors);
    const responseMs = sippDurationMs(r.stats['ResponseTime1(C)']);
    const slow = kind === 'probe' && responseMs !== null && responseMs > (opts.maxProbeResponseMs ?? 200);
    const retransmitting = r.retransmissions > maxRetransmissions;
    const passed = r.failed === 0 && r.successful >= attempted && !r.timedOut && !r.stoppedEarly && !slow && !retransmitting;
    const s: SearchStep = {
      kind,
      rate,
      seconds,
      callLengthMs,
      attempted,
      successful: r.successful,
      failed: r.failed,
      retransmissions: r.retransmissions,
      failures,
      incomplete: Math.max(0, attempted - r.successful - r.failed),
      anomalies,
      ...(unexpected === null ? {} : { firstUnexpected: `${unexpected[1]}: ${unexpected[2]}` }),
      responseMs,
      passed,
      udpDrops,
      cpuSeconds: cpu,
      cpuSecondsPer1000Calls: cpu === null || r.successful === 0 ? null : round3((cpu / r.successful) * 1_000),
      kernelCpuSecondsPer1000Calls: kernel === null || r.successful === 0 ? null : round3((kernel / r.successful) * 1_000),
      ...(opts.mainThread === true ? { mainThreadCpuSecondsPer1000Calls: mainCpu === null || r.successful === 0 ? null : round3((mainCpu / r.successful) * 1_000) } : {}),
      otherCpuSeconds,
      wallSeconds: Math.round((Date.now() - t0) / 100) / 10,
      code: r.code,
      timedOut: r.timedOut,
      stoppedEarly: r.stoppedEarly,
    };
    steps.push(s);
    opts.onStep?.(s);
    if (!passed) {
      await new Promise((res) => setTimeout(res, settleMs));
      if (opts.restartTarget !== undefined) {
        pids = await opts.restartTarget();
        s.targetRestarted = true;
      }
    }
    return s;
  };

  // Probes. Bounded: rising stops at maxRate (a geometric series passes it in < 60 steps from
  // 1 call/s at factor > 1.2) and falling stops below 1 call/s; the deadline bounds both anyway.
  let highestPass: number | null = null;
  let lowestFail: number | null = null;
  let rate = Math.round(opts.startRate);
  let falling = false;
  for (let i = 0; i < 100; i++) {
    const s = await step('probe', rate, probeSeconds);
    if (s === null) break;
    if (s.passed) {
      highestPass = rate;
      if (falling) break;
      const next = Math.round(rate * factor);
      if (next > maxRate) {
        note = `probes reached maxRate ${maxRate}`;
        break;
      }
      rate = next;
    } else {
      lowestFail = rate;
      if (highestPass !== null) break;
      // Even the first probe failed: look below it.
      falling = true;
      rate = Math.floor(rate / factor);
      if (rate < 1) break;
    }
  }

  // Narrow the gap the factor leaves (a 1.5 step is coarse) with a few bisecting probes.
  for (let i = 0; i < (opts.refine ?? 1) && highestPass !== null && lowestFail !== null; i++) {
    const mid = Math.round(Math.sqrt(highestPass * lowestFail));
    if (mid <= highestPass || mid >= lowestFail || lowestFail / highestPass < 1.1) break;
    const s = await step('probe', mid, probeSeconds);
    if (s === null) break;
    if (s.passed) highestPass = mid;
    else lowestFail = mid;
  }

  let best: SearchResult['best'] = null;
  if (highestPass === null) {
    note ??= 'no probe rate passed';
  } else {
    let confirmRate = highestPass;
    for (let i = 0; i <= maxStepDowns && confirmRate >= 1; i++) {
      const s = await step('confirm', confirmRate, confirmSeconds);
      if (s === null) break;
      if (s.passed) {
        const per1000 = (x: number): number => round3((x / s.successful) * 1_000);
        best = {
          rate: s.rate,
          seconds: s.seconds,
          cpuSeconds: s.cpuSeconds,
          cpuSecondsPer1000Calls: s.cpuSecondsPer1000Calls,
          kernelCpuSecondsPer1000Calls: s.kernelCpuSecondsPer1000Calls,
          ...(s.mainThreadCpuSecondsPer1000Calls === undefined ? {} : { mainThreadCpuSecondsPer1000Calls: s.mainThreadCpuSecondsPer1000Calls }),
          otherCpuSecondsPer1000Calls: Object.fromEntries(Object.entries(s.otherCpuSeconds).map(([k, v]) => [k, per1000(v)])),
        };
        break;
      }
      // A confirm that lost many of the calls it completed was far over the limit: step down by
      // that much at least (calls a stopped step never placed say nothing of the rate).
      const completed = s.successful + s.failed;
      const fraction = Math.min(stepDown, Math.max(0.5, completed === 0 ? 0.5 : s.successful / completed));
      confirmRate = Math.round(confirmRate * fraction);
    }
    if (best === null) note ??= `no confirm passed (${maxStepDowns} step-downs of at least ${Math.round((1 - stepDown) * 100)}%)`;
  }
  const result: SearchResult = { steps, best, elapsedSeconds: Math.round((Date.now() - started) / 100) / 10 };
  if (turns !== undefined) result.ownSeconds = Math.round(ownMs / 100) / 10;
  if (note !== undefined) result.note = note;
  return result;
}
