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
import { freePort, startSipp, type SippServer } from '../../test/interop/harness/sipp.js';
import { searchOptions, SIPP_BUFFER_ARGS, UAS_RR, type RateOptions } from './kamailio-parts.js';
import { searchMaxRate } from './sipp-rate.js';
import { terminate } from './proc.js';
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
 * The floor as `node --import tsx` runs it (as the media benches run theirs), once it printed
 * `ready`. `uses`: the B2BUA floor's parts taken from Sluice (b2bua-floor.ts).
 */
export async function startFloor(kind: FloorKind, port: number, nextHopPort: number, uses = '', nodeArgs: readonly string[] = []): Promise<FloorChild> {
  const name = FLOOR_NAMES[kind];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', SCRIPTS[kind], String(port), String(nextHopPort), ...(kind === 'b2bua' ? [uses] : [])], {
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

/** A floor's rate search: the highest rate with zero failed calls, CPU s per 1,000 calls. */
export async function runNodeFloor(o: RateOptions = {}, kind: FloorKind = 'proxy'): Promise<PartResult> {
  if (!hasBinary('sipp')) return { skipped: SIPP_MISSING };
  // The minimal B2BUA from 3,000, on Kamailio's rungs (kamailio-parts.ts): from 1,000 its search
  // does not reach a confirm within a quick run's 90 s.
  const so = searchOptions(o, kind === 'b2bua' ? 3_000 : 1_000);
  const name = FLOOR_NAMES[kind];
  let uas: SippServer | undefined;
  let floor: FloorChild | undefined;
  let result: PartResult = {};
  try {
    const trunk = await freePort('udp');
    // The same socket buffers as the other sides: sipp's 64 KB drop bursts.
    uas = await startSipp({ args: ['-sf', UAS_RR, '-p', String(trunk), ...SIPP_BUFFER_ARGS], timeoutMs: ((so.maxSeconds ?? 170) + 60) * 1_000 });
    const port = await freePort('udp');
    floor = await startFloor(kind, port, trunk);
    o.log?.(`node floor (${name}): searching from ${so.startRate} calls/s`);
    const rate = await searchMaxRate({ ...so, target: { host: '127.0.0.1', port, transport: 'udp' }, pids: [floor.pid] });
    const b = rate.best;
    o.log?.(b === null ? `node floor (${name}): no rate confirmed (${rate.note ?? 'see steps'})` : `node floor (${name}): ${b.rate} calls/s for ${b.seconds} s, ${b.cpuSecondsPer1000Calls ?? '-'} CPU s per 1,000 calls`);
    result = { node: process.version, processes: 1, rate };
  } catch (err) {
    result = { error: message(err) };
  } finally {
    const counts = await floor?.stop();
    // What the floor saw over the whole search: drops or send errors point at it, not sipp.
    if (counts !== undefined && counts !== null) result.counts = counts;
    await uas?.stop(2_000);
  }
  return result;
}
