// Sluice's CLI (`sluice start`) from the source tree inside a namespace, and nftables counters on
// the relay's RTP ports there: how many RTP packets reached the relay from each phone and how many
// it sent to each, readable at any moment of a call (the CDR only has totals at the end).
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nsExec, spawnIn, terminate } from '../harness/netns.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const LOG_CAP = 512 * 1024;

export interface SluiceProcess {
  /** Its stdout and stderr so far (JSON log lines), capped at the tail. */
  log(): string;
  /** SIGTERM (graceful stop), SIGKILL after 3 s; by PID. */
  stop(): Promise<void>;
}

/** Starts `sluice start --config FILE` in ns and resolves once it logged "Sluice started". */
export async function startSluice(ns: string, configFile: string, timeoutMs = 20_000): Promise<SluiceProcess> {
  const child: ChildProcess = spawnIn(ns, process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--config', configFile], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const append = (c: Buffer): void => {
    out += c.toString('utf8');
    if (out.length > LOG_CAP) out = out.slice(out.length - LOG_CAP);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const proc: SluiceProcess = { log: () => out, stop: () => terminate(child, 3_000) };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(`no "Sluice started" within ${timeoutMs} ms`), timeoutMs);
    const onData = (): void => {
      if (out.includes('Sluice started')) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null): void => fail(`exited (${String(code)}) before it started`);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    const fail = (why: string): void => {
      cleanup();
      void proc.stop();
      reject(new Error(`sluice: ${why}\n${out.slice(-4000)}`));
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    onData();
  });
  return proc;
}

const TABLE = 'sluice_bsip_rtp';

export interface RtpCounters {
  /** Packets per counter: `<name>_in` (phone to relay) and `<name>_out` (relay to phone). */
  read(): Record<string, number>;
}

/**
 * Counts RTP (even ports of the relay's range; RTCP uses the odd ones) between the relay in ns and
 * each phone, in the input and output hooks of ns. The table goes away with the namespace.
 */
export function installRtpCounters(ns: string, phones: { name: string; address: string }[], portMin: number, portMax: number): RtpCounters {
  const range = `${portMin}-${portMax}`;
  const lines = [`table inet ${TABLE} {`];
  for (const p of phones) lines.push(`  counter ${p.name}_in { }`, `  counter ${p.name}_out { }`);
  lines.push('  chain rtp_in {', '    type filter hook input priority filter; policy accept;');
  for (const p of phones) lines.push(`    ip saddr ${p.address} udp dport ${range} udp dport & 1 == 0 counter name "${p.name}_in"`);
  lines.push('  }', '  chain rtp_out {', '    type filter hook output priority filter; policy accept;');
  for (const p of phones) lines.push(`    ip daddr ${p.address} udp sport ${range} udp sport & 1 == 0 counter name "${p.name}_out"`);
  lines.push('  }', '}', '');
  nsExec(ns, 'nft', ['-f', '-'], lines.join('\n'));
  return {
    read: () => {
      const text = nsExec(ns, 'nft', ['list', 'counters', 'table', 'inet', TABLE]);
      const counts: Record<string, number> = {};
      for (const m of text.matchAll(/counter (\w+) \{\s*packets (\d+) bytes \d+/g)) counts[m[1] as string] = Number(m[2]);
      return counts;
    },
  };
}

/** b minus a, per counter. */
export function delta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const d: Record<string, number> = {};
  for (const k of Object.keys(b)) d[k] = (b[k] ?? 0) - (a[k] ?? 0);
  return d;
}
