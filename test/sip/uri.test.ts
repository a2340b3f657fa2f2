import { describe, expect, it } from 'vitest';
import type { OtherUri, SipUri, TelUri } from '../../src/sip/types.js';
import { escapeUser, parseUri, serializeUri, unescape, uriEquals } from '../../src/sip/uri.js';
import { expectParseError } from './grammar-helpers.js';

const sip = (text: string, requestUri = false): SipUri => parseUri(text, { requestUri }) as SipUri;

describe('parseUri: SIP and SIPS', () => {
  it('parses the parts of a plain SIP URI', () => {
    expect(sip('sip:alice@atlanta.com')).toEqual({
      scheme: 'sip',
      user: 'alice',
      password: null,
      host: 'atlanta.com',
      hostKind: 'domain',
      port: null,
      params: [],
      headers: [],
    });
  });

  it('keeps parameter names and values as written, however many', () => {
    const cases: [string, [string, string | null][]][] = [
      ['sip:h', []],
      ['sip:h;transport=udp', [['transport', 'udp']]],
      ['sip:h;Transport=UDP;LR', [['Transport', 'UDP'], ['LR', null]]],
      ['sip:h;lr;transport=Tcp;x=1;ob', [['lr', null], ['transport', 'Tcp'], ['x', '1'], ['ob', null]]],
      ['sip:h;user=phone;maddr=239.1.1.1;ttl=15;method=INVITE', [['user', 'phone'], ['maddr', '239.1.1.1'], ['ttl', '15'], ['method', 'INVITE']]],
    ];
    for (const [text, params] of cases) {
      expect(sip(text).params, text).toEqual(params.map(([name, value]) => ({ name, value })));
      expect(serializeUri(sip(text))).toBe(text);
    }
    expect(sip('sip:h;a;b').params).not.toBe(sip('sip:h;a;b').params);
    expectParseError(() => sip('sip:h;transport=udp;'), /Empty URI parameter/);
    expectParseError(() => sip('sip:h;lr=;x'), /Empty URI parameter value/);
  });

  it('reads the scheme case-insensitively and keeps the host case', () => {
    const u = sip('SIPS:ALICE@AtLanTa.CoM:5061');
    expect(u.scheme).toBe('sips');
    expect(u.user).toBe('ALICE');
    expect(u.host).toBe('AtLanTa.CoM');
    expect(u.port).toBe(5061);
  });

  it('parses password, parameters and headers (RFC 3261 19.1.3 examples)', () => {
    const u = sip('sip:alice:secretword@atlanta.com;transport=tcp');
    expect(u.password).toBe('secretword');
    expect(u.params).toEqual([{ name: 'transport', value: 'tcp' }]);
    const h = sip('sips:alice@atlanta.com?subject=project%20x&priority=urgent');
    expect(h.headers).toEqual([
      { name: 'subject', value: 'project%20x' },
      { name: 'priority', value: 'urgent' },
    ]);
    const p = sip('sip:+1-212-555-1212:1234@gateway.com;user=phone');
    expect(p.user).toBe('+1-212-555-1212');
    expect(p.password).toBe('1234');
    expect(p.params).toEqual([{ name: 'user', value: 'phone' }]);
    expect(sip('sip:alice:@h').password).toBe('');
    const lr = sip('sip:p1.example.com;lr');
    expect(lr.user).toBeNull();
    expect(lr.params).toEqual([{ name: 'lr', value: null }]);
  });

  it('keeps ;, ?, / and , in the user part (RFC 4475 semiuri, intmeth)', () => {
    const semi = sip('sip:user;par=u%40example.net@example.com', true);
    expect(semi.user).toBe('user;par=u@example.net');
    expect(semi.host).toBe('example.com');
    expect(semi.params).toEqual([]);
    const u = sip(
      "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
      true,
    );
    expect(u.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(u.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(u.host).toBe('example.com');
  });

  it('unescapes the user part once (RFC 4475 esc01)', () => {
    expect(sip('sip:sips%3Auser%40example.com@example.net', true).user).toBe('sips:user@example.com');
    expect(sip('sip:%75se%72@example.com').user).toBe('user');
    expect(sip('sip:I%20have%20spaces@example.net').user).toBe('I have spaces');
  });

  it('keeps URI parameters as written; they unescape once (RFC 4475 esc01)', () => {
    const u = sip('sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31');
    expect(u.user).toBe('caller');
    expect(u.params).toEqual([
      { name: '%6C%72', value: null },
      { name: 'n%61me', value: 'v%61lue%25%34%31' },
    ]);
    expect(unescape(u.params[0]!.name)).toBe('lr');
    expect(unescape(u.params[1]!.value!)).toBe('value%41');
  });

  it('keeps escaped NULs without truncating (RFC 4475 escnull)', () => {
    const u = sip('sip:null-%00-null@example.com');
    expect(u.user).toBe('null-\x00-null');
    expect(u.user).toHaveLength(11);
    const one = sip('sip:%00@host5.example.com');
    const two = sip('sip:%00%00@host5.example.com');
    expect(one.user).toBe('\x00');
    expect(two.user).toBe('\x00\x00');
    expect(uriEquals(one, two)).toBe(false);
  });

  it('rejects invalid escapes in the user part and parameters', () => {
    expectParseError(() => parseUri('sip:%ZK@example.com'), /escape/);
    expectParseError(() => parseUri('sip:a%4@example.com'), /escape/);
    expectParseError(() => parseUri('sip:a%@example.com'), /escape/);
    expectParseError(() => parseUri('sip:a:p%G0@example.com'), /escape/);
    expectParseError(() => parseUri('sip:example.com;a=%G1'), /escape/);
    expectParseError(() => parseUri('sip:example.com?a=%'), /escape/);
  });

  it('parses the long values of RFC 4475 longreq', () => {
    const long = 'long'.repeat(20);
    const text = `sip:user@example.com:6000;unknownparam1=very${long}value;longparam${'name'.repeat(25)}=shortvalue;very${long}ParameterNameWithNoValue`;
    const u = sip(text);
    expect(u.port).toBe(6000);
    expect(u.params).toEqual([
      { name: 'unknownparam1', value: `very${long}value` },
      { name: `longparam${'name'.repeat(25)}`, value: 'shortvalue' },
      { name: `very${long}ParameterNameWithNoValue`, value: null },
    ]);
  });

  it('rejects empty parts, junk and bad ports', () => {
    expectParseError(() => parseUri('sip:@example.com'), /user/);
    expectParseError(() => parseUri('sip:alice@'), /host/);
    expectParseError(() => parseUri('sip:'), /host/);
    expectParseError(() => parseUri('sip:example.com;'), /Empty URI parameter/);
    expectParseError(() => parseUri('sip:example.com;;lr'), /Empty URI parameter/);
    expectParseError(() => parseUri('sip:example.com;a='), /Empty URI parameter value/);
    expectParseError(() => parseUri('sip:example.com?'), /header/);
    expectParseError(() => parseUri('sip:example.com?a'), /header/);
    expectParseError(() => parseUri('sip:example.com?=b'), /header/);
    expectParseError(() => parseUri('sip:example.com?a=b&'), /header/);
    expectParseError(() => parseUri('sip:example.com>'), /Invalid character/);
    expectParseError(() => parseUri('sip:a@example.com x'), /Invalid character/);
    expectParseError(() => parseUri('sip:a:b:c@example.com'), /password/);
    expectParseError(() => parseUri('sip:example.com:'), /port/);
    expectParseError(() => parseUri('sip:example.com:5060x'), /Invalid character/);
    expectParseError(() => parseUri('sip:example.com:65536'), /port out of range/);
    expectParseError(() => parseUri(`sip:example.com:${'9'.repeat(50)}`), /port out of range/);
    expect(sip('sip:example.com:0').port).toBe(0);
    expect(sip('sip:example.com:65535').port).toBe(65535);
  });

  it('checks host names and IPv4 addresses', () => {
    expect(sip('sip:192.0.2.1:5060').hostKind).toBe('ipv4');
    expect(sip('sip:example.com.').host).toBe('example.com.');
    expect(sip('sip:my_host.example.com').hostKind).toBe('domain');
    expect(sip('sip:3com.example').hostKind).toBe('domain');
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '1..2.3', '-bad.example.com', 'bad-.example.com', 'a..b', '.a']) {
      expectParseError(() => parseUri(`sip:${bad}`), /host/);
    }
  });
});

describe('parseUri: IPv6 (RFC 5118)', () => {
  it('parses IPv6 references without their brackets', () => {
    const good = sip('sip:[2001:db8::10]', true);
    expect(good.host).toBe('2001:db8::10');
    expect(good.hostKind).toBe('ipv6');
    expect(good.port).toBeNull();
    expect(sip('sip:caller@[2001:db8::1]').host).toBe('2001:db8::1');
    expect(sip('sip:ted@[::ffff:192.0.2.2]').host).toBe('::ffff:192.0.2.2');
  });

  it('reads [2001:db8::10:5070] as one address with no port (4.3) and [..]:5070 as a port (4.4)', () => {
    const amb = sip('sip:[2001:db8::10:5070]', true);
    expect(amb.host).toBe('2001:db8::10:5070');
    expect(amb.port).toBeNull();
    const unamb = sip('sip:[2001:db8::10]:5070', true);
    expect(unamb.host).toBe('2001:db8::10');
    expect(unamb.port).toBe(5070);
  });

  it('tolerates the three-colon form of the RFC 3261 ABNF bug and accepts the two-colon form (4.10)', () => {
    const three = sip('sip:user@[2001:db8:::192.0.2.1]', true);
    const two = sip('sip:user@[2001:db8::192.0.2.1]', true);
    expect(three.host).toBe('2001:db8:::192.0.2.1');
    expect(two.host).toBe('2001:db8::192.0.2.1');
    expect(uriEquals(three, two)).toBe(true);
  });

  it('rejects an IPv6 address without brackets (4.2 ipv6-bad)', () => {
    expectParseError(() => parseUri('sip:2001:db8::10', { requestUri: true }), /IPv6.*\[\]/);
    expectParseError(() => parseUri('sip:user@2001:db8::10'), /IPv6.*\[\]/);
  });

  it('rejects malformed IPv6 references', () => {
    for (const bad of [
      '[2001:db8::10',
      '[]',
      '[1:2:3:4:5:6:7:8:9]',
      '[1:2:3:4:5:6:7]',
      '[::1::2]',
      '[12345::]',
      '[gggg::]',
      '[1:2:3:4:5:6:7:1.2.3.4]',
      '[::1.2.3]',
      '[1:::2]',
      '[:1::]',
      '[1:]',
      '[1::2:]',
    ]) {
      expectParseError(() => parseUri(`sip:${bad}`), /IPv6/);
    }
    for (const ok of ['::', '::1', '1::', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:1.2.3.4', ':::1.2.3.4', 'fe80::1']) {
      expect(sip(`sip:[${ok}]`).host).toBe(ok);
    }
  });
});

describe('parseUri: Request-URI', () => {
  it('rejects ?headers (RFC 4475 escruri), <> (ltgtruri) and whitespace (lwsruri)', () => {
    expectParseError(() => parseUri('sip:user@example.com?Route=%3Csip:example.com%3E', { requestUri: true }), /Headers not allowed/);
    expect(sip('sip:user@example.com?Route=%3Csip:example.com%3E').headers).toEqual([
      { name: 'Route', value: '%3Csip:example.com%3E' },
    ]);
    expectParseError(() => parseUri('<sip:user@example.com>', { requestUri: true }), /<>/);
    expectParseError(() => parseUri('sip:user@example.com; lr', { requestUri: true }), /parameter/);
    expectParseError(() => parseUri('sip:user@example.com\t', { requestUri: true }), /Invalid character/);
    expectParseError(() => parseUri('foo:bar baz', { requestUri: true }), /Invalid character/);
  });
});

describe('parseUri: tel (RFC 3966)', () => {
  it('parses global and local numbers with parameters', () => {
    expect(parseUri('tel:+1-201-555-0123')).toEqual({ scheme: 'tel', number: '+1-201-555-0123', params: [] });
    const local = parseUri('tel:863-1234;phone-context=+1-914-555') as TelUri;
    expect(local.number).toBe('863-1234');
    expect(local.params).toEqual([{ name: 'phone-context', value: '+1-914-555' }]);
    expect((parseUri('tel:7042;phone-context=example.com') as TelUri).number).toBe('7042');
    expect((parseUri('TEL:+1(800)555.0000;ext=22;isub=1411') as TelUri).params).toHaveLength(2);
    expect((parseUri('tel:*21#;phone-context=+1') as TelUri).number).toBe('*21#');
  });

  it('rejects bad tel URIs', () => {
    expectParseError(() => parseUri('tel:'), /tel/);
    expectParseError(() => parseUri('tel:+'), /tel/);
    expectParseError(() => parseUri('tel:+-'), /tel/);
    expectParseError(() => parseUri('tel:1234'), /phone-context/);
    expectParseError(() => parseUri('tel:+12 34'), /tel/);
    expectParseError(() => parseUri('tel:+1;;a=b'), /parameter/);
    expectParseError(() => parseUri('tel:+1;a='), /parameter value/);
    expectParseError(() => parseUri('tel:+1?x=y'), /tel/);
  });
});

describe('parseUri: other schemes', () => {
  it('keeps unknown schemes opaque (RFC 4475 unkscm, novelsc, unksm2)', () => {
    expect(parseUri('nobodyKnowsThisScheme:totallyopaquecontent', { requestUri: true })).toEqual({
      scheme: 'nobodyknowsthisscheme',
      opaque: 'totallyopaquecontent',
    });
    expect(parseUri('soap.beep://192.0.2.103:3002', { requestUri: true })).toEqual({ scheme: 'soap.beep', opaque: '//192.0.2.103:3002' });
    expect((parseUri('isbn:2983792873') as OtherUri).opaque).toBe('2983792873');
    expect((parseUri('http://www.example.com') as OtherUri).scheme).toBe('http');
    expect((parseUri('name:John_Smith') as OtherUri).opaque).toBe('John_Smith');
    expect((parseUri('urn:service:sos') as OtherUri).opaque).toBe('service:sos');
  });

  it('rejects empty or invalid schemes and non-URI chars', () => {
    for (const bad of ['', ':foo', '1sip:a', 'sip', 's p:x', 'si_p:x', '"sip":x', 'foo:', 'foo:a b', 'foo:<a>', 'foo:a"b', 'foo:{x}']) {
      expectParseError(() => parseUri(bad), /URI/);
    }
  });
});

describe('parseUri: large input stays linear', () => {
  it('handles 100 KB parts', () => {
    expect(sip(`sip:${'a'.repeat(100_000)}@example.com`).user).toHaveLength(100_000);
    expect(sip(`sip:${'%41'.repeat(33_000)}@example.com`).user).toBe('A'.repeat(33_000));
    expect(sip(`sip:example.com${';a'.repeat(50_000)}`).params).toHaveLength(50_000);
    expect(sip(`sip:example.com?${'a=b&'.repeat(25_000)}c=d`).headers).toHaveLength(25_001);
    expectParseError(() => parseUri(`sip:${'a;'.repeat(50_000)}`), /URI/);
    expectParseError(() => parseUri(`sip:[${'1:'.repeat(50_000)}]`), /IPv6/);
    expectParseError(() => parseUri(`sip:${'1.'.repeat(50_000)}`), /host/);
  });
});

describe('serializeUri', () => {
  it('writes back what it parsed', () => {
    for (const text of [
      'sip:alice@atlanta.com',
      'sips:alice:secretword@atlanta.com:5061;transport=tcp',
      'sip:user;par=u@example.com',
      'sip:[2001:db8::10]:5070;maddr=[2001:db8::1]',
      'sip:example.com;lr;n%61me=v%61lue%25%34%31?subject=project%20x&priority=urgent',
      "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
      'tel:+1-201-555-0123;ext=1234',
      'soap.beep://192.0.2.103:3002',
    ]) {
      expect(serializeUri(parseUri(text))).toBe(text);
    }
  });

  it('escapes the user part and password where needed', () => {
    expect(serializeUri(sip('sip:I%20have%20spaces@example.net'))).toBe('sip:I%20have%20spaces@example.net');
    expect(serializeUri(sip('sip:sips%3Auser%40example.com@example.net'))).toBe('sip:sips%3Auser%40example.com@example.net');
    expect(serializeUri(sip('sip:%75se%72@example.com'))).toBe('sip:user@example.com');
    expect(serializeUri(sip('sip:null-%00-null@example.com'))).toBe('sip:null-%00-null@example.com');
    const made: SipUri = { ...sip('sip:h'), user: 'a@b:c%d', password: 'p;w@' };
    expect(serializeUri(made)).toBe('sip:a%40b%3Ac%25d:p%3Bw%40@h');
    expect(escapeUser('\xe9')).toBe('%E9');
    expect(escapeUser('é€')).toBe('%E9%E2%82%AC'); // not a byte string: é is 0xE9, € goes out as UTF-8
  });

  it('escapes opaque text of other schemes only where it is not a URI char', () => {
    expect(serializeUri({ scheme: 'urn', opaque: 'a b<%41>' } as OtherUri)).toBe('urn:a%20b%3C%41%3E');
  });

  it('escapes parameter text that was not valid as written, keeping valid escapes', () => {
    const made: SipUri = { ...sip('sip:h'), params: [{ name: 'a b', value: '100%;x' }], headers: [{ name: 'h', value: 'x&y%41' }] };
    expect(serializeUri(made)).toBe('sip:h;a%20b=100%25%3Bx?h=x%26y%41');
  });
});

describe('uriEquals (RFC 3261 19.1.4)', () => {
  const eq = (a: string, b: string): boolean => uriEquals(parseUri(a), parseUri(b));

  it('finds the RFC equivalent pairs equal', () => {
    expect(eq('sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp')).toBe(true);
    expect(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5')).toBe(true);
    expect(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;security=on')).toBe(true);
    expect(eq('sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;security=on')).toBe(true);
    expect(
      eq('sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com'),
    ).toBe(true);
    expect(eq('sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x')).toBe(true);
    expect(eq('sip:a@[2001:DB8::1]', 'sip:a@[2001:db8:0:0:0:0:0:1]')).toBe(true);
    expect(eq('sip:a@h;x=%41', 'sip:a@h;x=a')).toBe(true);
  });

  it('finds the RFC non-equivalent pairs different', () => {
    expect(eq('SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP')).toBe(false);
    expect(eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060')).toBe(false);
    expect(eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp')).toBe(false);
    expect(eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp')).toBe(false);
    expect(eq('sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting')).toBe(false);
    expect(eq('sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4')).toBe(false);
    expect(eq('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off')).toBe(false);
    expect(eq('sip:a@h', 'sips:a@h')).toBe(false);
    expect(eq('sip:a@h;maddr=x', 'sip:a@h')).toBe(false);
    expect(eq('sip:a@h', 'sip:a@h;user=phone')).toBe(false);
    expect(eq('sip:a:p@h', 'sip:a@h')).toBe(false);
    expect(eq('sip:a@h?x=1', 'sip:a@h?x=2')).toBe(false);
  });

  it('compares tel URIs without visual separators, and other URIs by text', () => {
    expect(eq('tel:+1-201-555-0123', 'tel:+1(201)5550123')).toBe(true);
    expect(eq('tel:+12015550123', 'tel:+12015550124')).toBe(false);
    expect(eq('tel:7042;phone-context=EXAMPLE.com', 'tel:7042;phone-context=example.com')).toBe(true);
    expect(eq('tel:+1;ext=2', 'tel:+1')).toBe(false);
    expect(eq('urn:service:sos', 'URN:service:sos')).toBe(true);
    expect(eq('urn:service:sos', 'urn:service:SOS')).toBe(false);
    expect(eq('tel:+1', 'sip:+1@h')).toBe(false);
  });
});

describe('unescape', () => {
  it('decodes once and rejects bad escapes', () => {
    expect(unescape('v%61lue%25%34%31')).toBe('value%41');
    expect(unescape('plain')).toBe('plain');
    expect(unescape('%00%ff%FF')).toBe('\x00\xff\xff');
    expectParseError(() => unescape('%Z%45'), /escape/);
  });
});
