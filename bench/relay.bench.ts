/**
 * `npm run bench:relay`: the media relay (src/media) in this process on 127.0.0.1, driven by a
 * load generator in a child process (bench/native/rtp-gen.c where cc builds it, else
 * bench/lib/rtp-generator.ts) that plays both parties of N
 * G.711 calls (172-byte RTP, 50 packets/s each way). N rises step by step until a step loses more
 * than --max-loss percent; each step reports offered and forwarded packets/s, loss, and the CPU
 * the relay's process spent per packet. A step the generator could not drive (it offered under
 * 97% of the load, or fell behind and packets were lost) is reported as such (the relay is not
 * blamed), run once more, and the search stops there; a generator stall the relay carried
 * without loss passes (generator.behind says it happened). The step runner is
 * bench/lib/media-steps.ts (shared with bench/media.bench.ts, which runs the relay in a child).
 * Options: --seconds N per step (default 10), --streams a,b,c, --max-loss PCT (default 0.1),
 * --port-base P (default 10000: two realms of 2*max+400 ports each from there).
 */
import { availableParallelism, loadavg } from 'node:os';
import { MediaRelay, type RelayStream } from '../src/media/index.js';
import { arg } from './lib/args.js';
import { round, runSteps, startGenerator, type RelayAdapter } from './lib/media-steps.js';

const seconds = Number(arg('--seconds', '10'));
const stepsN = arg('--streams', '50,100,200,400,600,800,1000,1200,1600,2000,2400').split(',').map(Number);
const maxLossPct = Number(arg('--max-loss', '0.1'));
const portBase = Number(arg('--port-base', '10000'));
const maxStreams = Math.max(...stepsN);
const span = 2 * maxStreams + 400;
// Both realms below Linux's ephemeral range (32768+), where the generator's sockets land.
if (!(seconds > 0) || stepsN.some((n) => !(Number.isInteger(n) && n > 0 && n <= 6000)) || !(Number.isInteger(portBase) && portBase >= 1024 && portBase + 2 * span <= 32768)) {
  console.error('usage: relay.bench.ts [--seconds N] [--streams a,b,c (1..6000)] [--max-loss PCT] [--port-base P (realms end below 32768)]');
  process.exit(2);
}

const relay = new MediaRelay({
  realms: {
    access: { address: '127.0.0.1', portMin: portBase, portMax: portBase + span },
    core: { address: '127.0.0.1', portMin: portBase + span, portMax: portBase + 2 * span },
  },
});

let streams: RelayStream[] = [];
let opened = 0;
const adapter: RelayAdapter = {
  name: 'sluice (in-process)',
  async setup(ports) {
    streams = [];
    // Opened in batches: binds are asynchronous, and 4 sockets per stream add up at thousands.
    for (let i = 0; i < ports.length; i += 200) {
      const batch = await Promise.all(ports.slice(i, i + 200).map(() => relay.open(`bench:${opened++}`, { realm: 'access', rtcpMux: false }, { realm: 'core', rtcpMux: false })));
      for (const s of batch) {
        if (s === null) throw new Error('relay ran out of ports');
        streams.push(s);
      }
    }
    return streams.map((s, i) => {
      s.setRemote('a', { address: '127.0.0.1', rtpPort: ports[i]![0], rtcpPort: null });
      s.setRemote('b', { address: '127.0.0.1', rtpPort: ports[i]![1], rtcpPort: null });
      return [s.local('a').rtpPort, s.local('b').rtpPort];
    });
  },
  async teardown() {
    for (const s of streams) s.close();
    streams = [];
  },
  // In-process: this counts the orchestration too (idle during a run); media.bench.ts runs the relay apart.
  cpuSeconds() {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1e6;
  },
  async packetsIn() {
    let n = 0;
    for (const s of streams) n += s.stats('a').packets + s.stats('b').packets;
    return n;
  },
};

const pct = (share: number): string => `${Math.round(share * 100)}%`;
const cores = availableParallelism();
const gen = await startGenerator();
let result;
try {
  // No time budget here: the step list bounds the run.
  result = await runSteps(adapter, gen, { streams: stepsN, seconds, maxLossPct, deadline: Number.POSITIVE_INFINITY });
} finally {
  await gen.stop();
  await relay.close();
}
const { steps, best, stoppedBy } = result;

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
