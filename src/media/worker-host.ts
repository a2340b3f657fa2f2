import { Worker } from 'node:worker_threads';
import type { Logger } from '../observability/logger.js';
import type { Backend } from './backend.js';
import { MediaError } from './errors.js';
import type { SideIndex } from './slots.js';

/** What a worker is started with (workerData): shared memory and settings, no functions. */
export interface WorkerInit {
  slots: SharedArrayBuffer;
  capacity: number;
  pools: { first: number; pairs: number; address: string; wildcard: boolean; taken: SharedArrayBuffer }[];
  strict: boolean;
  debug: boolean;
  /** The main thread's monotonic clock minus its performance.now(), in ms: the worker stamps packets on the main thread's scale. */
  mainOffsetMs: number;
  /** Forward with the native addon (native/), which the main thread found loadable. */
  native: boolean;
}

export type WorkerRequest =
  | { t: 'bind'; req: number; slot: number; side: SideIndex; address: string; family: 4 | 6; port: number }
  | { t: 'start'; slot: number; id: string; muxA: boolean; muxB: boolean }
  | { t: 'wake'; slot: number }
  | { t: 'close'; req: number; slot: number }
  | { t: 'ping'; req: number }
  | { t: 'stop'; req: number };

export type WorkerReply =
  | { t: 'ready' }
  | { t: 'bound'; req: number; err: { code: string | undefined; message: string } | null }
  | { t: 'done'; req: number }
  | { t: 'log'; level: 'debug' | 'warn' | 'error'; fields: Record<string, unknown>; msg: string };

/** The monotonic clock both threads share (performance.now() has a per-thread origin). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * This thread's monotonicMs() minus its performance.now(): read between two readings of the
 * monotonic clock, the narrowest pair of a few. A thread preempted between a single pair of
 * reads (a loaded machine) would take the delay into the offset, and the worker's packet stamps
 * would then sit that far (a millisecond and more was seen) off the main thread's clock.
 */
export function monotonicOffsetMs(): number {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 5; i++) {
    const before = monotonicMs();
    const now = performance.now();
    const after = monotonicMs();
    if (after - before < best) {
      best = after - before;
      offset = (before + after) / 2 - now;
    }
  }
  return offset;
}

const STOP_MS = 2_000;
/** Longest wait for an answer (a worker started from source compiles it first: a second or two). */
const ASK_MS = 15_000;

/**
 * A worker thread that owns the sockets of the streams placed on it (worker.ts runs a Forwarder
 * there). Requests that need an answer (bind, close) carry an id; everything else is posted in
 * order, and a worker handles its messages in the order they were posted.
 */
export class WorkerBackend implements Backend {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (m: WorkerReply) => void; reject: (e: Error) => void }>();
  private nextReq = 1;
  private readonly started = new Set<number>();
  private dead = false;
  private stopping = false;

  constructor(
    readonly index: number,
    init: WorkerInit,
    private readonly logger: Logger,
    /** Called once if the worker dies without being asked to stop: its sockets are gone. */
    private readonly onDeath: (backend: WorkerBackend, reason: string) => void,
  ) {
    this.worker = spawn(init);
    this.worker.on('message', (m: WorkerReply) => this.onMessage(m));
    this.worker.on('error', (err) => this.logger.error({ worker: index, err }, 'media worker failed'));
    this.worker.on('exit', (code) => this.onExit(code));
  }

  get alive(): boolean {
    return !this.dead && !this.stopping;
  }

  get load(): number {
    return this.started.size;
  }

  /** The thread, for tests that kill it. @internal */
  get thread(): Worker {
    return this.worker;
  }

  async bindSide(slot: number, side: SideIndex, address: string, family: 4 | 6, port: number): Promise<Error | null> {
    const reply = await this.ask((req) => ({ t: 'bind', req, slot, side, address, family, port }));
    if (reply.t !== 'bound' || reply.err === null) return null;
    return Object.assign(new Error(reply.err.message), { code: reply.err.code });
  }

  start(slot: number, id: string, muxA: boolean, muxB: boolean): void {
    this.started.add(slot);
    this.post({ t: 'start', slot, id, muxA, muxB });
  }

  wake(slot: number): void {
    this.post({ t: 'wake', slot });
  }

  async close(slot: number): Promise<void> {
    this.started.delete(slot);
    try {
      await this.ask((req) => ({ t: 'close', req, slot }));
    } catch {
      // The worker died: its sockets went with it.
    }
  }

  async sync(): Promise<void> {
    try {
      await this.ask((req) => ({ t: 'ping', req }));
    } catch {
      // Dead: nothing more will happen there.
    }
  }

  async terminate(): Promise<void> {
    if (this.dead) return;
    this.stopping = true;
    // Close the sockets first (bounded wait), then end the thread; either way they are freed.
    await Promise.race([this.ask((req) => ({ t: 'stop', req })).catch(() => undefined), new Promise((r) => setTimeout(r, STOP_MS).unref())]);
    await this.worker.terminate();
  }

  /** A request with an answer; bounded: a worker that stays silent (stuck) fails it clearly. */
  private ask(make: (req: number) => WorkerRequest): Promise<WorkerReply> {
    if (this.dead) return Promise.reject(workerGone(this.index));
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(req);
        reject(new MediaError('SLUICE_ERR_MEDIA_WORKER', `media worker ${this.index} did not answer within ${ASK_MS} ms`, 503));
      }, ASK_MS);
      timer.unref();
      const done = (f: () => void): void => {
        clearTimeout(timer);
        f();
      };
      this.pending.set(req, { resolve: (m) => done(() => resolve(m)), reject: (e) => done(() => reject(e)) });
      this.post(make(req));
    });
  }

  private post(m: WorkerRequest): void {
    if (!this.dead) this.worker.postMessage(m);
  }

  private onMessage(m: WorkerReply): void {
    if (m.t === 'log') {
      this.logger[m.level]({ worker: this.index, ...m.fields }, m.msg);
      return;
    }
    if (m.t === 'ready') return;
    const p = this.pending.get(m.req);
    if (p === undefined) return;
    this.pending.delete(m.req);
    p.resolve(m);
  }

  private onExit(code: number): void {
    const unexpected = !this.stopping && !this.dead;
    this.dead = true;
    for (const p of this.pending.values()) p.reject(workerGone(this.index));
    this.pending.clear();
    if (unexpected) this.onDeath(this, `exit code ${code}`);
  }
}

function workerGone(index: number): MediaError {
  return new MediaError('SLUICE_ERR_MEDIA_WORKER', `media worker ${index} is gone`, 503);
}

/**
 * Starts worker.js beside this file. Run from source (tests, benchmarks under tsx), the entry is
 * worker.ts and the thread needs tsx's loader: Node 20 does not honour `--import` in a worker's
 * execArgv, so a one-line bootstrap registers it and then imports the entry.
 */
function spawn(init: WorkerInit): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./worker.ts', here).href;
    const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(code, { eval: true, workerData: init, name: 'sluice-media' });
  }
  return new Worker(new URL('./worker.js', here), { workerData: init, name: 'sluice-media' });
}
