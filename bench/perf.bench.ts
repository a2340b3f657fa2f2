/**
 * `npm run bench:perf`: where a middle box's CPU goes, at one fixed call rate, by Linux perf
 * (bench/lib/perf-profile.ts says why not V8's --cpu-prof alone). The calls are
 * `npm run bench:at-rate`'s (sipp uac-rr -> box -> sipp uas-rr, 2 s calls, UDP loopback, a
 * 3 s warm-up); once the measured calls run, `perf record -g` samples every thread of the box
 * for --profile-seconds. It prints the box's CPU per 1,000 calls, split into the kernel (system
 * calls, the network stack, context switches), the garbage collector, Node and V8 outside the
 * box's own code (libuv, dgram, timers, microtasks, the compiler) and the box's JavaScript, with
 * its files and functions.
 * --box sluice (default; media direct, the build in dist/) or floor (bench/lib/b2bua-floor.ts,
 * the least a B2BUA in Node spends on these calls): the two side by side say which of the four
 * Sluice spends its extra CPU in. --box both profiles the two in turn, --pairs N times (default 2),
 * and prints each category's median for both and Sluice's over the floor's: on a host whose speed
 * drifts, only figures taken in one sitting compare. A run with failed calls or more than 1%
 * retransmitted is left out of the medians (the box fell behind; its CPU per call is then of
 * retransmissions).
 * Options: --rate N (default 1000), --seconds N of calls (default 12), --profile-seconds N
 * (default 6, within them), --top N (default 20), --json FILE, --script FILE (perf script's
 * text of the samples, with JS names, for reading beyond this summary).
 * Needs sipp and perf (Debian: sip-tester, linux-perf), and root or kernel.perf_event_paranoid
 * at most 1 to attach to a process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasBinary } from '../test/interop/harness/prereq.js';
import { freePort } from '../test/interop/harness/sipp.js';
import { arg } from './lib/args.js';
import { runAtFixedRate, sluiceBox, type FixedRateRun, type MiddleBox } from './lib/fixed-rate.js';
import { B2BUA_FLOOR_SETUP, startFloor } from './lib/node-floor-part.js';
import { median } from './lib/paired-rate.js';
import { latestPerfMap, summarizePerfScript, type CpuProfileSummary } from './lib/perf-profile.js';
import { MAX_RETRANSMISSIONS_PER_CALL } from './lib/sipp-rate.js';

const boxArg = arg('--box', 'sluice');
const pairs = Number(arg('--pairs', '2'));
const rate = Number(arg('--rate', '1000'));
const seconds = Number(arg('--seconds', '12'));
const profileSeconds = Number(arg('--profile-seconds', '6'));
const topN = Number(arg('--top', '20'));
const jsonFile = arg('--json', '');
const scriptFile = arg('--script', '');

const validBox = boxArg === 'sluice' || boxArg === 'floor' || boxArg === 'both';
if (!(validBox && Number.isInteger(pairs) && pairs >= 1 && pairs <= 5 && rate > 0 && rate <= 10_000 && seconds >= 4 && seconds <= 60 && profileSeconds >= 1 && profileSeconds <= seconds - 2 && topN >= 1 && topN <= 200)) {
  console.error('usage: perf.bench.ts [--box sluice|floor|both] [--pairs 1..5] [--rate 1..10000] [--seconds 4..60] [--profile-seconds 1..seconds-2] [--top 1..200] [--json FILE] [--script FILE]');
  process.exit(2);
}
for (const [bin, pkg] of [
  ['sipp', 'sip-tester'],
  ['perf', 'linux-perf'],
] as const) {
  if (!hasBinary(bin)) {
    console.log(JSON.stringify({ bench: 'perf', skipped: `${bin} not installed (apt-get install ${pkg})` }));
    process.exit(0);
  }
}

const root = fileURLToPath(new URL('..', import.meta.url));
/**
 * JIT frames named in /tmp/perf-PID.map; interpreted ones get a native frame of their own. Node 20's
 * V8 also writes a log of its own with --perf-basic-prof, into the box's working directory (the
 * project) unless told where: here, into the run's directory.
 */
const perfFlags = (dir: string): string[] => ['--perf-basic-prof', '--interpreted-frames-native-stack', '--no-logfile-per-isolate', `--logfile=${join(dir, 'v8.log')}`];

/** Runs a command to its end; rejects with its stderr's tail on a non-zero exit. */
function run(cmd: string, args: string[], collect: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', collect ? 'pipe' : 'ignore', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => {
      err = (err + c.toString()).slice(-2_000);
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(Buffer.concat(out).toString('utf8')) : reject(new Error(`${cmd} ${args[0]} exited ${code}: ${err.trim()}`))));
  });
}

type Box = 'sluice' | 'floor';

const startBox = (box: Box, nodeArgs: string[]) => async (trunk: number): Promise<MiddleBox> => {
  if (box === 'sluice') return sluiceBox(nodeArgs)(trunk);
  const port = await freePort('udp');
  // As `npm run bench` runs it (Sluice's runtime and send thread), so that the two differ only in code.
  const floor = await startFloor('b2bua', port, trunk, B2BUA_FLOOR_SETUP, nodeArgs);
  return { pid: floor.pid, port, stop: () => floor.stop() };
};

interface Profiled {
  box: Box;
  run: FixedRateRun;
  profile: CpuProfileSummary;
  /** CPU ms per call of each category (the category's share of the box's CPU per call). */
  ms: Record<keyof CpuProfileSummary['categories'], number>;
  /** False when the box fell behind: failed calls, or more than 1% of them retransmitted. */
  kept: boolean;
}

/** One fixed-rate run of `box` with perf attached once its measured calls run. */
async function profile(box: Box): Promise<Profiled> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-perf-'));
  const data = join(dir, 'perf.data');
  let pid = 0;
  try {
    const result = await runAtFixedRate({
      rate,
      seconds,
      start: startBox(box, perfFlags(dir)),
      // A second in, so that the uac's first calls have reached the box.
      onMeasure: async ([b]) => {
        pid = b!.pid;
        await new Promise((r) => setTimeout(r, 1_000));
        await run('perf', ['record', '-q', '-g', '-F', '999', '-p', String(pid), '-o', data, '--', 'sleep', String(profileSeconds)], false);
      },
    });
    // perf reads the box's symbol map as it prints: only the latest name of each address stays.
    const map = join(tmpdir(), `perf-${pid}.map`);
    if (existsSync(map)) writeFileSync(map, latestPerfMap(readFileSync(map, 'utf8')));
    const text = await run('perf', ['script', '-i', data], true);
    if (scriptFile !== '') writeFileSync(boxArg === 'both' ? `${scriptFile}.${box}` : scriptFile, text);
    // Sluice runs from dist/; the floor through tsx, from the project's own files.
    const summary = summarizePerfScript(text, box === 'sluice' ? join(root, 'dist') + '/' : root, topN);
    const perCall = result.cpuSecondsPer1000Calls;
    const c = summary.categories;
    const share = (p: number): number => Math.round(perCall * p * 10) / 1_000;
    const kept = result.failed === 0 && result.retransmissions <= MAX_RETRANSMISSIONS_PER_CALL * result.successful;
    return { box, run: result, profile: summary, ms: { kernel: share(c.kernel), gc: share(c.gc), runtime: share(c.runtime), app: share(c.app) }, kept };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    // --perf-basic-prof's symbol map of the box, written by the box into /tmp.
    if (pid !== 0) rmSync(join(tmpdir(), `perf-${pid}.map`), { force: true });
  }
}

function line(p: Profiled): string {
  const c = p.profile.categories;
  return (
    `${p.box} at ${rate} calls/s: ${p.run.cpuSecondsPer1000Calls} CPU s per 1,000 calls (${p.run.failed} failed, ${p.run.retransmissions} retransmissions${p.kept ? '' : ': fell behind, left out'}), ${p.profile.samples} samples; ` +
    `kernel ${c.kernel}% (${p.ms.kernel.toFixed(3)}), garbage collector ${c.gc}% (${p.ms.gc.toFixed(3)}), Node and V8 outside the box's code ${c.runtime}% (${p.ms.runtime.toFixed(3)}), ` +
    `the box's JavaScript ${c.app}% (${p.ms.app.toFixed(3)})`
  );
}

if (boxArg !== 'both') {
  const p = await profile(boxArg);
  const out = { bench: 'perf', box: boxArg, node: process.version, rate, seconds, profileSeconds, run: p.run, profile: p.profile };
  console.log(JSON.stringify(out, null, 2));
  if (jsonFile !== '') writeFileSync(jsonFile, JSON.stringify(out, null, 2));
  console.log(line(p));
  console.log(`  by file: ${p.profile.files.map((f) => `${f.name} ${f.percent}%`).join(', ')}`);
  console.log(`  by function: ${p.profile.functions.map((f) => `${f.name} ${f.percent}%`).join(', ')}`);
} else {
  const runs: Profiled[] = [];
  for (let i = 0; i < pairs; i++) {
    for (const box of ['floor', 'sluice'] as const) {
      const p = await profile(box);
      runs.push(p);
      console.error(`[perf] pair ${i + 1}/${pairs}: ${line(p)}`);
    }
  }
  const keys = ['all', 'kernel', 'gc', 'runtime', 'app'] as const;
  const of = (box: Box, k: (typeof keys)[number]): number | null => {
    const m = median(runs.filter((r) => r.box === box && r.kept).map((r) => (k === 'all' ? r.run.cpuSecondsPer1000Calls : r.ms[k])));
    return m === null ? null : Math.round(m * 1_000) / 1_000;
  };
  const comparison = Object.fromEntries(
    keys.map((k) => {
      const floor = of('floor', k);
      const sluice = of('sluice', k);
      return [k, { floor, sluice, ratio: floor === null || sluice === null || floor === 0 ? null : Math.round((sluice / floor) * 100) / 100 }];
    }),
  ) as Record<(typeof keys)[number], { floor: number | null; sluice: number | null; ratio: number | null }>;
  const out = { bench: 'perf', box: 'both', node: process.version, rate, seconds, profileSeconds, pairs, runs: runs.map((r) => ({ box: r.box, kept: r.kept, run: r.run, ms: r.ms, profile: r.profile })), comparison };
  console.log(JSON.stringify(out, null, 2));
  if (jsonFile !== '') writeFileSync(jsonFile, JSON.stringify(out, null, 2));
  const names = { all: 'all', kernel: 'kernel', gc: 'garbage collector', runtime: "Node and V8 outside the box's code", app: "the box's JavaScript" };
  const show = (x: number | null): string => (x === null ? '-' : String(x));
  const kept = (box: Box): number => runs.filter((r) => r.box === box && r.kept).length;
  console.log(`Sluice over the minimal B2BUA at ${rate} calls/s, CPU ms per call, medians of ${kept('floor')} and ${kept('sluice')} of ${pairs} runs each:`);
  for (const k of keys) console.log(`  ${names[k].padEnd(36)} floor ${show(comparison[k].floor).padStart(6)}  Sluice ${show(comparison[k].sluice).padStart(6)}  ${show(comparison[k].ratio)}x`);
}
