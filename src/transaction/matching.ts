/**
 * Transaction matching keys (RFC 3261 17.1.3, 17.2.3). Every lookup is one Map get by a string
 * key; the RFC 2543 fallback adds one check of the two fields a key cannot normalise cheaply
 * (Request-URI equality by 19.1.4, and the To tag whose expected value depends on the method).
 *
 * Key fields are joined by a space, which no token, host, Call-ID or method can contain.
 */
import { uriEquals, type SipRequest, type SipResponse, type Via } from '../sip/index.js';
import { MAGIC_COOKIE } from './branch.js';

const COOKIE_LOWER = MAGIC_COOKIE.toLowerCase();

/**
 * True when the branch marks an RFC 3261 client transaction (17.2.3: it "begins with the magic
 * cookie"), compared case-insensitively like every token (7.3.1). A branch that is exactly the
 * cookie (RFC 4475 3.2.1 "badbranch") carries no transaction id: sharing
 * one key among every such request of a peer would merge unrelated transactions, so it is
 * treated as not compliant and matched by the RFC 2543 rules, which RFC 4475 names as one of
 * the two acceptable behaviours (the other being a stateless 400).
 */
export function isRfc3261Branch(branch: string | null | undefined): branch is string {
  if (branch === null || branch === undefined || branch.length <= MAGIC_COOKIE.length) return false;
  return startsWithCookie(branch);
}

/** Whether the branch begins with the magic cookie, in any case (7.3.1). */
function startsWithCookie(branch: string): boolean {
  return branch.startsWith(MAGIC_COOKIE) || branch.slice(0, MAGIC_COOKIE.length).toLowerCase() === COOKIE_LOWER;
}

/**
 * 17.2.3: an ACK matches the INVITE transaction it acknowledges; every other method (CANCEL
 * included: 9.2, it has its own transaction) matches its own.
 */
export function methodGroup(method: string): string {
  return method === 'ACK' ? 'INVITE' : method;
}

/**
 * 17.1.3: a response matches a client transaction by the top Via branch and the CSeq method
 * (the method tells a CANCEL's transaction from its INVITE's, which share the branch).
 * Branches compare case-insensitively (7.3.1).
 */
export function clientKey(branch: string, cseqMethod: string): string {
  return canonicalBranch(branch) + ' ' + cseqMethod;
}

/** clientKey of a response: its top Via's branch and its CSeq method; null without a branch. */
export function responseKey(response: SipResponse): string | null {
  const branch = response.topVia?.branch;
  return branch ? clientKey(branch, response.cseq.method) : null;
}

/** 17.2.3, RFC 3261 branch: branch + sent-by (host and port, as written) + method group. */
export function serverKey(via: Via, method: string): string {
  return canonicalBranch(via.branch!) + ' ' + sentBy(via) + ' ' + methodGroup(method);
}

/**
 * One spelling for branches equal but for case (7.3.1): the magic cookie as RFC 3261 writes it
 * (z9hG4bK), the rest in lower case. Nearly every branch is spelt so already (ours, and those of
 * most peers: the cookie, then lower-case hex or digits), and is returned as it is; lowering the
 * whole of it made a copy at every lookup, as the cookie itself has capitals.
 */
export function canonicalBranch(branch: string): string {
  // The common case first: it asks about the cookie once.
  if (branch.startsWith(MAGIC_COOKIE) && !hasCapitalFrom(branch, MAGIC_COOKIE.length)) return branch;
  if (!startsWithCookie(branch)) return branch.toLowerCase();
  return MAGIC_COOKIE + branch.slice(MAGIC_COOKIE.length).toLowerCase();
}

/** Whether `s` has an ASCII capital at or after `from`. */
function hasCapitalFrom(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}

/**
 * 17.2.3, RFC 2543 fallback: Call-ID, CSeq number, From tag, top Via and method group in the
 * key; the Request-URI and To tag are checked by legacyMatches. The CSeq method is covered by
 * the group: an ACK's CSeq says ACK but matches the INVITE by number only.
 */
export function legacyKey(request: SipRequest, via: Via, method: string): string {
  return (
    request.callId +
    ' ' +
    request.cseq.seq +
    ' ' +
    (request.fromTag ?? '') +
    ' ' +
    via.transport +
    ' ' +
    sentBy(via) +
    ' ' +
    (via.branch ?? '') +
    ' ' +
    methodGroup(method)
  );
}

/**
 * The id of a server transaction matched by the RFC 2543 rules starts with this (its key
 * follows). Such a transaction keeps its request to the end: legacyMatches reads it.
 */
export const LEGACY_ID_PREFIX = '2543 ';

/** What a server transaction remembers for RFC 2543 matching. */
export interface LegacyOrigin {
  readonly request: SipRequest;
  /** The To tag of the last final response sent (what an ACK carries), or null. */
  readonly responseToTag: string | null;
}

/**
 * 17.2.3, RFC 2543 fallback, the fields the key leaves out: the Request-URI must equal the
 * original's (19.1.4 comparison); the To tag must equal the original request's, except that an
 * ACK's must equal the To tag of the response the transaction sent.
 */
export function legacyMatches(origin: LegacyOrigin, request: SipRequest, isAck: boolean): boolean {
  const expectedTag = isAck ? origin.responseToTag : origin.request.toTag;
  if (request.toTag !== expectedTag) return false;
  return sameRequestUri(origin.request, request);
}

function sameRequestUri(a: SipRequest, b: SipRequest): boolean {
  if (a.uriText === b.uriText) return true;
  try {
    return uriEquals(a.uri, b.uri);
  } catch {
    return false;
  }
}

function sentBy(via: Via): string {
  const host = via.host.toLowerCase();
  return via.port === null ? host : host + ':' + via.port;
}
