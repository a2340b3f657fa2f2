/**
 * `npm run bench:alloc`: the bytes Sluice allocates per call, and the bytes per call that outlive
 * the young generation (promoted). At 1,000 calls/s, collection on the main thread took about 15%
 * of its busy time (--single-threaded-gc with --cpu-prof, 15 s from a fresh start) and V8's helper
 * threads about 13% of a warm process's CPU (collection and compilation; ~27% in a cold process's
 * first seconds). Unlike CPU time on a shared 2-core machine, these figures hardly move from run
 * to run, so a change to what a call keeps shows here even when CPU per call cannot tell it from
 * the noise. Fewer promoted bytes are not less CPU by themselves:
 * with the store's copies left out (4,000 calls/s: 28.0-29.3 -> 25.0 KB promoted per call) the
 * scavenger's time per 1,000 calls did not fall (59-60 -> 64.6 ms) nor did CPU per call (three
 * pairs at 3,000 calls/s), and with no young generation at all CPU per call stayed the same
 * (bench/lib/sluice.ts). Calls of 2 s from `sipp -sn uac` through the B2BUA (media direct)
 * to `sipp -sn uas`, the engine in this process, sampled with V8's sampling heap profiler; each
 * site is the innermost function of Sluice's own code on the allocating stack. "Promoted" here is
 * what the profiler saw collected by a full collection or still alive, which takes in the young
 * objects that were garbage when a full collection ran: it overstates V8's own count (19.5 KB per
 * call where --trace-gc-nvp said 12-13 in session 26). For that count, with the process as
 * `npm start` runs it, see `npm run bench:at-rate -- --gc`; the sites here still say where.
 * Options: --rate N calls/s (default 2000), --seconds N per pass (default 8), --top N sites (default 12).
 */
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { hasBinary } from '../test/interop/harness/prereq.js';
import { freePort, runSipp, startSipp } from '../test/interop/harness/sipp.js';
import { arg } from './lib/args.js';
import { bytesBySite, type SamplingNode } from './lib/heap-sampling.js';
import { startInProcessSluice } from './lib/in-process-sluice.js';

const rate = Number(arg('--rate', '2000'));
const seconds = Number(arg('--seconds', '8'));
const top = Number(arg('--top', '12'));
/** A sample per 4 KB allocated on average: thousands of samples per second at these rates. */
const SAMPLING_INTERVAL = 4096;
const WARM_UP_SECONDS = 3;

if (!hasBinary('sipp')) {
  console.log(JSON.stringify({ bench: 'alloc', skipped: 'sipp not installed (apt-get install sip-tester)' }));
  process.exit(0);
}

const trunk = await freePort('udp');
const sluice = await startInProcessSluice(trunk);
const uas = await startSipp({ args: ['-sn', 'uas', '-p', String(trunk)], timeoutMs: (3 * seconds + WARM_UP_SECONDS + 180) * 1_000 });
const inspector = new Session();
inspector.connect();

const calls = (n: number) =>
  runSipp({
    args: ['-sn', 'uac', `127.0.0.1:${sluice.inside}`, '-r', String(rate), '-m', String(n), '-d', '2000', '-l', String(rate * 10)],
    timeoutMs: (n / rate + 60) * 1_000,
  });

/** One pass of rate x seconds calls under the sampling profiler; `young` also counts what died young. */
async function pass(young: boolean) {
  await inspector.post('HeapProfiler.startSampling', {
    samplingInterval: SAMPLING_INTERVAL,
    includeObjectsCollectedByMinorGC: young,
    includeObjectsCollectedByMajorGC: true,
  });
  const pauses = { scavenges: 0, scavengeMs: 0, majors: 0, majorMs: 0 };
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        pauses.scavenges++;
        pauses.scavengeMs += e.duration;
      } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        pauses.majors++;
        pauses.majorMs += e.duration;
      }
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  const r = await calls(rate * seconds);
  gc.disconnect();
  const { profile } = await inspector.post('HeapProfiler.stopSampling');
  return { r, pauses, ...bytesBySite(profile.head as SamplingNode) };
}

const kb = (bytes: number, n: number) => Math.round((bytes / n / 1024) * 100) / 100;
try {
  await calls(rate * WARM_UP_SECONDS);
  const promoted = await pass(false);
  const allocated = await pass(true);
  const n = promoted.r.successful;
  const m = allocated.r.successful;
  const sites = (p: typeof promoted, count: number) => p.sites.slice(0, top).map((s) => ({ site: s.site, kbPerCall: kb(s.bytes, count) }));
  const result = {
    bench: 'alloc',
    node: process.version,
    rate,
    seconds,
    calls: n + m,
    failed: promoted.r.failed + allocated.r.failed,
    allocatedKbPerCall: kb(allocated.total, m),
    promotedKbPerCall: kb(promoted.total, n),
    scavengesPer1000Calls: Math.round((promoted.pauses.scavenges / n) * 1000 * 10) / 10,
    scavengeMsPer1000Calls: Math.round((promoted.pauses.scavengeMs / n) * 1000 * 10) / 10,
    majorGcMsPer1000Calls: Math.round((promoted.pauses.majorMs / n) * 1000 * 10) / 10,
    topPromoted: sites(promoted, n),
    topAllocated: sites(allocated, m),
  };
  console.log(JSON.stringify(result, null, 2));
  const lines = (list: { site: string; kbPerCall: number }[]) => list.map((s) => `  ${s.kbPerCall.toFixed(2).padStart(6)} KB  ${s.site}`).join('\n');
  console.log(`promoted per call, by site:\n${lines(result.topPromoted)}\nallocated per call, by site:\n${lines(result.topAllocated)}`);
  console.log(
    `${rate} calls/s, ${n + m} calls (${result.failed} failed): ${result.allocatedKbPerCall} KB allocated and ${result.promotedKbPerCall} KB promoted per call; ` +
      `${result.scavengesPer1000Calls} scavenges per 1,000 calls, ${result.scavengeMsPer1000Calls} ms of them on the main thread (major GC ${result.majorGcMsPer1000Calls} ms)`,
  );
} finally {
  inspector.disconnect();
  await uas.stop(1_000);
  await sluice.stop();
}
