/**
 * The media benchmarks' load generator in C (bench/native/rtp-gen.c), built here with the
 * machine's C compiler on first use and driven over its stdin/stdout with the requests and
 * replies of the Node generator (bench/lib/rtp-generator.ts), which stays the fallback where
 * there is no compiler. The Node one costs ~7 µs of CPU per packet and was the ceiling of every
 * relay at ~140,000 packets/s on this 2-core host; this one costs about 4.5 µs (most of it the
 * kernel's, sending on loopback) and carries about 1.6 times the load.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { GeneratorReply, GeneratorRequest } from './rtp-generator.js';

const SOURCE = fileURLToPath(new URL('../native/rtp-gen.c', import.meta.url));
const BUILD_DIR = fileURLToPath(new URL('../native/build/', import.meta.url));
const BINARY = `${BUILD_DIR}rtp-gen`;

/** Builds the generator if it is missing or older than its source; the binary's path, or why not. */
export function buildNativeGenerator(): string | Error {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= statSync(SOURCE).mtimeMs) return BINARY;
  mkdirSync(BUILD_DIR, { recursive: true });
  const r = spawnSync(process.env.CC ?? 'cc', ['-O2', '-o', BINARY, SOURCE, '-lm'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return BINARY;
  return new Error(`cc could not build ${SOURCE}: ${r.error?.message ?? r.stderr.trim().split('\n').slice(-3).join(' ')}`);
}

/** The C generator as a child process, one request at a time (the IpcChild interface). */
export class NativeGenerator {
  readonly label = 'native generator';
  readonly kind = 'native (bench/native/rtp-gen.c)';
  private readonly proc: ChildProcess;
  private readonly waiting: ((m: GeneratorReply) => void)[] = [];
  private exited = false;

  constructor(binary: string) {
    this.proc = spawn(binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc.once('exit', () => {
      this.exited = true;
    });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      let m: GeneratorReply;
      try {
        m = JSON.parse(line) as GeneratorReply;
      } catch {
        m = { type: 'error', message: `unreadable reply: ${line.slice(0, 200)}` };
      }
      for (const w of this.waiting.splice(0)) w(m);
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  ask<T extends GeneratorReply['type']>(req: GeneratorRequest, want: T, ms: number): Promise<Extract<GeneratorReply, { type: T }>> {
    if (this.exited) return Promise.reject(new Error(`${this.label} has exited`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${this.label}: no ${want} within ${ms} ms`)), ms);
      const onReply = (m: GeneratorReply): void => {
        if (m.type === 'error') done(new Error(`${this.label}: ${m.message}`));
        else if (m.type === want) done(null, m as Extract<GeneratorReply, { type: T }>);
        else this.waiting.push(onReply);
      };
      const onExit = (code: number | null): void => done(new Error(`${this.label} exited (${code})`));
      const done = (err: Error | null, m?: Extract<GeneratorReply, { type: T }>): void => {
        clearTimeout(timer);
        const i = this.waiting.indexOf(onReply);
        if (i >= 0) this.waiting.splice(i, 1);
        this.proc.off('exit', onExit);
        if (err) reject(err);
        else resolve(m!);
      };
      this.waiting.push(onReply);
      this.proc.once('exit', onExit);
      this.proc.stdin!.write(`${commandOf(req)}\n`);
    });
  }

  /** Closing stdin ends it; SIGKILL by its PID if it is still there after `ms`. */
  async stop(ms = 3_000): Promise<void> {
    if (this.exited || this.proc.pid === undefined) return;
    const gone = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.stdin!.end();
    const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), ms).unref());
    if ((await Promise.race([gone, timer])) === 'late') this.proc.kill('SIGKILL');
  }
}

function commandOf(req: GeneratorRequest): string {
  switch (req.type) {
    case 'prepare':
      return `prepare ${req.streams}`;
    case 'run':
      return `run ${req.seconds} ${req.drainMs} ${req.targets.length} ${req.targets.map(([a, b]) => `${a} ${b}`).join(' ')}`;
    case 'release':
      return 'release';
  }
}
