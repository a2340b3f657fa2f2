import { latin1Write } from './bytes.js';
import { bodyByteString } from './utf8.js';
import { addsToTag, REASON_PHRASES } from './response.js';
import type { SipRequest } from './sip-request.js';

/** What a response written by responseText carries beyond what it copies from its request. */
export interface ResponseText {
  status: number;
  /** The reason phrase; by default the one RFC 3261 gives the status. */
  reason?: string | undefined;
  /** Added to the To of a response above 100 to a request that had no To tag. */
  toTag?: string | undefined;
  /** Contact: <this URI>, first after the copied fields. */
  contact?: string | undefined;
  /** Header fields after those, list by list (the caller's lists, not joined into one). */
  headers?: readonly (readonly (readonly [string, string])[] | undefined)[];
  /** The body: text (sent as UTF-8) or bytes; with its Content-Type (by default application/sdp). */
  body?: string | Buffer | undefined;
  contentType?: string | undefined;
}

/**
 * A response to `request` (RFC 3261 8.2.6.2) written straight to text: the fields createResponse
 * copies (Via, From, To, Call-ID, CSeq, in the request's order and spelling), then Contact and
 * `parts`'s other fields, and the body. It is what createResponse, appendHeader and
 * serializeMessage make of the same parts, without the message object between them: the lean
 * path of the common call answers this way, at about a third of the cost. The text is latin1 (a
 * byte per code unit): what is sent is latin1Bytes(text), and the text is what a sender keeps to
 * send again, as it keeps no Buffer cut from Node's shared pool alive (see ownUtf8).
 */
export function responseText(request: SipRequest, parts: ResponseText): string {
  const status = parts.status;
  const addTag = addsToTag(request, status, parts.toTag);
  let text = `SIP/2.0 ${status} ${parts.reason ?? REASON_PHRASES[status] ?? 'Unknown'}\r\n`;
  for (const f of request.headers) {
    const key = f.key;
    if (key === 'via' || key === 'from' || key === 'call-id' || key === 'cseq') text += `${f.name}: ${f.value}\r\n`;
    else if (key === 'to') text += addTag ? `${f.name}: ${f.value};tag=${parts.toTag}\r\n` : `${f.name}: ${f.value}\r\n`;
  }
  if (parts.contact !== undefined) text += `Contact: <${parts.contact}>\r\n`;
  if (parts.headers !== undefined) {
    for (const list of parts.headers) if (list !== undefined) for (const [name, value] of list) text += `${name}: ${value}\r\n`;
  }
  const body = bodyByteString(parts.body);
  if (body !== '') text += `Content-Type: ${parts.contentType ?? 'application/sdp'}\r\n`;
  return `${text}Content-Length: ${body.length}\r\n\r\n${body}`;
}

/** The bytes of latin1 text (responseText's). */
export function latin1Bytes(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length);
  latin1Write(out, text, 0);
  return out;
}
