/**
 * `npm run bench:at-rate`: Sluice (B2BUA, media direct) at one fixed call rate, with the calls of
 * `npm run bench`'s signalling part (sipp uac-rr -> Sluice -> sipp uas-rr, 2 s calls, UDP
 * loopback): CPU seconds per 1,000 calls (every thread of the Sluice process), sipp's
 * retransmissions and failed calls. The rate search of `npm run bench` moves in rungs of x1.5,
 * so a change of a fifth in CPU per call can leave its figure where it was; at a fixed rate near
 * the limit the change shows in CPU and in retransmissions. Each run starts a fresh Sluice.
 * Options: --rate N (default 3000), --seconds N (default 15), --runs N (default 1),
 * --node-flags "..." (extra node flags for Sluice, e.g. "--max-semi-space-size=64").
 * Needs sipp and a built dist/ (the npm script builds it).
 */
import { hasBinary } from '../test/interop/harness/prereq.js';
import { freePort, runSipp, startSipp } from '../test/interop/harness/sipp.js';
import { arg } from './lib/args.js';
import { SIPP_BUFFER_ARGS, UAC_RR, UAS_RR } from './lib/kamailio-parts.js';
import { cpuSecondsOf } from './lib/proc.js';
import { startSluice } from './lib/sluice.js';

const rate = Number(arg('--rate', '3000'));
const seconds = Number(arg('--seconds', '15'));
const runs = Number(arg('--runs', '1'));
const nodeFlags = arg('--node-flags', '').split(' ').filter((f) => f !== '');

if (!(rate > 0 && rate <= 20_000 && seconds > 0 && seconds <= 120 && Number.isInteger(runs) && runs >= 1 && runs <= 10)) {
  console.error('usage: at-rate.bench.ts [--rate 1..20000] [--seconds 1..120] [--runs 1..10] [--node-flags "..."]');
  process.exit(2);
}
if (!hasBinary('sipp')) {
  console.log(JSON.stringify({ bench: 'at-rate', skipped: 'sipp not installed (apt-get install sip-tester)' }));
  process.exit(0);
}

interface Run {
  successful: number;
  failed: number;
  retransmissions: number;
  cpuSecondsPer1000Calls: number;
}

async function once(): Promise<Run> {
  const trunk = await freePort('udp');
  const uas = await startSipp({ args: ['-sf', UAS_RR, '-p', String(trunk), ...SIPP_BUFFER_ARGS], timeoutMs: (seconds + 120) * 1_000 });
  const sluice = await startSluice({ inside: await freePort('udp'), outside: await freePort('udp'), trunk, media: 'direct', nodeArgs: nodeFlags });
  try {
    const before = cpuSecondsOf(sluice.pid);
    const r = await runSipp({
      args: ['-sf', UAC_RR, `127.0.0.1:${sluice.inside}`, ...SIPP_BUFFER_ARGS, '-r', String(rate), '-m', String(rate * seconds), '-d', '2000', '-l', String(rate * 10)],
      timeoutMs: (seconds + 60) * 1_000,
    });
    const cpu = cpuSecondsOf(sluice.pid) - before;
    return { successful: r.successful, failed: r.failed, retransmissions: r.retransmissions, cpuSecondsPer1000Calls: Math.round((cpu / (rate * seconds)) * 1e6) / 1e3 };
  } finally {
    await uas.stop(1_000);
    await sluice.stop();
  }
}

const results: Run[] = [];
for (let i = 0; i < runs; i++) results.push(await once());
console.log(JSON.stringify({ bench: 'at-rate', node: process.version, rate, seconds, nodeFlags, runs: results }, null, 2));
for (const r of results) {
  console.log(
    `Sluice at ${rate} calls/s for ${seconds} s: ${r.cpuSecondsPer1000Calls} CPU s per 1,000 calls, ` +
      `${r.retransmissions} retransmissions, ${r.successful} calls, ${r.failed} failed`,
  );
}
