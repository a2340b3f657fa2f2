/** AnySipMessage, the union of the two concrete messages, and the guards that tell them apart by kind. */
import type { SipMessage } from './message.js';
import type { SipRequest } from './sip-request.js';
import type { SipResponse } from './sip-response.js';

export type AnySipMessage = SipRequest | SipResponse;

export function isRequest(m: SipMessage): m is SipRequest {
  return m.kind === 'request';
}

export function isResponse(m: SipMessage): m is SipResponse {
  return m.kind === 'response';
}
