/**
 * Dialog creation, RFC 3261 12.1: as UAS from the dialog-creating request and the response we
 * send (12.1.1), as UAC from the request we sent and a 101-199 or 2xx response with a To tag
 * (12.1.2).
 */
import type { SipRequest, SipResponse } from '../sip/index.js';
import { DialogError, DialogErrorCode } from './errors.js';
import { contactUri, requiredValue, routeValues } from './headers.js';
import { frozenDialog, type DialogRecord, type DialogState } from './record.js';

/** 12.1: only 101-199 (early) and 2xx (confirmed) responses create a dialog. */
function stateFor(status: number): DialogState {
  if (status >= 101 && status <= 199) return 'early';
  if (status >= 200 && status <= 299) return 'confirmed';
  throw new DialogError(DialogErrorCode.invalid, `A ${status} response creates no dialog`);
}

export interface UasDialogOptions {
  /** The request arrived over TLS (12.1.1: with a sips Request-URI, the dialog is secure). */
  overTls?: boolean;
  /**
   * Our local sequence number (12.1.1 leaves it empty): 0 stands for empty, and the first
   * request we send in the dialog then carries CSeq 1 (any value below 2^31 will do, 8.1.1.5).
   */
  localSeq?: number;
}

/**
 * 12.1.1: a UAS dialog from the dialog-creating request and the 1xx / 2xx we send for it
 * (which carries our To tag and our Contact).
 */
export function createUasDialog(request: SipRequest, response: SipResponse, options: UasDialogOptions = {}): DialogRecord {
  stateFor(response.status); // a response that makes no dialog is refused before its parts are read
  const localTag = response.toTag;
  if (localTag === null) throw new DialogError(DialogErrorCode.missing, 'Dialog-creating response has no To tag');
  if (response.callId !== request.callId || response.cseq.seq !== request.cseq.seq) {
    throw new DialogError(DialogErrorCode.mismatch, 'Response is not for this request');
  }
  // 12.1.1: "The UAS MUST add a Contact header field to the response."
  const localTarget = contactUri(response);
  if (localTarget === null) throw new DialogError(DialogErrorCode.missing, 'Dialog-creating response has no Contact');
  return createUasDialogAs(request, { status: response.status, localTag, localTarget, localUri: requiredValue(response, 'to') }, options);
}

/** What a UAS dialog takes from the response that makes it: known to whoever wrote it. */
export interface UasResponseParts {
  status: number;
  localTag: string;
  /** The URI of its Contact. */
  localTarget: string;
  /** Its To value, with our tag. */
  localUri: string;
}

/** createUasDialog for a response written as text (the lean path's), from what it was written with. */
export function createUasDialogAs(request: SipRequest, response: UasResponseParts, options: UasDialogOptions = {}): DialogRecord {
  const state = stateFor(response.status);
  const remoteTarget = contactUri(request);
  // 8.1.1.8: the dialog-creating request must carry a Contact: the peer's fault, hence 400.
  if (remoteTarget === null) throw new DialogError(DialogErrorCode.missing, 'Dialog-creating request has no Contact', 400);
  return frozenDialog({
    role: 'uas',
    state,
    callId: request.callId,
    localTag: response.localTag,
    remoteTag: request.fromTag, // null for an RFC 2543 peer (12.1.1)
    localUri: response.localUri,
    remoteUri: requiredValue(request, 'from'),
    localTarget: response.localTarget,
    remoteTarget,
    routeSet: routeValues(request, 'record-route'), // 12.1.1: in order
    localSeq: options.localSeq ?? 0,
    remoteSeq: request.cseq.seq,
    secure: options.overTls === true && request.uri.scheme === 'sips',
    inviteSeq: request.cseq.seq,
    method: request.method,
  });
}

/**
 * What a UAC dialog takes from the request that created it: the same for every fork of an
 * INVITE, so an InviteDialogSet keeps it once (as plain data) and makes each dialog from it.
 */
export interface UacDialogBase {
  readonly callId: string;
  readonly localTag: string;
  readonly localUri: string;
  readonly localTarget: string;
  /** The Request-URI we sent: the remote target when a response carries no Contact. */
  readonly requestUri: string;
  readonly inviteSeq: number;
  readonly secure: boolean;
  readonly method: string;
}

export interface UacDialogOptions {
  /** The request was sent over TLS (12.1.2: with a sips Request-URI, the dialog is secure). */
  overTls?: boolean;
  /** Our Contact URI as we wrote it in the request (else it is parsed back from the request). */
  localTarget?: string;
}

export function uacDialogBase(request: SipRequest, options: UacDialogOptions = {}): UacDialogBase {
  const localTag = request.fromTag;
  if (localTag === null) throw new DialogError(DialogErrorCode.missing, 'Dialog-creating request has no From tag');
  const localTarget = options.localTarget ?? contactUri(request);
  if (localTarget === null) throw new DialogError(DialogErrorCode.missing, 'Dialog-creating request has no Contact');
  return {
    callId: request.callId,
    localTag,
    localUri: requiredValue(request, 'from'),
    localTarget,
    requestUri: request.uriText,
    inviteSeq: request.cseq.seq,
    secure: options.overTls === true && request.uri.scheme === 'sips',
    method: request.method,
  };
}

/** Throws unless the response answers the request `base` was taken from. */
export function checkResponseFor(base: UacDialogBase, response: SipResponse): void {
  if (response.callId !== base.callId || response.fromTag !== base.localTag || response.cseq.seq !== base.inviteSeq) {
    throw new DialogError(DialogErrorCode.mismatch, 'Response does not answer the dialog-creating request');
  }
}

/**
 * The route set and remote target a UAC learns from a response: 12.1.2, Record-Route in
 * reverse order and the response's Contact. With no Contact (a sloppy 18x) the target stays
 * `fallback` (the Request-URI we sent, or what the dialog already had).
 */
export function uacRouting(response: SipResponse, fallback: string): { routeSet: string[]; remoteTarget: string } {
  return {
    routeSet: routeValues(response, 'record-route').reverse(),
    remoteTarget: contactUri(response) ?? fallback,
  };
}

/**
 * 12.1.2: a UAC dialog from a 101-199 or 2xx response. The remote tag is the To tag; a 2xx
 * without one (an RFC 2543 UAS) makes a dialog whose remote tag is null, a 1xx without one
 * makes none (12.1: "with a To tag").
 */
export function uacDialogFromResponse(base: UacDialogBase, response: SipResponse): DialogRecord {
  checkResponseFor(base, response);
  const state = stateFor(response.status);
  const remoteTag = response.toTag;
  if (remoteTag === null && state === 'early') {
    throw new DialogError(DialogErrorCode.missing, 'A provisional response without a To tag creates no dialog');
  }
  const { routeSet, remoteTarget } = uacRouting(response, base.requestUri);
  return frozenDialog({
    role: 'uac',
    state,
    callId: base.callId,
    localTag: base.localTag,
    remoteTag,
    localUri: base.localUri,
    remoteUri: requiredValue(response, 'to'),
    localTarget: base.localTarget,
    remoteTarget,
    routeSet,
    localSeq: base.inviteSeq, // 12.1.2: the CSeq of the request
    remoteSeq: null, // 12.1.2: empty
    secure: base.secure,
    inviteSeq: base.inviteSeq,
    method: base.method,
  });
}

/** 12.1.2: a UAC dialog from the request we sent and a 101-199 or 2xx response to it. */
export function createUacDialog(request: SipRequest, response: SipResponse, options: UacDialogOptions = {}): DialogRecord {
  return uacDialogFromResponse(uacDialogBase(request, options), response);
}
