// Running sipp (Debian sip-tester, sipp 3.6.1) from tests and reading its verdict from the
// statistics files it writes, not from its screen.
//
// What sipp 3.6.1 does here (tried on this machine):
// - Stdin: it reads keyboard commands from stdin. /dev/null works: the only effect is one
//   "Failed to delete FD from epoll" line on stderr at exit, counted in Warnings(C). A pipe that
//   later closes makes it spin at 100% CPU on EOF, so stdin is always /dev/null ('ignore'), and
//   neither -bg nor -nostdin is needed. No tty is needed for stdout either.
// - Stopping: SIGUSR1 is the graceful stop (like the 'q' key): no new calls, running calls finish
//   (a uas call ends 4 s after its BYE because of <timewait>), then it writes the final statistics
//   row and exits 0/1. SIGTERM and SIGINT exit at once, still write a final row, but calls in
//   progress are counted neither successful nor failed (they stay in CurrentCall).
// - Exit code: 0 all calls successful, 1 some failed, 255/254 fatal (e.g. cannot bind).
// - -trace_stat -stf FILE writes a ';'-separated CSV with a header row and one row per -fd
//   period plus a final row; every line ends with ';'. (C) columns are cumulative: SuccessfulCall,
//   FailedCall and its breakdown Failed*(C), Retransmissions, OutgoingCall, IncomingCall, ...
// - -trace_counts has no file-name option: it writes <scenario>_<pid>_counts.csv into the working
//   directory, so sipp runs in a private temp directory unless the caller sets cwd.
// - Without -p a uac binds 5060; it also binds media ports 6000/6002 and a control port on
//   0.0.0.0:8888, each moving up when taken, so parallel sipps do not collide on those.
// - Over TCP a uas counts the call in progress when the uac closes its socket as
//   FailedTcpClosed(C); judge TCP runs by the uac side.
// - Under UDP loss the built-in uas (-sn uas) sometimes aborts a call: when both its 180 and its
//   200 are lost, the uac's INVITE retransmission arrives while the uas waits for the ACK and is
//   taken as unexpected (about one run in five at 10% loss, 50 calls). UAS_LOSS_TOLERANT
//   (no 180) has not failed that way.
// - A uac matches `<recv response="200">` by status code only: after its BYE, a late
//   retransmitted 200 to the INVITE can stand in for the BYE's 200. The uac then counts the
//   call successful while the uas, whose BYE was lost, waits for it forever; stop() then needs
//   its SIGTERM fallback.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { spawnIn, terminate } from './netns.js';

export interface SippOptions {
  /** sipp arguments (scenario, target, -m, -r, -t, -i, -p ...). Statistics options are added. */
  args: string[];
  /** Namespace to run in; null/undefined = host (then -i 127.0.0.1 and a free -p are added if absent). */
  ns?: string | null;
  /** Working directory (e.g. where pcap/ lives); default a private temp directory. */
  cwd?: string;
  /** Hard cap: SIGTERM after this long (final stats are still written), SIGKILL 2 s later. */
  timeoutMs: number;
  /** Scenario text: written to the run's temp directory and passed as -sf (then omit -sn/-sf). */
  scenarioXml?: string;
  /**
   * Read each second from sipp's statistics (its -fd 1 rows): when it returns true, sipp is
   * stopped as at the timeoutMs cap (SIGTERM, final row written) and the result says
   * stoppedEarly. For a verdict that can only get worse as the run goes on (a failed call, a
   * retransmission count over a limit), so a run that has already failed ends at once.
   */
  stopWhen?: (sofar: SippSummary) => boolean;
}

/** The counters of one statistics row (see summarize). */
export type SippSummary = Pick<
  SippResult,
  'successful' | 'failed' | 'unexpected' | 'retransmissions' | 'outgoing' | 'incoming' | 'current' | 'failures'
>;

/** sipp's uas scenario for lossy paths (see the loss note above and the file's own comment). */
export const UAS_LOSS_TOLERANT = fileURLToPath(new URL('../scenarios/uas-lossy.xml', import.meta.url));

export interface SippResult {
  /** Exit code, or null when it died from a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the timeoutMs cap, not sipp itself, ended the run. */
  timedOut: boolean;
  /** True when stopWhen ended the run. */
  stoppedEarly: boolean;
  successful: number;
  failed: number;
  /** FailedUnexpectedMessage(C). */
  unexpected: number;
  retransmissions: number;
  outgoing: number;
  incoming: number;
  /** Calls still in progress at the final row (non-zero after a hard stop). */
  current: number;
  /** FailedCall(C) breakdown, e.g. { FailedMaxUDPRetrans: 2, FailedTcpClosed: 0, ... }. */
  failures: Record<string, number>;
  /** Final row of the statistics CSV, by header name; {} if sipp wrote none (e.g. bad arguments). */
  stats: Record<string, string>;
  /** Final row of the -trace_counts CSV (per scenario message: sent/recv/retrans/timeout/unexp). */
  counts: Record<string, string>;
  /** Head of the -trace_err log: unexpected messages, useful when a call failed. */
  errors: string;
  stdout: string;
  stderr: string;
}

export interface SippServer {
  pid: number;
  /** Resolves when sipp exits (by itself, by stop(), or by the timeoutMs cap). */
  done: Promise<SippResult>;
  /** SIGUSR1 (graceful: running calls finish, final stats written); SIGTERM after graceMs, SIGKILL 2 s later. */
  stop(graceMs?: number): Promise<SippResult>;
}

const OUTPUT_CAP = 256 * 1024;
/** sipp writes a statistics row each second (-fd 1): stopWhen reads them as often. */
const STATS_PERIOD_MS = 1_000;
const ERRORS_CAP = 64 * 1024;

function hasFlag(args: string[], flag: string): boolean {
  return args.includes(flag);
}

function transportOf(args: string[]): 'udp' | 'tcp' {
  const i = args.indexOf('-t');
  const mode = i >= 0 ? (args[i + 1] ?? '') : '';
  return mode.startsWith('t') ? 'tcp' : 'udp';
}

/** Parses a sipp CSV (';'-separated, header row, trailing ';') and returns its last data row. */
export function parseLastRow(csv: string): Record<string, string> {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0];
  const last = lines[lines.length - 1];
  if (header === undefined || last === undefined || lines.length < 2) return {};
  const names = header.split(';');
  const values = last.split(';');
  const row: Record<string, string> = {};
  names.forEach((name, i) => {
    // The trailing ';' yields one empty column name; it carries nothing.
    if (name.trim() === '') return;
    row[name.trim()] = (values[i] ?? '').trim();
  });
  return row;
}

function num(stats: Record<string, string>, key: string): number {
  const v = Number(stats[key]);
  return Number.isFinite(v) ? v : 0;
}

/** Builds the result numbers from a final statistics row. */
export function summarize(stats: Record<string, string>): SippSummary {
  const failures: Record<string, number> = {};
  for (const key of Object.keys(stats)) {
    const m = /^(Failed\w+)\(C\)$/.exec(key);
    if (m !== null && m[1] !== 'FailedCall') failures[m[1] as string] = num(stats, key);
  }
  return {
    successful: num(stats, 'SuccessfulCall(C)'),
    failed: num(stats, 'FailedCall(C)'),
    unexpected: num(stats, 'FailedUnexpectedMessage(C)'),
    retransmissions: num(stats, 'Retransmissions(C)'),
    outgoing: num(stats, 'OutgoingCall(C)'),
    incoming: num(stats, 'IncomingCall(C)'),
    current: num(stats, 'CurrentCall'),
    failures,
  };
}

/** A port that was free on `address` a moment ago (bind to 0, read, close). Racy by nature; fine for tests. */
export function freePort(proto: 'udp' | 'tcp', address = '127.0.0.1'): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    if (proto === 'tcp') {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, address, () => {
        const addr = server.address();
        const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
        server.close(() => resolve(port));
      });
    } else {
      const sock = createSocket('udp4');
      sock.once('error', reject);
      sock.bind(0, address, () => {
        const port = sock.address().port;
        sock.close(() => resolve(port));
      });
    }
  });
}

function appendCapped(buf: string, chunk: Buffer): string {
  const next = buf + chunk.toString('utf8');
  // Keep the tail: sipp's final screen, which says why it stopped, comes last.
  return next.length > OUTPUT_CAP ? next.slice(next.length - OUTPUT_CAP) : next;
}

async function readOr(path: string, fallback: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return fallback;
  }
}

interface Launched {
  child: ChildProcess;
  done: Promise<SippResult>;
}

async function launch(opts: SippOptions): Promise<Launched> {
  const ns = opts.ns ?? null;
  const tmp = await mkdtemp(join(tmpdir(), 'sluice-sipp-'));
  const cwd = opts.cwd ?? tmp;
  const statsFile = join(tmp, 'stats.csv');
  const errorFile = join(tmp, 'errors.log');
  const args = [...opts.args];
  if (opts.scenarioXml !== undefined) {
    const scenarioFile = join(tmp, 'scenario.xml');
    await writeFile(scenarioFile, opts.scenarioXml);
    args.unshift('-sf', scenarioFile);
  }
  if (ns === null) {
    // On the host, keep sipp's own address on loopback and off the default 5060.
    if (!hasFlag(args, '-i')) args.push('-i', '127.0.0.1');
    if (!hasFlag(args, '-p')) args.push('-p', String(await freePort(transportOf(args), '127.0.0.1')));
  }
  args.push(
    '-trace_stat', '-stf', statsFile, '-fd', '1',
    '-trace_counts',
    '-trace_err', '-error_file', errorFile,
  );

  // stdin must be /dev/null, not a pipe: see the notes at the top of this file.
  const child = spawnIn(ns, 'sipp', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => { stdout = appendCapped(stdout, c); });
  child.stderr?.on('data', (c: Buffer) => { stderr = appendCapped(stderr, c); });

  let timedOut = false;
  let stoppedEarly = false;
  const timer = setTimeout(() => {
    timedOut = true;
    // SIGTERM still makes sipp write its final statistics row.
    void terminate(child, 2_000);
  }, opts.timeoutMs);
  const stopWhen = opts.stopWhen;
  /** Set once sipp has exited: a read still under way then neither stops it nor marks the run. */
  let settled = false;
  let watching = false;
  const watch = stopWhen === undefined ? null : setInterval(() => {
    if (watching || stoppedEarly || timedOut) return;
    watching = true;
    void readOr(statsFile, '').then((text) => {
      watching = false;
      // Whole rows only: sipp may be writing the last one.
      const csv = text.slice(0, text.lastIndexOf('\n') + 1);
      if (settled || stoppedEarly || timedOut || csv === '' || !stopWhen(summarize(parseLastRow(csv)))) return;
      stoppedEarly = true;
      void terminate(child, 2_000);
    });
  }, STATS_PERIOD_MS);

  const done = new Promise<SippResult>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null, extraErr = ''): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (watch !== null) clearInterval(watch);
      void (async () => {
        const stats = parseLastRow(await readOr(statsFile, ''));
        let counts: Record<string, string> = {};
        const pid = child.pid;
        if (pid !== undefined) {
          const suffix = `_${pid}_counts.csv`;
          const names = await readdir(cwd).catch(() => [] as string[]);
          for (const name of names.filter((n) => n.endsWith(suffix))) {
            counts = parseLastRow(await readOr(join(cwd, name), ''));
            // Only remove it from a caller's directory; the temp directory goes as a whole.
            if (cwd !== tmp) await rm(join(cwd, name), { force: true });
          }
        }
        const errors = (await readOr(errorFile, '')).slice(0, ERRORS_CAP);
        await rm(tmp, { recursive: true, force: true });
        resolve({
          code,
          signal,
          timedOut,
          stoppedEarly,
          ...summarize(stats),
          stats,
          counts,
          errors,
          stdout,
          stderr: stderr + extraErr,
        });
      })();
    };
    // 'close' (not 'exit') so that stdout and stderr are fully read.
    child.once('close', (code, signal) => finish(code, signal));
    child.once('error', (err) => finish(null, null, `\nspawn error: ${err.message}`));
  });
  return { child, done };
}

/** Runs sipp to completion (or to the timeoutMs cap) and returns its parsed final statistics. */
export async function runSipp(opts: SippOptions): Promise<SippResult> {
  const { done } = await launch(opts);
  return done;
}

function portArg(args: string[]): number | null {
  const i = args.indexOf('-p');
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isInteger(v) && v > 0 ? v : null;
}

// /proc/PID/net/* shows the sockets of PID's network namespace, so this works for sipp inside a
// namespace too. Port is the 4-hex-digit field after ':' in local_address.
async function isListening(pid: number, port: number, proto: 'udp' | 'tcp'): Promise<boolean> {
  // Until `ip netns exec` has exec'd sipp, PID may still see the host's sockets (comm is 'ip').
  if ((await readOr(`/proc/${pid}/comm`, '')).trim() !== 'sipp') return false;
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const file of proto === 'udp' ? ['udp', 'udp6'] : ['tcp', 'tcp6']) {
    const text = await readOr(`/proc/${pid}/net/${file}`, '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1] ?? '';
      // TCP must be in LISTEN (0A); UDP sockets are just bound (07).
      if (local.endsWith(hex) && (proto === 'udp' || cols[3] === '0A')) return true;
    }
  }
  return false;
}

/**
 * Starts a long-running sipp (typically a uas) and resolves once its SIP port is bound, so a
 * client started next cannot race it. The timeoutMs cap still applies as a safety net.
 */
export async function startSipp(opts: SippOptions): Promise<SippServer> {
  const { child, done } = await launch(opts);
  const pid = child.pid;
  if (pid === undefined) {
    const r = await done;
    throw new Error(`sipp did not start: ${r.stderr.trim()}`);
  }
  let exited = false;
  void done.then(() => { exited = true; });

  // The port is known even when launch() picked it, because launch appended it to a copy of args.
  const port = portArg(child.spawnargs);
  const proto = transportOf(child.spawnargs);
  const deadline = Date.now() + 5_000;
  // Bounded: 5 s at 20 ms steps.
  while (port !== null && !exited && Date.now() < deadline) {
    if (await isListening(pid, port, proto)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  if (exited) {
    const r = await done;
    throw new Error(`sipp exited early (code ${r.code}): ${r.stderr.trim() || r.stdout.slice(-2000)}`);
  }
  if (port !== null && !(await isListening(pid, port, proto))) {
    await terminate(child);
    throw new Error(`sipp (pid ${pid}) did not bind ${proto} port ${port} within 5 s`);
  }

  const stop = async (graceMs = 10_000): Promise<SippResult> => {
    if (!exited && child.exitCode === null && child.signalCode === null) {
      // SIGUSR1 = graceful quit in sipp 3.6.1 (final statistics are written).
      try {
        process.kill(pid, 'SIGUSR1');
      } catch {
        // already exited
      }
      const timer = setTimeout(() => void terminate(child, 2_000), graceMs);
      try {
        return await done;
      } finally {
        clearTimeout(timer);
      }
    }
    return done;
  };
  return { pid, done, stop };
}
