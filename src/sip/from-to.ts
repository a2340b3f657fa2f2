/**
 * From and To helpers for SipMessage's cached views: the name-addr parse whose errors name the
 * header, and the tag parameter.
 */
import { skipWs, trimEnd } from './chars.js';
import * as chars from './chars.js';
import { SipParseError } from './errors.js';
import { fail } from './fail.js';
import { displayName } from './header-names.js';
import { findGt, parseNameAddrRange } from './name-addr.js';
import { foundParam, scanParamsFor, scanQuoted } from './params.js';
import type { NameAddr } from './types.js';

// Module-local copies: V8 folds a module's own constants into optimized code but re-reads
// imported bindings at every use, which costs in per-char loops.
const { CHAR, TOKEN } = chars;

/** From and To: one name-addr or addr-spec; the error names the header it came from. */
export function nameAddrOf(value: string, key: string): NameAddr {
  return nameAddrOfRange(value, 0, value.length, key);
}

/** nameAddrOf of s[start, end), read in place. */
export function nameAddrOfRange(s: string, start: number, end: number, key: string): NameAddr {
  try {
    return parseNameAddrRange(s, start, end, false);
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

/**
 * The tag of a From or To value without parsing its URI. Dialog and transaction matching read
 * only the tags, and of most messages (responses, in-dialog requests) nothing else of From and
 * To: their URIs are then parsed, and checked, only when something reads them. The display
 * name's quotes and the URI's <> are found as the full parse finds them, and the header
 * parameters after them are scanned (and checked) by the same code.
 */
export function tagOfValue(value: string, key: string): string | null {
  return tagOfValueRange(value, 0, value.length, key);
}

/** tagOfValue of value[start, end), read in place. */
export function tagOfValueRange(value: string, start: number, end: number, key: string): string | null {
  end = trimEnd(value, start, end);
  let i = skipWs(value, start, end);
  if (i >= end) fail('Empty value', key);
  // Where the header parameters begin: after the '>' of a <>-enclosed URI, else (an addr-spec)
  // at the URI's first ';' (RFC 3261 20.10). A quoted display name may hold '<' or ';'.
  for (; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) i = scanQuoted(value, i, end, key) - 1;
    else if (c === 0x3c) {
      const gt = findGt(value, i + 1, end);
      if (gt < 0) fail('Missing > after URI', key);
      i = gt + 1;
      break;
    } else if (c === 0x3b) break;
  }
  const tag = lastTagAt(value, i, end);
  if (tag !== null) return tag;
  const after = skipWs(value, scanParamsFor(value, i, end, 'tag', key), end);
  if (after !== end) fail('Invalid text after the URI', key);
  return foundParam ?? null;
}

/**
 * The usual header parameters of a From or To, `;tag=` and a token to `end`, read at once: the
 * tag, else null (anything else, a tag absent or written otherwise, is for scanParamsFor).
 */
function lastTagAt(s: string, i: number, end: number): string | null {
  const vs = i + 5;
  if (
    vs >= end ||
    s.charCodeAt(i) !== 0x3b ||
    s.charCodeAt(i + 1) !== 0x74 ||
    s.charCodeAt(i + 2) !== 0x61 ||
    s.charCodeAt(i + 3) !== 0x67 ||
    s.charCodeAt(i + 4) !== 0x3d
  ) {
    return null;
  }
  let j = vs;
  while (j < end && (CHAR[s.charCodeAt(j)]! & TOKEN) !== 0) j++;
  return j === end ? s.substring(vs, end) : null;
}
