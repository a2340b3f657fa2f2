import { describe, expect, it } from 'vitest';
import { getTag, parseNameAddr, parseNameAddrList, serializeNameAddr } from '../../src/sip/name-addr.js';
import type { NameAddr, OtherUri, SipUri } from '../../src/sip/types.js';
import { expectParseError } from './grammar-helpers.js';

const uriOf = (na: NameAddr): SipUri => na.uri as SipUri;

describe('parseNameAddr', () => {
  it('parses a quoted display name, the URI in <> and header parameters', () => {
    const na = parseNameAddr('"Alice" <sip:alice@atlanta.com>;tag=1928301774');
    expect(na.displayName).toBe('Alice');
    expect(na.angle).toBe(true);
    expect(uriOf(na).user).toBe('alice');
    expect(na.params).toEqual([{ name: 'tag', value: '1928301774' }]);
    expect(getTag(na)).toBe('1928301774');
  });

  it('resolves quoted-pairs in the display name (RFC 4475 wsinv)', () => {
    const from = parseNameAddr('"J Rosenberg \\\\\\""       <sip:jdrosen@example.com>  ;  tag = 98asjd8');
    expect(from.displayName).toBe('J Rosenberg \\"');
    expect(getTag(from)).toBe('98asjd8');
    const m = parseNameAddr('"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =      newvalue ;  secondparam ; q = 0.33');
    expect(m.displayName).toBe('Quoted string ""');
    expect(m.params).toEqual([
      { name: 'newparam', value: 'newvalue' },
      { name: 'secondparam', value: null },
      { name: 'q', value: '0.33' },
    ]);
  });

  it('keeps raw BEL, NUL and DEL of quoted-pairs in the display name (RFC 4475 intmeth)', () => {
    const to = parseNameAddr('"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" <sip:1_unusual.URI~(to-be!sure)&isn\'t+it$/crazy?,/;;*@example.com>');
    expect(to.displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    expect(uriOf(to).user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  });

  it('takes token display names, with or without LWS before < (RFC 4475 lwsdisp, intmeth)', () => {
    const lws = parseNameAddr('caller<sip:caller@example.com>;tag=323');
    expect(lws.displayName).toBe('caller');
    expect(getTag(lws)).toBe('323');
    const tokens = parseNameAddr("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;tag=_token~1'+`*%!-.");
    expect(tokens.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(getTag(tokens)).toBe("_token~1'+`*%!-.");
    expect(parseNameAddr('Bob <sip:bob@biloxi.com>').displayName).toBe('Bob');
    expect(parseNameAddr('"" <sip:bob@biloxi.com>').displayName).toBe('');
    expect(parseNameAddr('"Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423').displayName).toBe('Bell, Alexander');
  });

  it('keeps the long display name of RFC 4475 longreq (no LWS before <)', () => {
    const name = `I have a user name of ${'extreme'.repeat(10)} proportion`;
    const na = parseNameAddr(`"${name}"<sip:user@example.com:6000;unknownparam1=verylongvalue>`);
    expect(na.displayName).toBe(name);
    expect(uriOf(na).port).toBe(6000);
    expect(uriOf(na).params).toEqual([{ name: 'unknownparam1', value: 'verylongvalue' }]);
  });

  it('reads ;params after a bare addr-spec as header parameters (RFC 4475 cparam01 vs cparam02)', () => {
    const bare = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam');
    expect(bare.angle).toBe(false);
    expect(uriOf(bare).params).toEqual([]);
    expect(bare.params).toEqual([{ name: 'unknownparam', value: null }]);
    const angle = parseNameAddr('<sip:+19725552222@gw1.example.net;unknownparam>');
    expect(uriOf(angle).params).toEqual([{ name: 'unknownparam', value: null }]);
    expect(angle.params).toEqual([]);
    const ws = parseNameAddr('sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n');
    expect(uriOf(ws).host).toBe('chair-dnrc.example.com');
    expect(getTag(ws)).toBe('1918181833n');
  });

  it('accepts non-SIP URIs (RFC 4475 unksm2) and URI headers inside <> (regescrt)', () => {
    expect((parseNameAddr('isbn:2983792873').uri as OtherUri).opaque).toBe('2983792873');
    expect(parseNameAddr('<http://www.example.com>;tag=3234233').uri).toEqual({ scheme: 'http', opaque: '//www.example.com' });
    expect(parseNameAddr('<name:John_Smith>').uri).toEqual({ scheme: 'name', opaque: 'John_Smith' });
    expect(uriOf(parseNameAddr('<sip:user@example.com?Route=%3Csip:sip.example.com%3E>')).headers).toEqual([
      { name: 'Route', value: '%3Csip:sip.example.com%3E' },
    ]);
  });

  it('rejects a bare URI with ? or , (RFC 4475 regbadct)', () => {
    expectParseError(() => parseNameAddr('sip:user@example.com?Route=%3Csip:sip.example.com%3E'), /enclosed in <>/);
    expectParseError(() => parseNameAddr('sip:a,b@example.com'), /enclosed in <>/);
  });

  it('rejects an unterminated quote (RFC 4475 quotbal)', () => {
    expectParseError(() => parseNameAddr('"Mr. J. User <sip:j.user@example.com>'), /Unterminated quoted string/);
  });

  it('rejects spaces inside <> (RFC 4475 badaspec)', () => {
    expectParseError(() => parseNameAddr('"Watson, Thomas" < sip:t.watson@example.org >'), /Whitespace inside <>/);
    expectParseError(() => parseNameAddr('<sip:t.watson@example.org >'), /Whitespace inside <>/);
    expectParseError(() => parseNameAddr('<sip:t.watson @example.org>'), /URI/);
  });

  it('rejects unquoted display names with non-token chars (RFC 4475 baddn)', () => {
    expectParseError(() => parseNameAddr('Bell, Alexander <sip:a.g.bell@example.com>;tag=43'), /Invalid display name/);
    expectParseError(() => parseNameAddr('Watson, Thomas <sip:t.watson@example.org>'), /Invalid display name/);
    expectParseError(() => parseNameAddr('J\xe9r\xf4me <sip:j@example.org>'), /Invalid display name/);
    expectParseError(() => parseNameAddr('a "b" <sip:j@example.org>'), /Invalid display name/);
  });

  it('rejects other malformed values', () => {
    expectParseError(() => parseNameAddr(''), /Empty/);
    expectParseError(() => parseNameAddr('Bob'), /Missing URI/);
    expectParseError(() => parseNameAddr('Bob sip:bob@h'), /Invalid display name/);
    expectParseError(() => parseNameAddr('"Bob" sip:bob@h'), /followed by </);
    expectParseError(() => parseNameAddr('<sip:bob@h'), /Missing >/);
    expectParseError(() => parseNameAddr('<sip:bob@h<x>'), /Missing >/);
    expectParseError(() => parseNameAddr('<>'), /Empty URI/);
    expectParseError(() => parseNameAddr('<sip:bob@h> x'), /after >/);
    expectParseError(() => parseNameAddr('<sip:bob@h>;;'), /Empty or invalid parameter/);
    expectParseError(() => parseNameAddr('"Joe" <sip:joe@example.org>;;;;'), /Empty or invalid parameter/);
    expectParseError(() => parseNameAddr('sip:bob@h;tag=a@b'), /header parameters/);
  });

  it('requires <> when asked, and names the header in errors', () => {
    expectParseError(() => parseNameAddr('sip:p1.example.com;lr', { requireAngle: true, header: 'route' }), /^Route: URI must be enclosed in <>$/, 'route');
    expect(uriOf(parseNameAddr('<sip:p1.example.com;lr>', { requireAngle: true })).params).toEqual([{ name: 'lr', value: null }]);
  });

  it('is linear on long input', () => {
    expect(parseNameAddr(`"${'x'.repeat(100_000)}" <sip:a@b>`).displayName).toHaveLength(100_000);
    expect(parseNameAddr(`${'w '.repeat(50_000)}<sip:a@b>`).displayName).toHaveLength(99_999);
    expectParseError(() => parseNameAddr(`${'w '.repeat(50_000)}`), /Missing URI/);
    expectParseError(() => parseNameAddr(`<${'sip:a@b'.repeat(10_000)}`), /Missing >/);
  });
});

describe('parseNameAddrList', () => {
  it('splits on commas outside quotes and <>', () => {
    const list = parseNameAddrList('"A, B" <sip:a,1@h>, sip:c@h;expires=5 , <sip:d@h>', 'contact');
    expect(list.map((n) => n.displayName)).toEqual(['A, B', null, null]);
    expect(list.map((n) => uriOf(n).user)).toEqual(['a,1', 'c', 'd']);
    expect(list[1]!.params).toEqual([{ name: 'expires', value: '5' }]);
  });

  it('rejects empty elements', () => {
    expectParseError(() => parseNameAddrList('<sip:a@h>,,<sip:b@h>', 'contact'), /Empty list element/, 'contact');
    expectParseError(() => parseNameAddrList('<sip:a@h>,', 'contact'), /Empty list element/, 'contact');
    expectParseError(() => parseNameAddrList(',<sip:a@h>', 'contact'), /Invalid display name/, 'contact');
    expectParseError(() => parseNameAddrList('', 'contact'), /Empty value/, 'contact');
  });
});

describe('serializeNameAddr', () => {
  it('writes <> when needed and quotes non-token display names', () => {
    const cases: [string, string][] = [
      ['"Alice" <sip:alice@atlanta.com>;tag=1', 'Alice <sip:alice@atlanta.com>;tag=1'],
      ['J Rosenberg <sip:j@h>', '"J Rosenberg" <sip:j@h>'],
      ['"J Rosenberg \\\\\\"" <sip:j@h>', '"J Rosenberg \\\\\\"" <sip:j@h>'],
      ['sip:bob@h;tag=2', 'sip:bob@h;tag=2'],
      ['<sip:bob@h>;tag=2', '<sip:bob@h>;tag=2'],
      ['<sip:bob@h;lr>', '<sip:bob@h;lr>'],
      ['"" <sip:bob@h>', '"" <sip:bob@h>'],
    ];
    for (const [input, output] of cases) expect(serializeNameAddr(parseNameAddr(input))).toBe(output);
  });

  it('adds <> for a URI with ;, ? or , even when the value had none', () => {
    const na = parseNameAddr('sip:bob@h');
    const withParam: NameAddr = { ...na, uri: { ...uriOf(na), params: [{ name: 'lr', value: null }] } };
    expect(serializeNameAddr(withParam)).toBe('<sip:bob@h;lr>');
    const semiUser: NameAddr = { ...na, uri: { ...uriOf(na), user: 'a;b' } };
    expect(serializeNameAddr(semiUser)).toBe('<sip:a;b@h>');
    expect(serializeNameAddr({ ...na, displayName: 'x\r\ny' })).toBe('"x  y" <sip:bob@h>');
  });
});
