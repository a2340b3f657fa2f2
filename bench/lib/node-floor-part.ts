/**
 * The Node floors of the Sluice-vs-Kamailio benchmark: the highest call rate a SIP middle box
 * written in Node sustains on this machine, measured on two that do the least their kind must,
 * each in a process of its own, with the same generator, scenarios and rate search as Kamailio's
 * and Sluice's sides (sipp uac-rr -> middle box -> sipp uas-rr, UDP on 127.0.0.1):
 * - a stateless proxy (bench/lib/stateless-proxy.ts): Node's own limit for any middle box;
 * - a B2BUA (bench/lib/b2bua-floor.ts): two dialogs per call, with their transactions' timers,
 *   which is what Sluice is. What Sluice spends above it is the cost of Sluice's design.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hasBinary } from '../../test/interop/harness/prereq.js';
import { freePort, type SippServer } from '../../test/interop/harness/sipp.js';
import { freshUas, inTurns, searchOptions, startUas, uasSecondsFor, type RateOptions } from './kamailio-parts.js';
import { searchMaxRate } from './sipp-rate.js';
import { terminate } from './proc.js';
import { LAUNCHER } from './sluice.js';
import { warmUpAt } from './sluice-parts.js';
import type { FloorCounts } from './b2bua-floor.js';
import type { ProxyCounts } from './stateless-proxy.js';

type PartResult = Record<string, unknown>;

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const SIPP_MISSING = 'sipp not installed (apt-get install sip-tester)';
const SCRIPTS = {
  proxy: fileURLToPath(new URL('./stateless-proxy.ts', import.meta.url)),
  b2bua: fileURLToPath(new URL('./b2bua-floor.ts', import.meta.url)),
};
/** What each floor is called in logs and tables. */
export const FLOOR_NAMES = { proxy: 'stateless proxy', b2bua: 'minimal B2BUA' };
export type FloorKind = keyof typeof SCRIPTS;
const root = fileURLToPath(new URL('../..', import.meta.url));

export interface FloorChild {
  pid: number;
  /** Ends it by its PID (SIGTERM, then SIGKILL); resolves with the counts it printed, if any. */
  stop(): Promise<ProxyCounts | FloorCounts | null>;
}

/**
 * Which Node runs a floor: 'node', this Node with its defaults; 'sluice', Node as Sluice runs
 * (the launcher: jemalloc where installed, a 64 MB young generation), so that the floor gets
 * what Sluice's runtime gives Sluice.
 */
export type FloorRuntime = 'node' | 'sluice';

/** How a floor runs beyond its kind: its parts from Sluice (b2bua-floor.ts) and its runtime. */
export interface FloorSetup {
  uses?: string;
  runtime?: FloorRuntime;
}

/**
 * The floor as `node --import tsx` runs it (as the media benches run theirs), once it printed
 * `ready`. `setup.uses`: the B2BUA floor's parts taken from Sluice (b2bua-floor.ts).
 */
export async function startFloor(kind: FloorKind, port: number, nextHopPort: number, setup: FloorSetup = {}, nodeArgs: readonly string[] = []): Promise<FloorChild> {
  const name = FLOOR_NAMES[kind];
  const script = [...nodeArgs, '--import', 'tsx', SCRIPTS[kind], String(port), String(nextHopPort), ...(kind === 'b2bua' ? [setup.uses ?? ''] : [])];
  // The launcher execs node: the child's PID is the floor's.
  const [command, args] = setup.runtime === 'sluice' ? ['sh', [LAUNCHER, ...script]] : [process.execPath, script];
  const child: ChildProcess = spawn(command, args, {
    cwd: root,
    // The IPC channel is only there so that the floor ends if this process dies.
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    if (out.length < 65_536) out += c.toString();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await new Promise<void>((resolve, reject) => {
      // tsx compiles the module first: allow it some time on a loaded machine.
      const timer = setTimeout(() => reject(new Error(`${name} not ready within 30 s`)), 30_000);
      const onData = (): void => {
        if (out.includes('ready\n')) done(null);
      };
      const onExit = (code: number | null): void => done(new Error(`${name} exited (${code}) before it was ready: ${out.slice(-500)}`));
      function done(err: Error | null): void {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        if (err === null) resolve();
        else reject(err);
      }
      child.stdout!.on('data', onData);
      child.once('exit', onExit);
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) await terminate(child.pid!, exited, 3_000);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        return last.startsWith('{') ? (JSON.parse(last) as ProxyCounts | FloorCounts) : null;
      } catch {
        return null;
      }
    },
  };
}

/**
 * How the benchmark runs the minimal B2BUA: on Sluice's runtime, sending through Sluice's send
 * thread and reading through its batched reader. The least a Node B2BUA spends is what it spends
 * with what Sluice has: on this Node's defaults and dgram, two searches in one sitting read 4,500
 * calls/s at 0.165 CPU s per 1,000 calls against 5,511 at 0.113.
 */
export const B2BUA_FLOOR_SETUP: FloorSetup = { runtime: 'sluice', uses: 'sendThread,batchReceive' };

/**
 * The minimal B2BUA with the two parts the goal asks of any B2BUA here, taken from Sluice: its
 * SIP parser (every message checked as RFC 4475's torture tests ask, so bad input gets a clear
 * error) and its SDP regeneration ("B2BUA regeneration on"). What it spends is spent before any
 * transaction, dialog or call state of Sluice's own: set beside Kamailio plain, it says how much
 * room the calls/s goal leaves for the rest of a B2BUA.
 */
export const B2BUA_FLOOR_CHECKED_SETUP: FloorSetup = { runtime: 'sluice', uses: 'sendThread,batchReceive,parser,sdp' };

/** A floor's rate search: the highest rate with zero failed calls, CPU s per 1,000 calls. */
export async function runNodeFloor(o: RateOptions = {}, kind: FloorKind = 'proxy', setup: FloorSetup = {}): Promise<PartResult> {
  if (!hasBinary('sipp')) return { skipped: SIPP_MISSING };
  // The minimal B2BUA from 3,000, on Kamailio's rungs (kamailio-parts.ts): from 1,000 its search
  // does not reach a confirm within a quick run's 90 s.
  const so = searchOptions(o, kind === 'b2bua' ? 3_000 : 1_000);
  const name = FLOOR_NAMES[kind];
  const turnId = `node floor (${name}${setup.uses?.includes('parser') === true ? ", with Sluice's parser and SDP" : ''})`;
  let uas: SippServer | undefined;
  let floor: FloorChild | undefined;
  o.turns?.join(turnId, { processes: () => [...(floor === undefined ? [] : [floor.pid]), ...(uas === undefined ? [] : [uas.pid])] });
  const earlier: (ProxyCounts | FloorCounts)[] = [];
  let result: PartResult = {};
  try {
    const trunk = await freePort('udp');
    const port = await freePort('udp');
    const start = (): Promise<FloorChild> => startFloor(kind, port, trunk, setup);
    const uasSeconds = uasSecondsFor(o, so);
    const setUp = async (): Promise<void> => {
      // The same uas, and socket buffers, as the other sides.
      uas = (await startUas(uasSeconds, trunk)).uas;
      floor = await start();
      // In turns it starts near the limit with the others: warmed up first, as Sluice is.
      if (o.turns !== undefined) await warmUpAt(port);
    };
    await (o.turns === undefined ? setUp() : o.turns.take(turnId, setUp));
    o.log?.(`node floor (${name}): searching from ${so.startRate} calls/s${o.turns === undefined ? '' : ', in turns'}`);
    const rate = await searchMaxRate({
      ...so,
      ...inTurns(o, turnId),
      target: { host: '127.0.0.1', port, transport: 'udp' },
      pids: [floor!.pid],
      // As Kamailio's and Sluice's sides do: a step after a failure starts on a fresh process, warmed
      // up as Sluice's is (both are Node). Without it the calls a failed step left retransmitting
      // for 32 s burdened the next steps.
      restartTarget: async () => {
        const before = await floor?.stop();
        if (before !== undefined && before !== null) earlier.push(before);
        floor = undefined;
        if (uas !== undefined) uas = await freshUas(uas, trunk, uasSeconds);
        floor = await start();
        await warmUpAt(port);
        return [floor.pid];
      },
    });
    const b = rate.best;
    o.log?.(b === null ? `node floor (${name}): no rate confirmed (${rate.note ?? 'see steps'})` : `node floor (${name}): ${b.rate} calls/s for ${b.seconds} s, ${b.cpuSecondsPer1000Calls ?? '-'} CPU s per 1,000 calls`);
    result = { node: process.version, processes: 1, runtime: setup.runtime ?? 'node', uses: setup.uses ?? '', rate };
  } catch (err) {
    result = { error: message(err) };
  } finally {
    o.turns?.leave(turnId);
    const last = await floor?.stop();
    if (last !== undefined && last !== null) earlier.push(last);
    // What the floor saw over the whole search (every process of it): drops or send errors point
    // at it, not sipp.
    if (earlier.length > 0) result.counts = sumCounts(earlier);
    await uas?.stop(2_000);
  }
  return result;
}

/** The counts of a floor's processes, field by field. */
function sumCounts(all: readonly (ProxyCounts | FloorCounts)[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const c of all) for (const [k, v] of Object.entries(c)) if (typeof v === 'number') sum[k] = (sum[k] ?? 0) + v;
  return sum;
}
