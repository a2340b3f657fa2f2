/**
 * `npm run bench:floor [-- --quick]`: the floor of any SIP middle box written in Node on this
 * machine (see bench/lib/node-floor-part.ts), so that Sluice's call rate and CPU per call can be
 * set against what Node itself permits, as Kamailio's are against C: a stateless proxy doing the
 * least a proxy must, driven like the others (sipp uac-rr -> proxy -> sipp uas-rr, 2 s calls, UDP
 * on 127.0.0.1): the highest rate sustained for --confirm-seconds (default 20) with zero failed
 * calls, and the proxy's CPU seconds per 1,000 calls.
 * --quick: 5 s steps. Other options: --probe-seconds, --call-ms, --max-search-seconds, --refine,
 * --start-rate, --json FILE (also write the JSON there). Prints JSON, then one human line.
 */
import { writeFileSync } from 'node:fs';
import { arg, numericOptions } from './lib/args.js';
import type { RateOptions } from './lib/kamailio-parts.js';
import { runNodeFloor } from './lib/node-floor-part.js';
import type { SearchResult } from './lib/sipp-rate.js';

const quick = process.argv.includes('--quick');
const jsonFile = arg('--json', '');

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
const result: Record<string, unknown> = { bench: 'node-floor', quick, scenario: 'bench/scenarios/uac-rr.xml -> stateless proxy (Node) -> uas-rr.xml, UDP on 127.0.0.1' };
result.floor = await runNodeFloor(opts);
result.elapsedSeconds = Math.round((Date.now() - started) / 1_000);
const json = JSON.stringify(result, null, 2);
console.log(json);
if (jsonFile !== '') writeFileSync(jsonFile, `${json}\n`);

const p = result.floor as { skipped?: string; error?: string; rate?: SearchResult };
const b = p.rate?.best;
console.log(
  p.skipped !== undefined
    ? `node floor: skipped (${p.skipped})`
    : p.error !== undefined
      ? `node floor: error (${p.error})`
      : b === null || b === undefined
        ? `node floor: no rate confirmed (${p.rate?.note ?? 'see steps'})`
        : `node floor (stateless proxy, ${process.version}): ${b.rate} calls/s for ${b.seconds} s with zero failed calls; CPU s per 1,000 calls ${b.cpuSecondsPer1000Calls ?? '-'}`,
);
console.log(`node-floor.bench: ${String(result.elapsedSeconds)} s`);
