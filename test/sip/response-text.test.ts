import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createResponse, latin1Bytes, parseMessage, responseText, serializeMessage, type ResponseText, type SipRequest, type SipResponse } from '../../src/sip/index.js';

const request = (lines: string[]): SipRequest => parseMessage(Buffer.from(lines.join('\r\n'), 'latin1')) as SipRequest;

const INVITE = request([
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'v: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport=5060;received=192.0.2.1',
  'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK1, SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK2',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774',
  'i: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@192.0.2.1>',
  'Record-Route: <sip:p.example.com;lr>',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\n',
]);

const IN_DIALOG = request([
  'BYE sip:alice@192.0.2.1 SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKbye',
  'Max-Forwards: 70',
  'To: <sip:alice@atlanta.example.com>;tag=abc',
  'From: <sip:bob@biloxi.example.com>;tag=def',
  'Call-ID: 42@b',
  'CSeq: 2 BYE',
  'Content-Length: 0',
  '',
  '',
]);

/** The same response made the general way: createResponse, appendHeader, then the body. */
function general(req: SipRequest, parts: ResponseText): SipResponse {
  const r = createResponse(req, parts.status, parts.reason, parts.toTag);
  if (parts.contact !== undefined) r.appendHeader('Contact', `<${parts.contact}>`);
  for (const list of parts.headers ?? []) for (const [n, v] of list ?? []) r.appendHeader(n, v);
  const body = parts.body === undefined ? Buffer.alloc(0) : typeof parts.body === 'string' ? Buffer.from(parts.body, 'utf8') : parts.body;
  if (body.length > 0) r.setHeader('Content-Type', parts.contentType ?? 'application/sdp');
  r.body = body;
  return r;
}

/** What a receiver reads of a response: start line, every header's values in order, body. */
function seen(r: SipResponse): unknown {
  const keys = [...new Set(r.headers.map((f) => f.key))].sort();
  return { status: r.status, reason: r.reason, headers: keys.map((k) => [k, r.headerValues(k)]), body: r.body.toString('latin1') };
}

const cases: [string, SipRequest, ResponseText][] = [
  ['100 Trying', INVITE, { status: 100, toTag: 'ours' }],
  ['180 with Contact and the UA headers', INVITE, { status: 180, toTag: 'ours', contact: 'sip:7a@198.51.100.1:5060', headers: [[['Allow', 'INVITE, ACK, BYE'], ['Supported', 'timer']], undefined, [['X-Extra', '1']]] }],
  ['200 with an SDP', INVITE, { status: 200, toTag: 'ours', contact: 'sip:7a@198.51.100.1:5060', body: 'v=0\r\no=sluice 1 1 IN IP4 198.51.100.1\r\n' }],
  ['200 with a UTF-8 SDP', INVITE, { status: 200, toTag: 'ours', contact: 'sip:7a@[2001:db8::1]:5060', body: 'v=0\r\ns=Grüße 📞\r\n', contentType: 'application/sdp' }],
  ['183 with a binary body', INVITE, { status: 183, toTag: 'ours', body: Buffer.from([0, 0xff, 0x80, 13, 10]), contentType: 'application/octet-stream' }],
  ['486 with a reason', INVITE, { status: 486, reason: 'Busy Here Now', toTag: 'ours' }],
  ['an unknown status', INVITE, { status: 499, toTag: 'ours' }],
  ['200 to a BYE in a dialog (its To tag kept)', IN_DIALOG, { status: 200, toTag: 'other' }],
];

describe('responseText', () => {
  it.each(cases)('%s: what the general way makes, field for field', (_name, req, parts) => {
    const bytes = latin1Bytes(responseText(req, parts));
    const parsed = parseMessage(bytes) as SipResponse;
    expect(seen(parsed)).toEqual(seen(parseMessage(serializeMessage(general(req, parts))) as SipResponse));
    expect(Number(parsed.header('content-length'))).toBe(parsed.body.length);
  });

  it('copies the Via, From, To, Call-ID and CSeq fields in order, then the rest', () => {
    const text = responseText(INVITE, { status: 180, toTag: 'ours', contact: 'sip:a@h', headers: [[['Allow', 'INVITE']]] });
    const names = text.split('\r\n').slice(1).map((l) => l.slice(0, l.indexOf(':')));
    expect(names.slice(0, 8)).toEqual(['v', 'Via', 'To', 'From', 'i', 'CSeq', 'Contact', 'Allow']);
    expect(text).toContain('To: Bob <sip:bob@biloxi.example.com>;tag=ours\r\n');
    expect(text.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
  });

  it('sends a UTF-8 body as its bytes and counts them', () => {
    const body = 's=Grüße\r\n';
    const bytes = latin1Bytes(responseText(INVITE, { status: 200, toTag: 'x', body }));
    const parsed = parseMessage(bytes) as SipResponse;
    expect(parsed.body.toString('utf8')).toBe(body);
    expect(parsed.header('content-length')).toBe(String(Buffer.byteLength(body)));
  });
  it('copies each field as createResponse writes it, however the request spelled and spaced it', () => {
    // A line of the request in one of the ways a peer may write it: plain `Name: value` (copied
    // from the request's text), or with other spacing, folded, ended by a bare LF, in compact form.
    const style = fc.constantFrom('plain', 'plain', 'plain', 'no-space', 'spaces', 'trailing', 'folded', 'lf', 'compact');
    const line = (name: string, compact: string, value: string, how: string): string => {
      switch (how) {
        case 'no-space':
          return `${name}:${value}\r\n`;
        case 'spaces':
          return `${name} :  ${value}\r\n`;
        case 'trailing':
          return `${name}: ${value}  \r\n`;
        case 'folded':
          return `${name}: ${value.replace(' ', '\r\n  ')}\r\n`;
        case 'lf':
          return `${name}: ${value}\n`;
        case 'compact':
          return `${compact}: ${value}\r\n`;
        default:
          return `${name}: ${value}\r\n`;
      }
    };
    const fields: [string, string, string][] = [
      ['Via', 'v', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;rport'],
      ['Via', 'v', 'SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK2'],
      ['From', 'f', '"Alice" <sip:alice@a.example.com>;tag=1928301774'],
      ['To', 't', 'Bob <sip:bob@b.example.com>'],
      ['Call-ID', 'i', 'a84b4c76e66710@pc33.a.example.com'],
      ['CSeq', 'CSeq', '314159 INVITE'],
      ['Max-Forwards', 'Max-Forwards', '70'],
      ['Subject', 's', 'a call'],
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(fields.map((_, i) => i), { minLength: fields.length, maxLength: fields.length }), fc.array(style, { minLength: fields.length, maxLength: fields.length }), fc.boolean(), (order, styles, toTagged) => {
        let head = 'INVITE sip:bob@b.example.com SIP/2.0\r\n';
        order.forEach((k, i) => {
          const [name, compact, value] = fields[k]!;
          head += line(name, compact, name === 'To' && toTagged ? `${value};tag=theirs` : value, styles[i]!);
        });
        const req = parseMessage(`${head}Content-Length: 0\r\n\r\n`) as SipRequest;
        const text = responseText(req, { status: 180, toTag: 'ours' });
        // The copied fields as they were written before runs of lines were copied: name, ": ", value.
        let expected = 'SIP/2.0 180 Ringing\r\n';
        for (const f of req.headers) {
          if (!['via', 'from', 'to', 'call-id', 'cseq'].includes(f.key)) continue;
          expected += f.key === 'to' && !toTagged ? `${f.name}: ${f.value};tag=ours\r\n` : `${f.name}: ${f.value}\r\n`;
        }
        expect(text).toBe(`${expected}Content-Length: 0\r\n\r\n`);
      }),
      { numRuns: 500 },
    );
  });
});
