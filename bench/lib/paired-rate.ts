/**
 * CPU per call of two middle boxes at one call rate, measured in alternation: round after round,
 * each box takes the same fixed-rate step (sipp uac-rr -> box -> sipp uas-rr, 2 s calls, UDP on
 * 127.0.0.1), the order swapped every round. This host's speed moves by a factor of 1.65 between
 * 3 s windows and drifts over minutes, and the rate searches run one box after the other, minutes
 * apart: their CPU figures compare two moments as much as two boxes. Here a round's two steps are
 * a few seconds apart and the ratio is taken per round, so drift over a run cancels, and the
 * median of the rounds' ratios leaves out a round a burst of host noise fell on.
 *
 * Both boxes run through the whole part (started once, warmed up once, then idle while the other
 * takes its step), and a box's CPU is read over the whole round: what it does after its calls
 * (transactions and dialogs waiting out their timers, 5 s in Kamailio's tm, 32 s in Sluice)
 * falls in a later round and is counted there, so at a steady state each round carries it.
 */
import { runSipp } from '../../test/interop/harness/sipp.js';
import { startUas, uacRrArgs } from './kamailio-parts.js';
import { cpuSecondsOfAll } from './proc.js';

/** A middle box that stays up through the part, taking calls on 127.0.0.1:port. */
export interface PairedBox {
  port: number;
  /** Every process of the box (Kamailio's workers; Sluice's one), read at each round's ends. */
  pids(): number[];
  stop(): Promise<unknown>;
}

export interface PairedContender {
  name: string;
  /** Starts the box, its calls going on to the sipp uas at 127.0.0.1:trunk. */
  start(trunk: number): Promise<PairedBox>;
}

export interface PairedOptions {
  /** [the anchor, the box compared with it]: ratios are second / first. */
  contenders: [PairedContender, PairedContender];
  rate: number;
  /** Length of each step's placing (calls last 2 s more). */
  seconds: number;
  rounds: number;
  /** One unmeasured step per box at the rate before the first round (V8 compiles Sluice's hot paths). */
  warmUpSeconds: number;
  /**
   * Both boxes take their steps at the same time, each from its own sipp uac, rather than in
   * turn: both then run through the same moments of the host's speed. For two builds of one
   * program (bench:ab), whose share of the cores is alike; not for unlike boxes, where one
   * would take cores from the other.
   */
  simultaneous?: boolean;
  log?: (line: string) => void;
}

export interface PairedStep {
  round: number;
  box: string;
  successful: number;
  failed: number;
  retransmissions: number;
  /** The box's CPU over the whole round (its step and the other's), per 1,000 of its calls. */
  cpuSecondsPer1000Calls: number;
}

export interface PairedResult {
  rate: number;
  seconds: number;
  rounds: number;
  callMs: number;
  steps: PairedStep[];
  /** Per round, second / first in CPU per call; null for a round where either step lost a call. */
  roundRatios: (number | null)[];
  /** Median of the rounds' ratios that count; null when none does. */
  ratio: number | null;
  /** Median CPU s per 1,000 calls of each box over its clean steps. */
  medians: Record<string, number | null>;
  note?: string;
}

const CALL_MS = 2_000;
const round3 = (n: number): number => Math.round(n * 1_000) / 1_000;

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The ratios and medians of a part's steps (exported for its test). */
export function pairedFigures(names: [string, string], steps: PairedStep[], rounds: number): Pick<PairedResult, 'roundRatios' | 'ratio' | 'medians'> {
  const clean = (s: PairedStep | undefined): s is PairedStep => s !== undefined && s.failed === 0 && s.successful > 0;
  const roundRatios: (number | null)[] = [];
  for (let r = 0; r < rounds; r++) {
    const first = steps.find((s) => s.round === r && s.box === names[0]);
    const second = steps.find((s) => s.round === r && s.box === names[1]);
    roundRatios.push(clean(first) && clean(second) && first.cpuSecondsPer1000Calls > 0 ? Math.round((second.cpuSecondsPer1000Calls / first.cpuSecondsPer1000Calls) * 100) / 100 : null);
  }
  const counted = roundRatios.filter((x): x is number => x !== null);
  const ratio = median(counted);
  const medians: Record<string, number | null> = {};
  for (const n of names) {
    const m = median(steps.filter((s) => s.box === n && clean(s)).map((s) => s.cpuSecondsPer1000Calls));
    medians[n] = m === null ? null : round3(m);
  }
  return { roundRatios, ratio: ratio === null ? null : Math.round(ratio * 100) / 100, medians };
}

/** What one step may take beyond its seconds of calls: the last calls' length, their retransmissions, sipp's exit. */
const PLACE_MARGIN_S = 40;

async function place(port: number, rate: number, seconds: number): Promise<{ successful: number; failed: number; retransmissions: number }> {
  const calls = Math.round(rate * seconds);
  const r = await runSipp({
    args: uacRrArgs(port, { rate, calls, callMs: CALL_MS }),
    timeoutMs: (seconds + PLACE_MARGIN_S) * 1_000,
  });
  return { successful: r.successful, failed: r.failed + (r.successful + r.failed < calls ? calls - r.successful - r.failed : 0), retransmissions: r.retransmissions };
}

/** Runs the part; everything it started is stopped before it returns or throws. */
export async function runPaired(o: PairedOptions): Promise<PairedResult> {
  const names: [string, string] = [o.contenders[0].name, o.contenders[1].name];
  // The uas outlives every step's own time cap (place: seconds + 40), and is stopped below when
  // the part ends. Reckoned from the steps' nominal lengths, it stopped before the last rounds
  // on a slow host, and their calls all failed.
  const total = 2 * (o.warmUpSeconds + PLACE_MARGIN_S) + o.rounds * 2 * (o.seconds + PLACE_MARGIN_S) + 60;
  const { uas, port: trunk } = await startUas(total);
  const boxes: PairedBox[] = [];
  try {
    for (const c of o.contenders) boxes.push(await c.start(trunk));
    for (let i = 0; i < 2; i++) {
      const w = await place(boxes[i]!.port, o.rate, o.warmUpSeconds);
      o.log?.(`paired: ${names[i]} warmed up (${w.successful} calls, ${w.failed} failed)`);
    }
    const steps: PairedStep[] = [];
    for (let r = 0; r < o.rounds; r++) {
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      const before = boxes.map((b) => cpuSecondsOfAll(b.pids()));
      const results: Awaited<ReturnType<typeof place>>[] = [];
      if (o.simultaneous === true) results.push(...(await Promise.all(boxes.map((b) => place(b.port, o.rate, o.seconds)))));
      else for (const i of order) results[i] = await place(boxes[i]!.port, o.rate, o.seconds);
      const after = boxes.map((b) => cpuSecondsOfAll(b.pids()));
      for (let i = 0; i < 2; i++) {
        const res = results[i]!;
        const calls = Math.round(o.rate * o.seconds);
        steps.push({ round: r, box: names[i]!, ...res, cpuSecondsPer1000Calls: round3(((after[i]! - before[i]!) / calls) * 1_000) });
      }
      const [a, b] = steps.slice(-2);
      o.log?.(`paired round ${r + 1}/${o.rounds}: ${a!.box} ${a!.cpuSecondsPer1000Calls}, ${b!.box} ${b!.cpuSecondsPer1000Calls} CPU s per 1,000 calls (failed ${a!.failed}, ${b!.failed})`);
    }
    const figures = pairedFigures(names, steps, o.rounds);
    return {
      rate: o.rate,
      seconds: o.seconds,
      rounds: o.rounds,
      callMs: CALL_MS,
      steps,
      ...figures,
      ...(figures.ratio === null ? { note: 'no round had both steps without a failed call' } : {}),
    };
  } finally {
    for (const b of boxes) await b.stop();
    await uas.stop(1_000);
  }
}
