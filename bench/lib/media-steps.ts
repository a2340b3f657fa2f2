/**
 * The rising stream search of the media benchmarks, over any relay behind a small adapter: the
 * load generator (a child process: bench/native/rtp-gen.c, or bench/lib/rtp-generator.ts where
 * there is no C compiler) plays both parties of N G.711 calls through the relay; N rises step
 * by step until a step loses more than maxLossPct, the
 * generator cannot offer the load (then the host, not the relay, is being measured), or the time
 * budget would be overrun. Each step reports offered and forwarded packets/s, loss, and
 * the CPU the relay spent per packet it received.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildNativeGenerator, NativeGenerator } from './native-generator.js';
import type { GeneratorReply, GeneratorRequest, GeneratorResult } from './rtp-generator.js';

/** What the step runner needs from a relay. */
export interface RelayAdapter {
  name: string;
  /** Anchors one call per pair of generator ports [party A, party B]; returns where each party sends: [for A, for B]. */
  setup(ports: [number, number][]): Promise<[number, number][]>;
  /** Ends every call setup() made. */
  teardown(): Promise<void>;
  /** CPU seconds (user + system, all threads) of the relay's process(es) so far. */
  cpuSeconds(): number;
  /** RTP packets the relay has accepted from the parties so far (any origin), or null when it cannot tell. */
  packetsIn?(): Promise<number | null>;
}

export interface Step {
  streams: number;
  /** Loss within the bound and the load offered in full (a generator stall it caught up on is allowed). */
  passed: boolean;
  offeredPps: number;
  forwardedPps: number;
  lossPct: number;
  /** Of what the generator sent, the share the relay never accepted (null: the relay cannot tell). */
  lossToRelayPct: number | null;
  relayCpuSeconds: number;
  /** Packets the relay accepted in the run (or, when it cannot tell, packets delivered): the divisor below. */
  relayPackets: number;
  /** Relay CPU per packet it accepted (or, when it cannot tell, per packet delivered). */
  relayCpuUsPerPacket: number;
  relayCpuShareOfCore: number;
  kernelRcvbufErrors: number | null;
  setupSeconds: number;
  latencyMs: GeneratorResult['latencyMs'];
  generator: { cpuShareOfCore: number; lagMs: GeneratorResult['lagMs']; lateSlotsPct: number; behind: boolean };
}

export interface StepsResult {
  relay: string;
  steps: Step[];
  /** The last step that passed. */
  best: Step | null;
  stoppedBy: string;
  /** How the search ended, for machines: all-passed | loss | generator-behind | time-budget | error. */
  stopKind: 'all-passed' | 'loss' | 'generator-behind' | 'time-budget' | 'error';
  wallSeconds: number;
}

export interface StepsOptions {
  streams: number[];
  seconds: number;
  maxLossPct: number;
  /** Wall-clock ms (Date.now()) after which no step may still be running. */
  deadline: number;
  drainMs?: number;
  /**
   * Steps the generator could not drive that are run again (default 1 per search): on a shared
   * host a burst of someone else's work can starve the generator for one step.
   */
  behindRetries?: number;
  log?: (line: string) => void;
}

export const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const pct = (share: number): string => `${Math.round(share * 100)}%`;

/** A TypeScript child process (node --import tsx) spoken to over IPC, one request at a time. */
export class IpcChild<Req, Rep extends { type: string }> {
  readonly proc: ChildProcess;
  private exited = false;

  constructor(
    readonly label: string,
    scriptPath: string,
  ) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', scriptPath], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.once('exit', () => {
      this.exited = true;
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** Sends one request and waits for the reply of type `want`, at most `ms`. */
  ask<T extends Rep['type']>(req: Req, want: T, ms: number): Promise<Extract<Rep, { type: T }>> {
    const { proc, label } = this;
    if (this.exited) return Promise.reject(new Error(`${label} has exited`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${label}: no ${want} within ${ms} ms`)), ms);
      const onMessage = (m: Rep): void => {
        if (m.type === 'error') done(new Error(`${label}: ${(m as unknown as { message: string }).message}`));
        else if (m.type === want) done(null, m as Extract<Rep, { type: T }>);
      };
      const onExit = (code: number | null): void => done(new Error(`${label} exited (${code})`));
      function done(err: Error | null, m?: Extract<Rep, { type: T }>): void {
        clearTimeout(timer);
        proc.off('message', onMessage);
        proc.off('exit', onExit);
        if (err) reject(err);
        else resolve(m!);
      }
      proc.on('message', onMessage);
      proc.once('exit', onExit);
      proc.send(req as object);
    });
  }

  /** Ends the child by its PID: SIGTERM, then SIGKILL if it is still there after `ms`. */
  async stop(ms = 3_000): Promise<void> {
    if (this.exited || this.proc.pid === undefined) return;
    const gone = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGTERM');
    const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), ms).unref());
    if ((await Promise.race([gone, timer])) === 'late') this.proc.kill('SIGKILL');
  }
}

/** The load generator: the C one (bench/lib/native-generator.ts) or the Node one, as a child process. */
export interface Generator {
  /** Which generator, for the report. */
  readonly kind: string;
  readonly pid: number;
  ask<T extends GeneratorReply['type']>(req: GeneratorRequest, want: T, ms: number): Promise<Extract<GeneratorReply, { type: T }>>;
  stop(ms?: number): Promise<void>;
}

class NodeGenerator extends IpcChild<GeneratorRequest, GeneratorReply> implements Generator {
  readonly kind = 'node (bench/lib/rtp-generator.ts)';
}

/**
 * Starts the load generator and waits until it answers: the C one where the machine's compiler
 * builds it (about 4.5 µs of CPU per packet against the Node one's 7: it carries about 1.6 times
 * the load, past where either relay here loses), else, or with `which: 'node'`, the Node one.
 */
export async function startGenerator(which: 'auto' | 'node' = 'auto', log?: (line: string) => void): Promise<Generator> {
  const binary = which === 'node' ? null : buildNativeGenerator();
  if (binary instanceof Error) log?.(`media generator: the C generator is unavailable (${binary.message}); using the Node one`);
  const gen: Generator = typeof binary === 'string' ? new NativeGenerator(binary) : new NodeGenerator('generator', fileURLToPath(new URL('./rtp-generator.ts', import.meta.url)));
  await gen.ask({ type: 'release' }, 'released', 30_000);
  return gen;
}

/** Kernel-wide UDP drops (socket buffers full), to tell kernel loss from relay loss. */
export function udpRcvbufErrors(): number | null {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const [head, values] = [lines[0]!.split(/\s+/), lines[1]!.split(/\s+/)];
    return Number(values[head.indexOf('RcvbufErrors')]);
  } catch {
    return null;
  }
}

async function step(adapter: RelayAdapter, gen: Generator, n: number, seconds: number, drainMs: number): Promise<Step> {
  const { ports } = await gen.ask({ type: 'prepare', streams: n }, 'ready', 60_000);
  const t0 = Date.now();
  const targets = await adapter.setup(ports);
  const setupSeconds = (Date.now() - t0) / 1000;
  try {
    if (targets.length !== n) throw new Error(`${adapter.name}: setup returned ${targets.length} targets for ${n} streams`);
    const in0 = (await adapter.packetsIn?.()) ?? null;
    const kernel0 = udpRcvbufErrors();
    const cpu0 = adapter.cpuSeconds();
    const r = await gen.ask({ type: 'run', targets, seconds, drainMs }, 'result', (seconds + 60) * 1_000);
    // Over the run and the drain after it (nearly idle).
    const cpuSeconds = adapter.cpuSeconds() - cpu0;
    const kernel1 = udpRcvbufErrors();
    const in1 = (await adapter.packetsIn?.()) ?? null;
    const relayIn = in0 === null || in1 === null ? null : in1 - in0;
    // Behind: a send slot ran more than one packet interval late at the 99th percentile, or the
    // generator's core was saturated (its receive side then drops what the relay delivered).
    const genShare = r.cpuSeconds / r.wallSeconds;
    const behind = r.lagMs.p99 > 20 || r.sent < r.planned || genShare > 0.9;
    return {
      streams: n,
      passed: false,
      offeredPps: Math.round(r.sent / r.wallSeconds),
      forwardedPps: Math.round(r.received / r.wallSeconds),
      lossPct: round(((r.sent - r.received) / r.sent) * 100, 3),
      lossToRelayPct: relayIn === null ? null : round(((r.sent - relayIn) / r.sent) * 100, 3),
      relayCpuSeconds: round(cpuSeconds, 3),
      relayPackets: relayIn ?? r.received,
      relayCpuUsPerPacket: round((cpuSeconds / Math.max(1, relayIn ?? r.received)) * 1e6, 2),
      relayCpuShareOfCore: round(cpuSeconds / r.wallSeconds, 2),
      kernelRcvbufErrors: kernel0 === null || kernel1 === null ? null : kernel1 - kernel0,
      setupSeconds: round(setupSeconds, 2),
      latencyMs: r.latencyMs,
      generator: { cpuShareOfCore: round(genShare, 2), lagMs: r.lagMs, lateSlotsPct: round((r.lateSlots / r.slots) * 100, 2), behind },
    };
  } finally {
    await adapter.teardown();
    await gen.ask({ type: 'release' }, 'released', 30_000);
  }
}

/** One rising search. Never throws: a failed step ends the search with stopKind 'error'. */
export async function runSteps(adapter: RelayAdapter, gen: Generator, opts: StepsOptions): Promise<StepsResult> {
  const drainMs = opts.drainMs ?? 1_000;
  const log = opts.log ?? ((): void => undefined);
  const started = Date.now();
  const steps: Step[] = [];
  let best: Step | null = null;
  let stoppedBy = 'all steps passed';
  let stopKind: StepsResult['stopKind'] = 'all-passed';
  // Setup and teardown grow with N; the previous step's overhead per stream predicts the next one's.
  let overheadPerStreamMs = 5;
  let retries = opts.behindRetries ?? 1;
  const queue = opts.streams.slice(0, 100);
  // Bounded: at most 100 steps plus the retries.
  for (let k = 0; k < queue.length; k++) {
    const n = queue[k]!;
    const predictedMs = opts.seconds * 1000 + drainMs + 1_000 + overheadPerStreamMs * n;
    if (Date.now() + predictedMs > opts.deadline) {
      stoppedBy = `time budget: a ${n}-stream step (~${Math.ceil(predictedMs / 1000)} s) would overrun this part's budget`;
      stopKind = 'time-budget';
      break;
    }
    const t = Date.now();
    let s: Step;
    try {
      s = await step(adapter, gen, n, opts.seconds, drainMs);
    } catch (err) {
      stoppedBy = `error at ${n} streams: ${err instanceof Error ? err.message : String(err)}`;
      stopKind = 'error';
      break;
    }
    overheadPerStreamMs = Math.max(1, (Date.now() - t - opts.seconds * 1000 - drainMs) / n);
    steps.push(s);
    log(
      `${adapter.name}: ${n} streams, ${s.forwardedPps} pps forwarded, loss ${s.lossPct}%, ${s.relayCpuUsPerPacket} µs/packet, relay ${pct(s.relayCpuShareOfCore)} generator ${pct(s.generator.cpuShareOfCore)} of a core, lag p99 ${s.generator.lagMs.p99} ms${s.generator.behind ? ' (generator behind)' : ''}`,
    );
    // The generator is at fault when it could not offer the load, or when it fell behind and
    // packets were lost (then they may have been lost in its own receive queue). A step it merely
    // delayed (a stall, then a catch-up burst) that the relay carried without loss passes.
    const offeredShort = s.offeredPps < 0.97 * n * 100;
    const lossy = s.lossPct > opts.maxLossPct;
    if (offeredShort || (lossy && s.generator.behind)) {
      if (retries > 0 && Date.now() + predictedMs <= opts.deadline) {
        retries--;
        log(`${adapter.name}: generator behind at ${n} streams: running the step again`);
        queue.splice(k + 1, 0, n);
        continue;
      }
      stoppedBy = `generator fell behind at ${n} streams (offered ${s.offeredPps} of ${n * 100} pps, send lag p99 ${s.generator.lagMs.p99} ms; generator ${pct(s.generator.cpuShareOfCore)}, relay ${pct(s.relayCpuShareOfCore)} of a core): relay capacity not established beyond the previous step`;
      stopKind = 'generator-behind';
      break;
    }
    if (lossy) {
      stoppedBy = `loss ${s.lossPct}% > ${opts.maxLossPct}% at ${n} streams`;
      stopKind = 'loss';
      break;
    }
    s.passed = true;
    best = s;
  }
  return { relay: adapter.name, steps, best, stoppedBy, stopKind, wallSeconds: round((Date.now() - started) / 1000, 1) };
}
