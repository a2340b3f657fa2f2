/**
 * `node --import tsx bench/kamailio.bench.ts [--quick]`: the Kamailio side of the comparison
 * with Sluice (see bench/lib/kamailio-parts.ts), UDP on 127.0.0.1:
 * 1. sipp uac straight to sipp uas: the generator's own ceiling;
 * 2. Kamailio plain and 3. Kamailio with topos over its own Redis: the highest call rate
 *    sustained for --confirm-seconds (default 20) with zero failed calls, and the CPU seconds
 *    per 1,000 calls of Kamailio (all its processes; Redis apart);
 * 4. --calls (default 10,000) established calls held by Kamailio plain: memory per call.
 * --quick: 5 s steps, 2,000 held calls. Other options: --probe-seconds, --call-ms,
 * --max-search-seconds, --refine, --children, --parts ceiling,plain,topos,concurrency.
 * Prints JSON, then one human line per part. A part that cannot run says why; the rest runs.
 */
import { arg, numericOptions } from './lib/args.js';
import { runKamailioParts, runSippCeiling, type KamailioPartsOptions } from './lib/kamailio-parts.js';
import type { SearchResult } from './lib/sipp-rate.js';

const quick = process.argv.includes('--quick');
const parts = arg('--parts', 'ceiling,plain,topos,concurrency').split(',');

const opts: KamailioPartsOptions = {
  quick,
  log: (line) => console.error(`[kamailio.bench] ${line}`),
  parts: parts.filter((p): p is 'plain' | 'topos' | 'concurrency' => p === 'plain' || p === 'topos' || p === 'concurrency'),
};
numericOptions(opts, [
  ['--probe-seconds', 'probeSeconds'],
  ['--confirm-seconds', 'confirmSeconds'],
  ['--call-ms', 'callLengthMs'],
  ['--max-search-seconds', 'maxSecondsPerSearch'],
  ['--children', 'children'],
  ['--calls', 'concurrentCalls'],
  ['--concurrency-rate', 'concurrencyRate'],
  ['--hold-ms', 'holdMs'],
  ['--refine', 'refine'],
] as const);

const started = Date.now();
const result: Record<string, unknown> = { bench: 'kamailio', quick };
if (parts.includes('ceiling')) result.ceiling = await runSippCeiling(opts);
Object.assign(result, await runKamailioParts(opts));
result.elapsedSeconds = Math.round((Date.now() - started) / 1_000);
console.log(JSON.stringify(result, null, 2));

function rateLine(name: string, part: unknown): string {
  const p = (part ?? {}) as { skipped?: string; error?: string; rate?: SearchResult };
  if (p.skipped !== undefined) return `${name}: skipped (${p.skipped})`;
  if (p.error !== undefined) return `${name}: error (${p.error})`;
  const b = p.rate?.best;
  if (b === null || b === undefined) return `${name}: no rate confirmed (${p.rate?.note ?? 'see steps'})`;
  const others = Object.entries(b.otherCpuSecondsPer1000Calls).map(([k, v]) => `, ${k} ${v}`).join('');
  return `${name}: ${b.rate} calls/s for ${b.seconds} s with zero failed calls; CPU s per 1,000 calls ${b.cpuSecondsPer1000Calls ?? '-'}${others}`;
}

if (parts.includes('ceiling')) console.log(rateLine('sipp->sipp', result.ceiling));
if (parts.includes('plain')) console.log(rateLine('kamailio plain', result.plain));
if (parts.includes('topos')) console.log(rateLine('kamailio topos+redis', result.topos));
if (parts.includes('concurrency')) {
  const c = (result.concurrency ?? {}) as Record<string, unknown>;
  console.log(
    c.skipped !== undefined || c.error !== undefined
      ? `kamailio concurrency: ${c.skipped !== undefined ? `skipped (${String(c.skipped)})` : `error (${String(c.error)})`}`
      : `kamailio concurrency: ${String(c.established)}/${String(c.calls)} calls established; ${String(c.kbPerCallPss)} KB PSS per call, ${String(c.shmKbPerCall)} KB shm per call`,
  );
}
console.log(`kamailio.bench: ${String(result.elapsedSeconds)} s`);
