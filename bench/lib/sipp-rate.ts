/**
 * Rate search for benchmarks: drive a SIP target with sipp at rising call rates and report the
 * highest rate at which every call succeeded, with the CPU time a chosen process (the target)
 * spent at each step. Steps run one after another; the search stops at the first step that
 * loses or fails a call, so a rate list of n entries costs at most n * (seconds + 30) s.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { runSipp } from '../../test/interop/harness/sipp.js';

export interface RateStep {
  rate: number;
  seconds: number;
  /** Calls sipp was told to place: rate * seconds. */
  attempted: number;
  successful: number;
  failed: number;
  /** CPU seconds (user + system) the observed pid used during the step; null without a pid. */
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

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim());
    } catch {
      clockTicks = NaN;
    }
    // 100 is what Linux reports on every common architecture; only used if getconf is missing.
    if (!Number.isFinite(clockTicks) || clockTicks <= 0) clockTicks = 100;
  }
  return clockTicks;
}

/** utime + stime of a process in seconds, from /proc/PID/stat. Throws if the process is gone. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and ')'; fields after the last ')' are fixed.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so utime (field 14) is rest[11] and stime (field 15) rest[12].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot parse /proc/${pid}/stat`);
  return (utime + stime) / ticksPerSecond();
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
  // The rate list bounds the loop; 1000 steps is far beyond any sensible search.
  for (const rate of opts.rates.slice(0, 1_000)) {
    if (!(rate > 0)) throw new Error(`rate must be > 0, got ${rate}`);
    const attempted = Math.round(rate * seconds);
    const before = opts.pid === undefined ? null : cpuSecondsOf(opts.pid);
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
    const after = opts.pid === undefined ? null : cpuSecondsOf(opts.pid);
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
