/**
 * `npm run bench:held`: the heap Sluice holds at a sustained call rate, ended calls included.
 * A call's transactions outlive it by 32 s (Timer M, L, J on UDP), so at a steady rate the heap
 * holds every call of the last ~35 s: what each keeps is what this measures. Short calls (2 s)
 * from `sipp -sn uac` through the B2BUA (media direct) to `sipp -sn uas`, with the engine in this
 * process so that the heap is read after a full collection.
 * Options: --rate N calls/s (default 1500), --seconds N (default 42: past Timer M's 32 s).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSluice } from '../src/cli/start.js';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/observability/logger.js';
import { hasBinary } from '../test/interop/harness/prereq.js';
import { freePort, runSipp, startSipp } from '../test/interop/harness/sipp.js';
import { arg } from './lib/args.js';
import { heapAfterGc } from './lib/heap.js';

const rate = Number(arg('--rate', '1500'));
const seconds = Number(arg('--seconds', '42'));
/** Calls whose state a steady run holds: those of the last Timer M (32 s), their 2 s, and a margin. */
const HELD_SECONDS = 35;

if (!hasBinary('sipp')) {
  console.log(JSON.stringify({ bench: 'held', skipped: 'sipp not installed (apt-get install sip-tester)' }));
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-held-'));
const [trunk, inside, outside] = [await freePort('udp'), await freePort('udp'), await freePort('udp')];
mkdirSync(join(dir, 'dialplan'));
writeFileSync(join(dir, 'dialplan', 'trunk.yaml'), `trunks:\n  - { name: bench, realm: outside, host: 127.0.0.1, port: ${trunk}, transport: udp }\nrules:\n  - { name: out, match: { realm: inside }, trunk: bench, media: direct }\n`);
writeFileSync(
  join(dir, 'sluice.yaml'),
  `log: { level: warn }\nrealms:\n` +
    `  inside:\n    listen: [{ transport: udp, address: 127.0.0.1, port: ${inside} }]\n    media: { address: 127.0.0.1, portMin: 10000, portMax: 21000 }\n` +
    `  outside:\n    listen: [{ transport: udp, address: 127.0.0.1, port: ${outside} }]\n    media: { address: 127.0.0.1, portMin: 21000, portMax: 32000 }\n` +
    `dialplan: ${join(dir, 'dialplan')}\ncalls: { mediaTimeoutSeconds: 0 }\nmedia: { workers: 0 }\n`,
);
const engine = await startSluice(loadConfig(join(dir, 'sluice.yaml')), createLogger({ level: 'warn' }));
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
  await engine.stop();
  rmSync(dir, { recursive: true, force: true });
}
