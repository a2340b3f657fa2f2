import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMessage, serializeMessage, SipParseError, type SipRequest, type SipResponse } from '../../src/sip/index.js';
import type { NameAddr, SipUri } from '../../src/sip/types.js';
import { corpusPath, corpusPresent } from './corpus.js';

// RFC 5118 IPv6 torture tests, with the expectations of the corpus's INDEX.md.

/**
 * Three files declare the Content-Length of the RFC archive's LF-only form while their lines end
 * in CRLF (see INDEX.md, "Byte-exactness caveat"). The harness writes the true body length into
 * those three so the test is of IPv6 handling, not of that conversion; every other byte is as stored.
 */
const CL_FIXUP = new Set(['ipv6-in-sdp', 'mult-ip-in-sdp', 'ipv4-mapped-ipv6']);

function load(kind: string, name: string): Buffer {
  const bytes = readFileSync(corpusPath('rfc5118', kind, `${name}.dat`));
  if (!CL_FIXUP.has(name)) return bytes;
  const sep = bytes.indexOf('\r\n\r\n') + 4;
  const head = bytes.subarray(0, sep).toString('latin1');
  const fixed = head.replace(/Content-Length: \d+/, `Content-Length: ${bytes.length - sep}`);
  return Buffer.concat([Buffer.from(fixed, 'latin1'), bytes.subarray(sep)]);
}

const sipUri = (u: unknown): SipUri => u as SipUri;
const contact = (m: SipRequest | SipResponse): NameAddr => (m.contact as NameAddr[])[0]!;

const VALID: Record<string, (m: SipRequest | SipResponse) => void> = {
  'ipv6-good'(m) {
    const u = sipUri((m as SipRequest).uri);
    expect([u.host, u.hostKind, u.port]).toEqual(['2001:db8::10', 'ipv6', null]);
    expect([m.via[0]!.host, m.via[0]!.hostKind]).toEqual(['2001:db8::9:1', 'ipv6']);
    expect(sipUri(contact(m).uri).host).toBe('2001:db8::1');
  },
  'port-ambiguous'(m) {
    const u = sipUri((m as SipRequest).uri);
    expect([u.host, u.port]).toEqual(['2001:db8::10:5070', null]);
  },
  'port-unambiguous'(m) {
    const u = sipUri((m as SipRequest).uri);
    expect([u.host, u.port]).toEqual(['2001:db8::10', 5070]);
  },
  'via-received-param-with-delim'(m) {
    expect(m.via[0]!.received).toBe('2001:db8::9:255');
    expect(m.via[0]!.branch).toBe('z9hG4bKas3-111');
  },
  'via-received-param-no-delim'(m) {
    expect(m.via[0]!.received).toBe('2001:db8::9:255');
    expect(m.via[0]!.branch).toBe('z9hG4bKas3');
  },
  'ipv6-in-sdp'(m) {
    expect(sipUri(contact(m).uri).host).toBe('2001:db8::20');
    expect(m.body.toString('latin1')).toContain('c=IN IP6 2001:db8::20');
  },
  'mult-ip-in-header'(m) {
    expect(m.via.map((v) => [v.transport, v.host, v.port, v.received])).toEqual([
      ['UDP', '2001:db8::9:1', 6050, null],
      ['UDP', '192.0.2.1', null, null],
      ['TCP', '2001:db8::9:255', null, '192.0.2.200'],
    ]);
  },
  'mult-ip-in-sdp'(m) {
    expect(m.body.toString('latin1')).toContain('c=IN IP6 2001:db8::1');
  },
  'ipv4-mapped-ipv6'(m) {
    expect(m.via.map((v) => [v.host, v.hostKind, v.port])).toEqual([
      ['::ffff:192.0.2.10', 'ipv6', 19823],
      ['::ffff:192.0.2.2', 'ipv6', null],
    ]);
    expect(sipUri(contact(m).uri).host).toBe('::ffff:192.0.2.2');
  },
  'ipv6-bug-abnf-3-colons'(m) {
    // RFC 5118 4.10 asks that RFC 3261's buggy three-colon form be tolerated.
    const u = sipUri((m as SipRequest).uri);
    expect([u.host, u.hostKind]).toEqual(['2001:db8:::192.0.2.1', 'ipv6']);
  },
  'ipv6-correct-abnf-2-colons'(m) {
    const u = sipUri((m as SipRequest).uri);
    expect([u.host, u.hostKind]).toEqual(['2001:db8::192.0.2.1', 'ipv6']);
    expect(sipUri(m.to.uri).host).toBe('2001:db8::192.0.2.1');
  },
};

describe.skipIf(!corpusPresent)('RFC 5118 IPv6 torture tests', () => {
  it('the corpus holds exactly the messages listed here', () => {
    const names = readdirSync(corpusPath('rfc5118', 'valid')).map((f) => f.replace(/\.dat$/, '')).sort();
    expect(names).toEqual(Object.keys(VALID).sort());
  });

  for (const [name, check] of Object.entries(VALID)) {
    it(`${name} is accepted with the stated values`, () => {
      const bytes = load('valid', name);
      for (const mode of ['routing', 'all'] as const) check(parseMessage(bytes, { mode }));
      expect(serializeMessage(parseMessage(bytes)).equals(bytes)).toBe(true);
    });
  }

  it('the stored Content-Length of the three SDP messages is refused as the wire would be', () => {
    // Without the fix-up, ipv6-in-sdp declares more bytes than it has: a UDP element refuses it.
    const raw = readFileSync(corpusPath('rfc5118', 'valid', 'ipv6-in-sdp.dat'));
    expect(() => parseMessage(raw)).toThrow(SipParseError);
  });

  it('ipv6-bad (an IPv6 Request-URI without brackets) is refused with 400', () => {
    const bytes = load('invalid', 'ipv6-bad');
    for (const mode of ['routing', 'all'] as const) {
      let err: unknown;
      try {
        parseMessage(bytes, { mode });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SipParseError);
      expect((err as SipParseError).status).toBe(400);
    }
  });
});
