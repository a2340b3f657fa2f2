/**
 * Overload control: while Sluice cannot keep up, new calls are not taken up (over UDP dropped
 * unanswered, over TCP or TLS refused with 503), so that the calls already set up or being set
 * up keep their service.
 *
 * An SBC run past what its CPU can do does not slow down evenly. The socket's receive buffer
 * fills and the kernel drops datagrams. Every peer then retransmits what it lost (RFC 3261
 * Timers A, E and G, from 500 ms) on top of its new traffic, and the extra load keeps the
 * backlog growing. On this machine, runs at 4,342 calls/s (near Sluice's limit) either held with
 * no retransmission or fell into that state: one dropped 67,390 datagrams at Sluice's sockets and
 * failed 430 calls. Past the limit, at 5,000 calls/s, 4,124 calls of 100,000 failed.
 *
 * A new INVITE is most of a call's work (routing, SDP, a second leg, the records). Dropping it
 * before any transaction is made costs a parse. Over UDP the caller sends it again 500 ms later
 * (Timer A), by which time the backlog may have drained. The calls already in progress keep
 * their ACKs, BYEs and responses. A TCP or TLS client does not retransmit, so its new INVITE is
 * answered 503 with Retry-After instead (RFC 3261 21.5.4), which costs a response but no call.
 *
 * Overload has two signs that must both show in the same window (100 ms by default):
 * - the event loop was busy nearly all of the window;
 * - peers retransmitted, because answers came too late or datagrams were lost. The count is the
 *   retransmissions the transaction layers absorbed, as a share of the new requests in the
 *   window, and never fewer than a floor.
 * Retransmissions alone happen on a lossy network, where shedding would only delay calls. A busy
 * loop alone happens at any high load, where the backlog drains by itself: a run at 3,691
 * calls/s had stretches of a second with the loop fully busy and no retransmission.
 * Shedding lasts at least minShedMs. It stops in the first window after that in which either
 * sign is gone.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { SipRequest } from '../sip/index.js';
import type { MessageSource, TransactionStats } from '../transaction/index.js';
import type { Admission } from '../ua/index.js';

export interface OverloadLogger {
  warn(obj: object, msg?: string): void;
}

export interface OverloadOptions {
  clock: Clock;
  /**
   * The share (0 to 1) of the time since the previous call that the event loop was busy.
   * `sluice start` reads it from perf_hooks (eventLoopUtilization). Called once per window.
   */
  utilization: () => number;
  log?: OverloadLogger;
  /** Length of a window, in ms (default 100). */
  windowMs?: number;
  /** The loop is busy at or above this share of a window (default 0.9). */
  busyUtilization?: number;
  /** Peers retransmit when absorbed retransmissions reach this share of new requests (default 0.02). */
  retransmissionShare?: number;
  /** ...and at least this many in the window (default 10): a few lost datagrams are no overload. */
  minRetransmissions?: number;
  /** Shedding lasts at least this long once it starts, in ms (default 500: one Timer A interval). */
  minShedMs?: number;
}

/** What the guard has done since it started, for logs and tests. */
export interface OverloadCounts {
  /** Times shedding started. */
  episodes: number;
  /** New requests dropped (the transaction layers' stats.shed, summed). */
  shed: number;
  /** New calls over TCP or TLS refused with 503 (see admission). */
  refused: number;
}

export class OverloadGuard {
  private readonly clock: Clock;
  private readonly utilization: () => number;
  private readonly log: OverloadLogger | undefined;
  private readonly windowMs: number;
  private readonly busy: number;
  private readonly share: number;
  private readonly minRetransmissions: number;
  private readonly minShedMs: number;
  private readonly layers: TransactionStats[] = [];
  private timer: TimerHandle | null = null;
  private shedding = false;
  private since = 0;
  private episodes = 0;
  /** Sums at the last window's end. */
  private absorbed = 0;
  private requests = 0;
  private shedAtStart = 0;
  private refused = 0;
  private refusedAtStart = 0;

  constructor(options: OverloadOptions) {
    this.clock = options.clock;
    this.utilization = options.utilization;
    this.log = options.log;
    this.windowMs = options.windowMs ?? 100;
    this.busy = options.busyUtilization ?? 0.9;
    this.share = options.retransmissionShare ?? 0.02;
    this.minRetransmissions = options.minRetransmissions ?? 10;
    this.minShedMs = options.minShedMs ?? 500;
  }

  /** Counts a transaction layer's retransmissions and requests (one per realm). */
  watch(stats: TransactionStats): void {
    this.layers.push(stats);
    this.absorbed += stats.absorbed;
    this.requests += stats.requests;
  }

  /** True while new calls are shed. */
  get overloaded(): boolean {
    return this.shedding;
  }

  get counts(): OverloadCounts {
    return { episodes: this.episodes, shed: this.sum('shed'), refused: this.refused };
  }

  /**
   * What becomes of a new request (a UaOptions.admission). While overloaded, an INVITE that
   * starts a dialog is dropped if it came over UDP, and refused with 503 and Retry-After over
   * TCP or TLS (no retransmission would bring it back). Everything else is always accepted:
   * requests in a dialog, CANCELs (they end work), registrations and the rest.
   */
  admission(request: SipRequest, source: MessageSource): Admission {
    if (!this.shedding || request.method !== 'INVITE' || request.toTag !== null) return 'accept';
    if (!source.reliable) return 'drop'; // the transaction layer drops and counts it (stats.shed)
    this.refused++;
    return 'busy';
  }

  start(): void {
    if (this.timer !== null) return;
    this.utilization(); // starts the first window now
    this.arm();
  }

  stop(): void {
    this.clock.clearTimer(this.timer);
    this.timer = null;
    this.shedding = false;
  }

  private arm(): void {
    this.timer = this.clock.setTimer(this.windowMs, () => {
      this.sample();
      this.arm();
    });
  }

  private sample(): void {
    const absorbed = this.sum('absorbed');
    const requests = this.sum('requests');
    const retransmitted = absorbed - this.absorbed;
    const newRequests = requests - this.requests;
    this.absorbed = absorbed;
    this.requests = requests;
    const utilization = this.utilization();
    const overloaded = utilization >= this.busy && retransmitted >= this.minRetransmissions && retransmitted >= this.share * newRequests;
    const now = this.clock.now();
    if (!this.shedding && overloaded) {
      this.shedding = true;
      this.since = now;
      this.episodes++;
      this.shedAtStart = this.sum('shed');
      this.refusedAtStart = this.refused;
      this.log?.warn(
        { utilization: round2(utilization), retransmissions: retransmitted, requests: newRequests, windowMs: this.windowMs },
        'overload: dropping new calls over UDP (their callers retransmit) and refusing those over TCP or TLS with 503 until the backlog clears',
      );
    } else if (this.shedding && !overloaded && now - this.since >= this.minShedMs) {
      this.shedding = false;
      this.log?.warn({ shed: this.sum('shed') - this.shedAtStart, refused: this.refused - this.refusedAtStart, ms: Math.round(now - this.since) }, 'overload over: taking new calls again');
    }
  }

  private sum(key: 'absorbed' | 'requests' | 'shed'): number {
    let n = 0;
    for (const s of this.layers) n += s[key];
    return n;
  }
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
