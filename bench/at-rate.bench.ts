/**
 * `npm run bench:at-rate`: Sluice (B2BUA, media direct) at one fixed call rate, with the calls of
 * `npm run bench`'s signalling part (sipp uac-rr -> Sluice -> sipp uas-rr, 2 s calls, UDP
 * loopback): CPU seconds per 1,000 calls (every thread of the Sluice process), sipp's
 * retransmissions and failed calls. The rate search of `npm run bench` moves in rungs of x1.5,
 * so a change of a fifth in CPU per call can leave its figure where it was; at a fixed rate near
 * the limit the change shows in CPU and in retransmissions. Each run starts a fresh Sluice.
 * It also prints what the load generator (both sipp processes) spent per 1,000 calls: on a
 * small machine they share the cores with Sluice, so that is CPU Sluice cannot have.
 * With --instances N, N Sluice processes (each with its own sipp uac at rate/N, one shared sipp
 * uas) take the calls side by side: the most a second core could add if calls were spread over
 * processes, with no cost for spreading them.
 * Options: --rate N (default 3000), --seconds N (default 15), --runs N (default 1),
 * --instances N (default 1), --node-flags "..." (extra node flags for Sluice, e.g.
 * "--max-semi-space-size=64").
 * Needs sipp and a built dist/ (the npm script builds it).
 */
import { hasBinary } from '../test/interop/harness/prereq.js';
import { freePort, startSipp, type SippServer } from '../test/interop/harness/sipp.js';
import { arg } from './lib/args.js';
import { SIPP_BUFFER_ARGS, UAC_RR, UAS_RR } from './lib/kamailio-parts.js';
import { cpuSecondsOf } from './lib/proc.js';
import { startSluice, type SluiceUnderTest } from './lib/sluice.js';

const rate = Number(arg('--rate', '3000'));
const seconds = Number(arg('--seconds', '15'));
const runs = Number(arg('--runs', '1'));
const instances = Number(arg('--instances', '1'));
const nodeFlags = arg('--node-flags', '').split(' ').filter((f) => f !== '');

if (!(rate > 0 && rate <= 20_000 && seconds > 0 && seconds <= 120 && Number.isInteger(runs) && runs >= 1 && runs <= 10 && Number.isInteger(instances) && instances >= 1 && instances <= 4)) {
  console.error('usage: at-rate.bench.ts [--rate 1..20000] [--seconds 1..120] [--runs 1..10] [--instances 1..4] [--node-flags "..."]');
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
  /** Every Sluice process together. */
  cpuSecondsPer1000Calls: number;
  /** Each Sluice process, per 1,000 of the calls it took. */
  perInstance: number[];
  /** Both sipp processes (uac and uas) together: CPU the machine gives the generator. */
  generatorCpuSecondsPer1000Calls: number;
}

const per1000 = (cpu: number, calls: number): number => Math.round((cpu / calls) * 1e6) / 1e3;

/**
 * CPU seconds a process used since `from`, read every 250 ms: a sipp uac exits when its calls
 * are done, and /proc forgets it then, so the last reading before its exit stands for it.
 */
function cpuWatch(pid: number): { read(): number; stop(): void } {
  const from = cpuSecondsOf(pid);
  let last = from;
  const timer = setInterval(() => {
    try {
      last = cpuSecondsOf(pid);
    } catch {
      clearInterval(timer);
    }
  }, 250);
  return {
    read: () => last - from,
    stop: () => clearInterval(timer),
  };
}

async function once(): Promise<Run> {
  const trunk = await freePort('udp');
  const share = rate / instances;
  const uas = await startSipp({ args: ['-sf', UAS_RR, '-p', String(trunk), ...SIPP_BUFFER_ARGS], timeoutMs: (seconds + 120) * 1_000 });
  const sluices: SluiceUnderTest[] = [];
  const uacs: SippServer[] = [];
  try {
    for (let i = 0; i < instances; i++) sluices.push(await startSluice({ inside: await freePort('udp'), outside: await freePort('udp'), trunk, media: 'direct', nodeArgs: nodeFlags }));
    const before = sluices.map((s) => cpuSecondsOf(s.pid));
    const uasCpu = cpuWatch(uas.pid);
    for (const s of sluices) {
      uacs.push(
        await startSipp({
          args: ['-sf', UAC_RR, `127.0.0.1:${s.inside}`, ...SIPP_BUFFER_ARGS, '-r', String(share), '-m', String(Math.round(share * seconds)), '-d', '2000', '-l', String(Math.round(share * 10))],
          timeoutMs: (seconds + 60) * 1_000,
        }),
      );
    }
    const uacCpu = uacs.map((u) => cpuWatch(u.pid));
    const results = await Promise.all(uacs.map((u) => u.done));
    const cpu = sluices.map((s, i) => cpuSecondsOf(s.pid) - before[i]!);
    uasCpu.stop();
    for (const w of uacCpu) w.stop();
    const calls = Math.round(share * seconds);
    const generator = uasCpu.read() + uacCpu.reduce((sum, w) => sum + w.read(), 0);
    return {
      successful: results.reduce((n, r) => n + r.successful, 0),
      failed: results.reduce((n, r) => n + r.failed, 0),
      retransmissions: results.reduce((n, r) => n + r.retransmissions, 0),
      cpuSecondsPer1000Calls: per1000(cpu.reduce((a, b) => a + b, 0), calls * instances),
      perInstance: cpu.map((c) => per1000(c, calls)),
      generatorCpuSecondsPer1000Calls: per1000(generator, calls * instances),
    };
  } finally {
    for (const u of uacs) await u.stop(1_000);
    await uas.stop(1_000);
    for (const s of sluices) await s.stop();
  }
}

const results: Run[] = [];
for (let i = 0; i < runs; i++) results.push(await once());
console.log(JSON.stringify({ bench: 'at-rate', node: process.version, rate, seconds, instances, nodeFlags, runs: results }, null, 2));
for (const r of results) {
  const split = instances > 1 ? ` (${instances} processes: ${r.perInstance.join(', ')})` : '';
  console.log(
    `Sluice at ${rate} calls/s for ${seconds} s: ${r.cpuSecondsPer1000Calls} CPU s per 1,000 calls${split}, ` +
      `${r.retransmissions} retransmissions, ${r.successful} calls, ${r.failed} failed; sipp used ${r.generatorCpuSecondsPer1000Calls} per 1,000 calls`,
  );
}
