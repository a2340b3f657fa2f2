/**
 * What a REGISTER asks for, read and checked before anything changes (RFC 3261 10.3 steps 5
 * and 6, and the Contact/Expires rules of 10.2.1.1): every refusal is a RegistrationRefused.
 */
import {
  getParam,
  isSipUri,
  parseDeltaSeconds,
  serializeUri,
  SipParseError,
  type NameAddr,
  type SipRequest,
  type SipUri,
} from '../sip/index.js';
import { RegistrationRefused } from './errors.js';

export interface ExpiryLimits {
  min: number;
  max: number;
  default: number;
}

export interface ContactRequest {
  /** The Contact URI text as it will be stored and sent back. */
  contact: string;
  uri: SipUri;
  /** Seconds granted (0: remove). */
  expires: number;
  q: number | undefined;
}

export interface RegisterRequest {
  aor: string;
  user: string;
  callId: string;
  cseq: number;
  /** null: a query (no Contact); '*': remove every binding. */
  contacts: ContactRequest[] | '*' | null;
}

/** Reads the REGISTER's AOR, Call-ID and CSeq (needed before authentication). */
export function readHead(request: SipRequest): Pick<RegisterRequest, 'aor' | 'user' | 'callId' | 'cseq'> {
  const { aor, user } = parsed(() => aorOf(request.to.uri));
  return { aor, user, callId: parsed(() => request.callId), cseq: parsed(() => request.cseq.seq) };
}

/** Reads the Contacts and expiry of a REGISTER against the registrar's limits. */
export function readContacts(request: SipRequest, limits: ExpiryLimits): RegisterRequest['contacts'] {
  const contacts = parsed(() => request.contact);
  const expiresHeader = request.header('expires');
  const headerExpires = expiresHeader === undefined ? undefined : parsed(() => parseDeltaSeconds(expiresHeader));
  if (contacts === '*') {
    // 10.2.2: '*' only with Expires: 0 (the parser already refused '*' beside other contacts).
    if (headerExpires !== 0) throw new RegistrationRefused(400, 'Contact * needs Expires: 0');
    return '*';
  }
  if (contacts.length === 0) return null;
  const out: ContactRequest[] = [];
  let tooBrief = false;
  for (const na of contacts) {
    if (!isSipUri(na.uri)) throw new RegistrationRefused(400, 'Contact must be a sip: or sips: URI');
    const expires = expiresOf(na, headerExpires, limits);
    if (expires > 0 && expires < limits.min) tooBrief = true;
    const c: ContactRequest = { contact: serializeUri(na.uri), uri: na.uri, expires: Math.min(expires, limits.max), q: qOf(na) };
    // The same contact twice in one REGISTER: the later one stands.
    const i = out.findIndex((x) => x.contact === c.contact);
    if (i >= 0) out.splice(i, 1);
    out.push(c);
  }
  if (tooBrief) throw new RegistrationRefused(423, 'Interval Too Brief', [['Min-Expires', String(limits.min)]]);
  return out;
}

function expiresOf(na: NameAddr, headerExpires: number | undefined, limits: ExpiryLimits): number {
  const param = getParam(na.params, 'expires');
  // The parser has checked the value is delta-seconds.
  if (typeof param === 'string') return Number(param);
  return headerExpires ?? limits.default;
}

function qOf(na: NameAddr): number | undefined {
  const q = getParam(na.params, 'q');
  return typeof q === 'string' ? Number(q) : undefined;
}

/**
 * 10.3 step 5: the canonical AOR, `scheme:user@host[:port]` with parameters dropped, the user
 * unescaped and the host lower-cased. An AOR without a user part names nobody: 404.
 */
export function aorOf(uri: SipRequest['to']['uri']): { aor: string; user: string } {
  if (!isSipUri(uri)) throw new RegistrationRefused(404, 'To must be a sip: or sips: address-of-record');
  if (uri.user === null || uri.user === '') throw new RegistrationRefused(404, 'To has no user part');
  const host = uri.hostKind === 'ipv6' ? `[${uri.host.toLowerCase()}]` : uri.host.toLowerCase();
  return { aor: `${uri.scheme}:${uri.user}@${host}${uri.port === null ? '' : `:${uri.port}`}`, user: uri.user };
}

/** Runs a parse, turning the grammar's errors into a 400 that says what is wrong. */
function parsed<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SipParseError) throw new RegistrationRefused(e.status ?? 400, e.reason);
    throw e;
  }
}
