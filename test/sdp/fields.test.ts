import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isDomainName,
  isIpv4Literal,
  isIpv6Literal,
  isZeroAddress,
  parseBandwidth,
  parseConnection,
  parseMediaLine,
  parseOrigin,
  parseTiming,
} from '../../src/sdp/index.js';

describe('parseOrigin', () => {
  it('keeps sess-id and sess-version as strings beyond 2^53', () => {
    expect(parseOrigin('- 3710604898417546434 18446744073709551616 IN IP4 127.0.0.1')).toEqual({
      username: '-',
      sessId: '3710604898417546434',
      sessVersion: '18446744073709551616',
      nettype: 'IN',
      addrtype: 'IP4',
      address: '127.0.0.1',
    });
  });

  it('tolerates an address that does not match its type (o= is not used for media)', () => {
    expect(parseOrigin('iTunes 3413821438 0 IN IP4 fe80::217:f2ff:fe0f:e0f6')?.address).toBe('fe80::217:f2ff:fe0f:e0f6');
  });

  it('refuses the wrong number of fields and a non-numeric version', () => {
    expect(parseOrigin('- 1 1 IN IP4')).toBeNull();
    expect(parseOrigin('- 1 1 IN IP4 a b')).toBeNull();
    expect(parseOrigin('- 1 0x1 IN IP4 a')).toBeNull();
  });
});

describe('parseConnection', () => {
  it('reads IP4 unicast', () => {
    expect(parseConnection('IN IP4 192.0.2.1')).toEqual({ nettype: 'IN', addrtype: 'IP4', address: '192.0.2.1', literal: true });
  });

  it('reads IP4 multicast with TTL and count', () => {
    expect(parseConnection('IN IP4 233.252.0.1/127/3')).toEqual({
      nettype: 'IN',
      addrtype: 'IP4',
      address: '233.252.0.1',
      ttl: 127,
      count: 3,
      literal: true,
    });
  });

  it('reads IP6, with a count', () => {
    expect(parseConnection('IN IP6 2001:db8::1')).toEqual({ nettype: 'IN', addrtype: 'IP6', address: '2001:db8::1', literal: true });
    expect(parseConnection('IN IP6 ff15::101/3')).toMatchObject({ address: 'ff15::101', count: 3 });
  });

  it('normalizes the case of IN and the address type', () => {
    expect(parseConnection('in ip6 ::1')).toMatchObject({ nettype: 'IN', addrtype: 'IP6' });
  });

  it('accepts hostnames and mismatched literals but flags them', () => {
    expect(parseConnection('IN IP4 media.example.com')).toMatchObject({ address: 'media.example.com', literal: false });
    expect(parseConnection('IN IP4 fe80::5a55:caff:fe1a:e187')).toMatchObject({ literal: false });
    expect(parseConnection('IN IP6 192.0.2.1')).toMatchObject({ literal: false });
  });

  it('reads the common one-space form as it reads any other spacing of the same fields', () => {
    // 'IN IP4 <address>' has a reader of its own (no split): it must agree with the general one.
    const address = fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain(), fc.string({ minLength: 1, maxLength: 20 }).filter((a) => !/[\s/]/.test(a)));
    fc.assert(
      fc.property(fc.constantFrom('IP4', 'IP6'), address, (type, a) => {
        expect(parseConnection(`IN ${type} ${a}`)).toEqual(parseConnection(`IN  ${type}\t${a} `));
      }),
    );
  });

  it('refuses malformed values', () => {
    for (const v of ['IN IP4', 'IN IP4 ', 'IN IP4 a b', 'IN IP5 a', 'ATM NSAP x', 'IN IP4 a/x', 'IN IP4 a/1/0', 'IN IP4 a/1/2/3', 'IN IP6 a/1/2', 'IN IP4 /1', '']) {
      expect(parseConnection(v), v).toBeNull();
    }
  });
});

describe('parseMediaLine', () => {
  it('reads media, port, count, proto and formats as strings', () => {
    expect(parseMediaLine('video 49170/2 RTP/AVP 31 96')).toEqual({
      media: 'video',
      port: 49170,
      portCount: 2,
      proto: 'RTP/AVP',
      formats: ['31', '96'],
    });
    expect(parseMediaLine('application 9 UDP/DTLS/SCTP webrtc-datachannel')).toMatchObject({ portCount: 1, formats: ['webrtc-datachannel'] });
    expect(parseMediaLine('application 3238 UDP/BFCP *')?.formats).toEqual(['*']);
  });

  it('accepts the port range ends', () => {
    expect(parseMediaLine('audio 0 RTP/AVP 0')?.port).toBe(0);
    expect(parseMediaLine('audio 65535 RTP/AVP 0')?.port).toBe(65535);
  });

  it('refuses bad ports and missing fields', () => {
    for (const v of ['audio 65536 RTP/AVP 0', 'audio 1e3 RTP/AVP 0', 'audio 1/ RTP/AVP 0', 'audio /2 RTP/AVP 0', 'audio 1 RTP/AVP', 'audio', '']) {
      expect(parseMediaLine(v), v).toBeNull();
    }
  });
});

describe('parseBandwidth and parseTiming', () => {
  it('reads b= and t=', () => {
    expect(parseBandwidth('AS:1024')).toEqual({ type: 'AS', bandwidth: 1024 });
    expect(parseBandwidth('TIAS:64000')).toEqual({ type: 'TIAS', bandwidth: 64000 });
    expect(parseBandwidth('AS')).toBeNull();
    expect(parseBandwidth('AS:x')).toBeNull();
    expect(parseTiming('2873397496 2873404696')).toEqual({ start: '2873397496', stop: '2873404696' });
    expect(parseTiming('0 0')).toEqual({ start: '0', stop: '0' });
    expect(parseTiming('0')).toBeNull();
  });
});

describe('address literals', () => {
  it('recognizes IPv4 dotted quads', () => {
    for (const a of ['0.0.0.0', '192.0.2.1', '255.255.255.255']) expect(isIpv4Literal(a), a).toBe(true);
    for (const a of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..3.4', 'a.b.c.d', '', '1.2.3.4 ', '1.2.3.4.', '.1.2.3', '1.2.3.1000', '1.2.3.00', '1.2.3.-1']) {
      expect(isIpv4Literal(a), a).toBe(false);
    }
  });

  it('agrees with the rule read literally (four dot-separated decimals of 0-255, no leading zero)', () => {
    const byRule = (s: string): boolean => {
      const parts = s.split('.');
      return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
    };
    const text = fc.array(fc.constantFrom('0', '1', '2', '5', '9', '.', '.', 'a', ' '), { maxLength: 18 }).map((c) => c.join(''));
    const quads = fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((q) => q.join('.'));
    fc.assert(fc.property(fc.oneof(text, quads), (s) => isIpv4Literal(s) === byRule(s)), { numRuns: 3000 });
  });

  it('recognizes IPv6 text forms', () => {
    for (const a of ['::', '::1', '2001:db8::1', '2001:2345:6789:ABCD:EF01:2345:6789:ABCD', '0:0:0:0:0:0:0:0', '::ffff:192.0.2.1', 'fe80::1:2']) {
      expect(isIpv6Literal(a), a).toBe(true);
    }
    for (const a of [':', ':::', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '192.0.2.1', '1.2.3.4::', 'fe80::1%eth0', '']) {
      expect(isIpv6Literal(a), a).toBe(false);
    }
  });

  it('recognizes domain names (RFC 8866 FQDN, with a letter), and nothing that could break a line', () => {
    for (const a of ['media.example.com', 'host', 'a-b.example', 'MEDIA.EXAMPLE', 'x123', '1.2.3.example']) expect(isDomainName(a), a).toBe(true);
    for (const a of ['abc', '1.2.3', '010.0.0.1', '1.2.3.4', 'a b.example', 'a\r\nb.example', 'host:5060', 'a_b.example', 'x/16.example', '', 'a'.repeat(254)]) {
      expect(isDomainName(a), a).toBe(false);
    }
    // Nothing outside the FQDN characters, whatever the code unit.
    const any = fc.string({ unit: 'binary', minLength: 4, maxLength: 12 });
    fc.assert(fc.property(any, (s) => !isDomainName(s) || /^[A-Za-z0-9.-]+$/.test(s)), { numRuns: 2000 });
  });

  it('recognizes the zero (hold) addresses', () => {
    expect(isZeroAddress('IP4', '0.0.0.0')).toBe(true);
    expect(isZeroAddress('IP6', '::')).toBe(true);
    expect(isZeroAddress('IP6', '0:0:0:0:0:0:0:0')).toBe(true);
    expect(isZeroAddress('IP6', '::0')).toBe(true);
    expect(isZeroAddress('IP4', '0.0.0.1')).toBe(false);
    expect(isZeroAddress('IP6', '::1')).toBe(false);
    expect(isZeroAddress('IP4', '::')).toBe(false);
  });
});
