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
  /** Extra `node` flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Log level (default info: nothing per call is logged at info). */
  logLevel?: string;
  /** The build to run: its cli/main.js, relative to the project (default dist/cli/main.js). */
  entry?: string;
  /** The configuration's `sip` section, where it differs from the default (e.g. { udpSendThread: false }). */
  sip?: Record<string, unknown>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Node's flags as `npm start` passes them (package.json; test/bench/node-flags.test.ts keeps the
 * two the same). 64 MB semi-spaces (--max-semi-space-size=64): the scavenger runs a quarter as
 * often, and at 4,000 calls/s Sluice spent 0.242 and 0.221 CPU ms per call against 0.275 and
 * 0.257 without (alternated bench:at-rate runs; main thread 0.166 and 0.155 against 0.187 and
 * 0.183). 128 MB read 0.219, 256 MB 0.232: no better. The young generation they grow to (up to
 * 128 MB) used to stay in RSS on a quiet process, and one concurrency run of four read 24 KB per
 * established call instead of 10; --expose-gc lets `sluice start` give it back once the process
 * is quiet (src/cli/heap-trim.ts). The other collectors gain nothing: with no young generation
 * at all (--single-generation) CPU per call stayed where it was (4,000 calls/s, two pairs: 237
 * and 281 us against 239 and 261), and V8 11's experimental young-generation mark-compact
 * (--minor-mc) nearly doubled it (3,000 calls/s: 467 and 523 us against 257 and 266).
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64', '--expose-gc'];

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
      `dialplan: ${join(dir, 'dialplan')}\ncalls: { mediaTimeoutSeconds: 0 }\n`,
  );
  const child = spawn(process.execPath, [...NODE_FLAGS, ...(opts.nodeArgs ?? []), opts.entry ?? 'dist/cli/main.js', 'start', '--config', join(dir, 'sluice.yaml')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    // As `npm start` runs it: glibc gives each thread (media workers, libuv's pool) an arena of
    // its own that keeps what was freed in it; two arenas keep RSS per established call ~20% lower.
    env: { ...process.env, MALLOC_ARENA_MAX: '2' },
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
  child.stdout.resume();
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
