/**
 * The Kamailio side of the Sluice-vs-Kamailio benchmark, and the generator's own ceiling:
 * - runSippCeiling: sipp uac straight to sipp uas (no middle box), the most the generator does;
 * - runKamailioParts: Kamailio 5.6 as a stateful, dialog-aware proxy, plain and with topology
 *   hiding over Redis: highest rate sustained with zero failed calls and CPU s per 1,000 calls;
 *   plain once per worker count an operator would try here (plainWorkerCounts), its best kept;
 *   then 10,000 established calls held by Kamailio plain and the memory per call.
 * All UDP on 127.0.0.1. Each part reports { skipped } or { error } on its own; the others run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasBinary } from '../../test/interop/harness/prereq.js';
import { freePort, startSipp, type SippServer } from '../../test/interop/harness/sipp.js';
import { DEFAULT_CHILDREN } from '../kamailio/proxy.cfg.js';
import { kamailioMissing, kamailioVersion, PLAIN_WORKERS, startKamailio, type KamailioInstance } from './kamailio.js';
import { memoryKb } from './proc.js';
import { redisVersion, startRedis, type RedisInstance } from './redis.js';
import { searchMaxRate, stepLine, type SearchOptions, type SearchResult, type SearchStep } from './sipp-rate.js';
import type { Turns } from './turns.js';

/** sipp's built-in uac/uas, changed only to follow the route set (Kamailio record-routes). */
export const UAC_RR = fileURLToPath(new URL('../scenarios/uac-rr.xml', import.meta.url));
export const UAS_RR = fileURLToPath(new URL('../scenarios/uas-rr.xml', import.meta.url));

/**
 * sipp's socket buffers (default 64 KB) overflow at a few thousand calls/s when it sends its
 * bursts straight to another sipp: at 4,500 calls/s uac->uas lost packets with the default and
 * none with 4 MB (net.core.rmem_max here; the kernel caps a larger request). Given to every
 * sipp of the benchmark, uac and uas, whatever the middle box.
 */
export const SIPP_BUFFER_ARGS: readonly string[] = ['-buff_size', '4194304'];

/**
 * sipp uac-rr placing `calls` calls of `callMs` each at `rate` a second to 127.0.0.1:port, at
 * most `limit` at once (default ten seconds' worth), with the benchmark's socket buffers.
 */
export function uacRrArgs(port: number, o: { rate: number; calls: number; callMs: number; limit?: number }): string[] {
  return ['-sf', UAC_RR, `127.0.0.1:${port}`, '-r', String(o.rate), '-m', String(o.calls), '-d', String(o.callMs), '-l', String(o.limit ?? Math.round(o.rate * 10)), ...SIPP_BUFFER_ARGS];
}

export interface RateOptions {
  /** Short steps and a short search cap, for trying things out. */
  quick?: boolean;
  probeSeconds?: number;
  /** Length of the step that may set the result (default 20 s, quick 5 s). */
  confirmSeconds?: number;
  callLengthMs?: number;
  /** Cap on each rate search in seconds (default 170, quick 90). */
  maxSecondsPerSearch?: number;
  startRate?: number;
  /** Bisecting probes between the last passing and the first failing rate (default 1). */
  refine?: number;
  /** Progress lines (e.g. to stderr); default none. */
  log?: (line: string) => void;
  /**
   * Search in turns with the other searches given the same Turns (turns.ts): the box is started,
   * and each step taken, in this search's turn, so that boxes searched side by side meet the host
   * in the same minutes.
   */
  turns?: Turns;
}

export interface KamailioPartsOptions extends RateOptions {
  /** Start rate per mode (default plain 1000, topos 300). */
  startRates?: { plain?: number; topos?: number };
  /**
   * Kamailio SIP worker processes for every part (default: plain searched with each of
   * plainWorkers, topos with proxy.cfg.ts's default, concurrency with plain's best when plain
   * ran, else PLAIN_WORKERS).
   */
  children?: number;
  /** Worker counts plain is searched with when `children` is not given (default plainWorkerCounts()). */
  plainWorkers?: number[];
  /** Calls held at once (default 10,000, quick 2,000). */
  concurrentCalls?: number;
  /** SIP workers for the concurrency part when plain is not searched in the same call (plain's best otherwise). */
  concurrencyWorkers?: number;
  /** Rate at which they are placed (default 500/s). */
  concurrencyRate?: number;
  /** Their length in ms (default 60,000, quick 30,000): long enough to outlast the measurement. */
  holdMs?: number;
  parts?: Array<'plain' | 'topos' | 'concurrency'>;
}

type PartResult = Record<string, unknown>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** "3.6.1" from `sipp -v`, or null. */
export function sippVersion(): string | null {
  if (!hasBinary('sipp')) return null;
  let out: string;
  try {
    out = execFileSync('sipp', ['-v'], { encoding: 'utf8', timeout: 5_000 });
  } catch (err) {
    // sipp 3.6.1 prints its version and exits 99.
    out = String((err as { stdout?: unknown }).stdout ?? '');
  }
  return /SIPp v(\d+(?:\.\d+)+)/.exec(out)?.[1] ?? null;
}

/** The rate-search settings every middle box shares (so Sluice's side can use the same). */
export function searchOptions(o: RateOptions, startRate: number): Omit<SearchOptions, 'target'> {
  const quick = o.quick === true;
  return {
    startRate: o.startRate ?? startRate,
    // 8 s: the uas holds each call for its length plus 4 s of timewait, so its load only
    // levels off after ~6 s; a shorter probe passes rates a 20 s step then fails.
    probeSeconds: o.probeSeconds ?? (quick ? 5 : 8),
    confirmSeconds: o.confirmSeconds ?? (quick ? 5 : 20),
    callLengthMs: o.callLengthMs ?? 2_000,
    maxSeconds: o.maxSecondsPerSearch ?? (quick ? 90 : 170),
    refine: o.refine ?? 1,
    scenario: { file: UAC_RR },
    sippArgs: [...SIPP_BUFFER_ARGS],
  };
}

function describeSearch(name: string, r: SearchResult): string {
  const b = r.best;
  return b === null
    ? `${name}: no rate confirmed (${r.note ?? 'see steps'})`
    : `${name}: ${b.rate} calls/s for ${b.seconds} s, ${b.cpuSecondsPer1000Calls ?? '-'} CPU s per 1,000 calls`;
}

/** sipp uas-rr on a free UDP port of 127.0.0.1 (or on `port`), the far end of every middle box's calls. */
export async function startUas(timeoutSeconds: number, port?: number): Promise<{ uas: SippServer; port: number }> {
  const p = port ?? (await freePort('udp'));
  const uas = await startSipp({ args: ['-sf', UAS_RR, '-p', String(p), ...SIPP_BUFFER_ARGS], timeoutMs: timeoutSeconds * 1_000 });
  return { uas, port: p };
}

/** How long a box's uas may live: its search's cap and a margin, times six in turns (whose wall time is everyone's). */
export function uasSecondsFor(o: RateOptions, so: Pick<SearchOptions, 'maxSeconds'>): number {
  return ((so.maxSeconds ?? 170) + 60) * (o.turns === undefined ? 1 : 6);
}

/** The SearchOptions that put a search in turns (with a progress line per step), or none. */
export function inTurns(o: RateOptions, id: string): Pick<SearchOptions, 'turns' | 'onStep'> {
  return o.turns === undefined ? {} : { turns: { turns: o.turns, id }, onStep: (st: SearchStep) => o.log?.(`${id}: ${stepLine(st)}`) };
}

/**
 * A new uas in place of `old`, on the same port, for the step after a failed one. The old one
 * holds the failed step's unfinished calls and goes on resending their 200s (Timer G) for 32 s:
 * a few thousand datagrams a second, whose CPU would fall on the next steps, and in turns on the
 * other boxes' steps, which they then failed in turn.
 */
export async function freshUas(old: SippServer, port: number, timeoutSeconds: number): Promise<SippServer> {
  await old.stop(200);
  return (await startUas(timeoutSeconds, port)).uas;
}

/** sipp uac-rr straight to sipp uas-rr: the generator's own ceiling on this machine. */
export async function runSippCeiling(o: RateOptions = {}): Promise<PartResult> {
  if (!hasBinary('sipp')) return { skipped: 'sipp not installed (apt-get install sip-tester)' };
  const so = searchOptions(o, 1_000);
  let uas: SippServer | undefined;
  try {
    const started = await startUas((so.maxSeconds ?? 170) + 60);
    uas = started.uas;
    o.log?.(`sipp->sipp: searching from ${so.startRate} calls/s`);
    // The uas's CPU is shown for scale; there is no middle box here.
    const rate = await searchMaxRate({ ...so, target: { host: '127.0.0.1', port: started.port, transport: 'udp' }, otherPids: { uas: [uas.pid] } });
    o.log?.(describeSearch('sipp->sipp', rate));
    return { sipp: sippVersion(), scenario: 'bench/scenarios/uac-rr.xml -> uas-rr.xml', rate };
  } catch (err) {
    return { error: message(err) };
  } finally {
    await uas?.stop(2_000);
  }
}

/**
 * ERROR/CRITICAL lines in kamailio.log, counted by where they come from (module, file:line,
 * function) with one full example of the commonest, to tell a Kamailio limit from load.
 */
function logErrors(workDir: string): { count: number; top?: Record<string, number>; example?: string } {
  let lines: string[];
  try {
    lines = readFileSync(join(workDir, 'kamailio.log'), 'utf8').split('\n').filter((l) => /\b(ERROR|CRITICAL|ALERT|BUG):/.test(l));
  } catch {
    return { count: 0 };
  }
  if (lines.length === 0) return { count: 0 };
  const byKind = new Map<string, { n: number; example: string }>();
  for (const line of lines) {
    const kind = /(ERROR|CRITICAL|ALERT|BUG): (.*?\]: \w+\(\))/.exec(line)?.slice(1, 3).join(' ') ?? 'other';
    const entry = byKind.get(kind) ?? { n: 0, example: line.trim().slice(0, 300) };
    entry.n++;
    byKind.set(kind, entry);
  }
  const sorted = [...byKind.entries()].sort((x, y) => y[1].n - x[1].n);
  return { count: lines.length, top: Object.fromEntries(sorted.slice(0, 5).map(([k, v]) => [k, v.n])), example: sorted[0]?.[1].example ?? '' };
}

/**
 * The SIP worker counts Kamailio plain is searched with: one, and one per core. On this 2-core
 * host, where sipp takes a core too, one worker held 3,000 calls/s at 0.26 CPU s per 1,000 calls
 * against 2,449 at 0.30-0.37 with two and four and 1,633 at 0.61 with eight (workers contend
 * for tm's and dialog's locks in shared memory, and each wake-up of another process is dear);
 * on a host with cores to spare, one per core is what an operator would run. The anchor is
 * Kamailio at its best, not at a count picked once.
 */
export function plainWorkerCounts(cores = availableParallelism()): number[] {
  return [...new Set([1, Math.max(1, cores)])];
}

const workersText = (n: number): string => `${n} SIP worker${n === 1 ? '' : 's'}`;

/** The higher confirmed rate, then the lower CPU per call; a search without one loses. */
export function betterSearch(a: SearchResult, b: SearchResult): SearchResult {
  const ra = a.best?.rate ?? -1;
  const rb = b.best?.rate ?? -1;
  if (ra !== rb) return ra > rb ? a : b;
  return (b.best?.cpuSecondsPer1000Calls ?? Infinity) < (a.best?.cpuSecondsPer1000Calls ?? Infinity) ? b : a;
}

/**
 * Kamailio plain searched once per worker count; `rate` is the best search (betterSearch), and
 * `workers` its count, which the concurrency and paired parts then run with. Each count's search
 * is kept in `byWorkers`.
 */
async function plainPart(o: KamailioPartsOptions): Promise<PartResult> {
  const counts = o.children !== undefined ? [o.children] : (o.plainWorkers ?? plainWorkerCounts());
  const byWorkers: PartResult[] = [];
  let best: { part: PartResult; rate: SearchResult; workers: number } | null = null;
  // In turns, every count's Kamailio runs at once and their steps alternate with the other boxes'.
  const parts: PartResult[] = [];
  if (o.turns !== undefined) parts.push(...(await Promise.all(counts.map((workers) => kamailioRatePart('plain', { ...o, children: workers })))));
  else for (const workers of counts) parts.push(await kamailioRatePart('plain', { ...o, children: workers }));
  for (const [i, part] of parts.entries()) {
    const workers = counts[i]!;
    byWorkers.push({ workers, ...part });
    const rate = part.rate as SearchResult | undefined;
    if (rate === undefined) continue;
    if (best === null || betterSearch(best.rate, rate) === rate) best = { part, rate, workers };
  }
  if (best === null) return byWorkers.length === 1 ? byWorkers[0]! : { error: 'no worker count ran', byWorkers };
  if (counts.length > 1) o.log?.(`kamailio plain: best with ${workersText(best.workers)}`);
  return { ...best.part, workers: best.workers, byWorkers: byWorkers.map(({ kamailioLogErrors: _e, ...rest }) => rest) };
}

async function kamailioRatePart(mode: 'plain' | 'topos', o: KamailioPartsOptions): Promise<PartResult> {
  const missing = kamailioMissing(mode) ?? (hasBinary('sipp') ? null : 'sipp not installed (apt-get install sip-tester)');
  if (missing !== null) return { skipped: missing };
  const so = searchOptions(o, o.startRates?.[mode] ?? (mode === 'plain' ? 1_000 : 300));
  const turnId = `kamailio ${mode} (${workersText(o.children ?? DEFAULT_CHILDREN)})`;
  const work = mkdtempSync(join(tmpdir(), `sluice-bench-kam-${mode}-`));
  let uas: SippServer | undefined;
  let redis: RedisInstance | undefined;
  let kam: KamailioInstance | undefined;
  o.turns?.join(turnId, { processes: () => [...(kam?.pids() ?? []), ...(uas === undefined ? [] : [uas.pid]), ...(redis === undefined ? [] : [redis.pid])] });
  try {
    const opts: Parameters<typeof startKamailio>[0] = { mode, port: 0, uasPort: 0, workDir: work };
    const uasSeconds = uasSecondsFor(o, so);
    if (o.children !== undefined) opts.children = o.children;
    const setUp = async (): Promise<void> => {
      const started = await startUas(uasSeconds);
      uas = started.uas;
      if (mode === 'topos') redis = await startRedis(await freePort('tcp'));
      opts.port = await freePort('udp');
      opts.uasPort = started.port;
      if (redis !== undefined) opts.redisPort = redis.port;
      kam = await startKamailio(opts);
    };
    await (o.turns === undefined ? setUp() : o.turns.take(turnId, setUp));
    const pids = kam!.pids();
    o.log?.(`kamailio ${mode}: ${workersText(opts.children ?? DEFAULT_CHILDREN)}, ${pids.length} processes, searching from ${so.startRate} calls/s${o.turns === undefined ? '' : ', in turns'}`);
    const rate = await searchMaxRate({
      ...so,
      ...inTurns(o, turnId),
      target: { host: '127.0.0.1', port: kam!.port, transport: 'udp' },
      pids,
      otherPids: redis === undefined ? {} : { redis: [redis.pid] },
      // After an overloaded step tm still holds what it could not finish (once, 2 GB of shm
      // ran out and poisoned the next step): each step after a failure starts on a fresh one,
      // with topos's records in Redis gone too.
      restartTarget: async () => {
        await kam?.stop();
        kam = undefined;
        redis?.flush();
        if (uas !== undefined) uas = await freshUas(uas, opts.uasPort, uasSeconds);
        kam = await startKamailio(opts);
        return kam.pids();
      },
    });
    o.log?.(describeSearch(`kamailio ${mode}`, rate));
    return {
      mode,
      workers: opts.children ?? DEFAULT_CHILDREN,
      processes: pids.length,
      ...(redis === undefined ? {} : { redis: redisVersion(), note: 'CPU s per 1,000 calls is Kamailio alone; Redis is in otherCpuSecondsPer1000Calls' }),
      rate,
      kamailioLogErrors: logErrors(work),
    };
  } catch (err) {
    return { error: message(err), kamailioLogErrors: logErrors(work) };
  } finally {
    o.turns?.leave(turnId);
    await kam?.stop();
    await redis?.stop();
    await uas?.stop(2_000);
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Established calls held by Kamailio plain: memory per call, read once every call is confirmed
 * (dlg ongoing) and the INVITE transactions are gone (tm keeps a 2xx-answered INVITE on its
 * wait timer for 5 s), so what is measured is the dialog, not its setup.
 */
async function concurrencyPart(o: KamailioPartsOptions): Promise<PartResult> {
  const missing = kamailioMissing('plain') ?? (hasBinary('sipp') ? null : 'sipp not installed (apt-get install sip-tester)');
  if (missing !== null) return { skipped: missing };
  const quick = o.quick === true;
  const calls = o.concurrentCalls ?? (quick ? 2_000 : 10_000);
  const rate = o.concurrencyRate ?? 500;
  const holdMs = o.holdMs ?? (quick ? 30_000 : 60_000);
  const placingMs = (calls / rate) * 1_000;
  // Measured after placing plus up to 15 s for confirmation and the wait timers.
  if (holdMs < placingMs + 20_000) return { error: `holdMs ${holdMs} too short: calls must outlast placing (${placingMs} ms) + 20 s` };
  const work = mkdtempSync(join(tmpdir(), 'sluice-bench-kam-conc-'));
  let uas: SippServer | undefined;
  let uac: SippServer | undefined;
  let kam: KamailioInstance | undefined;
  try {
    const started = await startUas((placingMs + holdMs) / 1_000 + 60);
    uas = started.uas;
    const opts: Parameters<typeof startKamailio>[0] = { mode: 'plain', port: await freePort('udp'), uasPort: started.port, workDir: work, children: o.children ?? PLAIN_WORKERS };
    kam = await startKamailio(opts);
    await sleep(1_000);
    const pids = kam.pids();
    const before = memoryKb(pids);
    const shmBefore = kam.shmStats();
    o.log?.(`kamailio concurrency: ${workersText(opts.children ?? PLAIN_WORKERS)}, placing ${calls} calls of ${holdMs / 1_000} s at ${rate}/s`);
    const t0 = Date.now();
    uac = await startSipp({
      args: uacRrArgs(kam.port, { rate, calls, callMs: holdMs, limit: calls }),
      timeoutMs: placingMs + holdMs + 60_000,
    });
    // Bounded by the time the first calls end: every call confirmed, then its transaction gone.
    const lastMoment = t0 + holdMs - 3_000;
    let ongoing = 0;
    let confirmedAt: number | null = null;
    let txns: number | null = null;
    while (Date.now() < lastMoment) {
      await sleep(500);
      ongoing = kam.dialogStats()?.ongoing ?? 0;
      if (ongoing >= calls && confirmedAt === null) confirmedAt = Date.now();
      txns = kam.transactions();
      // tm's wait timer is 5 s; 6 s after the last confirmation the INVITE transactions are gone.
      if (confirmedAt !== null && Date.now() - confirmedAt >= 6_000 && (txns ?? 0) < calls / 100) break;
    }
    const after = memoryKb(pids);
    const shmAfter = kam.shmStats();
    const measuredAtSeconds = Math.round((Date.now() - t0) / 100) / 10;
    const dialogs = kam.dialogStats();
    // The calls have done their job; ending them at once saves the rest of the hold time.
    const u = await uac.stop(1_000);
    uac = undefined;
    const perCall = (delta: number): number => Math.round((delta / calls) * 100) / 100;
    const result: PartResult = {
      mode: 'plain',
      workers: opts.children,
      calls,
      ratePerSecond: rate,
      holdMs,
      established: ongoing,
      allEstablished: ongoing >= calls,
      transactionsAtMeasure: txns,
      measuredAtSeconds,
      dialogs,
      pssBeforeKb: before.pssKb,
      pssAfterKb: after.pssKb,
      rssSumBeforeKb: before.rssKb,
      rssSumAfterKb: after.rssKb,
      kbPerCallPss: perCall(after.pssKb - before.pssKb),
      // PSS counts shm pages once touched, so it keeps the high-water mark of the setup
      // transactions; shm used is what the held dialogs occupy now, max_used that peak.
      shmUsedBeforeBytes: shmBefore?.used ?? null,
      shmUsedAfterBytes: shmAfter?.used ?? null,
      shmMaxUsedAfterBytes: shmAfter?.max_used ?? null,
      shmKbPerCall: shmBefore?.used === undefined || shmAfter?.used === undefined ? null : perCall((shmAfter.used - shmBefore.used) / 1_024),
      uacFailed: u.failed,
      kamailioLogErrors: logErrors(work),
    };
    o.log?.(`kamailio concurrency: ${ongoing}/${calls} established, ${String(result.kbPerCallPss)} KB PSS per call, ${String(result.shmKbPerCall)} KB shm per call`);
    return result;
  } catch (err) {
    return { error: message(err), kamailioLogErrors: logErrors(work) };
  } finally {
    await uac?.stop(1_000);
    await kam?.stop();
    await uas?.stop(2_000);
    rmSync(work, { recursive: true, force: true });
  }
}

/** Kamailio plain and topos rate searches, then concurrency; each part fails on its own. */
export async function runKamailioParts(o: KamailioPartsOptions = {}): Promise<PartResult> {
  const parts = o.parts ?? ['plain', 'topos', 'concurrency'];
  const result: PartResult = {
    kamailio: kamailioVersion(),
    redis: redisVersion(),
    sipp: sippVersion(),
    memoryManagers: 'tlsf (-x tlsf -X tlsf)',
    scenario: 'bench/scenarios/uac-rr.xml -> Kamailio -> uas-rr.xml, UDP on 127.0.0.1',
  };
  for (const part of parts) {
    try {
      // Memory is read from Kamailio as it ran fastest, when plain was searched in this run.
      const plainBest = (result.plain as PartResult | undefined)?.workers ?? o.concurrencyWorkers;
      const concurrencyOpts = o.children === undefined && typeof plainBest === 'number' ? { ...o, children: plainBest } : o;
      result[part] = part === 'concurrency' ? await concurrencyPart(concurrencyOpts) : part === 'plain' ? await plainPart(o) : await kamailioRatePart(part, o);
    } catch (err) {
      result[part] = { error: message(err) };
    }
  }
  return result;
}
