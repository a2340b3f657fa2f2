/**
 * parseMessage reads the routing headers' values in place in the header text (in-place.ts);
 * read from the value strings instead (a framed message's parseRoutingHeaders) they must give
 * the same values and the same errors, folded, padded, repeated or malformed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage, SipParseError, type SipMessage } from '../../src/sip/index.js';

const LINES = [
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK74bf9;rport',
  'Max-Forwards: 70',
  'From: "Alice" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  'To: Bob <sip:bob@biloxi.example.com>',
  'Call-ID: 3848276298220188511@atlanta.example.com',
  'CSeq: 1 INVITE',
  'Contact: <sip:alice@192.0.2.101:5060;transport=udp>',
];

/** Variants of each routing line: as usual, padded, folded, compact, malformed. */
const VARIANTS: Record<string, string[]> = {
  via: [
    'Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2',
    'Via:    SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2   ',
    'Via: SIP/2.0/UDP 192.0.2.2\r\n ;branch=z9hG4bK2',
    'v: SIP / 2.0 / TCP [2001:db8::1]:5070 ; received=192.0.2.9, SIP/2.0/UDP h',
    'Via: SIP/2.0/UDP 192.0.2.2;branch',
    'Via: SIP/2.0/',
    'Via: SIP/2.0/UDP 999.0.0.1',
  ],
  from: [
    'From: <sip:a@example.com>;tag=1',
    'f: sip:a@example.com ; tag = 1',
    'From: "A \\"q\\"" <sip:a@example.com>\r\n\t;tag=1',
    'From: <sip:a@example.com>;tag=',
    'From: <sip:a@bad host>;tag=1',
    'From: sip:a@example.com;tag=1 junk',
  ],
  to: [
    'To: <sip:b@example.com>;tag=2',
    'To: <sip:b@example.com>',
    't: B <sip:b@example.com;user=phone>\t',
    'To: <sip:b@bad host>',
    'To: <sip:b@bad host>;tag=2',
    'To: "B <sip:b@example.com>',
  ],
  'call-id': ['Call-ID: abc@example.com', 'i:   xyz   ', 'Call-ID: a@b@c', 'Call-ID: \r\n abc@example.com', 'Call-ID: a b'],
  contact: [
    'Contact: <sip:c@192.0.2.3>;expires=60;q=0.5',
    'm: sip:c@192.0.2.3, <sip:d@192.0.2.4>',
    'Contact: *',
    'Contact: <sip:c@192.0.2.3>;q=2',
    'Contact: <sip:c@192.0.2.3\r\n >',
    'Contact: sip:c@192.0.2.3?x=y',
  ],
};

function outcome(read: () => SipMessage): unknown {
  try {
    const m = read();
    const get = (f: () => unknown): unknown => {
      try {
        return f();
      } catch (e) {
        return e instanceof SipParseError ? { reason: e.reason, status: e.status, header: e.header } : String(e);
      }
    };
    return { via: m.via, fromTag: m.fromTag, toTag: m.toTag, callId: m.callId, cseq: m.cseq, contact: m.contact, from: get(() => m.from), to: get(() => m.to) };
  } catch (e) {
    if (e instanceof SipParseError) return { reason: e.reason, status: e.status, header: e.header };
    throw e;
  }
}

function message(start: string, lines: string[]): Buffer {
  return Buffer.from([start, ...lines, 'Content-Length: 0', '', ''].join('\r\n'), 'latin1');
}

const keyOf = (line: string): string => {
  const n = line.slice(0, line.indexOf(':')).trim().toLowerCase();
  return ({ v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact' } as Record<string, string>)[n] ?? n;
};

describe('routing values read in place', () => {
  it('give what the value strings give, values and errors', () => {
    const variant = fc.record({
      start: fc.constantFrom('INVITE sip:bob@biloxi.example.com SIP/2.0', 'SIP/2.0 200 OK', 'SIP/2.0 180 Ringing'),
      swaps: fc.array(fc.tuple(fc.constantFrom(...Object.keys(VARIANTS)), fc.nat(10), fc.boolean()), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(variant, ({ start, swaps }) => {
        const lines = [...LINES];
        for (const [key, n, add] of swaps) {
          const options = VARIANTS[key]!;
          const line = options[n % options.length]!;
          const at = lines.findIndex((l) => keyOf(l) === key);
          if (add || at < 0) lines.splice(1, 0, line);
          else lines[at] = line;
        }
        const bytes = message(start, lines);
        const inPlace = outcome(() => parseMessage(bytes));
        const fromStrings = outcome(() => {
          const m = parseMessage(bytes, { mode: 'framing' });
          m.parseRoutingHeaders();
          return m;
        });
        expect(inPlace).toEqual(fromStrings);
        // 'all' reads them in place too (and may refuse more: From and To whole).
        const all = outcome(() => parseMessage(bytes, { mode: 'all' }));
        if ((all as { reason?: string }).reason === undefined) expect(all).toEqual(inPlace);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a Call-ID that is the whole value as that very string', () => {
    const m = parseMessage(message('SIP/2.0 200 OK', LINES));
    expect(m.callId).toBe(m.header('call-id'));
  });
});
