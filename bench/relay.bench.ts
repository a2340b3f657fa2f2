/**
 * `npm run bench:relay`: the media relay (src/media) in this process on 127.0.0.1, driven by a
 * load generator in a child process (bench/lib/rtp-generator.ts) that plays both parties of N
 * G.711 calls (172-byte RTP, 50 packets/s each way). N rises step by step until a step loses more
 * than --max-loss percent; each step reports offered and forwarded packets/s, loss, and the CPU
 * the relay's process spent per packet. A step where the generator fell behind its own schedule
 * is reported as such (the relay is not blamed), and the search stops there.
 * Options: --seconds N per step (default 10), --streams a,b,c, --max-loss PCT (default 0.1).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MediaRelay, type RelayStream } from '../src/media/index.js';
import type { GeneratorReply, GeneratorRequest, GeneratorResult } from './lib/rtp-generator.js';
import { arg } from './lib/args.js';

const seconds = Number(arg('--seconds', '10'));
const stepsN = arg('--streams', '50,100,200,400,600,800,1000,1200,1600,2000,2400').split(',').map(Number);
const maxLossPct = Number(arg('--max-loss', '0.1'));
if (!(seconds > 0) || stepsN.some((n) => !(Number.isInteger(n) && n > 0 && n <= 6000))) {
  console.error('usage: relay.bench.ts [--seconds N] [--streams a,b,c (1..6000)] [--max-loss PCT]');
  process.exit(2);
}
const DRAIN_MS = 1_000;

// Both realms below Linux's ephemeral range (32768+), where the generator's sockets land.
const maxStreams = Math.max(...stepsN);
const span = 2 * maxStreams + 400;
const relay = new MediaRelay({
  realms: {
    access: { address: '127.0.0.1', portMin: 10_000, portMax: 10_000 + span },
    core: { address: '127.0.0.1', portMin: 10_000 + span, portMax: 10_000 + 2 * span },
  },
});

const generatorPath = fileURLToPath(new URL('./lib/rtp-generator.ts', import.meta.url));
const gen = spawn(process.execPath, ['--import', 'tsx', generatorPath], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

/** Sends one request and waits for the reply, at most `ms`. */
function ask<T extends GeneratorReply['type']>(req: GeneratorRequest, want: T, ms: number): Promise<Extract<GeneratorReply, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`generator: no ${want} within ${ms} ms`)), ms);
    const onMessage = (m: GeneratorReply): void => {
      if (m.type === 'error') done(new Error(`generator: ${m.message}`));
      else if (m.type === want) done(null, m as Extract<GeneratorReply, { type: T }>);
    };
    const onExit = (code: number | null): void => done(new Error(`generator exited (${code})`));
    function done(err: Error | null, m?: Extract<GeneratorReply, { type: T }>): void {
      clearTimeout(timer);
      gen.off('message', onMessage);
      gen.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    }
    gen.on('message', onMessage);
    gen.once('exit', onExit);
    gen.send(req);
  });
}

/** Kernel-wide UDP drops (socket buffers full), to tell kernel loss from relay loss. */
function udpRcvbufErrors(): number | null {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const [head, values] = [lines[0]!.split(/\s+/), lines[1]!.split(/\s+/)];
    return Number(values[head.indexOf('RcvbufErrors')]);
  } catch {
    return null;
  }
}

interface Step {
  streams: number;
  offeredPps: number;
  forwardedPps: number;
  lossPct: number;
  /** Of what the generator sent, the share that never reached the relay's handler. */
  lossToRelayPct: number;
  relayCpuSeconds: number;
  relayCpuUsPerPacket: number;
  relayCpuShareOfCore: number;
  kernelRcvbufErrors: number | null;
  latencyMs: GeneratorResult['latencyMs'];
  generator: { cpuShareOfCore: number; lagMs: GeneratorResult['lagMs']; lateSlotsPct: number; behind: boolean };
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

async function step(n: number): Promise<Step> {
  const { ports } = await ask({ type: 'prepare', streams: n }, 'ready', 60_000);
  const streams: RelayStream[] = [];
  // Opened in batches: binds are asynchronous, and 4 sockets per stream add up at thousands.
  for (let i = 0; i < n; i += 200) {
    const batch = await Promise.all(ports.slice(i, i + 200).map((_, k) => relay.open(`bench:${n}:${i + k}`, { realm: 'access', rtcpMux: false }, { realm: 'core', rtcpMux: false })));
    for (const s of batch) {
      if (s === null) throw new Error('relay ran out of ports');
      streams.push(s);
    }
  }
  const targets: [number, number][] = streams.map((s, i) => {
    s.setRemote('a', { address: '127.0.0.1', rtpPort: ports[i]![0], rtcpPort: null });
    s.setRemote('b', { address: '127.0.0.1', rtpPort: ports[i]![1], rtcpPort: null });
    return [s.local('a').rtpPort, s.local('b').rtpPort];
  });
  const kernel0 = udpRcvbufErrors();
  const cpu0 = process.cpuUsage();
  const r = await ask({ type: 'run', targets, seconds, drainMs: DRAIN_MS }, 'result', (seconds + 60) * 1_000);
  const cpu = process.cpuUsage(cpu0);
  const kernel1 = udpRcvbufErrors();
  let relayIn = 0;
  for (const s of streams) relayIn += s.stats('a').packets + s.stats('b').packets;
  for (const s of streams) s.close();
  await ask({ type: 'release' }, 'released', 30_000);
  // Over the run and the drain second after it (nearly idle), per packet the relay received.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // Behind: a send slot ran more than one packet interval late at the 99th percentile, or the
  // generator's core was saturated (its receive side then drops what the relay delivered).
  const genShare = r.cpuSeconds / r.wallSeconds;
  const behind = r.lagMs.p99 > 20 || r.sent < r.planned || genShare > 0.9;
  return {
    streams: n,
    offeredPps: Math.round(r.sent / r.wallSeconds),
    forwardedPps: Math.round(r.received / r.wallSeconds),
    lossPct: round(((r.sent - r.received) / r.sent) * 100, 3),
    lossToRelayPct: round(((r.sent - relayIn) / r.sent) * 100, 3),
    relayCpuSeconds: round(cpuSeconds, 3),
    relayCpuUsPerPacket: round((cpuSeconds / Math.max(1, relayIn)) * 1e6, 2),
    relayCpuShareOfCore: round(cpuSeconds / r.wallSeconds, 2),
    kernelRcvbufErrors: kernel0 === null || kernel1 === null ? null : kernel1 - kernel0,
    latencyMs: r.latencyMs,
    generator: { cpuShareOfCore: round(genShare, 2), lagMs: r.lagMs, lateSlotsPct: round((r.lateSlots / r.slots) * 100, 2), behind },
  };
}

const pct = (share: number): string => `${Math.round(share * 100)}%`;
const cores = availableParallelism();
const steps: Step[] = [];
let best: Step | null = null;
let stoppedBy = 'all steps passed';
try {
  await ask({ type: 'release' }, 'released', 30_000); // the generator is up (tsx compiled it)
  for (const n of stepsN.slice(0, 100)) {
    const s = await step(n);
    steps.push(s);
    if (s.generator.behind) {
      // Generator and relay share this host's cores: past here the host, not the relay, is measured.
      stoppedBy = `generator fell behind at ${n} streams (send lag p99 ${s.generator.lagMs.p99} ms; generator ${pct(s.generator.cpuShareOfCore)}, relay ${pct(s.relayCpuShareOfCore)} of a core, ${cores} cores): relay capacity not established beyond the previous step`;
      break;
    }
    if (s.lossPct > maxLossPct) {
      stoppedBy = `loss ${s.lossPct}% > ${maxLossPct}% at ${n} streams`;
      break;
    }
    best = s;
  }
} finally {
  gen.kill('SIGTERM');
  await relay.close();
}

// An extrapolation, labelled as such: packets one core could relay at the best step's cost.
const packetsPerCoreSecond = best === null ? null : Math.round(1e6 / best.relayCpuUsPerPacket);
console.log(
  JSON.stringify(
    { bench: 'relay', node: process.version, cores, loadavg1mAtEnd: round(loadavg()[0] ?? 0), codec: 'PCMU 20 ms, 172-byte RTP, 50 pps per direction', secondsPerStep: seconds, maxLossPct, steps, best, stoppedBy, estimate: { packetsPerCoreSecond, streamsPerCore: packetsPerCoreSecond === null ? null : Math.floor(packetsPerCoreSecond / 100) } },
    null,
    2,
  ),
);
console.log(
  best === null
    ? `relay: no step passed (${stoppedBy})`
    : `relay: best ${best.streams} bidirectional streams, ${best.forwardedPps} packets/s forwarded, ${best.lossPct}% loss, ${best.relayCpuUsPerPacket} µs relay CPU per packet (${pct(best.relayCpuShareOfCore)} of a core); stopped: ${stoppedBy}`,
);
