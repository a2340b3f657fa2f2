// Network namespaces for interop tests: every packet a test sends stays on loopback or inside
// namespaces made here, and everything made here is torn down again, also when a test throws or
// the worker exits. Child processes started through spawnIn are tracked so that only they are
// ever signalled, by PID.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface NsEndpoint {
  /** Namespace name, for `ip netns exec` / spawnIn. */
  ns: string;
  /** The endpoint's IPv4 address (no prefix length). */
  address: string;
  /** Its interface name inside the namespace. */
  dev: string;
}

export interface LossyPath {
  a: NsEndpoint;
  b: NsEndpoint;
  /** The router namespace between a and b (forwards, and drops UDP when lossPercent > 0). */
  router: string;
  lossPercent: number;
  /** Packets the loss rule has dropped so far (0 without a rule; last value after destroy). */
  dropped(): number;
  /** Kills processes spawned in the three namespaces, then deletes them. Safe to call twice. */
  destroy(): void;
}

const CMD_TIMEOUT_MS = 10_000;
const LOSS_TABLE = 'sluice_loss';
// Not 'fwd': that is an nft keyword and fails to parse as a chain name.
const LOSS_CHAIN = 'lossy';

/** Namespaces this process created and has not deleted yet. */
const namespaces = new Set<string>();
/** Children started via spawnIn that have not exited yet, by PID. */
const children = new Map<number, { child: ChildProcess; ns: string | null }>();
let seq = 0;

function run(cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      input,
      timeout: CMD_TIMEOUT_MS,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

/** Runs a command to completion inside a namespace (synchronously, 10 s cap) and returns stdout. */
export function nsExec(ns: string, cmd: string, args: string[], input?: string): string {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], input);
}

function addNamespace(name: string): void {
  run('ip', ['netns', 'add', name]);
  namespaces.add(name);
  // Loopback down would break anything that binds 127.0.0.1 inside the namespace.
  run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  // Only a child that has not been reaped still owns its PID; after that the number may be reused.
  if (child.pid === undefined || !isAlive(child)) return;
  try {
    process.kill(child.pid, sig);
  } catch {
    // already gone between the check and the signal
  }
}

function killChildrenSync(filter: (ns: string | null) => boolean): void {
  for (const { child, ns } of children.values()) {
    if (filter(ns)) signal(child, 'SIGKILL');
  }
}

function deleteNamespace(name: string): void {
  try {
    run('ip', ['netns', 'del', name]);
  } catch {
    // already deleted (or never fully created); nothing more to do
  }
  namespaces.delete(name);
}

/**
 * Builds A — R — B: two end namespaces joined by a router namespace that forwards between
 * 10.201.N.0/24 (A side) and 10.202.N.0/24 (B side). With lossPercent > 0 an nftables rule in R's
 * forward chain drops that share of UDP packets, both directions, and counts what it dropped.
 */
export function createLossyPath(opts: { lossPercent: number; tag?: string }): LossyPath {
  const loss = opts.lossPercent;
  if (!Number.isInteger(loss) || loss < 0 || loss > 100) {
    throw new Error(`lossPercent must be an integer 0..100, got ${loss}`);
  }
  seq += 1;
  // The tag only helps a human reading `ip netns list`; pid and sequence make names unique.
  const tag = (opts.tag ?? '').replace(/[^a-z0-9]/gi, '').slice(0, 8);
  const id = `${tag === '' ? '' : `${tag}-`}${process.pid}-${seq}`;
  const aNs = `sl-a-${id}`;
  const rNs = `sl-r-${id}`;
  const bNs = `sl-b-${id}`;
  // Addresses only exist inside these namespaces, so N need not be unique across processes.
  const n = ((seq - 1) % 254) + 1;
  const a: NsEndpoint = { ns: aNs, address: `10.201.${n}.2`, dev: 'a0' };
  const b: NsEndpoint = { ns: bNs, address: `10.202.${n}.2`, dev: 'b0' };
  const mine = [aNs, rNs, bNs];
  let destroyed = false;
  let lastDropped = 0;

  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    try {
      lastDropped = readDropped();
    } catch {
      // the router may be half-built; keep the last value
    }
    // A process still inside a namespace keeps its network stack alive after `ip netns del`.
    killChildrenSync((ns) => ns !== null && mine.includes(ns));
    for (const ns of mine) deleteNamespace(ns);
  };

  const readDropped = (): number => {
    if (loss === 0) return 0;
    const out = nsExec(rNs, 'nft', ['list', 'chain', 'inet', LOSS_TABLE, LOSS_CHAIN]);
    const m = /counter packets (\d+)/.exec(out);
    if (m === null) throw new Error(`no counter in nft output: ${out}`);
    return Number(m[1]);
  };

  try {
    for (const ns of mine) addNamespace(ns);
    // Creating each veth directly between two namespaces leaves no name in the host namespace.
    run('ip', ['-n', aNs, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'ra', 'netns', rNs]);
    run('ip', ['-n', bNs, 'link', 'add', 'b0', 'type', 'veth', 'peer', 'name', 'rb', 'netns', rNs]);
    run('ip', ['-n', aNs, 'addr', 'add', `${a.address}/24`, 'dev', 'a0']);
    run('ip', ['-n', rNs, 'addr', 'add', `10.201.${n}.1/24`, 'dev', 'ra']);
    run('ip', ['-n', rNs, 'addr', 'add', `10.202.${n}.1/24`, 'dev', 'rb']);
    run('ip', ['-n', bNs, 'addr', 'add', `${b.address}/24`, 'dev', 'b0']);
    for (const [ns, dev] of [[aNs, 'a0'], [rNs, 'ra'], [rNs, 'rb'], [bNs, 'b0']] as const) {
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    run('ip', ['-n', aNs, 'route', 'add', 'default', 'via', `10.201.${n}.1`]);
    run('ip', ['-n', bNs, 'route', 'add', 'default', 'via', `10.202.${n}.1`]);
    nsExec(rNs, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    if (loss > 0) {
      // Forward chain sees both directions; numgen gives independent per-packet loss.
      nsExec(rNs, 'nft', ['-f', '-'], [
        `table inet ${LOSS_TABLE} {`,
        `  chain ${LOSS_CHAIN} {`,
        '    type filter hook forward priority filter; policy accept;',
        `    meta l4proto udp numgen random mod 100 < ${loss} counter drop`,
        '  }',
        '}',
        '',
      ].join('\n'));
    }
  } catch (err) {
    destroy();
    throw err;
  }

  return {
    a,
    b,
    router: rNs,
    lossPercent: loss,
    dropped: () => (destroyed ? lastDropped : readDropped()),
    destroy,
  };
}

/** A — R — B with plain forwarding and no loss rule. */
export function createPlainPath(opts: { tag?: string } = {}): LossyPath {
  return createLossyPath({ lossPercent: 0, tag: opts.tag });
}

/**
 * Spawns `cmd args` inside namespace `ns` (via `ip netns exec`, which execs the command, so the
 * returned PID is the command's own) or on the host when ns is null. The child is tracked for
 * killAll and for cleanup at exit.
 */
export function spawnIn(ns: string | null, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const child =
    ns === null ? spawn(cmd, args, opts) : spawn('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  const pid = child.pid;
  if (pid !== undefined) {
    children.set(pid, { child, ns });
    child.once('exit', () => children.delete(pid));
  }
  return child;
}

/** SIGTERM, then SIGKILL after graceMs if it is still running; resolves once it has exited. */
export function terminate(child: ChildProcess, graceMs = 2_000): Promise<void> {
  if (!isAlive(child)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let last: NodeJS.Timeout | undefined;
    // 'exit' is emitted asynchronously, so `hard` is initialised before done() can run.
    const done = (): void => {
      clearTimeout(hard);
      clearTimeout(last);
      resolve();
    };
    child.once('exit', done);
    signal(child, 'SIGTERM');
    const hard = setTimeout(() => {
      signal(child, 'SIGKILL');
      // A SIGKILLed child exits at once; this only guards against a lost 'exit' event.
      last = setTimeout(done, 1_000);
    }, graceMs);
  });
}

/** Stops every child started via spawnIn that is still running (by PID; SIGTERM, then SIGKILL after 2 s). */
export async function killAll(graceMs = 2_000): Promise<void> {
  await Promise.all([...children.values()].map(({ child }) => terminate(child, graceMs)));
}

/** PIDs of tracked children still running (for diagnostics and tests of the harness). */
export function trackedPids(): number[] {
  return [...children.keys()];
}

/** Names of namespaces this process created and has not deleted. */
export function liveNamespaces(): string[] {
  return [...namespaces];
}

/**
 * Deletes namespaces left by earlier runs of this harness whose creating process is gone
 * (names sl-<x>-[tag-]<pid>-<n>). Not called automatically: the caller decides it is safe.
 */
export function sweepStale(): string[] {
  const removed: string[] = [];
  const list = run('ip', ['netns', 'list']).split('\n');
  for (const line of list.slice(0, 10_000)) {
    const name = line.split(' ')[0] ?? '';
    const m = /^sl-[a-z]+-(?:[a-z0-9]+-)?(\d+)-\d+$/i.exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidExists(pid)) continue;
    deleteNamespace(name);
    removed.push(name);
  }
  return removed;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM means it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function cleanupSync(): void {
  killChildrenSync(() => true);
  for (const ns of [...namespaces]) deleteNamespace(ns);
}

// 'exit' covers normal ends and process.exit(); signals need their own hook because Node's
// default action on them skips 'exit' handlers.
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  const onSignal = (): void => {
    cleanupSync();
    // If nobody else handles this signal, restore the default action so the process still dies.
    if (process.listenerCount(sig) === 1) {
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    }
  };
  process.on(sig, onSignal);
}
