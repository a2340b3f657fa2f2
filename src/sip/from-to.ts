/**
 * From and To helpers for SipMessage's cached views: the name-addr parse whose errors name the
 * header, and the tag parameter.
 */
import { SipParseError } from './errors.js';
import { displayName } from './header-names.js';
import { parseNameAddr } from './name-addr.js';
import type { NameAddr } from './types.js';

/** From and To: one name-addr or addr-spec; the error names the header it came from. */
export function nameAddrOf(value: string, key: string): NameAddr {
  try {
    return parseNameAddr(value);
  } catch (e) {
    if (e instanceof SipParseError && e.header === undefined) {
      throw new SipParseError(`${displayName(key)}: ${e.reason}`, { header: key, status: e.status ?? 400 });
    }
    throw e;
  }
}

export function tagOf(na: NameAddr): string | null {
  for (const p of na.params) if (p.name.length === 3 && p.name.toLowerCase() === 'tag') return p.value;
  return null;
}
