/**
 * CPU time, memory and UDP drops of processes under test, read from /proc (Linux only). Several
 * pids are summed because some peers (Kamailio) work as a group of forked processes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim());
    } catch {
      clockTicks = NaN;
    }
    // 100 is what Linux reports on every common architecture; only used if getconf is missing.
    if (!Number.isFinite(clockTicks) || clockTicks <= 0) clockTicks = 100;
  }
  return clockTicks;
}

/** Fields after the command name of /proc/PID/stat (or of one thread's, /proc/PID/task/TID/stat); rest[0] is field 3 (state). */
function statFields(pid: number, tid?: number): string[] {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and ')'; fields after the last ')' are fixed.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime of a process in seconds, from /proc/PID/stat. Throws if the process is gone. */
export function cpuSecondsOf(pid: number): number {
  return cpuOfFields(statFields(pid), pid);
}

/**
 * utime + stime of a process's main thread (its first, whose id is the pid's): for Node, the
 * event loop and the JavaScript on it, without V8's helpers, worker threads or native threads.
 * The call rate one process can carry ends where this reaches one core.
 */
export function mainThreadCpuSecondsOf(pid: number): number {
  return cpuOfFields(statFields(pid, pid), pid);
}

function cpuOfFields(rest: string[], pid: number): number {
  const { user, system } = splitOfFields(rest, pid);
  return user + system;
}

/** A process's CPU seconds in user space (utime) and in the kernel on its behalf (stime). */
export interface CpuSplit {
  user: number;
  system: number;
}

function splitOfFields(rest: string[], pid: number): CpuSplit {
  // utime (field 14) is rest[11] and stime (field 15) rest[12].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot parse /proc/${pid}/stat`);
  const hz = ticksPerSecond();
  return { user: utime / hz, system: stime / hz };
}

/**
 * cpuSecondsOf split into user space and the kernel (all threads). Throws if the process is gone.
 * The split says whether a box's extra CPU is its own code or the system calls and network stack
 * that every box pays per datagram.
 */
export function cpuSplitOf(pid: number): CpuSplit {
  return splitOfFields(statFields(pid), pid);
}

/**
 * Sum of stime over pids, in seconds: the kernel's part of cpuSecondsOfAll (system calls, the
 * network stack, context switches). A pid gone counts 0, as there.
 */
export function systemCpuSecondsOfAll(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += cpuSplitOf(pid).system;
    } catch {
      // gone
    }
  }
  return total;
}

/**
 * Sum of utime + stime over pids, in seconds. A pid that has gone away counts 0: a worker that
 * exits mid-step must not abort the measurement (its time is lost, which the caller accepts).
 */
export function cpuSecondsOfAll(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += cpuSecondsOf(pid);
    } catch {
      // gone
    }
  }
  return total;
}

/**
 * Resident and proportional set size summed over pids, in KB, from /proc/PID/smaps_rollup. PSS
 * splits each shared page among the processes mapping it, so the sum counts Kamailio's shared
 * memory once, where an RSS sum would count it once per process. Gone pids count 0.
 */
export function memoryKb(pids: number[]): { rssKb: number; pssKb: number } {
  let rssKb = 0;
  let pssKb = 0;
  for (const pid of pids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    } catch {
      continue;
    }
    rssKb += Number(/^Rss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
    pssKb += Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
  }
  return { rssKb, pssKb };
}

/** pid and all its descendants (from the PPid of every /proc entry); [] if pid is gone. */
export function processTree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Field 4 of stat is the parent pid (rest[1]).
      parentOf.set(Number(name), Number(statFields(Number(name))[1]));
    } catch {
      // exited while we looked
    }
  }
  if (!parentOf.has(pid)) return [];
  const tree = [pid];
  // Breadth-first over a finite map: each pid is added at most once, so this ends.
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parentOf) {
      if (parent === tree[i] && !tree.includes(child)) tree.push(child);
    }
  }
  return tree;
}

/** Sends `signal` to each of these processes (ones this bench started); one already gone is skipped. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Ends a process this bench started, by its PID: SIGTERM, then SIGKILL if it has not exited
 * `graceMs` later; resolves once `exited` settles. A process already gone is no error.
 */
export async function terminate(pid: number, exited: Promise<unknown>, graceMs = 5_000): Promise<void> {
  const signal = (s: NodeJS.Signals): void => {
    try {
      process.kill(pid, s);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The drops column of /proc/net/udp (or udp6) by socket inode: datagrams the kernel threw away
 * because the socket's receive buffer was full (the process did not read fast enough). Lines
 * that do not parse are skipped; the header line has no numeric inode.
 */
export function udpDropsByInode(table: string): Map<number, number> {
  const drops = new Map<number, number>();
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
    if (f.length < 13) continue;
    const inode = Number(f[9]);
    const n = Number(f[f.length - 1]);
    if (Number.isInteger(inode) && inode > 0 && Number.isInteger(n)) drops.set(inode, n);
  }
  return drops;
}

/** Inodes of the sockets a process has open (its fd links `socket:[N]`); empty if it is gone. */
function socketInodesOf(pid: number): number[] {
  const out: number[] = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m !== null) out.push(Number(m[1]));
    } catch {
      // closed while we looked
    }
  }
  return out;
}

/**
 * Datagrams dropped so far at the UDP sockets the processes have open, summed: where a load
 * test lost messages (the middle box's sockets, or the generator's) when a step fails with
 * retransmissions. Each socket counts once, however many of the processes share it (Kamailio's
 * children inherit their listening socket). Read from each process's own /proc/PID/net (its
 * network namespace). Gone pids count 0; a socket closed before the reading takes its drops
 * with it.
 */
export function udpDropsOf(pids: number[]): number {
  const drops = new Map<number, number>();
  for (const pid of pids) {
    const inodes = socketInodesOf(pid);
    if (inodes.length === 0) continue;
    for (const file of ['udp', 'udp6']) {
      let table: string;
      try {
        table = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
      } catch {
        continue;
      }
      const byInode = udpDropsByInode(table);
      for (const inode of inodes) {
        const n = byInode.get(inode);
        if (n !== undefined) drops.set(inode, n);
      }
    }
  }
  let total = 0;
  for (const n of drops.values()) total += n;
  return total;
}
