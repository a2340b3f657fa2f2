import { SluiceError } from '../errors.js';

/**
 * An SDP body that does not follow RFC 8866 closely enough to be relied on, or that is over a
 * limit. `status` is 488 (Not Acceptable Here), the answer to an offer Sluice cannot use.
 * `line` is the 1-based line of the fault; `reason` is printable ASCII (offending text is
 * escaped and cut short) so it can go into a Warning header or a log line as it is.
 * parseSdp throws nothing else, on any input.
 */
export class SdpParseError extends SluiceError {
  readonly line: number;
  readonly reason: string;

  constructor(reason: string, line: number, options?: { cause?: unknown }) {
    super('SLUICE_ERR_SDP_PARSE', `SDP line ${line}: ${reason}`, 488, options);
    this.line = line;
    this.reason = reason;
  }
}

/** Quotes attacker text for an error message: at most 40 characters, non-printables as \xNN. */
export function excerpt(text: string): string {
  const cut = text.length > 40;
  const s = cut ? text.slice(0, 40) : text;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      out += c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
    } else {
      out += s[i];
    }
  }
  return out + (cut ? '..."' : '"');
}
