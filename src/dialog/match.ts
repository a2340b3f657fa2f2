/**
 * Finding the dialog of a message (RFC 3261 12.2.2, 12.2.1.2). Answering 481 for a request whose
 * dialog is unknown is the UA core's job; these only compute keys.
 */
import type { SipRequest, SipResponse } from '../sip/index.js';
import { dialogKey } from './record.js';

/** 12.2: a request with a To tag is meant for an existing dialog. */
export function isInDialog(request: SipRequest): boolean {
  return request.toTag !== null;
}

/**
 * The key of the dialog an incoming request belongs to (12.2.2): Call-ID, local tag = To tag,
 * remote tag = From tag. Null for a request outside any dialog (no To tag).
 */
export function dialogKeyOfIncomingRequest(request: SipRequest): string | null {
  const local = request.toTag;
  return local === null ? null : dialogKey(request.callId, local, request.fromTag);
}

/**
 * The key of the dialog a response to our request belongs to (we are the UAC): local tag =
 * From tag (ours), remote tag = To tag (null when the peer sent none). Null without a From tag,
 * which no request of ours lacks.
 */
export function dialogKeyOfResponse(response: SipResponse): string | null {
  const local = response.fromTag;
  return local === null ? null : dialogKey(response.callId, local, response.toTag);
}
