/**
 * The timers a transaction waits out before it ends (D, I, J, K, L, M: RFC 3261 17.1.1.2,
 * 17.1.2.2, 17.2.1, 17.2.2 and RFC 6026), one queue per duration. A layer's durations are fixed,
 * so entries of one queue fall due in the order they were added, and one clock timer for the
 * oldest serves them all. An entry is three array slots, where a timer of its own would be a
 * Node Timeout and a closure kept for the whole wait (32 s on UDP): at a few thousand calls a
 * second those waits hold about a hundred thousand transactions, and what each holds is what
 * the garbage collector walks.
 */
import type { Clock, TimerHandle } from '../clock.js';

/** What a queue tells when an entry falls due: `token` is the one add() returned for it. */
export interface Lingering {
  lingerDue(token: number): void;
}

/** Entries popped before the arrays are cut down to the live part. */
const COMPACT_AFTER = 4096;

export class LingerQueue {
  private entries: (Lingering | null)[] = [];
  private tokens: number[] = [];
  private dues: number[] = [];
  private head = 0;
  /** Entries not yet due nor cancelled. */
  private live = 0;
  private timer: TimerHandle | null = null;
  private nextToken = 1;

  constructor(
    private readonly clock: Clock,
    readonly ms: number,
  ) {}

  /** Queues `entry` to fall due `ms` from now; returns its token (for cancel()). */
  add(entry: Lingering): number {
    const token = this.nextToken++;
    this.entries.push(entry);
    this.tokens.push(token);
    this.dues.push(this.clock.now() + this.ms);
    this.live++;
    if (this.timer === null) this.arm();
    return token;
  }

  /**
   * Takes the entry of `token` out (a transaction that ended before its wait did): found by
   * binary search, as tokens rise along the queue. With no entry left the clock timer goes too.
   */
  cancel(token: number): void {
    let lo = this.head;
    let hi = this.tokens.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.tokens[mid]!;
      if (t < token) lo = mid + 1;
      else if (t > token) hi = mid - 1;
      else {
        if (this.entries[mid] !== null) {
          this.entries[mid] = null;
          if (--this.live === 0) this.reset();
        }
        return;
      }
    }
  }

  /** Drops every entry unannounced, and the clock timer (the owner is disposed). */
  dispose(): void {
    this.live = 0;
    this.reset();
  }

  /** Entries waiting. */
  get size(): number {
    return this.live;
  }

  private arm(): void {
    const due = this.dues[this.head]!;
    this.timer = this.clock.setTimer(Math.max(0, due - this.clock.now()), this.fire);
  }

  private readonly fire = (): void => {
    this.timer = null;
    const now = this.clock.now();
    try {
      while (this.head < this.entries.length && this.dues[this.head]! <= now) {
        const i = this.head++;
        const entry = this.entries[i];
        if (entry === null || entry === undefined) continue; // cancelled
        this.entries[i] = null;
        this.live--;
        entry.lingerDue(this.tokens[i]!);
      }
    } finally {
      this.compact();
      if (this.live > 0 && this.timer === null) this.arm();
    }
  };

  /** No entry waits: the arrays start afresh and the clock timer goes. */
  private reset(): void {
    this.entries = [];
    this.tokens = [];
    this.dues = [];
    this.head = 0;
    this.clock.clearTimer(this.timer);
    this.timer = null;
  }

  private compact(): void {
    // Cancelled entries at the front need no timer of their own.
    while (this.head < this.entries.length && this.entries[this.head] === null) this.head++;
    if (this.head === this.entries.length) {
      this.reset();
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.tokens = this.tokens.slice(this.head);
      this.dues = this.dues.slice(this.head);
      this.head = 0;
    }
  }
}
