/**
 * The INVITE a UAC sends outside any dialog (RFC 3261 8.1.1, 13.2.1), made the same way by both
 * kinds of outgoing call: the one on the transaction layer (outgoing-call.ts) and the lean one
 * (lean-outgoing-call.ts).
 */
import { ourVia, ourViaText, type Credential, type UacDialogBase } from '../dialog/index.js';
import { bodyByteString, SipRequest, type SipResponse } from '../sip/index.js';
import type { Destination } from '../transaction/index.js';
import { answer401 } from './digest-client.js';
import { addParts } from './incoming-request.js';
import { minSEOf, requestHeaders } from './session-timer.js';
import type { CallOptions } from './outgoing-call.js';
import type { AckBasis } from './uac-ack.js';
import type { UserAgent } from './user-agent.js';

/** What changes between the INVITEs of one call (a digest or a 422 retry sends another). */
export interface InviteAttempt {
  callId: string;
  fromTag: string;
  seq: number;
  /** Our Contact URI (the dialog's local target). */
  contact: string;
  /** Session-Expires to ask for (RFC 4028), or null for none. */
  sessionExpires: number | null;
  /** Authorization / Proxy-Authorization fields answering a challenge. */
  auth: readonly (readonly [string, string])[];
}

/**
 * The fields of an INVITE after its Via, up to the options' own, one call of `field` each:
 * Max-Forwards, From (`from`: with our tag), To, Call-ID, CSeq, Contact, the UA's Allow,
 * Supported and User-Agent, Require for 100rel, the session timer's, the credentials. Shared by
 * the message (buildInvite) and the text (writeInvite).
 */
function eachInviteField(ua: UserAgent, options: CallOptions, attempt: InviteAttempt, from: string, field: (name: string, value: string) => void): void {
  field('Max-Forwards', '70');
  field('From', from);
  field('To', options.to ?? `<${options.uri}>`);
  field('Call-ID', attempt.callId);
  field('CSeq', `${attempt.seq} INVITE`);
  field('Contact', `<${attempt.contact}>`);
  for (const [n, v] of ua.standardHeaders()) field(n, v);
  if (options.reliableProvisional === 'required') field('Require', '100rel');
  if (ua.sessionTimer !== null && attempt.sessionExpires !== null) {
    for (const [n, v] of requestHeaders(ua.sessionTimer, attempt.sessionExpires)) field(n, v);
  }
  for (const [n, v] of attempt.auth) field(n, v);
}

export function buildInvite(ua: UserAgent, destination: Destination, options: CallOptions, attempt: InviteAttempt): SipRequest {
  const inv = new SipRequest('INVITE', options.uri);
  const via = ourVia(ua.viaFor(destination), ua.transactions.newBranch());
  inv.appendVia(via.text, via.via);
  eachInviteField(ua, options, attempt, `${options.from};tag=${attempt.fromTag}`, (name, value) => inv.appendHeader(name, value));
  addParts(inv, options);
  return inv;
}

/** An INVITE written as text (writeInvite), with what its call takes from it without parsing it back. */
export interface WrittenInvite {
  /** The whole INVITE, latin1 (a byte per code unit), as responseText writes. */
  text: string;
  branch: string;
  /** Our SDP in it, or null. */
  offer: string | null;
  /** What its ACKs take from it (ackBasisOf). */
  basis: AckBasis;
  /** What its dialogs take from it (uacDialogBase). */
  base: UacDialogBase;
}

/**
 * buildInvite written straight to text: the same fields in the same order (a field the options
 * add goes last, where buildInvite puts it after the last of its name: only the order among
 * fields of one name is significant, RFC 3261 7.3.1, and that is kept). The lean call sends it
 * and keeps the text, and parses it back only where it needs the message (CANCEL, the ACK of a
 * non-2xx, a challenge), which the common call never does.
 */
export function writeInvite(ua: UserAgent, destination: Destination, options: CallOptions, attempt: InviteAttempt): WrittenInvite {
  const branch = ua.transactions.newBranch();
  const from = `${options.from};tag=${attempt.fromTag}`;
  let text = `INVITE ${options.uri} SIP/2.0\r\nVia: ${ourViaText(ua.viaFor(destination), branch)}\r\n`;
  eachInviteField(ua, options, attempt, from, (name, value) => {
    text += `${name}: ${value}\r\n`;
  });
  const given = options.body;
  const body = bodyByteString(given);
  for (const [n, v] of options.headers ?? []) {
    // With a body, its Content-Type is the one written below (addParts sets it over any other).
    if (body === '' || n.toLowerCase() !== 'content-type') text += `${n}: ${v}\r\n`;
  }
  if (body !== '') text += `Content-Type: ${options.contentType ?? 'application/sdp'}\r\n`;
  text += `Content-Length: ${body.length}\r\n\r\n${body}`;
  const offer = given === undefined || given.length === 0 ? null : typeof given === 'string' ? given : given.toString('utf8');
  return {
    text,
    branch,
    offer,
    basis: { seq: attempt.seq, offer: offer !== null, credentials: credentialsIn(attempt.auth, options.headers) },
    base: { callId: attempt.callId, localTag: attempt.fromTag, localUri: from, localTarget: attempt.contact, requestUri: options.uri, inviteSeq: attempt.seq, secure: false, method: 'INVITE' },
  };
}

/** No credentials: one shared array, not one per call kept through Timer M (accepted-invite.ts). */
const NO_CREDENTIALS: readonly Credential[] = Object.freeze([]);

/** inviteCredentials of the INVITE writeInvite writes: its Authorization fields, then its Proxy-Authorization ones. */
function credentialsIn(...lists: (readonly (readonly [string, string])[] | undefined)[]): readonly Credential[] {
  const out: Credential[] = [];
  for (const name of ['Authorization', 'Proxy-Authorization']) {
    const key = name.toLowerCase();
    for (const list of lists) for (const [n, v] of list ?? []) if (n.toLowerCase() === key) out.push([name, v]);
  }
  return out.length === 0 ? NO_CREDENTIALS : out;
}

/**
 * RFC 4028 7.4: the Session-Expires the next INVITE carries after a 422, at least its Min-SE;
 * null where that is no larger than `current` (or we keep no session timer): no retry then.
 * Throws as minSEOf does for a Min-SE that does not parse.
 */
export function sessionExpiresAfter422(ua: UserAgent, response: SipResponse, current: number | null): number | null {
  if (ua.sessionTimer === null) return null;
  const wanted = minSEOf(response);
  return current === null || wanted > current ? wanted : null;
}

/**
 * What a non-2xx final may ask of a call's next INVITE: credentials for a 401 or 407 (RFC 3261
 * 22.2; each realm answered once), or a Session-Expires of at least its Min-SE for a 422 (RFC
 * 4028 7.4). Holds what the next attempt carries (InviteAttempt's auth and sessionExpires).
 */
export class InviteRetries {
  auth: [string, string][] = [];
  sessionExpires: number | null;
  private tried: Set<string> | null = null;

  constructor(private readonly ua: UserAgent) {
    this.sessionExpires = ua.sessionTimer?.interval ?? null;
  }

  /** True when `response` to `invite` asks for another INVITE (made ready for it); not for a call being cancelled. */
  retries(invite: SipRequest, response: SipResponse, cancelling: boolean): boolean {
    const status = response.status;
    if ((status === 401 || status === 407) && !cancelling) {
      const tried = (this.tried ??= new Set());
      const a = answer401(invite, response, this.ua.credentials, tried);
      if (a !== null) {
        tried.add(a.realm);
        this.auth = [...this.auth.filter(([n]) => n !== a.header), [a.header, a.value]];
        return true;
      }
    }
    if (status === 422) {
      const wanted = sessionExpiresAfter422(this.ua, response, this.sessionExpires);
      if (wanted !== null) {
        this.sessionExpires = wanted;
        return true;
      }
    }
    return false;
  }

  /** The call has its outcome: the credentials go. */
  settled(): void {
    this.tried = null;
    this.auth = [];
  }
}
