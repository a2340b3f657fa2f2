/** Parser limits. Every one is a defence against a hostile peer; all are configurable. */
export interface ParseLimits {
  /** Largest whole message in bytes (RFC 3261 18.1.1 allows 65,535 over UDP; jumbo BLF NOTIFYs need it). */
  maxMessageBytes: number;
  /** Longest header line (after unfolding) in bytes. */
  maxLineBytes: number;
  /** Most header fields in one message. */
  maxHeaders: number;
}

export const DEFAULT_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxMessageBytes: 65_535,
  maxLineBytes: 16_384,
  maxHeaders: 256,
});

/** Limits made by completeLimits (and the defaults): whole and frozen, so read as they are. */
const complete = new WeakSet<object>([DEFAULT_LIMITS]);

/**
 * `partial` filled in with the defaults, frozen. A parse given such an object reads it as it is;
 * given any other, it fills that in again for every message. A transport makes its limits once
 * with this and passes them with each message.
 */
export function completeLimits(partial?: Partial<ParseLimits>): Readonly<ParseLimits> {
  if (partial === undefined || complete.has(partial)) return (partial as Readonly<ParseLimits> | undefined) ?? DEFAULT_LIMITS;
  const limits = Object.freeze({ ...DEFAULT_LIMITS, ...partial });
  complete.add(limits);
  return limits;
}

/** The last limits isCompleteLimits found: a transport passes the same object with every message. */
let lastComplete: object = DEFAULT_LIMITS;

/** Whether `limits` came from completeLimits (see there). */
export function isCompleteLimits(limits: Partial<ParseLimits>): limits is Readonly<ParseLimits> {
  if (limits === lastComplete) return true;
  if (!complete.has(limits)) return false;
  lastComplete = limits;
  return true;
}
