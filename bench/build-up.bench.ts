/**
 * `npm run bench:build-up`: where Sluice's CPU per call goes, measured by building up rather
 * than by knocking out. At one fixed call rate (the calls of `npm run bench`: sipp uac-rr ->
 * middle box -> sipp uas-rr, 2 s calls, UDP loopback) it runs, in turn:
 * - the minimal B2BUA in Node (bench/lib/b2bua-floor.ts), the least a B2BUA spends on these calls,
 *   run as `npm run bench` runs it (on Sluice's runtime and send thread);
 * - the same with one part of Sluice in place of its own: Sluice's SIP parser, its SDP
 *   regeneration; then with both (Sluice keeps no call records in a store no other process
 *   reads, b2bua/call-store.ts, so the floor's `store` is no longer a part of Sluice here);
 * - Sluice itself (B2BUA, media direct);
 * - Kamailio plain, as `npm run bench` runs it (stateful proxy with the dialog module, TLSF), where
 *   installed: the goal's anchor in the same sitting, so the table says how much of Kamailio's CPU
 *   per call the floor already spends and how much is left for everything Sluice does above it.
 * Each variant's CPU seconds per 1,000 calls, split into user space (its own code: for Node the
 * JavaScript, the collector, V8 and libuv) and the kernel on its behalf (system calls, the
 * loopback network stack, context switches), and what it adds above the floor. What Sluice adds
 * above "both" is the rest of its stack: transactions, dialogs, the user agent, the call's
 * logic and the messages it builds. Variants alternate over --rounds (the machine's speed
 * drifts), each on a fresh process warmed up by 3 s of the same calls; a variant's figure is its
 * median.
 * Options: --rate N (default 3000: every variant must hold it without retransmissions),
 * --seconds N (default 15), --rounds N (default 2), --json FILE.
 * Needs sipp and a built dist/ (the npm script builds it).
 */
import { writeFileSync } from 'node:fs';
import { hasBinary } from '../test/interop/harness/prereq.js';
import { freePort } from '../test/interop/harness/sipp.js';
import { arg } from './lib/args.js';
import { runAtFixedRate, sluiceBox, type FixedRateRun, type MiddleBox } from './lib/fixed-rate.js';
import { B2BUA_FLOOR_SETUP, startFloor } from './lib/node-floor-part.js';
import { median as medianOf } from './lib/paired-rate.js';
import { kamailioMissing, startKamailioPlain } from './lib/kamailio.js';

const rate = Number(arg('--rate', '3000'));
const seconds = Number(arg('--seconds', '15'));
const rounds = Number(arg('--rounds', '2'));
const jsonFile = arg('--json', '');

if (!(rate > 0 && rate <= 20_000 && seconds > 0 && seconds <= 60 && Number.isInteger(rounds) && rounds >= 1 && rounds <= 5)) {
  console.error('usage: build-up.bench.ts [--rate 1..20000] [--seconds 1..60] [--rounds 1..5] [--json FILE]');
  process.exit(2);
}
if (!hasBinary('sipp')) {
  console.log(JSON.stringify({ bench: 'build-up', skipped: 'sipp not installed (apt-get install sip-tester)' }));
  process.exit(0);
}

interface Variant {
  name: string;
  start(trunk: number): Promise<MiddleBox>;
}

const floor = (uses: string): Variant => ({
  name: uses === '' ? 'minimal B2BUA' : `minimal B2BUA + Sluice's ${uses.replaceAll(',', ', ')}`,
  start: async (trunk) => {
    const port = await freePort('udp');
    // As `npm run bench` runs it (B2BUA_FLOOR_SETUP: Sluice's runtime and send thread), so that
    // what Sluice adds above it is Sluice's code, not its runtime.
    const f = await startFloor('b2bua', port, trunk, { ...B2BUA_FLOOR_SETUP, uses: [B2BUA_FLOOR_SETUP.uses, uses].filter((u) => u !== '' && u !== undefined).join(',') });
    return { pid: f.pid, port, stop: () => f.stop() };
  },
});

const kamailioPlain: Variant = {
  name: 'Kamailio plain',
  start: async (trunk) => {
    const kam = await startKamailioPlain(await freePort('udp'), trunk, 'sluice-bench-kam-build-up-');
    return { pid: kam.pid, pids: () => kam.pids(), port: kam.port, stop: () => kam.stop() };
  },
};

const kamailioSkipped = kamailioMissing('plain');
if (kamailioSkipped !== null) console.error(`[build-up] Kamailio plain left out: ${kamailioSkipped}`);
const variants: Variant[] = [
  floor(''),
  floor('parser'),
  floor('sdp'),
  floor('parser,sdp'),
  { name: 'Sluice', start: sluiceBox() },
  ...(kamailioSkipped === null ? [kamailioPlain] : []),
];

const started = Date.now();
const runs = new Map<string, FixedRateRun[]>(variants.map((v) => [v.name, []]));
for (let r = 0; r < rounds; r++) {
  for (const v of variants) {
    const run = await runAtFixedRate({ rate, seconds, start: v.start });
    runs.get(v.name)!.push(run);
    console.error(`[build-up] round ${r + 1}: ${v.name}: ${run.cpuSecondsPer1000Calls} CPU s per 1,000 calls, ${run.retransmissions} retransmissions, ${run.failed} failed`);
  }
}

/** paired-rate's median, to the 0.001 the runs are given in (every variant has at least one run). */
const median = (xs: number[]): number => Math.round(medianOf(xs)! * 1000) / 1000;
const base = median(runs.get(variants[0]!.name)!.map((x) => x.cpuSecondsPer1000Calls));
const rows = variants.map((v) => {
  const rs = runs.get(v.name)!;
  const cpu = median(rs.map((x) => x.cpuSecondsPer1000Calls));
  return {
    variant: v.name,
    cpuSecondsPer1000Calls: cpu,
    userCpuSecondsPer1000Calls: median(rs.map((x) => x.userCpuSecondsPer1000Calls)),
    systemCpuSecondsPer1000Calls: median(rs.map((x) => x.systemCpuSecondsPer1000Calls)),
    aboveFloor: Math.round((cpu - base) * 1000) / 1000,
    retransmissions: rs.map((x) => x.retransmissions),
    failed: rs.map((x) => x.failed),
    runs: rs.map((x) => x.cpuSecondsPer1000Calls),
  };
});
const result = { bench: 'build-up', node: process.version, rate, seconds, rounds, rows, elapsedSeconds: Math.round((Date.now() - started) / 1_000) };
const json = JSON.stringify(result, null, 2);
console.log(json);
if (jsonFile !== '') writeFileSync(jsonFile, `${json}\n`);
console.log(`build-up at ${rate} calls/s, ${seconds} s, median of ${rounds} (CPU s per 1,000 calls: all, user space, kernel; all above the minimal B2BUA):`);
for (const row of rows) {
  const warn = row.failed.some((f) => f > 0) || row.retransmissions.some((n) => n > 0) ? `  (retransmissions ${row.retransmissions.join('/')}, failed ${row.failed.join('/')}: near its limit)` : '';
  const cols = [row.cpuSecondsPer1000Calls, row.userCpuSecondsPer1000Calls, row.systemCpuSecondsPer1000Calls].map((n) => String(n).padStart(7)).join('');
  console.log(`  ${row.variant.padEnd(48)}${cols}  ${row.aboveFloor >= 0 ? '+' : ''}${row.aboveFloor}${warn}`);
}
const kamailio = rows.find((r) => r.variant === kamailioPlain.name);
if (kamailio !== undefined) {
  const x = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');
  console.log(`Over Kamailio plain (all, user space, kernel):`);
  for (const row of rows) {
    if (row === kamailio) continue;
    console.log(`  ${row.variant.padEnd(48)}${[x(row.cpuSecondsPer1000Calls, kamailio.cpuSecondsPer1000Calls), x(row.userCpuSecondsPer1000Calls, kamailio.userCpuSecondsPer1000Calls), x(row.systemCpuSecondsPer1000Calls, kamailio.systemCpuSecondsPer1000Calls)].map((t) => t.padStart(7)).join('')}`);
  }
}
