/**
 * `npm run bench`'s part `paired`: Sluice's CPU per call against Kamailio plain's at one call rate,
 * the two measured in alternation (bench/lib/paired-rate.ts), so that the ratio holds on a host
 * whose speed drifts between the rate searches. The rate is one both hold with room to spare:
 * half the lower of the two rates the searches confirmed, at most 1,000 calls/s, or 1,000 when
 * they did not run.
 */
import { hasBinary } from '../../test/interop/harness/prereq.js';
import { freePort } from '../../test/interop/harness/sipp.js';
import { kamailioMissing, kamailioVersion, PLAIN_WORKERS, startKamailioPlain } from './kamailio.js';
import { runPaired, type PairedContender } from './paired-rate.js';
import { startSluice } from './sluice.js';

export interface PairedPartOptions {
  quick?: boolean;
  /** Rates the searches confirmed (null where they did not), to pick the part's rate from. */
  confirmed?: { kamailioPlain: number | null; sluice: number | null };
  /** Kamailio's SIP workers: the count its search held the most with (default startKamailioPlain's). */
  kamailioWorkers?: number;
  log?: (line: string) => void;
}

const DEFAULT_RATE = 1_000;

/** Half the lower confirmed rate, rounded down to 50, between 200 and 1,000 calls/s. */
export function pairedRate(confirmed: PairedPartOptions['confirmed']): number {
  const rates = [confirmed?.kamailioPlain, confirmed?.sluice].filter((r): r is number => typeof r === 'number' && r > 0);
  if (rates.length < 2) return DEFAULT_RATE;
  const half = Math.floor(Math.min(...rates) / 2 / 50) * 50;
  return Math.max(200, Math.min(DEFAULT_RATE, half));
}

function kamailioPlain(workers: number | undefined): PairedContender {
  return {
    name: 'kamailio-plain',
    async start(trunk) {
      const kam = await startKamailioPlain(await freePort('udp'), trunk, 'sluice-bench-kam-paired-', workers);
      return { port: kam.port, pids: () => kam.pids(), stop: () => kam.stop() };
    },
  };
}

/** Sluice (B2BUA, media direct) as a contender; `entry` picks the build (bench:ab), default dist/. */
export function sluiceContender(name: string, entry?: string, nodeArgs: readonly string[] = [], sip?: Record<string, unknown>): PairedContender {
  return {
    name,
    async start(trunk) {
      const s = await startSluice({ inside: await freePort('udp'), outside: await freePort('udp'), trunk, media: 'direct', nodeArgs: [...nodeArgs], ...(entry === undefined ? {} : { entry }), ...(sip === undefined ? {} : { sip }) });
      return { port: s.inside, pids: () => [s.pid], stop: () => s.stop() };
    },
  };
}

export async function runPairedPart(o: PairedPartOptions = {}): Promise<Record<string, unknown>> {
  if (!hasBinary('sipp')) return { skipped: 'sipp not installed (apt-get install sip-tester)' };
  const missing = kamailioMissing('plain');
  if (missing !== null) return { skipped: missing };
  const rate = pairedRate(o.confirmed);
  const quick = o.quick === true;
  const seconds = quick ? 4 : 10;
  const rounds = quick ? 2 : 3;
  o.log?.(`paired: Kamailio plain and Sluice in turn at ${rate} calls/s, ${rounds} rounds of ${seconds} s each`);
  try {
    const result = await runPaired({ contenders: [kamailioPlain(o.kamailioWorkers), sluiceContender('sluice')], rate, seconds, rounds, warmUpSeconds: quick ? 2 : 4, ...(o.log ? { log: o.log } : {}) });
    o.log?.(`paired: Sluice / Kamailio plain ${result.ratio ?? '-'}x CPU per call (rounds: ${result.roundRatios.map((r) => r ?? '-').join(', ')})`);
    return { kamailio: kamailioVersion(), kamailioWorkers: o.kamailioWorkers ?? PLAIN_WORKERS, ...result };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}
