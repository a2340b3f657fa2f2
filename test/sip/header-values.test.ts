import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../src/sip/errors.js';
import {
  HEADER_VALUE_PARSERS,
  parseAuth,
  parseAuthList,
  parseCallId,
  parseContact,
  parseContentDisposition,
  parseContentLength,
  parseContentType,
  parseCSeq,
  parseDate,
  parseDeltaSeconds,
  parseEvent,
  parseMaxForwards,
  parseRAck,
  parseRetryAfter,
  parseRouteList,
  parseRSeq,
  parseSessionExpires,
  parseSubscriptionState,
  parseTokenList,
  parseTokenList1,
  parseWarning,
  serializeAuth,
  splitList,
} from '../../src/sip/header-values.js';
import type { NameAddr, SipUri } from '../../src/sip/types.js';
import { expectParseError } from './grammar-helpers.js';

describe('splitList', () => {
  it('splits on commas outside quotes and <>, trimming', () => {
    expect(splitList('a, b ,c')).toEqual(['a', 'b', 'c']);
    expect(splitList('"x, y" <sip:a,b@h>, <sip:c@h>')).toEqual(['"x, y" <sip:a,b@h>', '<sip:c@h>']);
    expect(splitList('"a\\", b", c')).toEqual(['"a\\", b"', 'c']);
    expect(splitList('application/sdp, application/pkcs7-mime,        multipart/mixed')).toHaveLength(3);
    expect(splitList('')).toEqual([]);
    const one = 'single value';
    expect(splitList(one)[0]).toBe(one);
  });

  it('rejects empty elements and unterminated quotes or <', () => {
    expectParseError(() => splitList('a,,b', 'accept'), /Empty list element/, 'accept');
    expectParseError(() => splitList('a,', 'accept'), /Empty list element/);
    expectParseError(() => splitList(', a'), /Empty list element/);
    expectParseError(() => splitList('"a, b'), /Unterminated quoted string/);
    expectParseError(() => splitList('<sip:a, b'), /Missing >/);
  });
});

describe('numbers', () => {
  it('parses CSeq with LWS and leading zeros (RFC 4475 wsinv, intmeth)', () => {
    expect(parseCSeq('0009  INVITE')).toEqual({ seq: 9, method: 'INVITE' });
    expect(parseCSeq("139122385 !interesting-Method0123456789_*+`.%indeed'~")).toEqual({
      seq: 139122385,
      method: "!interesting-Method0123456789_*+`.%indeed'~",
    });
    expect(parseCSeq('29344 RE%47IST%45R').method).toBe('RE%47IST%45R');
    expect(parseCSeq('4294967295 ACK').seq).toBe(4294967295);
    expect(parseCSeq('0 INVITE').seq).toBe(0);
  });

  it('rejects CSeq numbers over 2^32-1 without overflow (RFC 4475 scalar02, scalarlg)', () => {
    expectParseError(() => parseCSeq('36893488147419103232 REGISTER'), /^CSeq: Number out of range$/, 'cseq');
    expectParseError(() => parseCSeq('9292394834772304023312 OPTIONS'), /out of range/, 'cseq');
    expectParseError(() => parseCSeq('4294967296 INVITE'), /out of range/, 'cseq');
    expectParseError(() => parseCSeq(`${'9'.repeat(100_000)} INVITE`), /out of range/, 'cseq');
    expect(parseCSeq(`${'0'.repeat(100_000)}1 INVITE`).seq).toBe(1);
  });

  it('rejects malformed CSeq', () => {
    for (const bad of ['', 'INVITE', '1', '1 ', '1INVITE', '-1 INVITE', '1 INV ITE', '1 INVITE,', '1.5 INVITE', '1 <INVITE>']) {
      expectParseError(() => parseCSeq(bad), /CSeq/, 'cseq');
    }
  });

  it('parses Max-Forwards 0..255 (RFC 4475 wsinv 0068, zeromf; scalar02 300)', () => {
    expect(parseMaxForwards('0068')).toBe(68);
    expect(parseMaxForwards('0')).toBe(0);
    expect(parseMaxForwards('255')).toBe(255);
    expectParseError(() => parseMaxForwards('300'), /out of range/, 'max-forwards');
    expectParseError(() => parseMaxForwards('256'), /out of range/, 'max-forwards');
    for (const bad of ['', '-1', '7a', '+7', '7 7', '0x10']) expectParseError(() => parseMaxForwards(bad), /Max-Forwards/, 'max-forwards');
  });

  it('parses Content-Length up to 2^31-1 (RFC 4475 ncl)', () => {
    expect(parseContentLength('150')).toBe(150);
    expect(parseContentLength('0')).toBe(0);
    expect(parseContentLength('2147483647')).toBe(2147483647);
    expectParseError(() => parseContentLength('-999'), /Invalid number/, 'content-length');
    expectParseError(() => parseContentLength('2147483648'), /out of range/, 'content-length');
    expectParseError(() => parseContentLength(''), /Missing number/, 'content-length');
    expectParseError(() => parseContentLength('1e3'), /Invalid number/, 'content-length');
  });

  it('parses delta-seconds up to 2^32-1 (RFC 4475 scalar02 Expires)', () => {
    expect(parseDeltaSeconds('3600')).toBe(3600);
    expect(parseDeltaSeconds('4294967295', 'min-expires')).toBe(4294967295);
    expectParseError(() => parseDeltaSeconds(`1${'0'.repeat(100)}`), /out of range/, 'expires');
    expectParseError(() => parseDeltaSeconds('4294967296', 'min-expires'), /out of range/, 'min-expires');
    expect(parseRSeq('988789')).toBe(988789);
    expectParseError(() => parseRSeq('x'), /Invalid/, 'rseq');
  });
});

describe('parseCallId', () => {
  it('accepts every word char (RFC 4475 intmeth) and the usual forms', () => {
    expect(parseCallId('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{')).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(parseCallId('wsinv.ndaksdj@192.0.2.1')).toBe('wsinv.ndaksdj@192.0.2.1');
    expect(parseCallId('esc01.239409asdfakjkn23onasd0-3234')).toBe('esc01.239409asdfakjkn23onasd0-3234');
    const long = `longreq.one${'really'.repeat(20)}longcallid`;
    expect(parseCallId(long)).toBe(long);
    expect(parseCallId('SSG9559905523997077@hlau_4100')).toBe('SSG9559905523997077@hlau_4100');
  });

  it('rejects empty words, spaces, extra @ and non-word bytes', () => {
    for (const bad of ['', '@x', 'a@', 'a@b@c', 'a b', 'a,b', 'a;b', 'caf\xe9', 'a\x00b', 'a=b']) {
      expectParseError(() => parseCallId(bad), /Call-ID/, 'call-id');
    }
  });
});

describe('parseContentType', () => {
  it('lower-cases type and subtype and keeps parameters', () => {
    expect(parseContentType('application/sdp')).toEqual({ type: 'application', subtype: 'sdp', params: [] });
    expect(parseContentType('Application / SDP')).toEqual({ type: 'application', subtype: 'sdp', params: [] });
    expect(parseContentType('multipart/signed;protocol="application/pkcs7-signature";micalg=sha1;boundary=boundary42').params).toEqual([
      { name: 'protocol', value: '"application/pkcs7-signature"' },
      { name: 'micalg', value: 'sha1' },
      { name: 'boundary', value: 'boundary42' },
    ]);
    expect(parseContentType('application/unknownformat').subtype).toBe('unknownformat');
  });

  it('rejects incomplete types and valueless parameters', () => {
    for (const bad of ['', 'application', 'application/', '/sdp', 'application/sdp;charset', 'text/plain;;a=b', 'a/b/c', 'a b/c']) {
      expectParseError(() => parseContentType(bad), /Content-Type/, 'content-type');
    }
  });

  it('parses Content-Disposition', () => {
    expect(parseContentDisposition('session;handling=required')).toEqual({ type: 'session', params: [{ name: 'handling', value: 'required' }] });
    expectParseError(() => parseContentDisposition(';x'), /disposition/, 'content-disposition');
  });
});

describe('token lists', () => {
  it('parses Require, Proxy-Require, Supported, Allow (RFC 4475 bext01)', () => {
    expect(parseTokenList1('nothingSupportsThis, nothingSupportsThisEither', 'require')).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']);
    expect(parseTokenList1('noProxiesSupportThis, norDoAnyProxiesSupportThis', 'proxy-require')).toHaveLength(2);
    expect(parseTokenList('INVITE,ACK ,  CANCEL', 'allow')).toEqual(['INVITE', 'ACK', 'CANCEL']);
    expect(parseTokenList('', 'supported')).toEqual([]);
  });

  it('rejects empty elements and non-tokens', () => {
    expectParseError(() => parseTokenList('a,,b', 'supported'), /Empty list element/, 'supported');
    expectParseError(() => parseTokenList('a,', 'supported'), /Empty list element/, 'supported');
    expectParseError(() => parseTokenList(',a', 'supported'), /Empty list element/, 'supported');
    expectParseError(() => parseTokenList('a b', 'supported'), /Invalid token/, 'supported');
    expectParseError(() => parseTokenList('a;b', 'supported'), /Invalid token/, 'supported');
    expectParseError(() => parseTokenList1('', 'require'), /Empty value/, 'require');
  });
});

describe('parseAuth / serializeAuth', () => {
  it('parses a Digest challenge with quoted and token values', () => {
    const a = parseAuth('Digest realm="atlanta.com", nonce="84a4cc6f3082121f32b42a2187831a9e", qop="auth,auth-int", algorithm=SHA-256, stale=FALSE', 'www-authenticate');
    expect(a.scheme).toBe('Digest');
    expect(a.token).toBeNull();
    expect(Object.fromEntries(a.params)).toEqual({
      realm: 'atlanta.com',
      nonce: '84a4cc6f3082121f32b42a2187831a9e',
      qop: 'auth,auth-int',
      algorithm: 'SHA-256',
      stale: 'FALSE',
    });
    expect(serializeAuth(a)).toBe(
      'Digest realm="atlanta.com", nonce="84a4cc6f3082121f32b42a2187831a9e", qop="auth,auth-int", algorithm=SHA-256, stale=FALSE',
    );
  });

  it('parses and writes Digest credentials (qop bare in credentials)', () => {
    const text =
      'Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
    const a = parseAuth(text);
    expect(a.params.get('uri')).toBe('sip:bob@biloxi.com');
    expect(a.params.get('nc')).toBe('00000001');
    expect(serializeAuth(a)).toBe(text);
    expect(parseAuth('DIGEST  Realm = "a\\"b" ,NONCE=x').params).toEqual(new Map([['realm', 'a"b'], ['nonce', 'x']]));
  });

  it('keeps unknown schemes: auth-params (RFC 4475 regaut01) or verbatim text', () => {
    const u = parseAuth('NoOneKnowsThisScheme opaque-data=here');
    expect(u).toEqual({ scheme: 'NoOneKnowsThisScheme', params: new Map([['opaque-data', 'here']]), token: null });
    expect(serializeAuth(u)).toBe('NoOneKnowsThisScheme opaque-data=here');
    const basic = parseAuth('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    expect(basic).toEqual({ scheme: 'Basic', params: new Map(), token: 'QWxhZGRpbjpvcGVuIHNlc2FtZQ==' });
    expect(serializeAuth(basic)).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    expect(parseAuth('Negotiate')).toEqual({ scheme: 'Negotiate', params: new Map(), token: null });
  });

  it('parses several values joined by commas (two Proxy-Authorization fields, RFC 3665 3.3)', () => {
    const two = parseAuthList(
      'Digest username="alice", realm="atlanta.example.com", nonce="wf84", opaque="", uri="sip:bob@biloxi.example.com", response="42ce", ' +
        'Digest username="alice", realm="biloxi.example.com", nonce="c1e2", opaque="", uri="sip:bob@biloxi.example.com", response="f44a"',
      'proxy-authorization',
    );
    expect(two.map((a) => [a.scheme, a.params.get('realm'), a.params.get('response'), a.params.get('opaque')])).toEqual([
      ['Digest', 'atlanta.example.com', '42ce', ''],
      ['Digest', 'biloxi.example.com', 'f44a', ''],
    ]);
    const mixed = parseAuthList('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"', 'www-authenticate');
    expect(mixed.map((a) => [a.scheme, Object.fromEntries(a.params)])).toEqual([
      ['Newauth', { realm: 'apps', type: '1', title: 'Login to "apps"' }],
      ['Basic', { realm: 'simple' }],
    ]);
    expect(parseAuthList('Basic QWxh==, Negotiate, Digest realm = "x", nonce="y"').map((a) => [a.scheme, a.token, a.params.size])).toEqual([
      ['Basic', 'QWxh==', 0],
      ['Negotiate', null, 0],
      ['Digest', null, 2],
    ]);
    expect(parseAuthList('NoOneKnowsThisScheme opaque-data=here')).toEqual([parseAuth('NoOneKnowsThisScheme opaque-data=here')]);
    expectParseError(() => parseAuthList('Digest realm="x",, Basic', 'authorization'), /Empty list element|auth-param/, 'authorization');
    expectParseError(() => parseAuthList('Basic x,', 'authorization'), /Empty list element/, 'authorization');
    expectParseError(() => parseAuthList('', 'authorization'), /Empty value/, 'authorization');
    expectParseError(() => parseAuthList('Digest realm="x", Digest', 'authorization'), /Digest without parameters/, 'authorization');
  });

  it('rejects malformed Digest and missing schemes', () => {
    const bad: [string, RegExp][] = [
      ['', /Missing auth scheme/],
      ['"x"', /Missing auth scheme/],
      ['Digest', /without parameters/],
      ['Digest realm', /auth-param/],
      ['Digest realm="x" nonce="y"', /auth-param/],
      ['Digest realm="x",,nonce="y"', /auth-param/],
      ['Digest realm="x", nonce="y', /Unterminated/],
      ['Digest realm="x", realm="y"', /Duplicate/],
      ['Digest realm=', /auth-param value/],
      ['Digest uri=sip:a@b', /auth-param/],
      ['Digest realm="x",', /auth-param/],
    ];
    for (const [text, reason] of bad) expectParseError(() => parseAuth(text, 'proxy-authorization'), reason, 'proxy-authorization');
  });
});

describe('parseContact', () => {
  const uri = (na: NameAddr): SipUri => na.uri as SipUri;

  it('parses *, lists, and the RFC 4475 forms', () => {
    expect(parseContact('*')).toBe('*');
    const wsinv = parseContact('"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =      newvalue ;  secondparam ; q = 0.33') as NameAddr[];
    expect(wsinv[0]!.params.at(-1)).toEqual({ name: 'q', value: '0.33' });
    const esc = parseContact('<sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>') as NameAddr[];
    expect(uri(esc[0]!).user).toBe('caller');
    const nul = parseContact('<sip:%00@host5.example.com>, <sip:%00%00@host5.example.com>') as NameAddr[];
    expect(nul.map((n) => uri(n).user)).toEqual(['\x00', '\x00\x00']);
    const cp = parseContact('sip:+19725552222@gw1.example.net;unknownparam') as NameAddr[];
    expect(uri(cp[0]!).params).toEqual([]);
    expect(cp[0]!.params).toEqual([{ name: 'unknownparam', value: null }]);
    expect((parseContact('<sip:a@h>;expires=4294967295;q=1.000') as NameAddr[])[0]!.params).toHaveLength(2);
  });

  it('checks expires and q (RFC 4475 scalar02)', () => {
    expectParseError(() => parseContact('<sip:user@host129.example.com>  ;expires=280297596632815'), /out of range/, 'contact');
    expectParseError(() => parseContact('<sip:a@h>;expires'), /expires/, 'contact');
    expectParseError(() => parseContact('<sip:a@h>;expires=-1'), /Invalid/, 'contact');
    for (const q of ['1.5', '0.1234', '2', 'abc', '1.001', '.5', '01', '']) {
      expectParseError(() => parseContact(`<sip:a@h>;q=${q}`), /q value|Empty or invalid parameter value/, 'contact');
    }
    for (const q of ['0', '1', '0.', '1.', '0.5', '0.123', '1.0', '1.000']) {
      expect(parseContact(`<sip:a@h>;Q=${q}`)).toHaveLength(1);
    }
  });

  it('rejects empty parameters (badinv01), bare URIs with ? (regbadct) and stray *', () => {
    expectParseError(() => parseContact('"Joe" <sip:joe@example.org>;;;;'), /Empty or invalid parameter/, 'contact');
    expectParseError(() => parseContact('sip:user@example.com?Route=%3Csip:sip.example.com%3E'), /enclosed in <>/, 'contact');
    expectParseError(() => parseContact('*, <sip:a@h>'), /Contact/, 'contact');
    expectParseError(() => parseContact('*;expires=0'), /Contact/, 'contact');
    expectParseError(() => parseContact(''), /Empty value/, 'contact');
  });
});

describe('parseRouteList', () => {
  it('parses name-addrs with <> (RFC 4475 wsinv Route, inv2543 Record-Route)', () => {
    const r = parseRouteList('<sip:services.example.com;lr;unknownwith=value;unknown-no-value>');
    expect((r[0]!.uri as SipUri).params).toEqual([
      { name: 'lr', value: null },
      { name: 'unknownwith', value: 'value' },
      { name: 'unknown-no-value', value: null },
    ]);
    expect(parseRouteList('<sip:UserB@example.com;maddr=ss1.example.com>', 'record-route')).toHaveLength(1);
    expect(parseRouteList('<sip:p1.example.com;lr>,<sip:p2.example.com;lr>', 'path')).toHaveLength(2);
  });

  it('rejects bare URIs and empty values', () => {
    expectParseError(() => parseRouteList('sip:p1.example.com;lr', 'record-route'), /enclosed in <>/, 'record-route');
    expectParseError(() => parseRouteList(''), /Empty value/, 'route');
    expectParseError(() => parseRouteList('<sip:a@h>,,<sip:b@h>'), /Empty list element/, 'route');
  });
});

describe('parseDate', () => {
  it('parses RFC 1123 dates in GMT', () => {
    expect(parseDate('Sat, 13 Nov 2010 23:29:00 GMT').toISOString()).toBe('2010-11-13T23:29:00.000Z');
    expect(parseDate('Thu, 21 Feb 2002 13:02:03 GMT').getTime()).toBe(Date.UTC(2002, 1, 21, 13, 2, 3));
    expect(parseDate('Tue, 29 Feb 2000 00:00:00 GMT').getUTCDate()).toBe(29);
    expect(parseDate('Mon, 01 Jan 0099 00:00:00 GMT').getUTCFullYear()).toBe(99);
  });

  it('rejects other zones (RFC 4475 baddate) and bad dates', () => {
    expectParseError(() => parseDate('Fri, 01 Jan 2010 16:00:00 EST'), /GMT/, 'date');
    for (const bad of [
      '',
      'Sat, 13 Nov 2010 23:29:00',
      'Sat 13 Nov 2010 23:29:00 GMT',
      'Sat, 13 Nov 2010 23:29:00  GMT',
      'Xyz, 13 Nov 2010 23:29:00 GMT',
      'Sat, 13 Foo 2010 23:29:00 GMT',
      'Sat, 31 Feb 2010 23:29:00 GMT',
      'Sat, 00 Nov 2010 23:29:00 GMT',
      'Sat, 13 Nov 2010 24:00:00 GMT',
      'Sat, 13 Nov 2010 23:60:00 GMT',
      'Sat, 13 Nov 2010 23:29:60 GMT',
      'Sat, 13 Nov 20x0 23:29:00 GMT',
      'Sat, 13 Nov 2010 23-29-00 GMT',
    ]) {
      expectParseError(() => parseDate(bad), /Date/, 'date');
    }
  });
});

describe('parseRetryAfter', () => {
  it('parses seconds, comment and duration', () => {
    expect(parseRetryAfter('18000;duration=3600')).toEqual({ seconds: 18000, comment: null, params: [{ name: 'duration', value: '3600' }] });
    expect(parseRetryAfter("120 (I'm in a meeting (back \\) soon))")).toEqual({ seconds: 120, comment: "I'm in a meeting (back \\) soon)", params: [] });
    expect(parseRetryAfter('5').seconds).toBe(5);
  });

  it('rejects huge values (RFC 4475 scalarlg) and malformed ones', () => {
    expectParseError(() => parseRetryAfter('949302838503028349304023988'), /out of range/, 'retry-after');
    expectParseError(() => parseRetryAfter('10 (unterminated'), /Unterminated comment/, 'retry-after');
    expectParseError(() => parseRetryAfter(`10 ${'('.repeat(50_000)}`), /Unterminated comment/, 'retry-after');
    expectParseError(() => parseRetryAfter('10;duration'), /duration/, 'retry-after');
    expectParseError(() => parseRetryAfter('10;duration=x'), /Invalid number/, 'retry-after');
    expectParseError(() => parseRetryAfter('10 x'), /Invalid parameters/, 'retry-after');
    expectParseError(() => parseRetryAfter(''), /Missing number/, 'retry-after');
  });
});

describe('parseWarning', () => {
  it('parses code, agent and text', () => {
    expect(parseWarning('301 isi.edu "Incompatible network address type \'E.164\'"')).toEqual([
      { code: 301, agent: 'isi.edu', text: "Incompatible network address type 'E.164'" },
    ]);
    expect(parseWarning('399 [2001:db8::1]:5060 "a, \\"b\\"", 307 sluice "x"').map((w) => [w.code, w.agent, w.text])).toEqual([
      [399, '[2001:db8::1]:5060', 'a, "b"'],
      [307, 'sluice', 'x'],
    ]);
  });

  it('rejects codes that are not 3 digits (RFC 4475 scalarlg) and other malformed values', () => {
    expectParseError(() => parseWarning('1812 overture "In Progress"'), /3 digits/, 'warning');
    for (const bad of ['30 x "y"', '301 x y', '301 x', '301 "y"', '301  x "y" z', '', '301 x "y', 'abc x "y"']) {
      expectParseError(() => parseWarning(bad), /Warning/, 'warning');
    }
  });
});

describe('RFC 3262, 4028, 6665 headers', () => {
  it('parses RAck', () => {
    expect(parseRAck('776656 1 INVITE')).toEqual({ rseq: 776656, cseq: 1, method: 'INVITE' });
    expect(parseRAck('1 2 3').method).toBe('3'); // a Method is any token
    for (const bad of ['776656 INVITE', '776656 1', '1 2 3 4', '776656  1 INVITE x', '99999999999 1 INVITE', '1 2 <x>']) {
      expectParseError(() => parseRAck(bad), /RAck/, 'rack');
    }
  });

  it('parses Session-Expires with refresher', () => {
    expect(parseSessionExpires('4000;refresher=uac')).toEqual({ seconds: 4000, refresher: 'uac', params: [{ name: 'refresher', value: 'uac' }] });
    expect(parseSessionExpires('1800 ; Refresher = UAS').refresher).toBe('uas');
    expect(parseSessionExpires('90').refresher).toBeNull();
    expectParseError(() => parseSessionExpires('90;refresher=both'), /uac or uas/, 'session-expires');
    expectParseError(() => parseSessionExpires('90;refresher'), /uac or uas/, 'session-expires');
    expectParseError(() => parseSessionExpires('x'), /Session-Expires/, 'session-expires');
  });

  it('parses Event and Subscription-State', () => {
    expect(parseEvent('presence;id=1')).toEqual({ type: 'presence', id: '1', params: [{ name: 'id', value: '1' }] });
    expect(parseEvent('presence.winfo').id).toBeNull();
    expectParseError(() => parseEvent('dialog;id'), /id/, 'event');
    expectParseError(() => parseEvent(''), /event type/, 'event');
    expect(parseSubscriptionState('Active;expires=3600')).toMatchObject({ state: 'active', expires: 3600, reason: null, retryAfter: null });
    expect(parseSubscriptionState('terminated;reason=timeout;retry-after=10')).toMatchObject({
      state: 'terminated',
      reason: 'timeout',
      retryAfter: 10,
    });
    expectParseError(() => parseSubscriptionState('active;expires=x'), /Invalid number/, 'subscription-state');
    expectParseError(() => parseSubscriptionState('active;reason'), /reason/, 'subscription-state');
    expectParseError(() => parseSubscriptionState('active;;'), /parameter/, 'subscription-state');
  });
});

describe('HEADER_VALUE_PARSERS', () => {
  const samples: Record<string, string> = {
    via: 'SIP/2.0/UDP h;branch=z9hG4bK1',
    from: '<sip:a@h>;tag=1',
    to: 'sip:b@h',
    'reply-to': 'Bob <sip:bob@h>',
    'refer-to': '<sip:c@h?Replaces=x>',
    'referred-by': '<sip:d@h>',
    contact: '<sip:a@h>;expires=60',
    'p-asserted-identity': '"A" <sip:a@h>, <tel:+1>',
    'p-preferred-identity': '<sip:a@h>',
    'call-id': 'abc@h',
    cseq: '1 INVITE',
    'max-forwards': '70',
    'content-length': '0',
    'content-type': 'application/sdp',
    'content-disposition': 'session',
    priority: 'urgent',
    supported: 'timer, 100rel',
    allow: 'INVITE, ACK',
    'content-encoding': 'gzip',
    date: 'Sat, 13 Nov 2010 23:29:00 GMT',
    'retry-after': '30',
    warning: '399 h "x"',
    rack: '1 1 INVITE',
    'session-expires': '1800;refresher=uac',
    event: 'refer',
    'subscription-state': 'active',
    require: '100rel',
    'proxy-require': 'foo',
    unsupported: 'bar',
    'allow-events': 'refer, presence',
    route: '<sip:p@h;lr>',
    'record-route': '<sip:p@h;lr>',
    path: '<sip:p@h;lr>',
    'service-route': '<sip:p@h;lr>',
    expires: '60',
    'min-expires': '60',
    rseq: '1',
    'min-se': '90;x=y',
    authorization: 'Digest username="a", realm="r", nonce="n", uri="sip:h", response="x"',
    'proxy-authorization': 'Digest username="a"',
    'www-authenticate': 'Digest realm="r", nonce="n"',
    'proxy-authenticate': 'Digest realm="r", nonce="n"',
  };

  it('has a parser for every header above, each accepting a valid value', () => {
    expect([...HEADER_VALUE_PARSERS.keys()].sort()).toEqual(Object.keys(samples).sort());
    for (const [name, value] of Object.entries(samples)) expect(() => HEADER_VALUE_PARSERS.get(name)!(value), name).not.toThrow();
    expect(HEADER_VALUE_PARSERS.get('min-se')!('90;x=y')).toBe(90);
  });

  it('names the header in every error', () => {
    for (const name of HEADER_VALUE_PARSERS.keys()) {
      let caught: unknown = null;
      try {
        HEADER_VALUE_PARSERS.get(name)!(name === 'supported' || name === 'allow' ? 'a b' : '\x00 ,;');
      } catch (e) {
        caught = e;
      }
      expect(caught, name).toBeInstanceOf(SipParseError);
      expect((caught as SipParseError).header, name).toBe(name);
    }
  });
});
