/**
 * `npm run bench:ab -- --base DIR`: Sluice's CPU per call in two builds, the base (DIR, a build's
 * output directory inside the project, e.g. made by `npx tsc -p tsconfig.build.json --outDir
 * dist.base` before a change) and the current dist/, at one call rate each, both taking their
 * calls at the same time (bench/lib/paired-rate.ts: both processes up throughout, warmed up, the
 * ratio taken per round and its median reported). On a host whose speed drifts, separate runs of
 * `bench:at-rate` differ by more than most changes do; two builds measured over the same seconds
 * see the same host. Two copies of one build: 0.98-1.03x per round at 600 calls/s each. In turn
 * (--in-turn, the `paired` part's way), one change worth at most 3% read 0.92x in one run and
 * 1.05x in the next (rounds 0.82-1.13). 100 more objects kept per call read 1.06x.
 * The directory must sit inside the project so that its imports find node_modules.
 * Options: --base DIR (required), --rate N per build (default 600: both builds and their sipp
 * processes share the cores), --seconds N (default 10), --rounds N (default 5), --in-turn,
 * --base-flags "..." (node flags for the base only, after the launcher's: a change to
 * scripts/sluice-node.sh is measured with the base given back the flags it had, e.g.
 * "--allocation-site-pretenuring"), --base-sip JSON (the base's `sip` configuration section: with
 * --base dist, one build against itself with a setting changed, e.g. '{"udpBatchReceive":false}').
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasBinary } from '../test/interop/harness/prereq.js';
import { arg } from './lib/args.js';
import { sluiceContender } from './lib/paired-part.js';
import { runPaired } from './lib/paired-rate.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const base = arg('--base', '');
const rate = Number(arg('--rate', '600'));
const seconds = Number(arg('--seconds', '10'));
const rounds = Number(arg('--rounds', '5'));
const baseFlags = arg('--base-flags', '').split(' ').filter((f) => f !== '');
const baseSipText = arg('--base-sip', '');
let baseSip: Record<string, unknown> | undefined;
try {
  baseSip = baseSipText === '' ? undefined : (JSON.parse(baseSipText) as Record<string, unknown>);
} catch {
  console.error(`--base-sip: not JSON: ${baseSipText}`);
  process.exit(2);
}

const baseEntry = base === '' ? '' : relative(root, join(resolve(base), 'cli', 'main.js'));
if (base === '' || baseEntry.startsWith('..') || !existsSync(join(root, baseEntry))) {
  console.error('usage: ab.bench.ts --base DIR [--rate N] [--seconds N] [--rounds N] [--in-turn]: DIR is a build output inside the project, with cli/main.js');
  process.exit(2);
}
if (!(rate > 0 && rate <= 10_000 && seconds > 0 && seconds <= 60 && Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) {
  console.error('usage: --rate 1..10000, --seconds 1..60, --rounds 1..20');
  process.exit(2);
}
if (!hasBinary('sipp')) {
  console.log(JSON.stringify({ bench: 'ab', skipped: 'sipp not installed (apt-get install sip-tester)' }));
  process.exit(0);
}

const result = await runPaired({
  contenders: [sluiceContender('base', baseEntry, baseFlags, baseSip), sluiceContender('current')],
  rate,
  seconds,
  rounds,
  warmUpSeconds: 4,
  simultaneous: !process.argv.includes('--in-turn'),
  log: (line) => process.stderr.write(`${line}\n`),
});
console.log(JSON.stringify({ bench: 'ab', base: baseEntry, baseFlags, baseSip, node: process.version, ...result }, null, 2));
console.log(
  `current / base at ${rate} calls/s: ${result.ratio ?? '-'}x CPU per call (rounds: ${result.roundRatios.map((r) => r ?? '-').join(', ')}); ` +
    `medians: base ${result.medians.base ?? '-'}, current ${result.medians.current ?? '-'} CPU s per 1,000 calls`,
);
