import { describe, expect, it } from 'vitest';
import { SINGLE_VALUED, canonicalName, displayName, isValidHeaderName, singleBit } from '../../src/sip/header-names.js';
import { bodyByteString, byteString, utf8 } from '../../src/sip/utf8.js';

describe('canonicalName', () => {
  it('expands every compact form, in either case', () => {
    const compact: Record<string, string> = {
      i: 'call-id',
      m: 'contact',
      e: 'content-encoding',
      l: 'content-length',
      c: 'content-type',
      f: 'from',
      s: 'subject',
      k: 'supported',
      t: 'to',
      v: 'via',
      o: 'event',
      r: 'refer-to',
      b: 'referred-by',
      u: 'allow-events',
      x: 'session-expires',
      a: 'accept-contact',
      j: 'reject-contact',
      d: 'request-disposition',
      y: 'identity',
      n: 'identity-info',
    };
    for (const [short, long] of Object.entries(compact)) {
      expect(canonicalName(short)).toBe(long);
      expect(canonicalName(short.toUpperCase())).toBe(long);
    }
  });

  it('lower-cases long names in any case (RFC 4475 wsinv, longreq)', () => {
    for (const name of ['Via', 'VIA', 'ViA', 'vIa', 'via']) expect(canonicalName(name)).toBe('via');
    expect(canonicalName('MaX-fOrWaRdS')).toBe('max-forwards');
    expect(canonicalName('cseq')).toBe('cseq');
    expect(canonicalName('CSeq')).toBe('cseq');
    expect(canonicalName('Call-ID')).toBe('call-id');
    expect(canonicalName('Call-Id')).toBe('call-id');
    expect(canonicalName('WWW-Authenticate')).toBe('www-authenticate');
    expect(canonicalName('TO')).toBe('to');
  });

  it('lower-cases unknown names and leaves odd ones alone (RFC 4475 esc02 C%6Fntact)', () => {
    expect(canonicalName('X-Custom-Header')).toBe('x-custom-header');
    expect(canonicalName('C%6Fntact')).toBe('c%6fntact');
    expect(canonicalName('NewFangledHeader')).toBe('newfangledheader');
    expect(canonicalName('Q')).toBe('q');
    expect(canonicalName("extensionHeader-!.%*+_`'~")).toBe("extensionheader-!.%*+_`'~");
  });
});

describe('displayName', () => {
  it('writes the usual forms', () => {
    const forms: Record<string, string> = {
      via: 'Via',
      from: 'From',
      to: 'To',
      'call-id': 'Call-ID',
      cseq: 'CSeq',
      'max-forwards': 'Max-Forwards',
      contact: 'Contact',
      'content-length': 'Content-Length',
      'content-type': 'Content-Type',
      'www-authenticate': 'WWW-Authenticate',
      'proxy-authenticate': 'Proxy-Authenticate',
      rseq: 'RSeq',
      rack: 'RAck',
      'record-route': 'Record-Route',
      'p-asserted-identity': 'P-Asserted-Identity',
      'min-se': 'Min-SE',
      'mime-version': 'MIME-Version',
      'sip-etag': 'SIP-ETag',
    };
    for (const [canonical, display] of Object.entries(forms)) {
      expect(displayName(canonical)).toBe(display);
      expect(canonicalName(display)).toBe(canonical);
    }
  });

  it('capitalises each word of unknown names', () => {
    expect(displayName('x-foo-bar')).toBe('X-Foo-Bar');
    expect(displayName('newfangledheader')).toBe('Newfangledheader');
    expect(displayName('a--b')).toBe('A--B');
  });
});

describe('SINGLE_VALUED and isValidHeaderName', () => {
  it('lists the single-valued headers of RFC 3261 (RFC 4475 multi01)', () => {
    for (const h of ['call-id', 'cseq', 'from', 'to', 'max-forwards', 'content-length', 'content-type', 'expires', 'min-expires', 'date']) {
      expect(SINGLE_VALUED.has(h), h).toBe(true);
    }
    for (const h of ['via', 'contact', 'route', 'record-route', 'authorization', 'www-authenticate', 'supported', 'require', 'warning']) {
      expect(SINGLE_VALUED.has(h), h).toBe(false);
    }
  });

  it('gives each single-valued header its own bit of a 31-bit mask, and none to the others', () => {
    const bits = [...SINGLE_VALUED].map(singleBit);
    for (const b of bits) {
      expect(b).toBeGreaterThan(0);
      expect(b).toBeLessThanOrEqual(2 ** 30);
      expect(b & (b - 1)).toBe(0); // one bit
    }
    expect(new Set(bits).size).toBe(bits.length);
    for (const h of ['via', 'contact', 'route', 'x-anything']) expect(singleBit(h), h).toBe(0);
  });

  it('accepts tokens only', () => {
    expect(isValidHeaderName('Via')).toBe(true);
    expect(isValidHeaderName("extensionHeader-!.%*+_`'~")).toBe(true);
    for (const bad of ['', 'Via ', 'A:B', 'X(y)', 'caf\xe9', 'a\x00', 'a/b']) expect(isValidHeaderName(bad), JSON.stringify(bad)).toBe(false);
  });
});

describe('utf8 / byteString', () => {
  it('converts between byte strings and Unicode', () => {
    const bytes = '\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82'; // UTF-8 of привет
    expect(utf8(bytes)).toBe('привет');
    expect(byteString('привет')).toBe(bytes);
    expect(utf8('ascii')).toBe('ascii');
    expect(byteString('ascii')).toBe('ascii');
    expect(utf8(byteString('\u{1F600} ok'))).toBe('\u{1F600} ok');
    expect(utf8('\xff')).toBe('\ufffd');
  });
});

describe('bodyByteString', () => {
  it('writes a body given as text as its UTF-8 bytes, and one given as bytes as they are', () => {
    const bytes = '\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82'; // UTF-8 of привет
    expect(bodyByteString(undefined)).toBe('');
    expect(bodyByteString('')).toBe('');
    expect(bodyByteString(new Uint8Array(0))).toBe('');
    expect(bodyByteString('v=0\r\n')).toBe('v=0\r\n');
    expect(bodyByteString('привет')).toBe(bytes);
    expect(bodyByteString(Buffer.from('привет'))).toBe(bytes);
    // A view into a larger buffer: only its own bytes.
    const whole = new Uint8Array([0x78, 0xd0, 0xbf, 0xff, 0x79]);
    expect(bodyByteString(whole.subarray(1, 4))).toBe('\xd0\xbf\xff');
  });
});
