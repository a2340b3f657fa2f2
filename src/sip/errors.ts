import { SluiceError } from '../errors.js';

/**
 * A message (or one of its parts) that does not follow the grammar or the limits.
 *
 * `reason` is short, printable ASCII and safe to put in a 400 reason phrase as it is;
 * `status` is the response a UAS should send (400 by default, 505 for an unknown SIP version,
 * 413 for an oversized message, 416 for an unsupported URI scheme where that applies).
 * The parser throws nothing else, on any input.
 */
export class SipParseError extends SluiceError {
  readonly reason: string;
  /** Canonical lower-case name of the header at fault, when one is. */
  readonly header: string | undefined;

  constructor(reason: string, options?: { status?: number; header?: string; cause?: unknown }) {
    super('SLUICE_ERR_SIP_PARSE', reason, options?.status ?? 400, options);
    this.reason = reason;
    this.header = options?.header;
  }
}
