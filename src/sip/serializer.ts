import { latin1Write } from './bytes.js';
import type { SipMessage } from './message.js';
import type { SipRequest } from './sip-request.js';
import type { SipResponse } from './sip-response.js';

/**
 * Serializes a message to bytes. An unchanged received message is returned as the very bytes
 * it was parsed from; otherwise the start line and every field are written (received fields
 * as they were written, changed ones as `Name: value`), then the body. Content-Length always
 * states the body's true length.
 */
export function serializeMessage(message: SipRequest | SipResponse | SipMessage): Buffer {
  const wire = message.wireBytes;
  if (wire !== null) return wire;
  const body = message.body;
  const m = message as SipRequest | SipResponse;
  let text = m.startLine + '\r\n';
  let sawLength = false;
  for (const f of m.headers) {
    if (f.key === 'content-length') {
      if (sawLength) continue;
      sawLength = true;
      if (f.value !== String(body.length)) {
        text += `${f.name}: ${body.length}\r\n`;
        continue;
      }
    }
    text += (f.start >= 0 ? m.rawField(f) : `${f.name}: ${f.value}`) + '\r\n';
  }
  if (!sawLength) text += `Content-Length: ${body.length}\r\n`;
  text += '\r\n';
  const headBytes = text.length; // latin1: one byte per code unit
  const out = Buffer.allocUnsafe(headBytes + body.length);
  latin1Write(out, text, 0);
  body.copy(out, headBytes);
  return out;
}
