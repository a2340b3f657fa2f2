import { describe, expect, it } from 'vitest';
import { createResponse, detachedResponse, parseMessage, serializeMessage, type SipRequest } from '../../src/sip/index.js';

const BYE = [
  'BYE sip:bob@10.0.0.2:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-524287-1---a3f1;rport',
  'From: "Alice" <sip:alice@example.com>;tag=1928301774',
  'To: <sip:bob@example.com>;tag=a6c85cf',
  'Call-ID: a84b4c76e66710@pc33.example.com',
  'CSeq: 2 BYE',
  'Max-Forwards: 70',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

describe('detachedResponse', () => {
  it('is the same response on the wire, in fields of its own', () => {
    const bye = parseMessage(Buffer.from(BYE, 'latin1')) as SipRequest;
    const ok = createResponse(bye, 200);
    ok.appendHeader('Server', 'Sluice');
    const kept = detachedResponse(ok);
    expect(kept).not.toBe(ok);
    expect(serializeMessage(kept).equals(serializeMessage(ok))).toBe(true);
    expect(kept.status).toBe(200);
    expect(kept.via[0]!.branch).toBe('z9hG4bK-524287-1---a3f1');
    for (let i = 0; i < ok.headers.length; i++) expect(kept.headers[i]).not.toBe(ok.headers[i]);
  });

  it('copies a body into memory of its own', () => {
    const bye = parseMessage(Buffer.from(BYE, 'latin1')) as SipRequest;
    const ok = createResponse(bye, 200);
    ok.appendHeader('Content-Type', 'text/plain');
    ok.body = Buffer.from('bye now');
    const kept = detachedResponse(ok);
    expect(kept.body.toString()).toBe('bye now');
    expect(kept.body.buffer).not.toBe(ok.body.buffer);
    expect(kept.body.buffer.byteLength).toBe(kept.body.length);
    expect(serializeMessage(kept).equals(serializeMessage(ok))).toBe(true);
  });

  it('keeps a response that is still exactly as received, to resend it byte for byte', () => {
    const text = BYE.replace('BYE sip:bob@10.0.0.2:5060 SIP/2.0', 'SIP/2.0 200 OK').replace('Max-Forwards: 70\r\n', '');
    const received = parseMessage(Buffer.from(text, 'latin1'));
    if (received.kind !== 'response') throw new Error('the test text is a response');
    expect(received.unchanged).toBe(true);
    expect(detachedResponse(received)).toBe(received);
  });
});
