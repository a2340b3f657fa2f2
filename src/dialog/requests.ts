/**
 * Requests in a dialog (RFC 3261 12.2.1.1), the ACK of a 2xx (13.2.2.4), and, for the UA core,
 * CANCEL (9.1) and the ACK of a non-2xx final response (17.1.1.3).
 */
import { bodyByteString, ownUtf8, sentVia, sentViaText, SipRequest, splitList, type SipResponse, type Via } from '../sip/index.js';
import { DialogError, DialogErrorCode } from './errors.js';
import { asRequestUri, isLooseRoute, requestUriOf, requiredValue, routeUri } from './headers.js';
import type { DialogRecord } from './record.js';
import { advanceLocalSeq, isTargetRefresh } from './update.js';

/** Where our Via says we send from (the transport layer knows it; RFC 3261 18.1.1 sent-by). */
export interface ViaSpec {
  /** UDP, TCP, TLS, WS, WSS ... */
  transport: string;
  host: string;
  port: number;
  /** Ask for rport (RFC 3581). */
  rport?: boolean;
}

export interface RequestOptions {
  /** The transaction's branch: it must begin with the magic cookie z9hG4bK (8.1.1.7). */
  branch: string;
  via: ViaSpec;
  /** 70 by default (8.1.1.6). */
  maxForwards?: number;
  body?: Uint8Array | string;
  /** Required with a non-empty body (7.4.1). */
  contentType?: string;
  /** Further header fields, appended in order after the ones built here. */
  extraHeaders?: readonly (readonly [string, string])[];
}

export interface InDialogRequestOptions extends RequestOptions {
  /** Put our Contact in the request; by default only in target refresh requests (12.2.1.1 "SHOULD"). */
  contact?: boolean;
}

const MAGIC_COOKIE = 'z9hG4bK';

/** Our Via for a request: its text, and its parse (see SipMessage.appendVia). */
export function ourVia(via: ViaSpec, branch: string): { text: string; via: Via | null } {
  if (!branch.startsWith(MAGIC_COOKIE)) {
    throw new DialogError(DialogErrorCode.invalid, `Branch must begin with ${MAGIC_COOKIE}`);
  }
  return sentVia(via.transport, via.host, via.port, branch, via.rport === true);
}

/** ourVia's text alone, for a request written straight to text (no parse of its Via is made). */
export function ourViaText(via: ViaSpec, branch: string): string {
  if (!branch.startsWith(MAGIC_COOKIE)) {
    throw new DialogError(DialogErrorCode.invalid, `Branch must begin with ${MAGIC_COOKIE}`);
  }
  return sentViaText(via.transport, via.host, via.port, branch, via.rport === true);
}

/** Request-URI and Route values for a request in the dialog (12.2.1.1). */
export interface RequestTarget {
  requestUri: string;
  routes: string[];
}

/**
 * 12.2.1.1: empty route set: Request-URI = remote target, no Route. First route loose (;lr):
 * Request-URI = remote target, Route = the route set. First route strict: Request-URI = its URI
 * without the parameters a Request-URI may not hold, Route = the rest of the route set and then
 * the remote target (so a strict router hands it back to the Request-URI of a loose router).
 */
export function requestTarget(dialog: DialogRecord): RequestTarget {
  const routes = dialog.routeSet;
  if (routes.length === 0 || isLooseRoute(routes[0]!)) {
    return { requestUri: asRequestUri(dialog.remoteTarget), routes: [...routes] };
  }
  return {
    requestUri: requestUriOf(routeUri(routes[0]!)),
    routes: [...routes.slice(1), `<${dialog.remoteTarget}>`],
  };
}

function toBuffer(body: Uint8Array | string): Buffer {
  if (typeof body === 'string') return ownUtf8(body);
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function addBody(request: SipRequest, options: Pick<RequestOptions, 'body' | 'contentType'>): void {
  if (options.body === undefined) return;
  const body = toBuffer(options.body);
  if (body.length > 0) {
    if (options.contentType === undefined) throw new DialogError(DialogErrorCode.invalid, 'A body needs a Content-Type');
    request.appendHeader('Content-Type', options.contentType);
  }
  request.body = body;
}

function addExtra(request: SipRequest, extra: RequestOptions['extraHeaders']): void {
  for (const [name, value] of extra ?? []) request.appendHeader(name, value);
}

/**
 * The fields of a request's head in the dialog after its Via, one call of `field` each:
 * Max-Forwards, Route, From, To, Call-ID, CSeq. Shared by the message (dialogRequest) and the
 * text (dialogRequestText) of a request.
 */
function eachHeadField(dialog: DialogRecord, routes: readonly string[], method: string, seq: number, options: RequestOptions, field: (name: string, value: string) => void): void {
  field('Max-Forwards', String(options.maxForwards ?? 70));
  for (const route of routes) field('Route', route);
  field('From', dialog.localUri); // 12.2.1.1: local URI and local tag
  field('To', dialog.remoteUri); // 12.2.1.1: remote URI and remote tag
  field('Call-ID', dialog.callId);
  field('CSeq', `${seq} ${method}`);
}

/** The common head of a request in the dialog: start line, Via, Max-Forwards, Route, From, To, Call-ID, CSeq. */
function dialogRequest(dialog: DialogRecord, method: string, seq: number, options: RequestOptions): SipRequest {
  const target = requestTarget(dialog);
  const request = new SipRequest(method, target.requestUri);
  const via = ourVia(options.via, options.branch);
  request.appendVia(via.text, via.via);
  eachHeadField(dialog, target.routes, method, seq, options, (name, value) => request.appendHeader(name, value));
  return request;
}

/** dialogRequest written as text: the same head, fields in the same order, each line ended. */
function dialogRequestText(dialog: DialogRecord, method: string, seq: number, options: RequestOptions): string {
  const target = requestTarget(dialog);
  let text = `${method} ${target.requestUri} SIP/2.0\r\nVia: ${ourViaText(options.via, options.branch)}\r\n`;
  eachHeadField(dialog, target.routes, method, seq, options, (name, value) => {
    text += `${name}: ${value}\r\n`;
  });
  return text;
}

/** Header fields as text lines, in order. */
function fieldLines(fields: readonly (readonly [string, string])[] | undefined): string {
  let text = '';
  for (const [name, value] of fields ?? []) text += `${name}: ${value}\r\n`;
  return text;
}

/**
 * 12.2.1.1: a new request in the dialog with the next local CSeq; the record returned holds it
 * (store it before sending). Not for ACK (createAckFor2xx) or CANCEL (createCancel): they
 * repeat the CSeq number of the request they belong to.
 */
export function createInDialogRequest(
  dialog: DialogRecord,
  method: string,
  options: InDialogRequestOptions,
): { request: SipRequest; dialog: DialogRecord } {
  if (method === 'ACK' || method === 'CANCEL') {
    throw new DialogError(DialogErrorCode.invalid, `${method} is not built with createInDialogRequest`);
  }
  const next = advanceLocalSeq(dialog);
  const request = dialogRequest(dialog, method, next.seq, options);
  if (options.contact ?? isTargetRefresh(method)) {
    request.appendHeader('Contact', `<${dialog.localTarget}>`);
  }
  addExtra(request, options.extraHeaders);
  addBody(request, options);
  return { request, dialog: next.dialog };
}

/**
 * createInDialogRequest written straight to text, for a request without a body (a BYE): the same
 * fields in the same order, as serializeMessage writes that message. A lean BYE sends it and keeps
 * only its bytes, parsed back where the message itself is needed (a challenge to answer, the 408
 * or 503 made for it), which nearly no BYE is.
 */
export function inDialogRequestText(dialog: DialogRecord, method: string, options: InDialogRequestOptions): { text: string; dialog: DialogRecord } {
  if (method === 'ACK' || method === 'CANCEL') {
    throw new DialogError(DialogErrorCode.invalid, `${method} is not built with inDialogRequestText`);
  }
  if (options.body !== undefined && options.body.length > 0) {
    throw new DialogError(DialogErrorCode.invalid, 'inDialogRequestText writes requests without a body: use createInDialogRequest');
  }
  const next = advanceLocalSeq(dialog);
  let text = dialogRequestText(dialog, method, next.seq, options);
  if (options.contact ?? isTargetRefresh(method)) text += `Contact: <${dialog.localTarget}>\r\n`;
  text += fieldLines(options.extraHeaders);
  return { text: `${text}Content-Length: 0\r\n\r\n`, dialog: next.dialog };
}

export interface AckOptions extends RequestOptions {
  /**
   * The Authorization and Proxy-Authorization fields of the INVITE being acknowledged
   * (inviteCredentials): 13.2.2.4, "The ACK MUST contain the same credentials as the INVITE".
   */
  credentials?: readonly Credential[];
}

/** A header field name and value, as written in the INVITE. */
export type Credential = readonly [name: string, value: string];

const NO_CREDENTIALS: readonly Credential[] = Object.freeze([]);

/** The INVITE's Authorization and Proxy-Authorization fields, which its ACKs repeat (13.2.2.4). */
export function inviteCredentials(invite: SipRequest): readonly Credential[] {
  let out: Credential[] | null = null;
  for (const name of ['Authorization', 'Proxy-Authorization']) {
    for (const value of invite.headerValues(name)) (out ??= []).push([name, value]);
  }
  return out ?? NO_CREDENTIALS;
}

/**
 * 13.2.2.4: the ACK of a 2xx, built like any request in the dialog (so after confirmDialog
 * recomputed the route set) but with the INVITE's CSeq number and method ACK, in a transaction
 * of its own (its own branch). The local CSeq does not move.
 */
export function createAckFor2xx(dialog: DialogRecord, inviteSeq: number, options: AckOptions): SipRequest {
  const request = dialogRequest(dialog, 'ACK', inviteSeq, options);
  for (const [name, value] of options.credentials ?? NO_CREDENTIALS) request.appendHeader(name, value);
  addExtra(request, options.extraHeaders);
  addBody(request, options);
  return request;
}

/**
 * createAckFor2xx written straight to text (latin1: a byte per code unit, as responseText writes):
 * the same fields in the same order, for a UAC that sends the ACK and keeps only its text to send
 * again (uac-ack.ts), so no message object is made for it.
 */
export function ackFor2xxText(dialog: DialogRecord, inviteSeq: number, options: AckOptions): string {
  let text = dialogRequestText(dialog, 'ACK', inviteSeq, options) + fieldLines(options.credentials) + fieldLines(options.extraHeaders);
  const body = bodyByteString(options.body);
  if (body.length > 0) {
    if (options.contentType === undefined) throw new DialogError(DialogErrorCode.invalid, 'A body needs a Content-Type');
    text += `Content-Type: ${options.contentType}\r\n`;
  }
  return `${text}Content-Length: ${body.length}\r\n\r\n${body}`;
}

/** The first Via value of a request exactly as written (one value of a comma-separated field). */
function topViaValue(request: SipRequest): string {
  const field = request.header('via');
  const first = field === undefined ? undefined : splitList(field, 'via')[0];
  if (first === undefined) throw new DialogError(DialogErrorCode.missing, 'Request has no Via');
  return first;
}

/** Route, Max-Forwards and the single top Via shared by CANCEL and the non-2xx ACK. */
function hopByHopCopy(invite: SipRequest, method: string, to: string): SipRequest {
  const request = new SipRequest(method, invite.uriText);
  request.appendHeader('Via', topViaValue(invite));
  request.appendHeader('Max-Forwards', invite.header('max-forwards') ?? '70');
  for (const route of invite.headerValues('route')) request.appendHeader('Route', route);
  request.appendHeader('From', requiredValue(invite, 'from'));
  request.appendHeader('To', to);
  request.appendHeader('Call-ID', requiredValue(invite, 'call-id'));
  request.appendHeader('CSeq', `${invite.cseq.seq} ${method}`);
  return request;
}

/**
 * 9.1: CANCEL of a request we sent: the same Request-URI, Call-ID, To, From and CSeq number
 * (method CANCEL), a single Via equal to the request's top Via (so the same branch: it matches
 * the INVITE's server transaction downstream), and the request's Route header fields.
 */
export function createCancel(invite: SipRequest): SipRequest {
  if (invite.method === 'ACK' || invite.method === 'CANCEL') {
    throw new DialogError(DialogErrorCode.invalid, `${invite.method} cannot be cancelled`);
  }
  return hopByHopCopy(invite, 'CANCEL', requiredValue(invite, 'to'));
}

/**
 * 17.1.1.3: the ACK of a 300-699 response to an INVITE (sent by the client transaction): the
 * INVITE's Request-URI, Call-ID, From, top Via (same branch) and Route; To from the response
 * (it carries the tag); CSeq number of the INVITE with method ACK.
 */
export function createNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  if (response.status < 300) {
    throw new DialogError(DialogErrorCode.invalid, `A ${response.status} is not acknowledged by the transaction`);
  }
  if (invite.method !== 'INVITE' || response.callId !== invite.callId || response.cseq.seq !== invite.cseq.seq) {
    throw new DialogError(DialogErrorCode.mismatch, 'Response does not answer this INVITE');
  }
  return hopByHopCopy(invite, 'ACK', requiredValue(response, 'to'));
}
