import { SipParseError } from './errors.js';
import { displayName } from './header-names.js';

/**
 * Throws the SipParseError for a grammar violation. With a header, the reason names it
 * ("CSeq: Number out of range") and the error carries its canonical name. Reasons are fixed
 * ASCII text: input is never echoed into them.
 */
export function fail(reason: string, header?: string): never {
  if (header === undefined) throw new SipParseError(reason);
  throw new SipParseError(`${displayName(header)}: ${reason}`, { header });
}
