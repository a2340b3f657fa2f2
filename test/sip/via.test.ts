import { describe, expect, it } from 'vitest';
import type { Via } from '../../src/sip/types.js';
import { parseVia, sentVia, serializeVia } from '../../src/sip/via.js';
import { expectParseError } from './grammar-helpers.js';

const one = (text: string): Via => {
  const vias = parseVia(text);
  expect(vias).toHaveLength(1);
  return vias[0]!;
};

describe('parseVia', () => {
  it('parses sent-protocol, sent-by and the known parameters', () => {
    expect(one('SIP/2.0/UDP pc33.atlanta.com:5060;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5061;maddr=224.2.0.1;ttl=16;x')).toEqual({
      protocol: 'SIP',
      version: '2.0',
      transport: 'UDP',
      host: 'pc33.atlanta.com',
      hostKind: 'domain',
      port: 5060,
      branch: 'z9hG4bK776asdhds',
      received: '192.0.2.1',
      rport: 5061,
      maddr: '224.2.0.1',
      ttl: 16,
      params: [
        { name: 'branch', value: 'z9hG4bK776asdhds' },
        { name: 'received', value: '192.0.2.1' },
        { name: 'rport', value: '5061' },
        { name: 'maddr', value: '224.2.0.1' },
        { name: 'ttl', value: '16' },
        { name: 'x', value: null },
      ],
    });
  });

  it('reads rport without a value as true and absent as null (RFC 3581)', () => {
    expect(one('SIP/2.0/UDP h;rport;branch=z9hG4bK1').rport).toBe(true);
    expect(one('SIP/2.0/UDP h;branch=z9hG4bK1').rport).toBeNull();
  });

  it('handles LWS around / ; = and between values (RFC 4475 wsinv)', () => {
    const top = one('SIP  /   2.0 /UDP    192.0.2.2;branch=390skdjuw');
    expect([top.protocol, top.version, top.transport, top.host, top.branch]).toEqual(['SIP', '2.0', 'UDP', '192.0.2.2', '390skdjuw']);
    const two = parseVia(
      'SIP  / 2.0  / TCP     spindle.example.com   ;  branch  =   z9hG4bK9ikj8  , SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239',
    );
    expect(two.map((v) => [v.transport, v.host, v.hostKind, v.branch])).toEqual([
      ['TCP', 'spindle.example.com', 'domain', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'ipv4', 'z9hG4bK30239'],
    ]);
    expect(one('SIP/2.0/UDP h : 5060 ;branch=x').port).toBe(5060);
  });

  it('reads the usual SIP/2.0/ prefix as the grammar reads it piece by piece', () => {
    for (const rest of ['UDP 192.0.2.1:5060;branch=z9hG4bK1;rport', ' tcp h;received=192.0.2.9', '  WSS [2001:db8::1]', 'udp h , SIP/2.0/TCP g;branch=2']) {
      // 'SIP /2.0/' takes the general path.
      expect(parseVia(`SIP/2.0/${rest}`), rest).toEqual(parseVia(`SIP /2.0/${rest}`));
    }
    expect(parseVia('SIP/2.0/UDP a, SIP/2.0/UDP b, SIP/2.0/UDP c').map((v) => v.host)).toEqual(['a', 'b', 'c']);
    expectParseError(() => parseVia('SIP/2.0/'), /sent-protocol/, 'via');
    expectParseError(() => parseVia('SIP/2.0/ '), /sent-protocol/, 'via');
    expectParseError(() => parseVia('SIP/2.0/;'), /sent-protocol/, 'via');
    expectParseError(() => parseVia('SIP/2.0/UDP h,'), /Empty Via value/, 'via');
  });

  it('upper-cases the transport and accepts unknown ones (RFC 4475 transports)', () => {
    expect(one('sip/2.0/udp h').protocol).toBe('SIP');
    expect(one('Foo/1/udp h').protocol).toBe('FOO');
    expect(['udp', 'SCTP', 'Tls', 'UNKNOWN', 'tcp', 'ws', 'wss'].map((t) => one(`SIP/2.0/${t} h`).transport)).toEqual([
      'UDP',
      'SCTP',
      'TLS',
      'UNKNOWN',
      'TCP',
      'WS',
      'WSS',
    ]);
  });

  it('keeps odd branches: bare magic cookie (badbranch), literal % (esc02), none (inv2543)', () => {
    expect(one('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK').branch).toBe('z9hG4bK');
    expect(one('SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234').branch).toBe('z9hG4bK209%fzsnel234');
    expect(one("SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~").branch).toBe("z9hG4bK-.!%66*_+`'~");
    expect(one('SIP/2.0/UDP iftgw.example.com').branch).toBeNull();
    const long = `very${'long'.repeat(50)}branchvalue`;
    expect(one(`SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=${long}`).branch).toBe(long);
  });

  it('parses IPv6 sent-by and received with or without [] (RFC 5118 4.5, 4.7, 4.9)', () => {
    const withDelim = one('SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111');
    expect([withDelim.host, withDelim.hostKind, withDelim.received, withDelim.branch]).toEqual([
      '2001:db8::9:1',
      'ipv6',
      '2001:db8::9:255',
      'z9hG4bKas3-111',
    ]);
    const noDelim = one('SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3');
    expect(noDelim.received).toBe('2001:db8::9:255');
    expect(noDelim.branch).toBe('z9hG4bKas3');
    const mult = parseVia('SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111, SIP/2.0/TCP [2001:db8::9:255];branch=z9hG4bK451jj;received=192.0.2.200');
    expect(mult.map((v) => [v.host, v.port, v.received])).toEqual([
      ['2001:db8::9:1', 6050, null],
      ['2001:db8::9:255', null, '192.0.2.200'],
    ]);
    expect(one('SIP/2.0/UDP [::ffff:192.0.2.10]:19823;branch=z9hG4bKbh19').host).toBe('::ffff:192.0.2.10');
  });

  it('rejects empty parameters and empty values (RFC 4475 badinv01)', () => {
    expectParseError(() => parseVia('SIP/2.0/UDP 192.0.2.15;;,;,,'), /Empty or invalid parameter/, 'via');
    expectParseError(() => parseVia('SIP/2.0/UDP 192.0.2.15;'), /Empty or invalid parameter/, 'via');
    expectParseError(() => parseVia('SIP/2.0/UDP 192.0.2.15,'), /Empty Via value/, 'via');
    expectParseError(() => parseVia('SIP/2.0/UDP 192.0.2.15,,SIP/2.0/UDP h'), /Empty Via value/, 'via');
    expectParseError(() => parseVia('SIP/2.0/UDP h;branch='), /Empty or invalid parameter value/, 'via');
  });

  it('rejects malformed sent-protocol, sent-by and known parameter values', () => {
    const bad: [string, RegExp][] = [
      ['', /Empty value/],
      ['SIP/2.0 h', /sent-protocol/],
      ['SIP/2.0/UDP', /Missing sent-by/],
      ['SIP/2.0/UDPh', /sent-protocol|sent-by/],
      ['SIP//UDP h', /sent-protocol/],
      ['SIP/2.0/UDP ', /Missing sent-by/],
      ['SIP/2.0/UDP -h', /sent-by host/],
      ['SIP/2.0/UDP h:', /port/],
      ['SIP/2.0/UDP h:65536', /port/],
      ['SIP/2.0/UDP h:123456', /port/],
      ['SIP/2.0/UDP [2001:db8::1', /IPv6/],
      ['SIP/2.0/UDP 2001:db8::1', /Invalid/],
      ['SIP/2.0/UDP h;branch', /branch without value/],
      ['SIP/2.0/UDP h;received=example.com', /received/],
      ['SIP/2.0/UDP h;received', /received/],
      ['SIP/2.0/UDP h;received=1.2.3.999', /received/],
      ['SIP/2.0/UDP h;rport=abc', /rport/],
      ['SIP/2.0/UDP h;rport=65536', /rport/],
      ['SIP/2.0/UDP h;ttl=256', /ttl/],
      ['SIP/2.0/UDP h;ttl', /ttl/],
      ['SIP/2.0/UDP h;maddr', /maddr/],
      ['SIP/2.0/UDP h;maddr=a..b', /maddr/],
      ['SIP/2.0/UDP h junk', /Invalid text/],
    ];
    for (const [text, reason] of bad) expectParseError(() => parseVia(text), reason, 'via');
  });

  it('collects dozens of values in order and stays linear on long input (RFC 4475 longreq)', () => {
    const text = Array.from({ length: 33 }, (_, k) => `SIP/2.0/TCP sip${33 - k}.example.com`).join(', ');
    expect(parseVia(text).map((v) => v.host)).toEqual(Array.from({ length: 33 }, (_, k) => `sip${33 - k}.example.com`));
    expect(parseVia(Array(5000).fill('SIP/2.0/UDP h;branch=z9hG4bK1').join(','))).toHaveLength(5000);
    expectParseError(() => parseVia(`SIP/2.0/UDP h${';a'.repeat(30_000)};`), /Empty or invalid parameter/);
  });
});

describe('serializeVia', () => {
  it('writes the canonical form', () => {
    expect(serializeVia(one('SIP / 2.0 / udp  pc33.atlanta.com : 5060 ; branch = z9hG4bK776 ; rport'))).toBe(
      'SIP/2.0/UDP pc33.atlanta.com:5060;branch=z9hG4bK776;rport',
    );
    expect(serializeVia(one('SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3'))).toBe(
      'SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3',
    );
    expect(serializeVia(one('SIP/2.0/UDP h;received=2001:db8::9:255'))).toBe('SIP/2.0/UDP h;received=2001:db8::9:255');
  });

  it('lets the named fields win over params, adding and dropping as needed', () => {
    const v = one('SIP/2.0/UDP h;branch=z9hG4bKold;rport;x=1');
    expect(serializeVia({ ...v, branch: 'z9hG4bKnew', rport: 5062, received: '192.0.2.9' })).toBe(
      'SIP/2.0/UDP h;branch=z9hG4bKnew;rport=5062;x=1;received=192.0.2.9',
    );
    expect(serializeVia({ ...v, rport: null })).toBe('SIP/2.0/UDP h;branch=z9hG4bKold;x=1');
    const made: Via = {
      protocol: 'SIP',
      version: '2.0',
      transport: 'TLS',
      host: '2001:db8::1',
      hostKind: 'ipv6',
      port: 5061,
      branch: 'z9hG4bKabc',
      received: null,
      rport: true,
      maddr: null,
      ttl: null,
      params: [],
    };
    expect(serializeVia(made)).toBe('SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bKabc;rport');
    expect(parseVia(serializeVia(made))[0]).toEqual({
      ...made,
      params: [
        { name: 'branch', value: 'z9hG4bKabc' },
        { name: 'rport', value: null },
      ],
    });
  });
});

describe('sentVia', () => {
  const cases: [string, string, number, boolean][] = [
    ['udp', '192.0.2.1', 5060, true],
    ['UDP', '192.0.2.1', 5060, false],
    ['tcp', 'sbc.example.com', 5061, false],
    ['TLS', '2001:db8::1', 5061, false],
    ['UDP', '[2001:db8::1]', 5060, true],
  ];
  for (const [transport, host, port, rport] of cases) {
    it(`is what parseVia makes of its text (${transport} ${host}:${port}${rport ? ' rport' : ''})`, () => {
      const { text, via } = sentVia(transport, host, port, 'z9hG4bK-abc.1', rport);
      expect(via).toEqual(parseVia(text)[0]);
      expect(serializeVia(via!)).toBe(text);
    });
  }

  it('writes the text alone for a host that is none, so the request is refused as any other', () => {
    const { text, via } = sentVia('UDP', 'bad host', 5060, 'z9hG4bK1', false);
    expect(via).toBeNull();
    expect(text).toBe('SIP/2.0/UDP bad host:5060;branch=z9hG4bK1');
    expect(() => parseVia(text)).toThrow();
  });
});
