/**
 * `npm run bench:floor [-- --quick]`: the floors of SIP middle boxes written in Node on this
 * machine (see bench/lib/node-floor-part.ts), so that Sluice's call rate and CPU per call can be
 * set against what Node itself permits, as Kamailio's are against C: a stateless proxy doing the
 * least a proxy must, and a B2BUA doing the least a B2BUA must, driven like the others (sipp
 * uac-rr -> floor -> sipp uas-rr, 2 s calls, UDP on 127.0.0.1): the highest rate sustained for
 * --confirm-seconds (default 20) with zero failed calls, and the floor's CPU seconds per 1,000
 * calls.
 * --kind proxy|b2bua|both (default both). The B2BUA runs as in `npm run bench` (B2BUA_FLOOR_SETUP:
 * Sluice's runtime, send thread and batched reader); --runtime node|sluice and --uses LIST (b2bua-floor.ts's parts,
 * '' for none) set it otherwise. --quick: 5 s steps. Other options: --probe-seconds,
 * --call-ms, --max-search-seconds, --refine, --start-rate, --json FILE (also write the JSON
 * there). Prints JSON, then a human line per floor.
 */
import { writeFileSync } from 'node:fs';
import { arg, numericOptions } from './lib/args.js';
import type { RateOptions } from './lib/kamailio-parts.js';
import { B2BUA_FLOOR_SETUP, FLOOR_NAMES, runNodeFloor, type FloorKind, type FloorSetup } from './lib/node-floor-part.js';
import type { SearchResult } from './lib/sipp-rate.js';

const quick = process.argv.includes('--quick');
const jsonFile = arg('--json', '');
const kindArg = arg('--kind', 'both');
if (kindArg !== 'proxy' && kindArg !== 'b2bua' && kindArg !== 'both') {
  console.error('usage: node-floor.bench.ts [--kind proxy|b2bua|both] [--quick] [--json FILE] ...');
  process.exit(2);
}
const kinds: FloorKind[] = kindArg === 'both' ? ['proxy', 'b2bua'] : [kindArg];
const runtime = arg('--runtime', B2BUA_FLOOR_SETUP.runtime ?? 'node');
if (runtime !== 'node' && runtime !== 'sluice') {
  console.error('--runtime: node or sluice');
  process.exit(2);
}
const b2buaSetup: FloorSetup = { runtime, uses: arg('--uses', B2BUA_FLOOR_SETUP.uses ?? '') };

const opts: RateOptions = { quick, log: (line) => console.error(`[node-floor.bench] ${line}`) };
numericOptions(opts, [
  ['--probe-seconds', 'probeSeconds'],
  ['--confirm-seconds', 'confirmSeconds'],
  ['--call-ms', 'callLengthMs'],
  ['--max-search-seconds', 'maxSecondsPerSearch'],
  ['--refine', 'refine'],
  ['--start-rate', 'startRate'],
] as const);

const started = Date.now();
const result: Record<string, unknown> = { bench: 'node-floor', quick, scenario: 'bench/scenarios/uac-rr.xml -> floor (Node) -> uas-rr.xml, UDP on 127.0.0.1' };
for (const kind of kinds) result[kind] = await runNodeFloor(opts, kind, kind === 'b2bua' ? b2buaSetup : {});
result.elapsedSeconds = Math.round((Date.now() - started) / 1_000);
const json = JSON.stringify(result, null, 2);
console.log(json);
if (jsonFile !== '') writeFileSync(jsonFile, `${json}\n`);

for (const kind of kinds) {
  const p = result[kind] as { skipped?: string; error?: string; rate?: SearchResult };
  const b = p.rate?.best;
  const setup = kind === 'b2bua' ? `, ${b2buaSetup.runtime === 'sluice' ? "Sluice's runtime" : 'plain Node'}${b2buaSetup.uses ? ` with ${b2buaSetup.uses}` : ''}` : '';
  const name = `node floor (${FLOOR_NAMES[kind]}, ${process.version}${setup})`;
  console.log(
    p.skipped !== undefined
      ? `${name}: skipped (${p.skipped})`
      : p.error !== undefined
        ? `${name}: error (${p.error})`
        : b === null || b === undefined
          ? `${name}: no rate confirmed (${p.rate?.note ?? 'see steps'})`
          : `${name}: ${b.rate} calls/s for ${b.seconds} s with zero failed calls; CPU s per 1,000 calls ${b.cpuSecondsPer1000Calls ?? '-'}`,
  );
}
console.log(`node-floor.bench: ${String(result.elapsedSeconds)} s`);
