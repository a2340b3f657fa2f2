/**
 * HeaderField, one header field line of a SipMessage, and made(), which builds the field for a
 * value set through the API.
 */
import { displayName } from './header-names.js';

/**
 * One header field line. `value` is unfolded and trimmed; `start`/`end` locate the field's
 * original text (folds included) in the message's header section, so an unchanged field is
 * written back byte for byte. A field added or changed through the API has start = -1.
 */
export interface HeaderField {
  /** Canonical lower-case long name ('via' for 'v' and 'VIA'). */
  readonly key: string;
  /** The name as written, or the canonical display form for a field made here. */
  readonly name: string;
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

/** A field for `value` under canonical name `key`, with no wire text (start = end = -1). */
export function made(key: string, value: string): HeaderField {
  return { key, name: displayName(key), value, start: -1, end: -1 };
}
