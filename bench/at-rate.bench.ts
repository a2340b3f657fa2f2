/**
 * `npm run bench:at-rate`: Sluice (B2BUA, media direct) at one fixed call rate, with the calls of
 * `npm run bench`'s signalling part (sipp uac-rr -> Sluice -> sipp uas-rr, 2 s calls, UDP
 * loopback): CPU seconds per 1,000 calls (every thread of the Sluice process), sipp's
 * retransmissions and failed calls. The rate search of `npm run bench` moves in rungs of x1.5,
 * so a change of a fifth in CPU per call can leave its figure where it was; at a fixed rate near
 * the limit the change shows in CPU and in retransmissions. Each run starts a fresh Sluice and
 * places 3 s of the same calls through it before measuring (--warm-up N seconds; 0 for none), so
 * that the figure is not of V8 compiling the hot paths.
 * It also prints what the load generator (both sipp processes) spent per 1,000 calls: on a
 * small machine they share the cores with Sluice, so that is CPU Sluice cannot have.
 * With --instances N, N Sluice processes (each with its own sipp uac at rate/N, one shared sipp
 * uas) take the calls side by side: the most a second core could add if calls were spread over
 * processes, with no cost for spreading them.
 * Options: --rate N (default 3000), --seconds N (default 15), --runs N (default 1),
 * --instances N (default 1), --warm-up N (default 3), --node-flags "..." (extra node flags for
 * Sluice, after npm start's, which they override: "--max-semi-space-size=16" measures V8's default
 * young generation), --sip JSON (the configuration's sip section, e.g. '{"udpSendThread":false}'),
 * --cdrs (Sluice writes a CDR per call to a file, as an operator's would; by default it writes none),
 * --call-ms N (length of each call, default 2000: the benchmark's), --gc (V8's --trace-gc-nvp read
 * back: the bytes per call its young collections promoted to the old generation, and their count
 * and main-thread pause per 1,000 calls; a call that ends before the next young collection should
 * promote only what outlives it, the 64*T1 of its transactions), --media anchor (Sluice anchors
 * each call's media in its relay, as its default configuration does; sipp sends no RTP, so this
 * measures the streams' setup and teardown, not forwarding; default direct, the benchmark's).
 * Besides all of Sluice's CPU it prints its main thread's alone: one process's call rate ends
 * where that reaches a core.
 * Needs sipp and a built dist/ (the npm script builds it).
 */
import { hasBinary } from '../test/interop/harness/prereq.js';
import { arg } from './lib/args.js';
import { runAtFixedRate, sluiceBox, type FixedRateRun, type MiddleBox } from './lib/fixed-rate.js';
import { GcTrace, type GcFigures } from './lib/gc-trace.js';

const rate = Number(arg('--rate', '3000'));
const seconds = Number(arg('--seconds', '15'));
const runs = Number(arg('--runs', '1'));
const instances = Number(arg('--instances', '1'));
const warmUpSeconds = Number(arg('--warm-up', '3'));
const nodeFlags = arg('--node-flags', '').split(' ').filter((f) => f !== '');
const sipJson = arg('--sip', '');
const cdrs = process.argv.includes('--cdrs');
const callMs = Number(arg('--call-ms', '2000'));
const gc = process.argv.includes('--gc');
const media = arg('--media', 'direct') === 'anchor' ? 'anchor' : 'direct';
let sip: Record<string, unknown> | undefined;
try {
  sip = sipJson === '' ? undefined : (JSON.parse(sipJson) as Record<string, unknown>);
} catch {
  console.error(`--sip takes the configuration's sip section as JSON, e.g. '{"udpSendThread":false}' (got ${sipJson})`);
  process.exit(2);
}

if (!(rate > 0 && rate <= 20_000 && seconds > 0 && seconds <= 120 && callMs >= 0 && callMs <= 60_000 && Number.isInteger(runs) && runs >= 1 && runs <= 10 && Number.isInteger(instances) && instances >= 1 && instances <= 4 && warmUpSeconds >= 0 && warmUpSeconds <= 30)) {
  console.error('usage: at-rate.bench.ts [--rate 1..20000] [--seconds 1..120] [--runs 1..10] [--instances 1..4] [--warm-up 0..30] [--node-flags "..."] [--sip JSON] [--cdrs] [--call-ms 0..60000] [--gc] [--media anchor|direct]');
  process.exit(2);
}
if (!hasBinary('sipp')) {
  console.log(JSON.stringify({ bench: 'at-rate', skipped: 'sipp not installed (apt-get install sip-tester)' }));
  process.exit(0);
}

interface Run extends FixedRateRun {
  gc?: GcFigures & { promotedKbPerCall: number; scavengesPer1000Calls: number; scavengePauseMsPer1000Calls: number };
}

const once = async (): Promise<Run> => {
  const traces: GcTrace[] = [];
  const start = (trunk: number): Promise<MiddleBox> => {
    if (!gc) return sluiceBox(nodeFlags, sip, cdrs, undefined, media)(trunk);
    const trace = new GcTrace();
    traces.push(trace);
    return sluiceBox([...nodeFlags, '--trace-gc-nvp'], sip, cdrs, trace.write, media)(trunk);
  };
  const r: Run = await runAtFixedRate({
    rate,
    seconds,
    boxes: instances,
    warmUpSeconds,
    callMs,
    start,
    onMeasure: async () => {
      for (const t of traces) t.reset();
    },
  });
  if (gc && r.successful > 0) {
    const f = traces.map((t) => t.read()).reduce((a, b) => ({
      scavenges: a.scavenges + b.scavenges,
      fullCollections: a.fullCollections + b.fullCollections,
      promotedBytes: a.promotedBytes + b.promotedBytes,
      scavengePauseMs: a.scavengePauseMs + b.scavengePauseMs,
      fullPauseMs: a.fullPauseMs + b.fullPauseMs,
    }));
    const per1000 = 1000 / r.successful;
    r.gc = { ...f, promotedKbPerCall: round(f.promotedBytes / r.successful / 1024, 2), scavengesPer1000Calls: round(f.scavenges * per1000, 1), scavengePauseMsPer1000Calls: round(f.scavengePauseMs * per1000, 1) };
  }
  return r;
};
const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

const results: Run[] = [];
for (let i = 0; i < runs; i++) results.push(await once());
console.log(JSON.stringify({ bench: 'at-rate', node: process.version, rate, seconds, callMs, media, instances, nodeFlags, runs: results }, null, 2));
for (const r of results) {
  const split = instances > 1 ? ` (${instances} processes: ${r.perBox.join(', ')})` : '';
  console.log(
    `Sluice at ${rate} calls/s for ${seconds} s: ${r.cpuSecondsPer1000Calls} CPU s per 1,000 calls${split} (main thread ${r.mainThreadCpuSecondsPer1000Calls}; user space ${r.userCpuSecondsPer1000Calls}, kernel ${r.systemCpuSecondsPer1000Calls}), ` +
      `${r.retransmissions} retransmissions, ${r.successful} calls, ${r.failed} failed; sipp used ${r.generatorCpuSecondsPer1000Calls} per 1,000 calls; ` +
      `datagrams dropped at full receive buffers: ${r.udpDrops.middleBoxes} at Sluice, ${r.udpDrops.generator} at sipp`,
  );
  if (r.gc) {
    console.log(
      `  garbage collection (calls of ${callMs} ms): ${r.gc.promotedKbPerCall} KB promoted per call; ${r.gc.scavengesPer1000Calls} young collections per 1,000 calls, ` +
        `${r.gc.scavengePauseMsPer1000Calls} ms of main-thread pause; ${r.gc.fullCollections} full collections (${round(r.gc.fullPauseMs, 1)} ms)`,
    );
  }
}
