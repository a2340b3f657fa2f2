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
