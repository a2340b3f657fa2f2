/**
 * The Sluice side of the Sluice-vs-Kamailio benchmark, on the same generator and scenarios as
 * Kamailio's (bench/lib/kamailio-parts.ts): sipp uac-rr -> Sluice (inside realm, B2BUA, media not
 * anchored, like a proxy) -> trunk -> sipp uas-rr, UDP on 127.0.0.1.
 * - runSluiceRate: the highest rate sustained with zero failed calls, CPU s per 1,000 calls;
 * - runSluiceConcurrency: established calls held at once and the RSS per call, read once every
 *   call is up and the INVITE transactions of all of them are over (RFC 6026 Timer L / M, 32 s),
 *   and again 40 s later, settled (the figure reported).
 */
import { hasBinary } from '../../test/interop/harness/prereq.js';
import { freePort, runSipp, startSipp, type SippServer } from '../../test/interop/harness/sipp.js';
import { freshUas, inTurns, searchOptions as rateSearchOptions, startUas, uasSecondsFor, uacRrArgs, type RateOptions } from './kamailio-parts.js';
import { memoryKb } from './proc.js';
import { searchMaxRate } from './sipp-rate.js';
import { startSluice, type SluiceUnderTest } from './sluice.js';

type PartResult = Record<string, unknown>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const SIPP_MISSING = 'sipp not installed (apt-get install sip-tester)';

/** Sluice with the benchmark's configuration, its trunk pointing at a fresh sipp uas. */
async function startPair(media: 'anchor' | 'direct', uasSeconds: number, sip?: Record<string, unknown>): Promise<{ sluice: SluiceUnderTest; uas: SippServer; trunk: number }> {
  // The same uas, and socket buffers, as on Kamailio's side (kamailio-parts.ts).
  const { uas, port: trunk } = await startUas(uasSeconds);
  try {
    const sluice = await startSluice({ inside: await freePort('udp'), outside: await freePort('udp'), trunk, media, sip });
    return { sluice, uas, trunk };
  } catch (err) {
    await uas.stop(1_000);
    throw err;
  }
}

/**
 * Calls through a freshly started Sluice before a step measures it. A new Node process runs its
 * code in the interpreter until V8 has compiled the hot paths, and a step started cold at full
 * rate is judged on that: 8 s at 1,929 calls/s had a mean INVITE-to-200 time of 185-338 ms cold
 * against 16-44 ms after these calls (three pairs; a probe fails over 200 ms), and in runs 32 and
 * 33 the step right after a restart was stopped within 3 s. The search's first, low probes warm
 * the first process; a restarted one gets this. Not measured: the step reads CPU after it.
 */
const WARM_UP = { rate: 500, calls: 1_500, callMs: 500 };

/** WARM_UP's calls through the middle box on 127.0.0.1:port (a Node floor's restart takes them too). */
export async function warmUpAt(port: number): Promise<void> {
  await runSipp({
    args: uacRrArgs(port, { ...WARM_UP, limit: WARM_UP.calls }),
    timeoutMs: 20_000,
  });
}

export async function runSluiceRate(o: RateOptions & { media?: 'anchor' | 'direct'; sip?: Record<string, unknown> } = {}): Promise<PartResult> {
  if (!hasBinary('sipp')) return { skipped: SIPP_MISSING };
  const media = o.media ?? 'direct';
  const so = rateSearchOptions(o, 500);
  const turnId = `sluice (media ${media})`;
  let pair: Awaited<ReturnType<typeof startPair>> | undefined;
  o.turns?.join(turnId, { processes: () => (pair === undefined ? [] : [pair.sluice.pid, pair.uas.pid]) });
  const uasSeconds = uasSecondsFor(o, so);
  try {
    // Warmed up before the first step too: a search that starts near the limit (as it does in
    // turns with Kamailio, rung for rung) would otherwise judge V8's interpreter.
    const setUp = async (): Promise<void> => {
      pair = await startPair(media, uasSeconds, o.sip);
      await warmUpAt(pair.sluice.inside);
    };
    await (o.turns === undefined ? setUp() : o.turns.take(turnId, setUp));
    o.log?.(`sluice (media ${media}): searching from ${so.startRate} calls/s${o.turns === undefined ? '' : ', in turns'}`);
    const p = pair!;
    const rate = await searchMaxRate({
      ...so,
      ...inTurns(o, turnId),
      target: { host: '127.0.0.1', port: p.sluice.inside, transport: 'udp' },
      pids: [p.sluice.pid],
      mainThread: true,
      // As Kamailio's side does: a step after a failure starts on a fresh process (warmed up:
      // Kamailio's compiled code needs none).
      restartTarget: async () => {
        p.uas = await freshUas(p.uas, p.trunk, uasSeconds);
        p.sluice = await p.sluice.restart();
        await warmUpAt(p.sluice.inside);
        return [p.sluice.pid];
      },
    });
    const b = rate.best;
    o.log?.(
      b === null
        ? `sluice: no rate confirmed (${rate.note ?? 'see steps'})`
        : `sluice: ${b.rate} calls/s for ${b.seconds} s, ${b.cpuSecondsPer1000Calls ?? '-'} CPU s per 1,000 calls (main thread ${b.mainThreadCpuSecondsPer1000Calls ?? '-'})`,
    );
    return { media, processes: 1, rate };
  } catch (err) {
    return { error: message(err) };
  } finally {
    o.turns?.leave(turnId);
    await pair?.uas.stop(2_000);
    await pair?.sluice.stop();
  }
}

export interface SluiceConcurrencyOptions {
  quick?: boolean;
  /** Calls held at once (default 10,000, quick 2,000). */
  concurrentCalls?: number;
  /** Rate at which they are placed (default 500/s). */
  concurrencyRate?: number;
  media?: 'anchor' | 'direct';
  /** The configuration's `sip` section, where it differs from the default. */
  sip?: Record<string, unknown>;
  log?: (line: string) => void;
}

/** Time for the INVITE transactions to end after the last answer: Timer L/M (64*T1) and a margin. */
const TRANSACTIONS_OVER_MS = 35_000;
/**
 * A second reading this much later: by then V8 has collected the transactions' messages (kept
 * 32 s, so promoted to the old generation) and given the pages back, and the quiet process has
 * given back its young generation (src/cli/heap-trim.ts: after 30 s quiet, once V8's allocation
 * rate has fallen). 20 s read it before that in one sitting (14.6 and 16.7 KB per call, flat and
 * general path) and after it in another (5.3); with 40 s, 3.8. Kamailio's reading has no such
 * delay: tm frees a transaction 5 s after its final response, into shm it keeps.
 */
const SETTLED_MS = 40_000;

export async function runSluiceConcurrency(o: SluiceConcurrencyOptions = {}): Promise<PartResult> {
  if (!hasBinary('sipp')) return { skipped: SIPP_MISSING };
  const media = o.media ?? 'direct';
  const calls = o.concurrentCalls ?? (o.quick === true ? 2_000 : 10_000);
  const rate = o.concurrencyRate ?? 500;
  const placingMs = (calls / rate) * 1_000;
  const measureAtMs = placingMs + TRANSACTIONS_OVER_MS;
  // Every call still up at the second reading, with room for late ones.
  const holdMs = measureAtMs + SETTLED_MS + 10_000;
  let pair: Awaited<ReturnType<typeof startPair>> | undefined;
  let uac: SippServer | undefined;
  try {
    pair = await startPair(media, (measureAtMs + holdMs) / 1_000 + 60, o.sip);
    await sleep(1_000);
    const before = memoryKb([pair.sluice.pid]);
    o.log?.(`sluice concurrency (media ${media}): placing ${calls} calls of ${holdMs / 1_000} s at ${rate}/s, measuring at ${measureAtMs / 1_000} s and ${(measureAtMs + SETTLED_MS) / 1_000} s`);
    const t0 = Date.now();
    uac = await startSipp({
      args: uacRrArgs(pair.sluice.inside, { rate, calls, callMs: holdMs, limit: calls }),
      timeoutMs: placingMs + holdMs + 60_000,
    });
    await sleep(Math.max(0, t0 + measureAtMs - Date.now()));
    const atTransactionsOver = memoryKb([pair.sluice.pid]);
    const transactionsOverAtSeconds = Math.round((Date.now() - t0) / 100) / 10;
    await sleep(Math.max(0, t0 + measureAtMs + SETTLED_MS - Date.now()));
    const after = memoryKb([pair.sluice.pid]);
    const measuredAtSeconds = Math.round((Date.now() - t0) / 100) / 10;
    // Placed, answered, held past the measurement and hung up by the caller: established then.
    // The hold is ended early (SIGUSR1 lets running calls finish with BYE) to save its remainder.
    const u = await uac.stop(holdMs);
    uac = undefined;
    const perCall = (deltaKb: number): number => Math.round((deltaKb / calls) * 100) / 100;
    const result: PartResult = {
      media,
      calls,
      ratePerSecond: rate,
      holdMs,
      measuredAtSeconds,
      successful: u.successful,
      failed: u.failed,
      allEstablished: u.successful >= calls && u.failed === 0,
      rssBeforeKb: before.rssKb,
      rssAfterKb: after.rssKb,
      // The first reading, as soon as the transactions were over (setup garbage not yet returned).
      transactionsOverAtSeconds,
      kbPerCallRssWhenTransactionsOver: perCall(atTransactionsOver.rssKb - before.rssKb),
      kbPerCallRss: perCall(after.rssKb - before.rssKb),
      kbPerCallPss: perCall(after.pssKb - before.pssKb),
    };
    o.log?.(`sluice concurrency: ${u.successful}/${calls} completed, ${String(result.kbPerCallRss)} KB RSS per call settled (${String(result.kbPerCallRssWhenTransactionsOver)} KB when the transactions were over)`);
    return result;
  } catch (err) {
    return { error: message(err) };
  } finally {
    await uac?.stop(1_000);
    await pair?.uas.stop(2_000);
    await pair?.sluice.stop();
  }
}
