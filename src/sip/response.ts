import type { HeaderField } from './header-field.js';
import type { SipRequest } from './sip-request.js';
import { SipResponse } from './sip-response.js';

/** Reason phrases of RFC 3261 21 and the extensions Sluice answers with. */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout', 413: 'Request Entity Too Large',
  415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme', 420: 'Bad Extension', 421: 'Extension Required',
  422: 'Session Interval Too Small', 423: 'Interval Too Brief', 480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected', 483: 'Too Many Hops', 484: 'Address Incomplete',
  486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here', 491: 'Request Pending',
  500: 'Server Internal Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Server Time-out', 505: 'Version Not Supported', 513: 'Message Too Large', 600: 'Busy Everywhere',
  603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable',
};

/**
 * A response to a request per RFC 3261 8.2.6.2: Via, From, Call-ID and CSeq copied, To copied
 * with `toTag` added when the request had none (and the status is not 100). The fields are
 * copied as written, so the response carries exactly the request's values.
 */
export function createResponse(request: SipRequest, status: number, reason?: string, toTag?: string): SipResponse {
  const fields: HeaderField[] = [];
  for (const f of request.headers) {
    if (f.key === 'via' || f.key === 'from' || f.key === 'call-id' || f.key === 'cseq') fields.push(copy(f));
    else if (f.key === 'to') {
      fields.push(copy(f, addsToTag(request, status, toTag) ? `${f.value};tag=${toTag}` : f.value));
    }
  }
  const response = new SipResponse(status, reason ?? REASON_PHRASES[status] ?? 'Unknown', fields);
  response.adoptVia(request);
  return response;
}

/** 8.2.6.2: whether a response with `status` adds `toTag` to the request's To (not a 100's, nor to a To with a tag). */
export function addsToTag(request: SipRequest, status: number, toTag: string | undefined): toTag is string {
  if (toTag === undefined || status <= 100) return false;
  try {
    return request.toTag === null;
  } catch {
    return true; // a To that does not parse: written with our tag
  }
}

function copy(f: HeaderField, value = f.value): HeaderField {
  return { key: f.key, name: f.name, value, start: -1, end: -1 };
}
