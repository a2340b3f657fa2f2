/**
 * Kamailio under test for the benchmarks: our own foreground instance (never a system service)
 * with a generated config (bench/kamailio/proxy.cfg.ts) in a work directory, ended by its pid.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasBinary } from '../../test/interop/harness/prereq.js';
import { kamailioConfig } from '../kamailio/proxy.cfg.js';
import { processTree, terminate } from './proc.js';

export interface KamailioInstance {
  /** The main (attendant) process. */
  pid: number;
  /** Main process and its children (SIP workers, timers, ctl...), from /proc. */
  pids(): number[];
  port: number;
  stop(): Promise<void>;
  /** `kamcmd core.shmmem` used, in bytes; null if the ctl socket does not answer. */
  shmUsedBytes(): number | null;
  /** All of `kamcmd core.shmmem` (total, free, used, real_used, max_used, fragments). */
  shmStats(): Record<string, number> | null;
  /** `kamcmd dlg.stats_active` all; null if the ctl socket does not answer. */
  activeDialogs(): number | null;
  /** `kamcmd dlg.stats_active` by state (starting, connecting, answering, ongoing, all). */
  dialogStats(): Record<string, number> | null;
  /** `kamcmd tm.stats` current: transactions still in memory (incl. those on wait timers). */
  transactions(): number | null;
}

export interface KamailioStartOptions {
  mode: 'plain' | 'topos';
  port: number;
  uasPort: number;
  redisPort?: number;
  /** Holds the config, the ctl socket, the pid file and kamailio.log; the caller removes it. */
  workDir: string;
  children?: number;
  /**
   * Shared memory in MB. Default 2048: tm keeps every transaction 5 s after its final answer
   * (wait timer) at ~17 KB each, so 5,000 calls/s (INVITE + BYE) hold ~50,000 of them, ~850 MB;
   * 512 MB ran out at ~4,000 calls/s ("could not allocate shared memory", 500 replies). Pages
   * are only resident once used, so the size itself costs nothing.
   */
  shmMb?: number;
  /** Private memory per process in MB (default 16). */
  pkgMb?: number;
}

const BASE_MODULES = ['kex', 'corex', 'tm', 'sl', 'rr', 'pv', 'maxfwd', 'textops', 'siputils', 'ctl', 'dialog'];
const TOPOS_MODULES = ['ndb_redis', 'topos', 'topos_redis'];

/** The module directory kamailio searches by default, from `kamailio -h`. */
function moduleDir(): string | null {
  try {
    const out = execFileSync('kamailio', ['-h'], { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return /Modules search path \(default: ([^)]+)\)/.exec(out)?.[1]?.trim() ?? null;
  } catch (err) {
    // `kamailio -h` exits non-zero on some builds but still prints the help.
    const out = String((err as { stdout?: unknown }).stdout ?? '');
    return /Modules search path \(default: ([^)]+)\)/.exec(out)?.[1]?.trim() ?? null;
  }
}

/** null when kamailio, kamcmd and the modules of `mode` are installed; else a one-line reason. */
export function kamailioMissing(mode: 'plain' | 'topos' = 'plain'): string | null {
  if (!hasBinary('kamailio')) return 'kamailio not installed (apt-get install kamailio)';
  if (!hasBinary('kamcmd')) return 'kamcmd not installed (apt-get install kamailio)';
  const dir = moduleDir();
  if (dir === null) return 'cannot find the kamailio module directory (kamailio -h)';
  const lacking = BASE_MODULES.filter((m) => !existsSync(join(dir, `${m}.so`)));
  if (lacking.length > 0) return `kamailio modules missing in ${dir}: ${lacking.join(', ')}`;
  if (mode === 'topos') {
    const t = TOPOS_MODULES.filter((m) => !existsSync(join(dir, `${m}.so`)));
    if (t.length > 0) return `kamailio modules missing: ${t.join(', ')} (apt-get install kamailio-redis-modules)`;
    if (!hasBinary('redis-server')) return 'redis-server not installed (apt-get install redis-server)';
  }
  return null;
}

/** "5.6.3" from `kamailio -v`, or null. */
export function kamailioVersion(): string | null {
  if (!hasBinary('kamailio')) return null;
  try {
    const out = execFileSync('kamailio', ['-v'], { encoding: 'utf8', timeout: 5_000 });
    return /version: kamailio (\S+)/.exec(out)?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Runs one kamcmd command on the binrpc socket; null on any failure or after 3 s. */
function kamcmd(socket: string, command: string): string | null {
  try {
    return execFileSync('kamcmd', ['-s', `unix:${socket}`, command], { encoding: 'utf8', timeout: 3_000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

function field(out: string | null, name: string): number | null {
  if (out === null) return null;
  const m = new RegExp(`^\\s*${name}:\\s*(\\d+)\\s*$`, 'm').exec(out);
  return m ? Number(m[1]) : null;
}

function fields(out: string | null): Record<string, number> | null {
  if (out === null) return null;
  const r: Record<string, number> = {};
  for (const m of out.matchAll(/^\s*(\w+):\s*(\d+)\s*$/gm)) r[m[1] as string] = Number(m[2]);
  return r;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * Starts Kamailio in the foreground (-DD: the process we spawn is the main one, its workers are
 * its children) with the memory managers an operator would pick (-x tlsf -X tlsf: the packaged
 * default costs several times the CPU). Resolves once the ctl socket answers.
 */
export async function startKamailio(opts: KamailioStartOptions): Promise<KamailioInstance> {
  mkdirSync(opts.workDir, { recursive: true });
  const cfgFile = join(opts.workDir, 'kamailio.cfg');
  const ctlSocket = join(opts.workDir, 'ctl.sock');
  const logFile = join(opts.workDir, 'kamailio.log');
  const cfg: Parameters<typeof kamailioConfig>[0] = { mode: opts.mode, port: opts.port, uasPort: opts.uasPort, ctlSocket };
  if (opts.redisPort !== undefined) cfg.redisPort = opts.redisPort;
  if (opts.children !== undefined) cfg.children = opts.children;
  writeFileSync(cfgFile, kamailioConfig(cfg));

  const log = openSync(logFile, 'a');
  const child = spawn(
    'kamailio',
    [
      '-DD', '-E', '-f', cfgFile,
      '-x', 'tlsf', '-X', 'tlsf',
      '-m', String(opts.shmMb ?? 2_048), '-M', String(opts.pkgMb ?? 16),
      '-P', join(opts.workDir, 'kamailio.pid'), '-Y', opts.workDir, '-w', opts.workDir,
    ],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  const pid = child.pid;
  const logTail = (): string => {
    try {
      return readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join(' | ');
    } catch {
      return '';
    }
  };

  // Children seen while running: after the main process dies they are re-parented, so stop()
  // needs this list to reach stragglers.
  let known: number[] = pid === undefined ? [] : [pid];
  const pids = (): number[] => {
    if (pid === undefined || exited) return [];
    const tree = processTree(pid);
    if (tree.length > 0) known = tree;
    return tree;
  };

  const stop = async (): Promise<void> => {
    if (pid === undefined) return;
    pids();
    if (!exited) await terminate(pid, exit);
    // The main process normally takes its children down; kill any left, only if still kamailio.
    for (const p of known) {
      if (p !== pid && alive(p) && commOf(p) === 'kamailio') {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
  };

  const deadline = Date.now() + 10_000;
  // Bounded: 10 s at 100 ms steps (kamcmd itself gives up after 3 s).
  while (!exited && Date.now() < deadline) {
    if (existsSync(ctlSocket) && kamcmd(ctlSocket, 'core.uptime') !== null) {
      return {
        pid: pid as number,
        pids,
        port: opts.port,
        stop,
        shmUsedBytes: () => field(kamcmd(ctlSocket, 'core.shmmem'), 'used'),
        shmStats: () => fields(kamcmd(ctlSocket, 'core.shmmem')),
        activeDialogs: () => field(kamcmd(ctlSocket, 'dlg.stats_active'), 'all'),
        dialogStats: () => fields(kamcmd(ctlSocket, 'dlg.stats_active')),
        transactions: () => field(kamcmd(ctlSocket, 'tm.stats'), 'current'),
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(exited ? `kamailio exited at start: ${logTail()}` : `kamailio ctl socket did not answer within 10 s: ${logTail()}`);
}

/**
 * Kamailio plain's SIP workers where no search in the same run said better: one, at which it
 * spent the least CPU per call and held the most calls per second on the bench host
 * (bench/lib/kamailio-parts.ts, plainWorkerCounts).
 */
export const PLAIN_WORKERS = 1;

/**
 * Kamailio plain toward the sipp uas at 127.0.0.1:uasPort, in a work directory of its own under
 * the system's temp dir (`prefix`), removed when it stops or fails to start: the anchor the
 * fixed-rate comparisons (bench:build-up, the `paired` part) set Sluice beside, with `workers`
 * SIP workers (the paired part passes the count that held the most in the same run).
 */
export async function startKamailioPlain(port: number, uasPort: number, prefix: string, workers = PLAIN_WORKERS): Promise<KamailioInstance> {
  const work = mkdtempSync(join(tmpdir(), prefix));
  try {
    const kam = await startKamailio({ mode: 'plain', port, uasPort, workDir: work, children: workers });
    return {
      ...kam,
      stop: async () => {
        await kam.stop();
        rmSync(work, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}
