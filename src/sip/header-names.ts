/**
 * Header names: canonical lower-case long forms (compact forms of RFC 3261 7.3.3 and later RFCs
 * expanded), display forms for writing, and the headers that may appear only once.
 */
import * as chars from './chars.js';

// Module-local copies: V8 folds a module's own constants into optimized code but re-reads
// imported bindings at every use, which costs in per-char loops.
const { CHAR, TOKEN } = chars;

/** Compact form (RFC 3261 20, RFC 3265, 3515, 3892, 3903, 4028, 3841, 4474) to long form. */
const COMPACT: Readonly<Record<string, string>> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

/** Display forms that are not one capital per dash-separated word. */
const IRREGULAR: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  rseq: 'RSeq',
  rack: 'RAck',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  'min-se': 'Min-SE',
  'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
  'session-id': 'Session-ID',
  'p-associated-uri': 'P-Associated-URI',
  'p-called-party-id': 'P-Called-Party-ID',
  'p-visited-network-id': 'P-Visited-Network-ID',
  'p-charging-function-addresses': 'P-Charging-Function-Addresses',
};

/** Every header name this layer knows, canonical form. */
const KNOWN = [
  'accept', 'accept-contact', 'accept-encoding', 'accept-language', 'accept-resource-priority', 'alert-info',
  'allow', 'allow-events', 'answer-mode', 'authentication-info', 'authorization', 'call-id', 'call-info',
  'contact', 'content-disposition', 'content-encoding', 'content-language', 'content-length', 'content-type',
  'cseq', 'date', 'diversion', 'error-info', 'event', 'expires', 'from', 'history-info', 'identity',
  'identity-info', 'in-reply-to', 'join', 'max-breadth', 'max-forwards', 'mime-version', 'min-expires',
  'min-se', 'organization', 'p-access-network-info', 'p-asserted-identity', 'p-associated-uri',
  'p-called-party-id', 'p-charging-function-addresses', 'p-charging-vector', 'p-early-media',
  'p-preferred-identity', 'p-visited-network-id', 'path', 'priority', 'privacy', 'proxy-authenticate',
  'proxy-authorization', 'proxy-require', 'rack', 'reason', 'record-route', 'refer-sub', 'refer-to',
  'referred-by', 'reject-contact', 'remote-party-id', 'replaces', 'reply-to', 'request-disposition', 'require',
  'resource-priority', 'retry-after', 'route', 'rseq', 'security-client', 'security-server', 'security-verify',
  'server', 'service-route', 'session-expires', 'session-id', 'sip-etag', 'sip-if-match', 'subject',
  'subscription-state', 'supported', 'target-dialog', 'timestamp', 'to', 'unsupported', 'user-agent',
  'user-to-user', 'via', 'warning', 'www-authenticate',
];

function capitalise(canonical: string): string {
  return canonical
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.substring(1))
    .join('-');
}

const DISPLAY = new Map<string, string>();
/** Exact written form -> canonical name, for known names only (bounded: never grows from input). */
const CACHE = new Map<string, string>();
for (const name of KNOWN) {
  const display = IRREGULAR[name] ?? capitalise(name);
  DISPLAY.set(name, display);
  for (const form of [name, display, capitalise(name), name.toUpperCase()]) CACHE.set(form, name);
}
for (const [short, long] of Object.entries(COMPACT)) {
  CACHE.set(short, long);
  CACHE.set(short.toUpperCase(), long);
}

/** Canonical lower-case long name of a header written in any case, long or compact. */
export function canonicalName(name: string): string {
  const hit = CACHE.get(name);
  if (hit !== undefined) return hit;
  const lower = name.toLowerCase();
  if (lower.length === 1) return COMPACT[lower] ?? lower;
  return lower;
}

/** How a header is written when Sluice makes it: 'Call-ID', 'CSeq', 'WWW-Authenticate', 'X-Foo-Bar'. */
export function displayName(canonical: string): string {
  return DISPLAY.get(canonical) ?? capitalise(canonical);
}

/**
 * Headers that may appear at most once (RFC 3261 20, the table of 20.1 and each header's
 * grammar: no comma-separated list form), and their later kin (RFC 3262, 3265, 3515, 3892, 4028).
 * A message that repeats one is refused (RFC 4475 multi01).
 */
export const SINGLE_VALUED: ReadonlySet<string> = new Set([
  'call-id', 'cseq', 'from', 'to', 'max-forwards', 'content-length', 'content-type', 'content-disposition',
  'expires', 'min-expires', 'date', 'mime-version', 'organization', 'priority', 'reply-to', 'retry-after',
  'server', 'subject', 'timestamp', 'user-agent', 'rseq', 'rack', 'session-expires', 'min-se', 'event',
  'subscription-state', 'refer-to', 'referred-by', 'replaces',
]);

/**
 * One bit per single-valued header, so the parser checks for a repeated one with a mask instead
 * of a list (29 headers: they fit in a 31-bit small integer).
 */
const SINGLE_BITS = new Map<string, number>();
for (const key of SINGLE_VALUED) SINGLE_BITS.set(key, 1 << SINGLE_BITS.size);

/** The bit of a single-valued header's canonical name, 0 for a header that may repeat. */
export function singleBit(key: string): number {
  return SINGLE_BITS.get(key) ?? 0;
}

/** A header name is a non-empty token. */
export function isValidHeaderName(name: string): boolean {
  const n = name.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) if ((CHAR[name.charCodeAt(i)]! & TOKEN) === 0) return false;
  return true;
}

/** A header name as most peers write it, with its canonical key: the parser's fast path. */
export interface CommonName {
  readonly written: string;
  readonly key: string;
  readonly single: boolean;
  /** singleBit(key) */
  readonly bit: number;
}

const COMMON_WRITTEN = [
  'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Max-Forwards', 'Content-Type', 'Content-Length',
  'Route', 'Record-Route', 'Allow', 'Supported', 'Require', 'User-Agent', 'Server', 'Expires', 'Event',
  'Subscription-State', 'Authorization', 'Proxy-Authorization', 'WWW-Authenticate', 'Proxy-Authenticate',
  'Session-Expires', 'Min-SE', 'RSeq', 'RAck', 'Accept', 'Allow-Events', 'Content-Disposition', 'Date',
  'P-Asserted-Identity', 'Privacy', 'Reason', 'Refer-To', 'Referred-By', 'Replaces', 'Call-Info', 'Alert-Info',
  'Remote-Party-ID', 'Diversion', 'Organization', 'Subject', 'Warning', 'Retry-After', 'Min-Expires',
  'Path', 'Timestamp', 'Unsupported', 'Proxy-Require', 'Accept-Language', 'Accept-Encoding', 'Content-Encoding',
  'Session-ID', 'P-Preferred-Identity', 'v', 'f', 't', 'i', 'm', 'l', 'c', 'k', 'o', 'u', 'x', 'r', 'b', 's', 'e',
];

/** By first character, in COMMON_WRITTEN's order (the most frequent first). */
const COMMON_BY_FIRST: (CommonName[] | undefined)[] = [];
for (const written of COMMON_WRITTEN) {
  const key = canonicalName(written);
  const entry: CommonName = { written, key, single: SINGLE_VALUED.has(key), bit: singleBit(key) };
  (COMMON_BY_FIRST[written.charCodeAt(0)] ??= []).push(entry);
}

/**
 * The common header name written exactly at text[start] and followed at once by its ':', or
 * null; `c0` is the char at start. The parser's fast path: the colon is then known without a
 * search, and the name without a slice and a hash lookup. A name written otherwise (another
 * case, white space before the colon) is for the general path.
 */
export function commonNameAt(text: string, start: number, c0: number): CommonName | null {
  const candidates = c0 < 128 ? COMMON_BY_FIRST[c0] : undefined;
  if (candidates === undefined) return null;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    const end = start + c.written.length;
    // endsWith at `end`: a cheaper builtin than startsWith.
    if (text.charCodeAt(end) === 0x3a && text.endsWith(c.written, end)) return c;
  }
  return null;
}
