/**
 * Requests derived from a client transaction's request: the ACK the INVITE client transaction
 * sends for a non-2xx final (RFC 3261 17.1.1.3), and a CANCEL (9.1), which the UAC core sends
 * on its own client transaction. Small local builders: src/sip has none yet.
 */
import { SipRequest, serializeVia, type SipResponse } from '../sip/index.js';
import { TransactionError } from './errors.js';

/** 17.1.1.3 (and 8.1.1 for Max-Forwards, which every request carries). */
export function buildAckForNon2xx(invite: SipRequest, response: SipResponse): SipRequest {
  // Request-URI, Call-ID and From as in the original request; To from the response (its tag).
  const ack = new SipRequest('ACK', invite.uriText);
  // "a single Via header field ... equal to the top Via header field of the original request".
  ack.appendHeader('Via', topVia(invite));
  ack.appendHeader('Max-Forwards', '70');
  ack.appendHeader('From', required(invite, 'from'));
  ack.appendHeader('To', required(response, 'to'));
  ack.appendHeader('Call-ID', required(invite, 'call-id'));
  // Same sequence number, method ACK.
  ack.appendHeader('CSeq', `${invite.cseq.seq} ACK`);
  // "If the INVITE request ... had Route header fields, those header fields MUST appear in the ACK."
  for (const route of invite.headerValues('route')) ack.appendHeader('Route', route);
  return ack;
}

/** 9.1: a CANCEL for `request` (normally an INVITE that has had a provisional response). */
export function buildCancel(request: SipRequest): SipRequest {
  if (request.method === 'ACK' || request.method === 'CANCEL') {
    throw new TransactionError('SLUICE_ERR_TRANSACTION_REQUEST', `${request.method} cannot be cancelled (RFC 3261 9.1)`);
  }
  // Request-URI, Call-ID, To, From and the CSeq number identical to the request's, tags included.
  const cancel = new SipRequest('CANCEL', request.uriText);
  // "only a single Via header field value matching the top Via value in the request being cancelled".
  cancel.appendHeader('Via', topVia(request));
  cancel.appendHeader('Max-Forwards', '70');
  cancel.appendHeader('From', required(request, 'from'));
  cancel.appendHeader('To', required(request, 'to'));
  cancel.appendHeader('Call-ID', required(request, 'call-id'));
  cancel.appendHeader('CSeq', `${request.cseq.seq} CANCEL`);
  // "If the request being cancelled contains a Route header field, the CANCEL request MUST
  // include that Route header field's values."
  for (const route of request.headerValues('route')) cancel.appendHeader('Route', route);
  return cancel;
}

function topVia(request: SipRequest): string {
  const via = request.topVia;
  if (via === undefined) throw new TransactionError('SLUICE_ERR_TRANSACTION_REQUEST', 'Request has no Via');
  return serializeVia(via);
}

function required(message: SipRequest | SipResponse, name: string): string {
  const value = message.header(name);
  if (value === undefined) throw new TransactionError('SLUICE_ERR_TRANSACTION_REQUEST', `Message has no ${name} header`);
  return value;
}
