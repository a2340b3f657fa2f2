import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../src/sip/errors.js';
import { HEADER_VALUE_PARSERS, parseAuth, serializeAuth, splitList } from '../../src/sip/header-values.js';
import { tagOf, tagOfValue } from '../../src/sip/from-to.js';
import { parseNameAddr, parseNameAddrList, serializeNameAddr } from '../../src/sip/name-addr.js';
import { parseParams, serializeParams } from '../../src/sip/params.js';
import type { NameAddr, OtherUri, Param, SipUri, TelUri, Uri } from '../../src/sip/types.js';
import { parseUri, serializeUri, unescape, uriEquals } from '../../src/sip/uri.js';
import { parseVia, serializeVia } from '../../src/sip/via.js';

// ---- alphabets --------------------------------------------------------------------------------
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MARK = "-_.!~*'()";
const TOKEN = ALNUM + "-.!%*_+`'~";
const PARAMCHAR = ALNUM + MARK + '[]/:&+$';
const HNV = ALNUM + MARK + '[]/?:+$';
const HEX = '0123456789abcdefABCDEF';

const charOf = (alphabet: string): fc.Arbitrary<string> => fc.constantFrom(...alphabet.split(''));
const stringOf = (alphabet: string, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.array(charOf(alphabet), { minLength, maxLength }).map((a) => a.join(''));
const byte = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
const bytes = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.array(byte, { minLength, maxLength }).map((a) => a.join(''));

/** Text as written in a URI part: allowed chars and valid %HH escapes. */
const written = (alphabet: string, minLength: number): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof({ weight: 4, arbitrary: charOf(alphabet) }, { weight: 1, arbitrary: fc.tuple(charOf(HEX), charOf(HEX)).map(([a, b]) => `%${a}${b}`) }), {
      minLength,
      maxLength: 8,
    })
    .map((a) => a.join(''));

const label = fc.tuple(charOf(ALNUM), stringOf(ALNUM + '-', 0, 6), charOf(ALNUM)).map(([a, b, c]) => a + b + c);
const domain = fc
  .tuple(fc.array(label, { minLength: 0, maxLength: 3 }), charOf('abcdefghijklmnopqrstuvwxyz'), stringOf(ALNUM, 0, 5))
  .map(([labels, a, b]) => [...labels, a + b].join('.'));
const ipv4 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }).map((a) => a.join('.'));
const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
const ipv6 = fc.oneof(
  fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => g.join(':')),
  fc.tuple(fc.array(group, { maxLength: 3 }), fc.array(group, { maxLength: 3 })).map(([a, b]) => `${a.join(':')}::${b.join(':')}`),
  fc.tuple(fc.array(group, { maxLength: 3 }), ipv4).map(([a, v4]) => `${a.join(':')}::${v4}`),
  ipv4.map((v4) => `::ffff:${v4}`),
);
const host = fc.oneof(
  domain.map((h) => ({ host: h, hostKind: 'domain' as const })),
  ipv4.map((h) => ({ host: h, hostKind: 'ipv4' as const })),
  ipv6.map((h) => ({ host: h, hostKind: 'ipv6' as const })),
);
const port = fc.option(fc.integer({ min: 0, max: 65535 }), { nil: null });

const uriParam: fc.Arbitrary<Param> = fc.record({ name: written(PARAMCHAR, 1), value: fc.option(written(PARAMCHAR, 1), { nil: null }) });
const uriHeader: fc.Arbitrary<Param> = fc.record({ name: written(HNV, 1), value: written(HNV, 0) });

const sipUri: fc.Arbitrary<SipUri> = fc
  .record({
    scheme: fc.constantFrom('sip' as const, 'sips' as const),
    user: fc.option(bytes(1, 12), { nil: null }),
    password: fc.option(bytes(0, 8), { nil: null }),
    host,
    port,
    params: fc.array(uriParam, { maxLength: 3 }),
    headers: fc.array(uriHeader, { maxLength: 2 }),
  })
  .map(({ host: h, user, password, ...rest }) => ({ ...rest, ...h, user, password: user === null ? null : password }))
  .map((u) => ({ scheme: u.scheme, user: u.user, password: u.password, host: u.host, hostKind: u.hostKind, port: u.port, params: u.params, headers: u.headers }));

const telUri: fc.Arbitrary<TelUri> = fc
  .tuple(
    stringOf('0123456789', 1, 10),
    stringOf('0123456789-.()', 0, 4),
    fc.array(fc.record({ name: stringOf(ALNUM + '-', 1, 6), value: fc.option(written(PARAMCHAR, 1), { nil: null }) }), { maxLength: 2 }),
  )
  .map(([digits, sep, params]) => ({ scheme: 'tel', number: `+${digits}${sep}`, params }));

const otherUri: fc.Arbitrary<OtherUri> = fc
  .tuple(charOf('abcdefghijklmnopqrstuvwxyz'), stringOf('abcdefghijklmnopqrstuvwxyz0123456789+-.', 0, 6), stringOf(ALNUM + MARK + ';/?:@&=+$,%[]', 1, 12))
  .filter(([a, b]) => !['sip', 'sips', 'tel'].includes(a + b))
  .map(([a, b, opaque]) => ({ scheme: a + b, opaque }));

const anyUri: fc.Arbitrary<Uri> = fc.oneof({ weight: 4, arbitrary: sipUri }, { weight: 1, arbitrary: telUri }, { weight: 1, arbitrary: otherUri });

const quotedValue = bytes(0, 8)
  .filter((t) => !/[\r\n]/.test(t))
  .map((t) => `"${t.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
const headerParam: fc.Arbitrary<Param> = fc.record({
  name: stringOf(TOKEN, 1, 8),
  value: fc.option(fc.oneof(stringOf(TOKEN, 1, 8), quotedValue, ipv6.map((a) => `[${a}]`)), { nil: null }),
});

const nameAddr: fc.Arbitrary<NameAddr> = fc
  .record({
    displayName: fc.option(
      fc.oneof(
        bytes(0, 12).filter((t) => !/[\r\n]/.test(t)),
        stringOf(TOKEN, 1, 8),
        fc.array(stringOf(TOKEN, 1, 5), { minLength: 2, maxLength: 3 }).map((w) => w.join(' ')),
      ),
      { nil: null, freq: 2 },
    ),
    uri: anyUri,
    params: fc.array(headerParam, { maxLength: 3 }),
    angle: fc.boolean(),
  })
  .map((na) => ({ ...na, angle: na.angle || na.displayName !== null || /[;?,]/.test(serializeUri(na.uri)) }));

const viaText = fc
  .tuple(
    fc.constantFrom('SIP', 'sip', 'X'),
    fc.constantFrom('2.0', '3'),
    fc.constantFrom('UDP', 'tcp', 'Tls', 'SCTP', 'WS', 'wss', 'FOO'),
    host,
    port,
    fc.array(
      fc.oneof(
        stringOf(TOKEN, 1, 10).map((v) => `;branch=z9hG4bK${v}`),
        fc.oneof(ipv4, ipv6, ipv6.map((a) => `[${a}]`)).map((v) => `;received=${v}`),
        fc.option(fc.integer({ min: 0, max: 65535 }), { nil: null }).map((p) => (p === null ? ';rport' : `;rport=${p}`)),
        fc.integer({ min: 0, max: 255 }).map((t) => `;ttl=${t}`),
        fc.oneof(domain, ipv4).map((m) => `;maddr=${m}`),
        headerParam.map((p) => serializeParams([p])),
      ),
      { maxLength: 5 },
    ),
    fc.constantFrom(' ', '  ', '\t'),
  )
  .map(([proto, version, transport, h, p, params, ws]) => {
    const hostText = h.hostKind === 'ipv6' ? `[${h.host}]` : h.host;
    return `${proto}${ws}/${ws}${version}/${transport}${ws}${hostText}${p === null ? '' : `:${p}`}${params.join(ws)}`;
  });

// ---- round trips ------------------------------------------------------------------------------
describe('round trips', () => {
  it('parseUri(serializeUri(u)) equals u, and uriEquals holds', () => {
    fc.assert(
      fc.property(anyUri, (u) => {
        const back = parseUri(serializeUri(u));
        expect(back).toEqual(u);
        expect(uriEquals(u, back)).toBe(true);
      }),
      { numRuns: 600 },
    );
  });

  it('a SIP URI with a user and no headers is a valid Request-URI', () => {
    fc.assert(
      fc.property(sipUri, (u) => {
        const r = { ...u, headers: [] };
        expect(parseUri(serializeUri(r), { requestUri: true })).toEqual(r);
      }),
      { numRuns: 200 },
    );
  });

  it('parseNameAddr(serializeNameAddr(na)) equals na', () => {
    fc.assert(
      fc.property(nameAddr, (na) => {
        expect(parseNameAddr(serializeNameAddr(na))).toEqual(na);
      }),
      { numRuns: 600 },
    );
  });

  it('tagOfValue reads the tag the full parse finds, without parsing the URI', () => {
    fc.assert(
      fc.property(nameAddr, fc.option(stringOf(TOKEN, 1, 12), { nil: undefined }), (na, tag) => {
        const value = tag === undefined ? na : { ...na, params: [...na.params, { name: 'tag', value: tag }] };
        const text = serializeNameAddr(value);
        expect(tagOfValue(text, 'to')).toBe(tagOf(parseNameAddr(text)));
      }),
      { numRuns: 600 },
    );
  });

  it('a list of name-addrs survives joining with commas', () => {
    fc.assert(
      fc.property(fc.array(nameAddr, { minLength: 1, maxLength: 4 }), (list) => {
        expect(parseNameAddrList(list.map(serializeNameAddr).join(' ,  '), 'contact')).toEqual(list);
      }),
      { numRuns: 200 },
    );
  });

  it('parseVia(serializeVia(v)) equals v for parsed Vias', () => {
    fc.assert(
      fc.property(fc.array(viaText, { minLength: 1, maxLength: 3 }), (texts) => {
        let vias;
        try {
          vias = parseVia(texts.join(' , '));
        } catch (e) {
          // Generated params may repeat a known one with a bad value only where the text is invalid.
          expect(e).toBeInstanceOf(SipParseError);
          return;
        }
        expect(vias).toHaveLength(texts.length);
        for (const v of vias) expect(parseVia(serializeVia(v))).toEqual([v]);
      }),
      { numRuns: 500 },
    );
  });

  it('header parameters and auth values survive a round trip', () => {
    fc.assert(
      fc.property(fc.array(headerParam, { maxLength: 4 }), (params) => {
        expect(parseParams(serializeParams(params))).toEqual(params);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom('Digest', 'Other'),
        fc.uniqueArray(fc.tuple(stringOf(TOKEN, 1, 8).map((n) => n.toLowerCase()), bytes(0, 8).filter((t) => !/[\r\n]/.test(t))), {
          minLength: 1,
          maxLength: 4,
          selector: ([k]) => k,
        }),
        (scheme, entries) => {
          const value = { scheme, params: new Map(entries), token: null };
          expect(parseAuth(serializeAuth(value))).toEqual(value);
        },
      ),
      { numRuns: 200 },
    );
  });
});

// ---- robustness: nothing but SipParseError, on anything -----------------------------------------
const parsers: [string, (v: string) => unknown][] = [
  ['uri', (v) => parseUri(v)],
  ['request-uri', (v) => parseUri(v, { requestUri: true })],
  ['name-addr', (v) => parseNameAddr(v)],
  ['name-addr-list', (v) => parseNameAddrList(v, 'contact')],
  ['from-to tag', (v) => tagOfValue(v, 'to')],
  ['params', (v) => parseParams(v)],
  ['split', (v) => splitList(v)],
  ['unescape', unescape],
  ...HEADER_VALUE_PARSERS,
];

const samples = [
  'sip:alice:pw@[2001:db8::1]:5060;transport=tcp;lr?subject=x%20y&h=',
  "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1@example.com",
  'tel:+1-201-555-0123;ext=12;phone-context=+1',
  '"J Rosenberg \\\\\\"" <sip:jdrosen@example.com>;tag=98asjd8, Bob <sips:b@h>;q=0.5;expires=60',
  'SIP/2.0/UDP [2001:db8::9:1]:5060;received=2001:db8::9:255;branch=z9hG4bK1;rport, SIP / 2.0 / TCP h ; ttl = 1',
  'Digest realm="a", nonce="b", qop="auth,auth-int", algorithm=MD5',
  'Sat, 13 Nov 2010 23:29:00 GMT',
  '120 (in (a) meeting) ;duration=3600',
  '399 [::1]:5060 "text \\" here", 301 h "x"',
  '36893488147419103232 REGISTER',
  'multipart/signed;protocol="application/pkcs7-signature";boundary=x',
  'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{',
  'terminated;reason=timeout;retry-after=10;expires=5',
];

const grammarChars = 'sip:tel@;=,<>"\\[]:.%0123456789abcdefABCDEF /\t?&*()+-_~!\'`{}|^#$\r\n\x00\x7f\xff\xe9';
const noisy = fc
  .array(fc.oneof({ weight: 5, arbitrary: charOf(grammarChars) }, { weight: 1, arbitrary: byte }, { weight: 1, arbitrary: fc.constantFrom('sip:', 'SIP/2.0/', '<sip:a@b>', '[::1]', '%00', ';tag=', '"', '\\"') }), {
    maxLength: 40,
  })
  .map((a) => a.join(''));

/** A valid sample with a few random edits (insert, delete, replace). */
const mutated = fc
  .tuple(
    fc.constantFrom(...samples),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), charOf(grammarChars)), { minLength: 1, maxLength: 4 }),
  )
  .map(([text, edits]) => {
    let s = text;
    for (const [at, op, ch] of edits) {
      const i = at % (s.length + 1);
      if (op === 'insert') s = s.slice(0, i) + ch + s.slice(i);
      else if (op === 'delete') s = s.slice(0, i) + s.slice(i + 1);
      else s = s.slice(0, i) + ch + s.slice(i + 1);
    }
    return s;
  });

function onlyParseErrors(parse: (v: string) => unknown, input: string): void {
  try {
    parse(input);
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    expect(e.reason).toMatch(/^[\x20-\x7e]{1,100}$/);
  }
}

describe('robustness', () => {
  it('random text into every parser throws only SipParseError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...parsers), noisy, ([, parse], input) => onlyParseErrors(parse, input)),
      { numRuns: 3000 },
    );
  });

  it('mutated valid values into every parser throw only SipParseError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...parsers), mutated, ([, parse], input) => onlyParseErrors(parse, input)),
      { numRuns: 3000 },
    );
  });

  it('arbitrary UTF-16 strings (not byte strings) are refused or parsed, never crash', () => {
    fc.assert(
      fc.property(fc.constantFrom(...parsers), fc.string({ unit: 'binary', maxLength: 30 }), ([, parse], input) => onlyParseErrors(parse, input)),
      { numRuns: 500 },
    );
  });
});
