/**
 * The Node floor of the Sluice-vs-Kamailio benchmark: the highest call rate any SIP middle box
 * written in Node sustains on this machine, measured on a stateless proxy that does the least a
 * proxy must (bench/lib/stateless-proxy.ts), in a process of its own, with the same generator,
 * scenarios and rate search as Kamailio's and Sluice's sides: sipp uac-rr -> proxy -> sipp uas-rr,
 * UDP on 127.0.0.1. What Sluice spends above it is Sluice's own; what it reaches is Node's limit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hasBinary } from '../../test/interop/harness/prereq.js';
import { freePort, startSipp, type SippServer } from '../../test/interop/harness/sipp.js';
import { searchOptions, SIPP_BUFFER_ARGS, UAS_RR, type RateOptions } from './kamailio-parts.js';
import { searchMaxRate } from './sipp-rate.js';
import { terminate } from './proc.js';
import type { ProxyCounts } from './stateless-proxy.js';

type PartResult = Record<string, unknown>;

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const SIPP_MISSING = 'sipp not installed (apt-get install sip-tester)';
const PROXY_SCRIPT = fileURLToPath(new URL('./stateless-proxy.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

interface ProxyChild {
  pid: number;
  /** Ends it by its PID (SIGTERM, then SIGKILL); resolves with the counts it printed, if any. */
  stop(): Promise<ProxyCounts | null>;
}

/** The proxy as `node --import tsx` runs it (as the media benches run theirs), once it printed `ready`. */
async function startProxy(port: number, nextHopPort: number): Promise<ProxyChild> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', PROXY_SCRIPT, String(port), String(nextHopPort)], {
    cwd: root,
    // The IPC channel is only there so that the proxy ends if this process dies.
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
      const timer = setTimeout(() => reject(new Error('stateless proxy not ready within 30 s')), 30_000);
      const onData = (): void => {
        if (out.includes('ready\n')) done(null);
      };
      const onExit = (code: number | null): void => done(new Error(`stateless proxy exited (${code}) before it was ready: ${out.slice(-500)}`));
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
        return last.startsWith('{') ? (JSON.parse(last) as ProxyCounts) : null;
      } catch {
        return null;
      }
    },
  };
}

/** The stateless proxy's rate search: the highest rate with zero failed calls, CPU s per 1,000 calls. */
export async function runNodeFloor(o: RateOptions = {}): Promise<PartResult> {
  if (!hasBinary('sipp')) return { skipped: SIPP_MISSING };
  const so = searchOptions(o, 1_000);
  let uas: SippServer | undefined;
  let proxy: ProxyChild | undefined;
  let result: PartResult = {};
  try {
    const trunk = await freePort('udp');
    // The same socket buffers as the other sides: sipp's 64 KB drop bursts.
    uas = await startSipp({ args: ['-sf', UAS_RR, '-p', String(trunk), ...SIPP_BUFFER_ARGS], timeoutMs: ((so.maxSeconds ?? 170) + 60) * 1_000 });
    const port = await freePort('udp');
    proxy = await startProxy(port, trunk);
    o.log?.(`node floor (stateless proxy): searching from ${so.startRate} calls/s`);
    const rate = await searchMaxRate({ ...so, target: { host: '127.0.0.1', port, transport: 'udp' }, pids: [proxy.pid] });
    const b = rate.best;
    o.log?.(b === null ? `node floor: no rate confirmed (${rate.note ?? 'see steps'})` : `node floor: ${b.rate} calls/s for ${b.seconds} s, ${b.cpuSecondsPer1000Calls ?? '-'} CPU s per 1,000 calls`);
    result = { node: process.version, processes: 1, rate };
  } catch (err) {
    result = { error: message(err) };
  } finally {
    const counts = await proxy?.stop();
    // What the proxy saw over the whole search: drops or send errors point at the proxy, not sipp.
    if (counts !== undefined) result.proxyCounts = counts;
    await uas?.stop(2_000);
  }
  return result;
}
