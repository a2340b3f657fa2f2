/**
 * `npm run bench:calls`: calls through Sluice (B2BUA, media anchored) from `sipp -sn uac` in the
 * inside realm to `sipp -sn uas` behind a trunk in the outside realm, UDP on loopback.
 * 1. The highest call rate sustained for --seconds (default 20) with zero failed calls.
 * 2. Concurrency: long calls (--hold-seconds, default 75) placed at --concurrency-rate (default
 *    100/s) for --seconds; RSS growth per established call, read once every call is up and the
 *    INVITE transactions of all of them have ended (32 s after the last answer), so what is
 *    measured is the established call, not its setup.
 * Prints JSON and a human line. Needs sipp and a built dist/ (the npm script builds it).
 */
import { hasBinary } from '../test/interop/harness/prereq.js';
import { freePort, runSipp, startSipp } from '../test/interop/harness/sipp.js';
import { findMaxRate } from './lib/sipp-rate.js';
import { arg } from './lib/args.js';
import { memoryKb } from './lib/proc.js';
import { startSluice, type SluiceUnderTest } from './lib/sluice.js';

const seconds = Number(arg('--seconds', '20'));
const rates = arg('--rates', '100,250,500,750,1000,1500,2000,2500,3000').split(',').map(Number);
const holdSeconds = Number(arg('--hold-seconds', '75'));
const concurrencyRate = Number(arg('--concurrency-rate', '100'));

if (!hasBinary('sipp')) {
  console.log(JSON.stringify({ bench: 'calls', skipped: 'sipp not installed (apt-get install sip-tester)' }));
  process.exit(0);
}

const inside = await freePort('udp');
const outside = await freePort('udp');
const trunk = await freePort('udp');
const start = (): Promise<SluiceUnderTest> => startSluice({ inside, outside, trunk, media: 'anchor' });
const rssKb = (pid: number): number => memoryKb([pid]).rssKb;

const uas = await startSipp({ args: ['-sn', 'uas', '-p', String(trunk)], timeoutMs: (rates.length * (seconds + 40) + seconds + holdSeconds + 120) * 1000 });
const result: Record<string, unknown> = { bench: 'calls', node: process.version, transport: 'UDP', media: 'anchored', secondsPerStep: seconds };
try {
  let sluice = await start();
  const rate = await findMaxRate({ target: { host: '127.0.0.1', port: inside, transport: 'udp' }, pid: sluice.pid, rates, seconds, callLengthMs: 100 });
  result.rate = rate;
  await sluice.stop();

  // Concurrency on a fresh process: RSS before, and at the peak of established calls.
  sluice = await start();
  await new Promise((r) => setTimeout(r, 1000));
  const before = rssKb(sluice.pid);
  const total = concurrencyRate * seconds;
  const run = runSipp({ args: ['-sn', 'uac', `127.0.0.1:${inside}`, '-r', String(concurrencyRate), '-m', String(total), '-d', String(holdSeconds * 1000), '-l', String(total)], timeoutMs: (seconds + holdSeconds + 60) * 1000 });
  // Every call placed (seconds) and its transactions over (Timer L/M: 32 s), while all still last.
  const settle = Math.min(seconds + 35, Math.max(seconds + 2, holdSeconds - 5));
  await new Promise((r) => setTimeout(r, settle * 1000));
  const peak = rssKb(sluice.pid);
  const done = await run;
  await sluice.stop();
  result.concurrency = { calls: total, holdSeconds, measuredAtSeconds: settle, rssBeforeKb: before, rssPeakKb: peak, kbPerCall: Math.round(((peak - before) / total) * 10) / 10, successful: done.successful, failed: done.failed };
} finally {
  await uas.stop(2000);
}
console.log(JSON.stringify(result, null, 2));
const r = result.rate as Awaited<ReturnType<typeof findMaxRate>>;
const c = result.concurrency as { calls: number; kbPerCall: number; successful: number };
console.log(
  `calls: ${r.best?.rate ?? 0} calls/s sustained for ${seconds} s with zero failed calls (CPU ${r.best?.cpuSeconds ?? '-'} s); ` +
    `${c.calls} concurrent calls (${c.successful} completed): ${c.kbPerCall} KB RSS per call`,
);
