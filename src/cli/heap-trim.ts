/**
 * Gives the young generation's memory back once Sluice has gone quiet.
 *
 * `npm start` runs Node with 64 MB semi-spaces (--max-semi-space-size=64). At thousands of calls
 * a second the scavenger then runs a quarter as often, and Sluice spends 12-15% less CPU per call
 * (bench:at-rate at 4,000 calls/s). The cost is memory: under load V8 grows the young generation
 * to two 64 MB semi-spaces, and it shrinks them only after a full collection that finds the
 * allocation rate low (under about 1 MB/s). A quiet Sluice allocates too little to trigger any
 * collection at all, so the memory stayed: 10,000 held calls read 19.5 KB of RSS per call, where
 * with this trim they read 6.5.
 *
 * So once the event loop has been nearly idle for six checks (30 s) and the young generation has
 * grown, this asks for a full collection (`gc`, which `--expose-gc` provides), and V8 shrinks the
 * young generation by itself. When load comes back it grows again.
 *
 * Not sooner: load that comes back after a trim pays for it (the full collection, and a young
 * generation that has to grow again). With 10 s, two Sluices taking 10 s rounds of 1,000 calls/s
 * in turn (each quiet about 14 s between its rounds) spent 0.412-0.457 CPU ms per call in the
 * rounds after a trim against 0.314-0.323 without the trim; with 30 s, 1.04-1.13x.
 *
 * The first collections asked for after a busy stretch often still see the busy seconds' rate
 * and keep the young generation: with 10,000 calls held, quiet from 20 s, the attempts at 32 s
 * and 37 s kept it and the one at 42 s gave it back; in a bare process the first attempt that
 * shrank came 8-10 s after the load, however many came before. So after a failed attempt the trim
 * tries again at each check a few times, then twice as long between attempts each time, so an
 * idle process does not collect every few seconds for nothing.
 */

/** What the trim reads and does, injected (tests give their own). */
export interface HeapTrimHooks {
  /** The share (0 to 1) of the time since the previous call that the event loop was busy. */
  utilization: () => number;
  /** The young generation's size now, in bytes (both semi-spaces). */
  youngBytes: () => number;
  /** A full, synchronous garbage collection. */
  collect: () => void;
  /** Told after each collection asked for: the young generation's size before and after. */
  trimmed?: (before: number, after: number) => void;
}

export interface HeapTrimOptions {
  /** How often the loop's utilization is read, in ms (default 5,000). */
  checkMs?: number;
  /** Checks in a row the loop must be quiet for before a trim (default 6: 30 s). */
  quietChecks?: number;
  /** The loop is quiet below this share (default 0.05: the collection asked for takes up to 2% of a check). */
  quietUtilization?: number;
  /** The young generation counts as grown above this size, in bytes (default 16 MB). */
  grownBytes?: number;
  /** Attempts retried at the next check after one that shrank nothing, before backing off (default 6). */
  quickRetries?: number;
  /** The longest wait between two attempts that shrank nothing, in checks (default 64). */
  maxBackoffChecks?: number;
}

const DEFAULTS = { checkMs: 5_000, quietChecks: 6, quietUtilization: 0.05, grownBytes: 16 << 20, quickRetries: 6, maxBackoffChecks: 64 } as const;

/**
 * The decision, apart from timers: `check()` is called once per period, reads the loop and the
 * young generation, and collects when both say so.
 */
export class HeapTrim {
  private readonly o: Required<HeapTrimOptions>;
  private quiet = 0;
  /** Attempts in a row that shrank nothing. */
  private failures = 0;

  constructor(
    private readonly hooks: HeapTrimHooks,
    options: HeapTrimOptions = {},
  ) {
    this.o = { ...DEFAULTS, ...options };
  }

  get checkMs(): number {
    return this.o.checkMs;
  }

  check(): void {
    if (this.hooks.utilization() >= this.o.quietUtilization) {
      // Busy: the quiet count starts again. The back-off stays until a collection shrinks the
      // young generation, so that a lightly loaded node, quiet and busy by turns while it
      // allocates too much to shrink, does not collect every few seconds.
      this.quiet = 0;
      return;
    }
    if (++this.quiet < this.needed()) return;
    const before = this.hooks.youngBytes();
    if (before <= this.o.grownBytes) return;
    this.quiet = 0;
    this.hooks.collect();
    const after = this.hooks.youngBytes();
    this.hooks.trimmed?.(before, after);
    this.failures = after < before ? 0 : this.failures + 1;
  }

  /** Quiet checks before the next attempt: quietChecks, one while quick retries last, then doubling. */
  private needed(): number {
    const { quietChecks, quickRetries, maxBackoffChecks } = this.o;
    if (this.failures === 0) return quietChecks;
    if (this.failures <= quickRetries) return 1;
    return Math.min(quietChecks * 2 ** (this.failures - quickRetries), maxBackoffChecks);
  }
}

/** Runs a HeapTrim every `checkMs` on a timer that does not keep the process alive; returns its stop. */
export function startHeapTrim(hooks: HeapTrimHooks, options: HeapTrimOptions = {}): () => void {
  const trim = new HeapTrim(hooks, options);
  const timer = setInterval(() => trim.check(), trim.checkMs);
  timer.unref();
  return () => clearInterval(timer);
}
