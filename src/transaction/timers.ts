/**
 * Timer durations of RFC 3261 table 4 and RFC 6026, from T1/T2/T4 and the transport's
 * reliability. Computed once per layer for each reliability, never per transaction.
 */
import { TransactionError } from './errors.js';
import { DEFAULT_TIMER_CONFIG, type TimerConfig } from './types.js';

export interface TimerValues {
  readonly t1: number;
  readonly t2: number;
  /**
   * First interval of Timers A, E and G, or 0 when the transport is reliable and nothing is
   * retransmitted (RFC 3261 17.1.1.2, 17.1.2.2, 17.2.1: "only for unreliable transports").
   */
  readonly retransmit: number;
  /** B = F = H = 64*T1 for every transport (17.1.1.2, 17.1.2.2, 17.2.1). */
  readonly B: number;
  readonly F: number;
  readonly H: number;
  /**
   * D: 17.1.1.2 asks for "at least 32 seconds for unreliable transports, and ... zero seconds
   * for reliable transports". We take max(32 s, 64*T1): D exists to catch the server's
   * retransmissions of the final, which go on for Timer H = 64*T1 (17.2.1), so with a larger
   * T1 a flat 32 s would let late retransmissions through as strays.
   */
  readonly D: number;
  /** I = T4 unreliable, 0 reliable (17.2.1). */
  readonly I: number;
  /** J = 64*T1 unreliable, 0 reliable (17.2.2). */
  readonly J: number;
  /** K = T4 unreliable, 0 reliable (17.1.2.2). */
  readonly K: number;
  /** L = 64*T1 for every transport (RFC 6026 7.1). */
  readonly L: number;
  /** M = 64*T1 for every transport (RFC 6026 7.2). */
  readonly M: number;
}

/** RFC 3261 17.2.1: the server sends 100 Trying if the TU has not answered within 200 ms. */
export const TRYING_DELAY_MS = 200;

/** Fills in the defaults and checks the values (T1 > 0, T2 >= T1, T4 >= 0). */
export function resolveTimerConfig(partial: Partial<TimerConfig> | undefined): TimerConfig {
  const config: TimerConfig = { ...DEFAULT_TIMER_CONFIG, ...partial };
  const { t1, t2, t4 } = config;
  if (!(Number.isFinite(t1) && t1 > 0)) throw bad(`t1 must be a positive number of ms, got ${t1}`);
  if (!(Number.isFinite(t2) && t2 >= t1)) throw bad(`t2 must be at least t1 (${t1} ms), got ${t2}`);
  if (!(Number.isFinite(t4) && t4 >= 0)) throw bad(`t4 must be a non-negative number of ms, got ${t4}`);
  return config;
}

export function timerValues(config: TimerConfig, reliable: boolean): TimerValues {
  const { t1, t2, t4 } = config;
  const t64 = 64 * t1;
  return Object.freeze({
    t1,
    t2,
    retransmit: reliable ? 0 : t1,
    B: t64,
    F: t64,
    H: t64,
    D: reliable ? 0 : Math.max(32_000, t64),
    I: reliable ? 0 : t4,
    J: reliable ? 0 : t64,
    K: reliable ? 0 : t4,
    L: t64,
    M: t64,
  });
}

function bad(message: string): TransactionError {
  return new TransactionError('SLUICE_ERR_TRANSACTION_CONFIG', `Transaction timers: ${message}`);
}
