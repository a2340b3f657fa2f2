/**
 * The parser's fast paths against the general readings they stand in for: each must give what
 * the general path gives for the same text (values and errors), and leave anything else to it.
 * The common Via against the piece-by-piece parse, a From/To tag at the end against
 * scanParamsFor, a common header name against the search for the colon, findGt against a loop
 * over the URI, and the port read once against the URI's former host and port reading.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHAR, HEX } from '../../src/sip/chars.js';
import { fail } from '../../src/sip/fail.js';
import { tagOfValue } from '../../src/sip/from-to.js';
import { canonicalName, commonNameAt, singleBit } from '../../src/sip/header-names.js';
import { hostEnd, scanHost } from '../../src/sip/host.js';
import { parseMessage } from '../../src/sip/index.js';
import { findGt } from '../../src/sip/name-addr.js';
import type { SipUri } from '../../src/sip/types.js';
import { parseUri } from '../../src/sip/uri.js';
import { parseVia } from '../../src/sip/via.js';

const charOf = (alphabet: string): fc.Arbitrary<string> => fc.constantFrom(...alphabet.split(''));
const text = (alphabet: string, max: number): fc.Arbitrary<string> =>
  fc.array(charOf(alphabet), { maxLength: max }).map((a) => a.join(''));
const joined = (piece: fc.Arbitrary<string>, max: number): fc.Arbitrary<string> =>
  fc.array(piece, { maxLength: max }).map((a) => a.join(''));

/** The value, or the error's reason, status and header. */
function outcome(f: () => unknown): unknown {
  try {
    return { value: f() };
  } catch (e) {
    const err = e as { reason?: string; status?: number; header?: string };
    return { reason: err.reason, status: err.status, header: err.header };
  }
}

describe('the common Via', () => {
  it('reads as the general parse reads it (which "SIP /2.0/" takes)', () => {
    const transport = fc.constantFrom('UDP', 'TCP', 'TLS', 'udp', 'Tls', 'WSS', 'SCTP', 'X-T', '', 'U"P');
    const space = fc.constantFrom(' ', ' ', '  ', '\t', '');
    const host = fc.constantFrom('127.0.0.1', '192.0.2.1', 'host.example.com', 'a-b.c', '-a', '1.2.3', '256.1.1.1', '[2001:db8::1]', '[::1', '_x', '');
    const port = fc.constantFrom('', ':5060', ':65535', ':65536', ':99999', ':05060', ':123456', ':', ': 5060', ':0', ':5060x');
    const param = fc.oneof(
      fc.constantFrom(';branch=z9hG4bK-1', ';rport', ';rport=5060', ';rport=x', ';received=192.0.2.9', ';received=2001:db8::1', ';received=x'),
      fc.constantFrom(';maddr=224.2.0.1', ';maddr=x..y', ';ttl=16', ';ttl=256', ';Branch=Q', ';RPORT', ';x', ';x=y:z', ';branch', ';branch=', ';=x', ';;'),
      fc.constantFrom(';x="a;b"', ';x=[::1]', ' ;branch=b', '; branch = b', ';branch=a b', ';x=\u0100'),
    );
    const tail = fc.constantFrom('', '', ',', ', SIP/2.0/UDP h', ' ', 'x', '"', '<', '\u0100');
    const shaped = fc.tuple(transport, space, host, port, joined(param, 4), tail).map((p) => p.join(''));
    const piece = fc.oneof(transport, space, host, port, param, tail, text('ab09.:;=- ,', 4));
    fc.assert(
      fc.property(fc.oneof(shaped, joined(piece, 8)), (rest) => {
        expect(outcome(() => parseVia(`SIP/2.0/${rest}`))).toEqual(outcome(() => parseVia(`SIP /2.0/${rest}`)));
      }),
      { numRuns: 4000 },
    );
  });
});

describe('a From or To tag at the end', () => {
  it('reads as scanParamsFor reads it (which a space before the parameters takes)', () => {
    const piece = fc.oneof(
      fc.constantFrom(';tag=1', ';tag=a.b-c!%*_+`\'~', ';tag=', ';tag', ';Tag=x', ';TAG=y', ';tag=a b', ';tag="q"', ';tag=[::1]'),
      fc.constantFrom(';x=1', ';lr', ' ', '\t', ';', '=', ',', '"', 'x', '\u0100', ':'),
      text('tag=;x1 ', 4),
    );
    fc.assert(
      fc.property(fc.constantFrom('<sip:a@b>', 'B <sip:b@c:5060>', '"A" <sip:a@b>'), joined(piece, 4), (addr, params) => {
        for (const key of ['from', 'to']) {
          expect(outcome(() => tagOfValue(addr + params, key))).toEqual(outcome(() => tagOfValue(`${addr} ${params}`, key)));
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('a common header name', () => {
  const COMMON = ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Max-Forwards', 'Content-Type', 'Content-Length', 'Record-Route', 'v', 'f', 't', 'i', 'm', 'l'];

  it('is the name the colon ends, with its canonical key', () => {
    const name = fc.oneof(
      fc.constantFrom(...COMMON),
      fc.constantFrom(...COMMON).map((n) => n.toUpperCase()),
      fc.constantFrom(...COMMON).map((n) => n.slice(0, -1)),
      fc.constantFrom(...COMMON).map((n) => n + 'x'),
      text('CVFTaoc-ID', 8),
    );
    fc.assert(
      fc.property(name, text(': \tx', 3), (n, rest) => {
        const line = n + rest;
        const c = commonNameAt(line, 0, line.charCodeAt(0));
        if (c === null) {
          if (COMMON.includes(n)) expect(rest.startsWith(':')).toBe(false);
          return;
        }
        expect(line.slice(0, line.indexOf(':'))).toBe(c.written);
        expect(c.key).toBe(canonicalName(c.written));
        expect(c.bit).toBe(singleBit(c.key));
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the message the general path gives (which white space before the colon takes)', () => {
    const base = ['INVITE sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>', 'Call-ID: x@y', 'CSeq: 1 INVITE', 'Contact: <sip:a@h>', 'Max-Forwards: 70', 'Content-Length: 0'];
    fc.assert(
      fc.property(fc.subarray(base.slice(1)), fc.boolean(), (lines, upper) => {
        const fast = [base[0]!, ...lines.map((l) => (upper ? l.replace(/^[^:]*/, (n) => n.toUpperCase()) : l))];
        const general = fast.map((l, i) => (i === 0 ? l : l.replace(':', ' :')));
        const read = (ls: string[]): unknown =>
          outcome(() => {
            const m = parseMessage(Buffer.from([...ls, '', ''].join('\r\n'), 'latin1'));
            return { headers: m.headers.map((f) => [f.key, f.name, f.value]), via: m.via, callId: m.callId, cseq: m.cseq, contact: m.contact };
          });
        expect(read(fast)).toEqual(read(general));
      }),
      { numRuns: 500 },
    );
  });
});

describe('findGt', () => {
  it('finds what a loop over the URI finds', () => {
    const reference = (s: string, i: number, end: number): number => {
      for (; i < end; i++) {
        const c = s.charCodeAt(i);
        if (c === 0x3e) return i;
        if (c === 0x3c) return -1;
      }
      return -1;
    };
    fc.assert(
      fc.property(text('<>ab:', 12), fc.nat(12), fc.nat(12), (s, a, b) => {
        const i = Math.min(a, s.length);
        const end = Math.min(i + b, s.length);
        expect(findGt(s, i, end)).toBe(reference(s, i, end));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('a SIP URI host and port', () => {
  /** The host and port of `sip:` + text as parseSip read them before the port was read once. */
  function reference(s: string): { host: string; hostKind: string; port: number | null } {
    const h = 4;
    const end = s.length;
    const k = scanHost(s, h, end);
    let i = hostEnd;
    if (i > h && i < end && s.charCodeAt(i) === 0x3a) {
      for (let j = i + 1; j < end; j++) {
        const c = s.charCodeAt(j);
        if (c === 0x3a) fail('IPv6 address in URI not enclosed in []');
        if ((CHAR[c]! & HEX) === 0) break;
      }
    }
    if (k === null) fail(i === h ? 'Missing URI host' : 'Invalid URI host');
    const host = s.substring(h, i);
    let port: number | null = null;
    if (i < end && s.charCodeAt(i) === 0x3a) {
      const from = ++i;
      let v = 0;
      while (i < end && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) {
        v = v * 10 + s.charCodeAt(i++) - 0x30;
        if (v > 65535) fail('URI port out of range');
      }
      if (i === from) fail('Invalid URI port');
      port = v;
    }
    if (i !== end) fail('Invalid character in URI');
    return { host, hostKind: k, port };
  }

  it('reads as before', () => {
    const piece = fc.oneof(fc.constantFrom('h', 'example.com', '192.0.2.1', '2001', 'db8', '-x', ':', '::'), text('0123456789abcdefgx:.-', 6));
    fc.assert(
      fc.property(joined(piece, 5), (rest) => {
        const s = `sip:${rest}`;
        const got = outcome(() => {
          const u = parseUri(s) as SipUri;
          return { host: u.host, hostKind: u.hostKind, port: u.port };
        });
        expect(got).toEqual(outcome(() => reference(s)));
      }),
      { numRuns: 4000 },
    );
  });
});
