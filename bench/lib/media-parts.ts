/**
 * The media part of the Sluice vs rtpengine benchmark: the same rising stream search
 * (bench/lib/media-steps.ts) through rtpengine in userspace with one worker thread and with as
 * many as the host has cores, and through Sluice's relay in its own process with one forwarding
 * worker and with the workers it is given (relayOptions); then the ratios Sluice / rtpengine,
 * one thread against one thread and all against all. Bounded in wall time as a whole; a part
 * that cannot run says why and the others still run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { round, runSteps, startGenerator, type Generator, type RelayAdapter, type Step, type StepsResult } from './media-steps.js';
import { cpuSecondsOf } from './proc.js';
import { startRelayServer, type RelayOptions } from './relay-server.js';
import { deleteCalls, relayedPackets, rtpengineMissing, rtpengineVersion, setupCalls, startRtpengine, type Rtpengine } from './rtpengine.js';

export type MediaPartName = 'rtpengine-1-thread' | 'sluice-1-worker' | 'rtpengine-all-threads' | 'sluice';

export interface MediaPartsOptions {
  /** Seconds per step (default 6). */
  seconds?: number;
  /** Wall-clock bound of the whole media part, start-up included (default 240). */
  maxSeconds?: number;
  /** Stream counts of the rising search (default 100, 200, 400, 600, 800, 1000, 1200, 1500). */
  streams?: number[];
  /** A step passes with at most this loss (percent, default 0.1). */
  maxLossPct?: number;
  /** Passed to Sluice's MediaRelay as they are (e.g. a worker count). */
  relayOptions?: RelayOptions;
  /** Which parts to run (default all four, in this order). */
  parts?: MediaPartName[];
  /** rtpengine's media ports (default 10000-20999) and Sluice's (21000-31999), 2,750 streams each: below 32768, the generator's ephemeral range. */
  rtpenginePorts?: [number, number];
  sluicePorts?: [number, number];
  /** The load generator: the C one where it builds (default 'auto'), or the Node one. */
  generator?: 'auto' | 'node';
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

/** The figures of a part's best step. */
export interface MediaBest {
  streams: number;
  forwardedPps: number;
  lossPct: number;
  cpuUsPerPacket: number;
  cpuShareOfCore: number;
}

export interface MediaPartResult {
  name: MediaPartName;
  peer: 'rtpengine' | 'sluice';
  /** Forwarding threads: rtpengine's, or 1 for sluice-1-worker; null for sluice (see relayOptions). */
  threads: number | null;
  /** Why the part did not run, or null. */
  skipped: string | null;
  best: MediaBest | null;
  stoppedBy: string;
  stopKind: StepsResult['stopKind'] | 'skipped';
  steps: Step[];
  wallSeconds: number;
  /** How the peer was started (rtpengine's command line, Sluice's relay options). */
  started: string[] | RelayOptions | null;
}

export interface MediaRatio {
  /** Sluice's best forwarded pps / rtpengine's: a capacity ratio only when both searches ended on loss (see ppsNote). */
  pps: number | null;
  /** Sluice's CPU µs per packet at its best step / rtpengine's at its best step. */
  cpuPerPacket: number | null;
  /** The same, at the highest stream count both passed (per-packet cost falls with load: batching). */
  cpuPerPacketAtSameStreams: { streams: number; ratio: number } | null;
  /** The same, CPU and packets summed over every stream count both passed: more samples, less noise. */
  cpuPerPacketPooled: { streams: number[]; ratio: number } | null;
  /** Both searches ended at the generator's ceiling: pps does not tell the relays apart. */
  ppsCappedByGenerator: boolean;
  /** What the pps ratio means here. */
  ppsNote: string;
}

export interface MediaPartsResult {
  bench: 'media';
  codec: string;
  cores: number;
  loadavg1mAtStart: number;
  loadavg1mAtEnd: number;
  secondsPerStep: number;
  maxLossPct: number;
  streams: number[];
  versions: { sluice: string; rtpengine: string | null; node: string };
  /** Which load generator played the parties (see bench/lib/native-generator.ts). */
  generator: string | null;
  parts: MediaPartResult[];
  /** One thread against one (sluice-1-worker, or sluice when that part was not asked for), and all against all. */
  ratios: { sluiceVsRtpengine1Thread: MediaRatio | null; sluiceVsRtpengineAllThreads: MediaRatio | null };
  wallSeconds: number;
  maxSeconds: number;
}

const ALL_PARTS: MediaPartName[] = ['rtpengine-1-thread', 'sluice-1-worker', 'rtpengine-all-threads', 'sluice'];

const isSluice = (name: MediaPartName): boolean => name === 'sluice' || name === 'sluice-1-worker';

/** Start-up and shutdown of one part (rtpengine or the relay child, tsx compile), outside its steps. */
const PART_OVERHEAD_MS = 4_000;

function sluiceVersion(): string {
  let version = 'unknown';
  try {
    version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    // the report still runs
  }
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: new URL('../..', import.meta.url), encoding: 'utf8', timeout: 5_000 });
  return git.status === 0 ? `${version} (${git.stdout.trim()})` : version;
}

function bestOf(r: StepsResult): MediaBest | null {
  const b = r.best;
  return b === null ? null : { streams: b.streams, forwardedPps: b.forwardedPps, lossPct: b.lossPct, cpuUsPerPacket: b.relayCpuUsPerPacket, cpuShareOfCore: b.relayCpuShareOfCore };
}

function passed(r: MediaPartResult): Step[] {
  return r.steps.filter((s) => s.passed);
}

function ratio(sluice: MediaPartResult | undefined, rtpe: MediaPartResult | undefined): MediaRatio | null {
  if (sluice?.best == null || rtpe?.best == null) return null;
  const pairs = passed(sluice)
    .map((s) => [s, passed(rtpe).find((t) => t.streams === s.streams)] as const)
    .filter((p): p is readonly [Step, Step] => p[1] !== undefined);
  const common = pairs.at(-1);
  const perPacket = (steps: Step[]): number => steps.reduce((a, s) => a + s.relayCpuSeconds, 0) / Math.max(1, steps.reduce((a, s) => a + s.relayPackets, 0));
  return {
    pps: round(sluice.best.forwardedPps / rtpe.best.forwardedPps, 2),
    cpuPerPacket: round(sluice.best.cpuUsPerPacket / rtpe.best.cpuUsPerPacket, 2),
    cpuPerPacketAtSameStreams: common === undefined ? null : { streams: common[0].streams, ratio: round(common[0].relayCpuUsPerPacket / common[1].relayCpuUsPerPacket, 2) },
    cpuPerPacketPooled: pairs.length === 0 ? null : { streams: pairs.map((p) => p[0].streams), ratio: round(perPacket(pairs.map((p) => p[0])) / perPacket(pairs.map((p) => p[1])), 2) },
    ppsCappedByGenerator: sluice.stopKind === 'generator-behind' && rtpe.stopKind === 'generator-behind',
    ppsNote: ppsNote(sluice, rtpe),
  };
}

function ppsNote(sluice: MediaPartResult, rtpe: MediaPartResult): string {
  const lossS = sluice.stopKind === 'loss';
  const lossR = rtpe.stopKind === 'loss';
  if (lossS && lossR) return 'both searches ended on loss: a capacity ratio (at this step resolution)';
  if (lossS) return `only Sluice ended on loss (rtpengine: ${rtpe.stopKind}): rtpengine's capacity is at least its figure, the ratio an upper bound`;
  if (lossR) return `only rtpengine ended on loss (Sluice: ${sluice.stopKind}): Sluice's capacity is at least its figure, the ratio a lower bound`;
  return `neither ended on loss (Sluice: ${sluice.stopKind}, rtpengine: ${rtpe.stopKind}): the load, not the relays, set the pps; compare CPU per packet`;
}

function rtpengineAdapter(rt: Rtpengine, name: string): RelayAdapter {
  let callIds: string[] = [];
  let round = 0;
  return {
    name,
    async setup(ports) {
      const calls = await setupCalls(rt.ng, ports, `bench-${process.pid}-${round++}`);
      callIds = calls.callIds;
      return calls.targets;
    },
    async teardown() {
      const ids = callIds;
      callIds = [];
      await deleteCalls(rt.ng, ids);
    },
    cpuSeconds: () => cpuSecondsOf(rt.pid),
    packetsIn: () => relayedPackets(rt.ng),
  };
}

/** Runs the media parts and returns their figures; never throws for a part that fails. */
export async function runMediaParts(opts: MediaPartsOptions = {}): Promise<MediaPartsResult> {
  const started = Date.now();
  const seconds = opts.seconds ?? 6;
  const maxSeconds = opts.maxSeconds ?? 240;
  const maxLossPct = opts.maxLossPct ?? 0.1;
  const streams = (opts.streams ?? [100, 200, 400, 600, 800, 1000, 1200, 1500]).filter((n) => Number.isInteger(n) && n > 0);
  const partNames = opts.parts ?? ALL_PARTS;
  const [rtpeMin, rtpeMax] = opts.rtpenginePorts ?? [10_000, 20_999];
  const [sluiceMin, sluiceMax] = opts.sluicePorts ?? [21_000, 31_999];
  const log = opts.log ?? ((line: string): void => void process.stderr.write(`${line}\n`));
  const deadline = started + maxSeconds * 1000;
  const cores = availableParallelism();
  const loadavg1mAtStart = round(loadavg()[0] ?? 0);
  const missing = partNames.some((p) => p.startsWith('rtpengine')) ? rtpengineMissing() : null;
  const parts: MediaPartResult[] = [];

  const skip = (name: MediaPartName, why: string, threads: number | null): void => {
    log(`media ${name}: skipped: ${why}`);
    parts.push({ name, peer: isSluice(name) ? 'sluice' : 'rtpengine', threads, skipped: why, best: null, stoppedBy: why, stopKind: 'skipped', steps: [], wallSeconds: 0, started: null });
  };

  let gen: Generator | null = null;
  let genError: string | null = null;
  try {
    gen = await startGenerator(opts.generator ?? 'auto', log);
    log(`media generator: ${gen.kind}`);
  } catch (err) {
    genError = `the RTP generator did not start: ${err instanceof Error ? err.message : String(err)}`;
  }
  const workDir = mkdtempSync(join(tmpdir(), 'sluice-media-'));
  try {
    for (const [i, name] of partNames.entries()) {
      const threads = name === 'rtpengine-1-thread' || name === 'sluice-1-worker' ? 1 : name === 'rtpengine-all-threads' ? cores : null;
      if (gen === null) {
        skip(name, genError!, threads);
        continue;
      }
      if (!isSluice(name) && missing !== null) {
        skip(name, missing, threads);
        continue;
      }
      if (name === 'rtpengine-all-threads' && cores === 1) {
        skip(name, 'one core: all threads is one thread', threads);
        continue;
      }
      // What is left, shared by the parts still to run: a part that ends early leaves time to the next.
      const partDeadline = Date.now() + (deadline - Date.now()) / (partNames.length - i) - PART_OVERHEAD_MS;
      if (partDeadline - Date.now() < (seconds + 3) * 1000) {
        skip(name, `time budget: ${Math.round((deadline - Date.now()) / 1000)} s left of ${maxSeconds} s`, threads);
        continue;
      }
      const t0 = Date.now();
      // 4 ports per call (RTP and RTCP on each side): steps beyond the range are not run.
      const [lo, hi] = isSluice(name) ? [sluiceMin, sluiceMax] : [rtpeMin, rtpeMax];
      const fit = Math.floor((hi - lo + 1) / 4);
      const list = streams.filter((n) => n <= fit);
      if (list.length < streams.length) log(`media ${name}: ports ${lo}-${hi} hold ${fit} streams; larger steps dropped`);
      let stop: (() => Promise<void>) | null = null;
      let startedWith: MediaPartResult['started'] = null;
      let result: StepsResult;
      try {
        let adapter: RelayAdapter;
        if (isSluice(name)) {
          const relayOptions = name === 'sluice-1-worker' ? { ...opts.relayOptions, workers: 1 } : opts.relayOptions;
          const server = await startRelayServer({ portMin: lo, portMax: hi, relayOptions, name });
          stop = server.stop;
          adapter = server;
          startedWith = relayOptions ?? {};
        } else {
          const rt = await startRtpengine({ threads: threads!, portMin: lo, portMax: hi, workDir });
          stop = rt.stop;
          adapter = rtpengineAdapter(rt, name);
          startedWith = ['rtpengine', ...rt.args];
        }
        log(`media ${name}: started (${Array.isArray(startedWith) ? startedWith.join(' ') : JSON.stringify(startedWith)})`);
        result = await runSteps(adapter, gen, { streams: list, seconds, maxLossPct, deadline: partDeadline, log: (l) => log(`media ${l}`) });
      } catch (err) {
        const why = `could not start: ${err instanceof Error ? err.message : String(err)}`;
        result = { relay: name, steps: [], best: null, stoppedBy: why, stopKind: 'error', wallSeconds: 0 };
      } finally {
        await stop?.().catch(() => undefined);
      }
      log(`media ${name}: ${result.stoppedBy}`);
      parts.push({
        name,
        peer: isSluice(name) ? 'sluice' : 'rtpengine',
        threads,
        skipped: null,
        best: bestOf(result),
        stoppedBy: result.stoppedBy,
        stopKind: result.stopKind,
        steps: result.steps,
        wallSeconds: round((Date.now() - t0) / 1000, 1),
        started: startedWith,
      });
    }
  } finally {
    await gen?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }

  const byName = (n: MediaPartName): MediaPartResult | undefined => parts.find((p) => p.name === n);
  return {
    bench: 'media',
    codec: 'PCMU 20 ms, 172-byte RTP, 50 pps per direction, both directions',
    cores,
    loadavg1mAtStart,
    loadavg1mAtEnd: round(loadavg()[0] ?? 0),
    secondsPerStep: seconds,
    maxLossPct,
    streams,
    versions: { sluice: sluiceVersion(), rtpengine: missing === null ? rtpengineVersion() : null, node: process.version },
    generator: gen?.kind ?? null,
    parts,
    ratios: {
      sluiceVsRtpengine1Thread: ratio(partNames.includes('sluice-1-worker') ? byName('sluice-1-worker') : byName('sluice'), byName('rtpengine-1-thread')),
      sluiceVsRtpengineAllThreads: ratio(byName('sluice'), byName('rtpengine-all-threads')),
    },
    wallSeconds: round((Date.now() - started) / 1000, 1),
    maxSeconds,
  };
}
