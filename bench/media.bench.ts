/**
 * `node --import tsx bench/media.bench.ts`: RTP packets/s relayed with at most --max-loss percent
 * loss (20 ms G.711 streams, both directions) by rtpengine in userspace with one thread and with
 * all cores' worth, and by Sluice's relay in its own process with one forwarding worker and with
 * --relay-options' workers; CPU µs per packet; the ratios Sluice / rtpengine, one thread against
 * one and all against all. All on 127.0.0.1. Prints the JSON, then one line per relay.
 * Options: --seconds N per step (default 6), --max-seconds N for the whole run (default 240),
 * --streams a,b,c, --max-loss PCT (default 0.1),
 * --parts rtpengine-1-thread,sluice-1-worker,rtpengine-all-threads,sluice,
 * --relay-options JSON (passed to MediaRelay over {"workers": <cores>}, as npm run bench runs it),
 * --generator auto|node (the C load generator where it builds, or the Node one).
 */
import { availableParallelism } from 'node:os';
import { arg } from './lib/args.js';
import { runMediaParts, type MediaPartName, type MediaRatio } from './lib/media-parts.js';
import type { RelayOptions } from './lib/relay-server.js';

const seconds = Number(arg('--seconds', '6'));
const maxSeconds = Number(arg('--max-seconds', '240'));
const streams = arg('--streams', '400,800,1200,1600,2000,2400,2750').split(',').map(Number);
const maxLossPct = Number(arg('--max-loss', '0.1'));
const parts = arg('--parts', 'rtpengine-1-thread,sluice-1-worker,rtpengine-all-threads,sluice').split(',') as MediaPartName[];
let relayOptions: RelayOptions;
try {
  // One worker per core unless the options say otherwise, as npm run bench runs it.
  relayOptions = { workers: availableParallelism(), ...(JSON.parse(arg('--relay-options', '{}')) as RelayOptions) };
} catch {
  relayOptions = null as unknown as RelayOptions;
}
const generator = arg('--generator', 'auto');
const known: MediaPartName[] = ['rtpengine-1-thread', 'sluice-1-worker', 'rtpengine-all-threads', 'sluice'];
if (
  !(seconds > 0 && seconds <= 60) ||
  !(maxSeconds > 0 && maxSeconds <= 900) ||
  !(maxLossPct >= 0) ||
  streams.some((n) => !(Number.isInteger(n) && n > 0 && n <= 6000)) ||
  parts.some((p) => !known.includes(p)) ||
  (generator !== 'auto' && generator !== 'node') ||
  typeof relayOptions !== 'object' ||
  relayOptions === null
) {
  console.error(`usage: media.bench.ts [--seconds 1..60] [--max-seconds 1..900] [--streams a,b,c (1..6000)] [--max-loss PCT] [--parts ${known.join(',')}] [--relay-options JSON] [--generator auto|node]`);
  process.exit(2);
}

const r = await runMediaParts({ seconds, maxSeconds, streams, maxLossPct, parts, relayOptions, generator });
console.log(JSON.stringify(r, null, 2));
for (const p of r.parts) {
  const b = p.best;
  const version = p.peer === 'rtpengine' ? `rtpengine ${r.versions.rtpengine ?? '?'}, ${p.threads} thread${p.threads === 1 ? '' : 's'}` : `sluice ${r.versions.sluice}`;
  if (p.skipped !== null) console.log(`media ${p.name}: skipped: ${p.skipped}`);
  else if (b === null) console.log(`media ${p.name} (${version}): no step passed; ${p.stoppedBy}`);
  else
    console.log(
      `media ${p.name} (${version}): best ${b.streams} streams, ${b.forwardedPps} pps forwarded, ${b.lossPct}% loss, ${b.cpuUsPerPacket} µs CPU/packet (${Math.round(b.cpuShareOfCore * 100)}% of a core); stopped: ${p.stoppedBy}`,
    );
}
const line = (label: string, q: MediaRatio | null): string =>
  q === null
    ? `media sluice/${label}: n/a`
    : `media sluice/${label}: pps ×${q.pps} (${q.ppsNote}), CPU/packet ×${q.cpuPerPacket}${q.cpuPerPacketAtSameStreams ? ` (×${q.cpuPerPacketAtSameStreams.ratio} at ${q.cpuPerPacketAtSameStreams.streams} streams)` : ''}${q.cpuPerPacketPooled ? `, ×${q.cpuPerPacketPooled.ratio} pooled over ${q.cpuPerPacketPooled.streams.join('/')} streams` : ''}`;
console.log(line('rtpengine 1 thread', r.ratios.sluiceVsRtpengine1Thread));
console.log(line('rtpengine all threads', r.ratios.sluiceVsRtpengineAllThreads));
