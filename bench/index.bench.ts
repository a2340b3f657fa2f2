/**
 * `npm run bench`: Sluice side by side with what an operator would otherwise run, on this
 * machine, in one run, so that every figure has its peer's beside it:
 * 1. signalling: the highest call rate sustained for 20 s with zero failed calls (and sipp's
 *    retransmissions on at most 1% of them, bench/lib/sipp-rate.ts), sipp uac-rr ->
 *    middle box -> sipp uas-rr (2 s calls, UDP on 127.0.0.1), for no middle box (the generator's
 *    ceiling), Kamailio 5.6 stateful with dialogs (plain, and topology hiding over Redis) and
 *    Sluice (B2BUA, media not anchored); CPU seconds per 1,000 calls of each middle box. Kamailio
 *    plain (each worker count) and Sluice are searched in turns, one step each from 3,000 calls/s
 *    (bench/lib/turns.ts), so that a drift of the host's speed between searches, which moved
 *    their ratio from 0.82x to 1.45x when they were searched one after the other, falls on both;
 * 2. paired: Sluice's CPU per call over Kamailio plain's at one rate both hold, the two measured
 *    in turn, three rounds, so that the ratio holds on a host whose speed drifts between searches;
 * 3. concurrency: 10,000 established calls held by Kamailio and by Sluice, memory per call;
 * 4. media: RTP packets per second relayed with < 0.1% loss by rtpengine (userspace, one thread
 *    and all threads) and by Sluice's relay (one worker, and one per core), CPU per packet.
 * Installs what it needs where it can (bench/lib/install.ts). Each part is bounded in time and
 * reports why it could not run; the rest still runs. Prints JSON, then a table.
 * Options: --quick (short steps, 2,000 calls: a try-out, not a figure), --parts a,b (signalling,
 * paired, concurrency, media; and `floor`, not run by default for time: ~7 min more, the call rates of a
 * stateless proxy and of a minimal B2BUA in Node, the least any Node middle box and any Node
 * B2BUA spend here; the B2BUA runs as Sluice does, with its send thread and batched reader, and
 * once more with Sluice's parser and SDP regeneration; with the signalling part, the two minimal
 * B2BUAs take their turns with Kamailio plain and Sluice), --json FILE (also write the JSON there).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { arg } from './lib/args.js';
import { installPeers } from './lib/install.js';
import { probeHost } from './lib/host-probe.js';
import { runKamailioParts, runSippCeiling } from './lib/kamailio-parts.js';
import { runMediaParts } from './lib/media-parts.js';
import { B2BUA_FLOOR_CHECKED_SETUP, B2BUA_FLOOR_SETUP, runNodeFloor } from './lib/node-floor-part.js';
import { runPairedPart } from './lib/paired-part.js';
import { runSluiceConcurrency, runSluiceRate } from './lib/sluice-parts.js';
import { Turns } from './lib/turns.js';
import { printTable, summarize, type BenchReport } from './lib/report.js';

const quick = process.argv.includes('--quick');
const parts = arg('--parts', 'signalling,paired,concurrency,media').split(',');
const jsonFile = arg('--json', '');
const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

const t0 = Date.now();
const report: BenchReport = {
  bench: 'sluice-vs-peers',
  startedAt: new Date().toISOString(),
  machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version, loadavg1mAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
  quick,
  install: installPeers(log),
};
if (report.install.problem !== null) log(`install: ${report.install.problem} (the parts that need it will say so)`);
report.machine.probe = await probeHost();
log(`host: ${'error' in report.machine.probe ? report.machine.probe.error : `${report.machine.probe.loopNsPerStep} ns per loop step, ${report.machine.probe.threadWakeUsPerRoundTrip} µs per thread wake round trip`}`);

// Each search gets a cap (in turns: on its own steps' time) that leaves room for its probes, a 20 s
// confirm that may fail late and one step down, and starts near where this machine's earlier runs
// ended, so that the five searches (Kamailio plain twice: one SIP worker and one per core), the
// paired part (about 90 s), the two concurrency runs and the media part end within about 13.5
// minutes (750 s with the searches in turns, 18 turns; 709 s before, one after another; 794 s with
// the paired part on a slower day's host).
const rate = { quick, log, refine: 1 };
const cap = (seconds: number): number => (quick ? 70 : seconds);
if (parts.includes('signalling')) {
  log('signalling: sipp -> sipp (the generator alone)');
  report.sippCeiling = await runSippCeiling({ ...rate, maxSecondsPerSearch: cap(120), startRate: 6_000 });
  // Kamailio plain (each worker count) and Sluice in turns, one step each, from the same rate:
  // they climb the same rungs in the same minutes, so their ratio does not hang on how the
  // host's speed drifted between two searches (turns.ts). Each search's cap counts its own steps.
  // With the floor part, the two minimal B2BUAs take their turns with them, on the same rungs.
  const turns = new Turns();
  const floors = parts.includes('floor');
  const [plain, sluiceRate, b2buaFloor, b2buaFloorChecked] = await Promise.all([
    runKamailioParts({ ...rate, turns, maxSecondsPerSearch: cap(130), parts: ['plain'], startRates: { plain: 3_000 } }),
    runSluiceRate({ ...rate, turns, maxSecondsPerSearch: cap(130), startRate: 3_000 }),
    floors ? runNodeFloor({ ...rate, turns, maxSecondsPerSearch: cap(150), startRate: 3_000 }, 'b2bua', B2BUA_FLOOR_SETUP) : undefined,
    floors ? runNodeFloor({ ...rate, turns, maxSecondsPerSearch: cap(150), startRate: 3_000 }, 'b2bua', B2BUA_FLOOR_CHECKED_SETUP) : undefined,
  ]);
  if (b2buaFloor !== undefined) report.b2buaFloor = b2buaFloor;
  if (b2buaFloorChecked !== undefined) report.b2buaFloorChecked = b2buaFloorChecked;
  report.signallingTurns = turns.log;
  log(`signalling: searched in turns (${turns.log.length} turns)`);
  const plainPart = plain.plain as { workers?: unknown } | undefined;
  const rest = await runKamailioParts({
    ...rate,
    maxSecondsPerSearch: cap(130),
    parts: parts.includes('concurrency') ? ['topos', 'concurrency'] : ['topos'],
    startRates: { topos: 600 },
    ...(typeof plainPart?.workers === 'number' ? { concurrencyWorkers: plainPart.workers } : {}),
  });
  report.kamailio = { ...rest, plain: plain.plain };
  report.sluice = { rate: sluiceRate };
} else if (parts.includes('concurrency')) {
  report.kamailio = await runKamailioParts({ ...rate, parts: ['concurrency'] });
}
if (parts.includes('paired')) {
  // After the searches, whose confirmed rates it takes its own from (about 90 s).
  const s = summarize(report);
  const workers = (report.kamailio?.plain as { workers?: unknown } | undefined)?.workers;
  report.paired = await runPairedPart({ quick, log, confirmed: { kamailioPlain: s.callsPerSecond.kamailioPlain, sluice: s.callsPerSecond.sluice }, ...(typeof workers === 'number' ? { kamailioWorkers: workers } : {}) });
}
if (parts.includes('floor')) {
  log('floor: sipp -> stateless proxy in Node -> sipp');
  report.nodeFloor = await runNodeFloor({ ...rate, maxSecondsPerSearch: cap(120), startRate: 6_000 });
  if (report.b2buaFloor === undefined) {
    log('floor: sipp -> minimal B2BUA in Node -> sipp');
    // From 3,000, Kamailio's rungs (3,000, 4,500, 6,750, 10,125, then 8,267 between): the two
    // figures are then comparable rung for rung. From 4,000 a probe at 9,000 passed its 8 s, the
    // confirm at 9,000 and the step-down failed, and the cap came before a second step-down.
    report.b2buaFloor = await runNodeFloor({ ...rate, maxSecondsPerSearch: cap(150), startRate: 3_000 }, 'b2bua', B2BUA_FLOOR_SETUP);
    log("floor: sipp -> minimal B2BUA in Node with Sluice's parser and SDP regeneration -> sipp");
    report.b2buaFloorChecked = await runNodeFloor({ ...rate, maxSecondsPerSearch: cap(150), startRate: 3_000 }, 'b2bua', B2BUA_FLOOR_CHECKED_SETUP);
  }
}
if (parts.includes('concurrency')) {
  report.sluice = { ...(report.sluice ?? {}), concurrency: await runSluiceConcurrency({ quick, log }) };
}
if (parts.includes('media')) {
  // Sluice's relay as `sluice start` runs it (one forwarding worker per core), and with one
  // worker beside rtpengine's one thread. Four parts of about 50 s each.
  report.media = await runMediaParts({ log, maxSeconds: quick ? 110 : 240, streams: [400, 800, 1200, 1600, 2000, 2400, 2750], relayOptions: { workers: availableParallelism() }, ...(quick ? { seconds: 3 } : {}) });
}
report.wallSeconds = Math.round((Date.now() - t0) / 1_000);
report.machine.loadavg1mAtEnd = Math.round((loadavg()[0] ?? 0) * 100) / 100;
report.summary = summarize(report);

const json = JSON.stringify(report, null, 2);
console.log(json);
if (jsonFile !== '') writeFileSync(jsonFile, `${json}\n`);
printTable(report, (line) => console.log(line));
