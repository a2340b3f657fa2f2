/**
 * Time for the pure layers (transaction, dialog, UA core): they never read the system clock or
 * call setTimeout themselves, so their tests drive time by hand and are deterministic.
 */
/** An armed timer, opaque: only the clock that made it can clear it. */
export interface TimerHandle {
  readonly __timerHandle?: never;
}

export interface Clock {
  /** Milliseconds on a monotonic scale (not wall time). */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for records and CDRs. */
  wallNow(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle | null | undefined): void;
}

/**
 * The real clock: performance-based now() and Node timers (unref'd: timers never hold the
 * process). The handle is Node's own Timeout, with no wrapper or table of its own: a busy SBC
 * holds several timers per call and per transaction, and each extra object counts.
 */
export class SystemClock implements Clock {
  now(): number {
    return performance.now();
  }

  wallNow(): number {
    return Date.now();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    return setTimeout(fn, ms).unref() as TimerHandle;
  }

  clearTimer(handle: TimerHandle | null | undefined): void {
    if (handle) clearTimeout(handle as NodeJS.Timeout);
  }
}

interface FakeHandle extends TimerHandle {
  readonly id: number;
}

interface FakeTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when told. Timers due at the same instant fire in the order they
 * were set; a timer set while advancing fires in the same advance if it falls due.
 */
export class FakeClock implements Clock {
  private t: number;
  private readonly wallStart: number;
  private next = 1;
  private seq = 0;
  /** By id: clearing is O(1) (transaction tests arm and clear tens of thousands). */
  private readonly timers = new Map<number, FakeTimer>();

  constructor(start = 0, wallStart = Date.UTC(2026, 0, 1)) {
    this.t = start;
    this.wallStart = wallStart - start;
  }

  now(): number {
    return this.t;
  }

  wallNow(): number {
    return this.wallStart + this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = this.next++;
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), seq: this.seq++, fn });
    const handle: FakeHandle = { id };
    return handle;
  }

  clearTimer(handle: TimerHandle | null | undefined): void {
    if (handle) this.timers.delete((handle as FakeHandle).id);
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let due: FakeTimer | undefined;
      for (const x of this.timers.values()) if (x.at <= end && (!due || x.at < due.at || (x.at === due.at && x.seq < due.seq))) due = x;
      if (!due) break;
      this.timers.delete(due.id);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }

  /** Moves to the next armed timer and fires it (and any due at the same instant); false if none. */
  advanceToNext(): boolean {
    if (this.timers.size === 0) return false;
    let at = Infinity;
    for (const x of this.timers.values()) at = Math.min(at, x.at);
    this.advance(at - this.t);
    return true;
  }

  /** Armed timers, soonest first (for assertions). */
  get pending(): number[] {
    return [...this.timers.values()].map((x) => x.at - this.t).sort((a, b) => a - b);
  }
}
