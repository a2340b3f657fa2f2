/**
 * The scanners of URI parts: runs of a char class with %-escapes, and uri-parameters (RFC 3261
 * 25.1), shared by the SIP and tel parsers of uri.ts.
 */
import * as chars from './chars.js';
import { fail } from './fail.js';
import type { Param } from './types.js';

// Module-local copies: V8 folds a module's own constants into optimized code but re-reads
// imported bindings at every use, which costs in per-char loops.
const { CHAR, HEX, PARAMCHAR, URI } = chars;

/** Index after the run of chars of class `flag` (URI table) and valid %HH escapes from i. */
export function scanUriChars(s: string, i: number, end: number, flag: number, header?: string): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if ((URI[c]! & flag) !== 0) i++;
    else if (c === 0x25) {
      if (!isEscape(s, i, end)) fail('Invalid %-escape in URI', header);
      i += 3;
    } else break;
  }
  return i;
}

/** A valid %HH escape at s[i]. */
export function isEscape(s: string, i: number, end: number): boolean {
  return i + 2 < end && (CHAR[s.charCodeAt(i + 1)]! & HEX) !== 0 && (CHAR[s.charCodeAt(i + 2)]! & HEX) !== 0;
}

/** URI parameter names (and transport values) most URIs carry, as shared strings when written so. */
const COMMON_WORDS = ['transport', 'lr', 'user', 'maddr', 'ttl', 'method', 'ob', 'udp', 'tcp', 'tls', 'ws', 'wss', 'UDP', 'TCP', 'TLS', 'WS', 'WSS', 'phone', 'ip'];
const WORDS_BY_LENGTH: string[][] = [];
for (const w of COMMON_WORDS) (WORDS_BY_LENGTH[w.length] ??= []).push(w);

/** s[start, end), a shared string when it is one of COMMON_WORDS as written. */
function wordAt(s: string, start: number, end: number): string {
  const candidates = WORDS_BY_LENGTH[end - start];
  if (candidates !== undefined) {
    const c0 = s.charCodeAt(start);
    for (let k = 0; k < candidates.length; k++) {
      const w = candidates[k]!;
      // endsWith at `end` (w is as long): a cheaper builtin than startsWith, or a loop over chars.
      if (w.charCodeAt(0) === c0 && s.endsWith(w, end)) return w;
    }
  }
  return s.substring(start, end);
}

/** Where the last uriParam() stopped. */
export let uriParamEnd = 0;

/** The uri-parameter whose name starts at s[ns] (after its ';'); sets uriParamEnd. */
export function uriParam(s: string, ns: number, end: number, header: string | undefined): Param {
  let i = scanUriChars(s, ns, end, PARAMCHAR, header);
  if (i === ns) fail('Empty URI parameter', header);
  const name = wordAt(s, ns, i);
  let value: string | null = null;
  if (i < end && s.charCodeAt(i) === 0x3d) {
    const vs = i + 1;
    i = scanUriChars(s, vs, end, PARAMCHAR, header);
    if (i === vs) fail('Empty URI parameter value', header);
    value = wordAt(s, vs, i);
  }
  uriParamEnd = i;
  return { name, value };
}
