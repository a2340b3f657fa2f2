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
 * Sluice spends its extra CPU in.
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
import { runAtFixedRate, sluiceBox, type MiddleBox } from './lib/fixed-rate.js';
import { B2BUA_FLOOR_SETUP, startFloor } from './lib/node-floor-part.js';
import { latestPerfMap, summarizePerfScript, type CpuProfileSummary } from './lib/perf-profile.js';

const box = arg('--box', 'sluice');
const rate = Number(arg('--rate', '1000'));
const seconds = Number(arg('--seconds', '12'));
const profileSeconds = Number(arg('--profile-seconds', '6'));
const topN = Number(arg('--top', '20'));
const jsonFile = arg('--json', '');
const scriptFile = arg('--script', '');

if (!((box === 'sluice' || box === 'floor') && rate > 0 && rate <= 10_000 && seconds >= 4 && seconds <= 60 && profileSeconds >= 1 && profileSeconds <= seconds - 2 && topN >= 1 && topN <= 200)) {
  console.error('usage: perf.bench.ts [--box sluice|floor] [--rate 1..10000] [--seconds 4..60] [--profile-seconds 1..seconds-2] [--top 1..200] [--json FILE] [--script FILE]');
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
const dir = mkdtempSync(join(tmpdir(), 'sluice-perf-'));
const data = join(dir, 'perf.data');
/**
 * JIT frames named in /tmp/perf-PID.map; interpreted ones get a native frame of their own. Node 20's
 * V8 also writes a log of its own with --perf-basic-prof, into the box's working directory (the
 * project) unless told where: here, into this run's directory.
 */
const PERF_FLAGS = ['--perf-basic-prof', '--interpreted-frames-native-stack', '--no-logfile-per-isolate', `--logfile=${join(dir, 'v8.log')}`];

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

const startBox = async (trunk: number): Promise<MiddleBox> => {
  if (box === 'sluice') return sluiceBox(PERF_FLAGS)(trunk);
  const port = await freePort('udp');
  // As `npm run bench` runs it (Sluice's runtime and send thread), so that the two differ only in code.
  const floor = await startFloor('b2bua', port, trunk, B2BUA_FLOOR_SETUP.uses, PERF_FLAGS, B2BUA_FLOOR_SETUP.runtime);
  return { pid: floor.pid, port, stop: () => floor.stop() };
};

let pid = 0;
let summary: CpuProfileSummary | null = null;
try {
  const result = await runAtFixedRate({
    rate,
    seconds,
    start: startBox,
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
  if (scriptFile !== '') writeFileSync(scriptFile, text);
  // Sluice runs from dist/; the floor through tsx, from the project's own files.
  summary = summarizePerfScript(text, box === 'sluice' ? join(root, 'dist') + '/' : root, topN);
  const perCall = result.cpuSecondsPer1000Calls;
  const out = { bench: 'perf', box, node: process.version, rate, seconds, profileSeconds, run: result, profile: summary };
  console.log(JSON.stringify(out, null, 2));
  if (jsonFile !== '') writeFileSync(jsonFile, JSON.stringify(out, null, 2));
  const c = summary.categories;
  const ms = (p: number): string => ((perCall * p) / 100).toFixed(3);
  console.log(
    `${box} at ${rate} calls/s: ${perCall} CPU s per 1,000 calls (${result.failed} failed, ${result.retransmissions} retransmissions), ${summary.samples} samples; ` +
      `kernel ${c.kernel}% (${ms(c.kernel)}), garbage collector ${c.gc}% (${ms(c.gc)}), Node and V8 outside the box's code ${c.runtime}% (${ms(c.runtime)}), ` +
      `the box's JavaScript ${c.app}% (${ms(c.app)})`,
  );
  console.log(`  by file: ${summary.files.map((f) => `${f.name} ${f.percent}%`).join(', ')}`);
  console.log(`  by function: ${summary.functions.map((f) => `${f.name} ${f.percent}%`).join(', ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  // --perf-basic-prof's symbol map of the box, written by the box into /tmp.
  if (pid !== 0) rmSync(join(tmpdir(), `perf-${pid}.map`), { force: true });
}
