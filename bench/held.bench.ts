/**
 * `npm run bench:held`: the heap Sluice holds at a sustained call rate, ended calls included.
 * A call's transactions outlive it by 32 s (Timer M, L, J on UDP), so at a steady rate the heap
 * holds every call of the last ~35 s: what each keeps is what this measures. Short calls (2 s)
 * from `sipp -sn uac` through the B2BUA (media direct) to `sipp -sn uas`, with the engine in this
 * process so that the heap is read after a full collection.
 * Options: --rate N calls/s (default 1500), --seconds N (default 42: past Timer M's 32 s).
 */
import { hasBinary } from '../test/interop/harness/prereq.js';
import { freePort, runSipp, startSipp } from '../test/interop/harness/sipp.js';
import { arg } from './lib/args.js';
import { heapAfterGc } from './lib/heap.js';
import { startInProcessSluice } from './lib/in-process-sluice.js';

const rate = Number(arg('--rate', '1500'));
const seconds = Number(arg('--seconds', '42'));
/** Calls whose state a steady run holds: those of the last Timer M (32 s), their 2 s, and a margin. */
const HELD_SECONDS = 35;

if (!hasBinary('sipp')) {
  console.log(JSON.stringify({ bench: 'held', skipped: 'sipp not installed (apt-get install sip-tester)' }));
  process.exit(0);
}

const trunk = await freePort('udp');
const sluice = await startInProcessSluice(trunk);
const inside = sluice.inside;
const uas = await startSipp({ args: ['-sn', 'uas', '-p', String(trunk)], timeoutMs: (seconds + 120) * 1_000 });
try {
  const before = heapAfterGc();
  const run = runSipp({
    args: ['-sn', 'uac', `127.0.0.1:${inside}`, '-r', String(rate), '-m', String(rate * seconds), '-d', '2000', '-l', String(rate * 10)],
    timeoutMs: (seconds + 60) * 1_000,
  });
  // Read while calls still arrive at the full rate: three seconds before the last is placed.
  await new Promise((r) => setTimeout(r, (seconds - 3) * 1_000));
  const held = heapAfterGc() - before;
  const r = await run;
  const calls = rate * Math.min(HELD_SECONDS, seconds - 3);
  const result = {
    bench: 'held',
    node: process.version,
    rate,
    seconds,
    successful: r.successful,
    failed: r.failed,
    heapHeldMb: Math.round(held / 1e5) / 10,
    kbPerCallHeld: Math.round((held / calls / 1024) * 100) / 100,
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(`${rate} calls/s for ${seconds} s: ${result.heapHeldMb} MB of heap held, ${result.kbPerCallHeld} KB per call of the last ${HELD_SECONDS} s (${r.successful} calls, ${r.failed} failed)`);
} finally {
  await uas.stop(1_000);
  await sluice.stop();
}
