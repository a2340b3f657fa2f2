/**
 * Sluice under test for the benchmarks: the built CLI (`dist/cli/main.js start`) in its own
 * process with a generated configuration: an inside realm the load generator calls into and an
 * outside realm whose dialplan sends every call to one trunk (the generator's UAS). Media is
 * anchored in the relay or left direct, per run.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { terminate } from './proc.js';

export interface SluiceUnderTest {
  pid: number;
  /** The inside realm's UDP port on 127.0.0.1: where the generator sends its INVITEs. */
  inside: number;
  stop(): Promise<void>;
  /** Stops it and starts another on the same ports and configuration. */
  restart(): Promise<SluiceUnderTest>;
}

export interface SluiceBenchOptions {
  inside: number;
  outside: number;
  /** The trunk (the generator's UAS) on 127.0.0.1. */
  trunk: number;
  media: 'anchor' | 'direct';
  /** Extra `node` flags (e.g. --cpu-prof), after the launcher's own; none may contain a space. */
  nodeArgs?: string[];
  /** Log level (default info: nothing per call is logged at info). */
  logLevel?: string;
  /** The build to run: its cli/main.js, relative to the project (default dist/cli/main.js). */
  entry?: string;
  /** Environment for the launcher beyond this process's (e.g. { SLUICE_ALLOCATOR: 'system' }). */
  env?: Record<string, string>;
  /** The configuration's `sip` section, where it differs from the default (e.g. { udpSendThread: false }). */
  sip?: Record<string, unknown>;
  /** Write a CDR per call (calls.cdrFile, in the temp dir), as an operator's Sluice would; default none. */
  cdrs?: boolean;
  /** Sluice's stdout once it has started (its logs, and V8's traces where nodeArgs ask for them); dropped without. */
  onStdout?: (chunk: string) => void;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Sluice runs as `npm start` runs it: through scripts/sluice-node.sh, with its Node flags and
 * allocator (test/cli/launcher.test.ts keeps package.json and the Procfile on it), so that the
 * figures are those of the command an operator runs. What the script chose was measured here:
 * - 64 MB semi-spaces (--max-semi-space-size=64): the scavenger runs a quarter as often, and at
 *   4,000 calls/s Sluice spent 0.242 and 0.221 CPU ms per call against 0.275 and 0.257 without
 *   (alternated bench:at-rate runs; main thread 0.166 and 0.155 against 0.187 and 0.183). 128 MB
 *   read 0.219, 256 MB 0.232: no better. The young generation they grow to (up to 128 MB) used to
 *   stay in RSS on a quiet process, and one concurrency run of four read 24 KB per established
 *   call instead of 10; --expose-gc lets `sluice start` give it back once the process is quiet
 *   (src/cli/heap-trim.ts). The other collectors gain nothing: with no young generation at all
 *   (--single-generation) CPU per call stayed where it was (4,000 calls/s, two pairs: 237 and 281
 *   us against 239 and 261), and V8 11's experimental young-generation mark-compact (--minor-mc)
 *   more than doubled it (3,000 calls/s: 467 and 523 us against 257 and 266; 4,000 calls/s: 576
 *   and 579 against 260 and 236, with retransmissions).
 * - jemalloc, preloaded where installed. The concurrency part read 5.38, 5.54, 5.64 and 7.51 KB
 *   per established call settled against 6.15 and 7.96 on glibc's malloc. CPU per call: two Sluices,
 *   one on each, taking calls side by side (paired-rate.ts) read 0.98x at 1,500 calls/s each, 0.99x
 *   at 2,200, and 0.98x in turn at 4,000 (rounds 0.91-1.07). Single alternated at-rate runs at
 *   4,000 calls/s ranged from 0.92x to 1.0x; mimalloc and tcmalloc read no better than jemalloc.
 */
export const LAUNCHER = 'scripts/sluice-node.sh';

/** Starts Sluice and resolves once it logged that it started; its config lives in a temp dir removed by stop(). */
export async function startSluice(opts: SluiceBenchOptions): Promise<SluiceUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  mkdirSync(join(dir, 'dialplan'));
  writeFileSync(
    join(dir, 'dialplan', 'trunk.yaml'),
    `trunks:\n  - { name: bench, realm: outside, host: 127.0.0.1, port: ${opts.trunk}, transport: udp }\n` +
      `rules:\n  - { name: out, match: { realm: inside }, trunk: bench, media: ${opts.media} }\n`,
  );
  // Media ports below Linux's ephemeral range (32768+), where sipp's own sockets land.
  writeFileSync(
    join(dir, 'sluice.yaml'),
    `log: { level: ${opts.logLevel ?? 'info'} }\n${opts.sip === undefined ? '' : `sip: ${JSON.stringify(opts.sip)}\n`}realms:\n` +
      `  inside:\n    listen: [{ transport: udp, address: 127.0.0.1, port: ${opts.inside} }]\n    media: { address: 127.0.0.1, portMin: 10000, portMax: 21000 }\n` +
      `  outside:\n    listen: [{ transport: udp, address: 127.0.0.1, port: ${opts.outside} }]\n    media: { address: 127.0.0.1, portMin: 21000, portMax: 32000 }\n` +
      `dialplan: ${join(dir, 'dialplan')}\ncalls: { mediaTimeoutSeconds: 0${opts.cdrs === true ? `, cdrFile: ${join(dir, 'cdr.jsonl')}` : ''} }\n`,
  );
  // The script execs node: the child's PID is Sluice's own (CPU figures, perf).
  const child = spawn('sh', [LAUNCHER, opts.entry ?? 'dist/cli/main.js', 'start', '--config', join(dir, 'sluice.yaml')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...opts.env, SLUICE_NODE: process.execPath, SLUICE_NODE_FLAGS: (opts.nodeArgs ?? []).join(' ') },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('Sluice did not start within 15 s')), 15_000);
      child.stdout.on('data', (c: Buffer) => {
        if (out.length < 65_536) out += c.toString();
        if (out.includes('Sluice started')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Sluice exited (${code}) before it started: ${out.slice(-2_000)}`));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  if (opts.onStdout !== undefined) {
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', opts.onStdout);
  } else child.stdout.resume();
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) await terminate(child.pid!, exited);
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    pid: child.pid!,
    inside: opts.inside,
    stop,
    restart: async () => {
      await stop();
      return startSluice(opts);
    },
  };
}
