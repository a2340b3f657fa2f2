import { describe, expect, it } from 'vitest';
import {
  getParam,
  isGenValue,
  parseParams,
  quote,
  removeParam,
  serializeParams,
  setParam,
  unquote,
} from '../../src/sip/params.js';
import { expectParseError } from './grammar-helpers.js';

describe('parseParams', () => {
  it('parses names, token values, quoted values and valueless parameters', () => {
    expect(parseParams(';tag=1928301774;lr;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"')).toEqual([
      { name: 'tag', value: '1928301774' },
      { name: 'lr', value: null },
      { name: '+sip.instance', value: '"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"' },
    ]);
    expect(parseParams('')).toEqual([]);
  });

  it('allows SWS around ; and = (RFC 4475 wsinv)', () => {
    expect(parseParams(' ;   tag    = 1918181833n')).toEqual([{ name: 'tag', value: '1918181833n' }]);
    expect(parseParams('; newparam =      newvalue ;  secondparam ; q = 0.33')).toEqual([
      { name: 'newparam', value: 'newvalue' },
      { name: 'secondparam', value: null },
      { name: 'q', value: '0.33' },
    ]);
  });

  it('takes an IPv6 reference as a value', () => {
    expect(parseParams(';maddr=[2001:db8::1]')).toEqual([{ name: 'maddr', value: '[2001:db8::1]' }]);
    expectParseError(() => parseParams(';maddr=[2001:db8::1'), /IPv6/);
    expectParseError(() => parseParams(';maddr=[zz]'), /IPv6/);
  });

  it('keeps raw UTF-8 and control bytes inside quoted values (RFC 4475 intmeth)', () => {
    const utf8 = '"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89\xd0\xb8\xd0\xb9"';
    expect(parseParams(`;fromParam''~+*_!.-%=${utf8}`)).toEqual([{ name: "fromParam''~+*_!.-%", value: utf8 }]);
    expect(parseParams(';a="\x00\x07\x7f"')[0]!.value).toBe('"\x00\x07\x7f"');
  });

  it('rejects empty parameters (RFC 4475 badinv01)', () => {
    for (const bad of [';;', ';', ';a;', ';a;;b', ';;;;', '; ;a', ';=b', ';a=', ';a= ;b']) {
      expectParseError(() => parseParams(bad, 'contact'), /Empty or invalid parameter/, 'contact');
    }
  });

  it('rejects unterminated quotes, CR/LF and junk', () => {
    expectParseError(() => parseParams(';a="abc'), /Unterminated quoted string/);
    expectParseError(() => parseParams(';a="abc\\"'), /Unterminated quoted string/);
    expectParseError(() => parseParams(';a="a\rb"'), /CR or LF/);
    expectParseError(() => parseParams(';a="a\\\nb"'), /CR or LF/);
    expectParseError(() => parseParams(';a=b c'), /Invalid parameters/);
    expectParseError(() => parseParams(';a=b,c'), /Invalid parameters/);
    expectParseError(() => parseParams(';a=b:c'), /Invalid parameters/);
    expectParseError(() => parseParams('x;a=b'), /Invalid parameters/);
  });

  it('is linear on long input', () => {
    expect(parseParams(';a=b'.repeat(25_000))).toHaveLength(25_000);
    expect(parseParams(`;a="${'x'.repeat(100_000)}"`)[0]!.value).toHaveLength(100_002);
    expectParseError(() => parseParams(`;a="${'\\"'.repeat(50_000)}`), /Unterminated/);
  });
});

describe('getParam / setParam / removeParam', () => {
  const params = parseParams(';Tag=abc;lr;TTL=5;tag=second');

  it('finds by lower-case name: undefined when absent, null when valueless', () => {
    expect(getParam(params, 'tag')).toBe('abc');
    expect(getParam(params, 'lr')).toBeNull();
    expect(getParam(params, 'ttl')).toBe('5');
    expect(getParam(params, 'maddr')).toBeUndefined();
  });

  it('returns copies and leaves the input alone', () => {
    const set = setParam(params, 'TAG', 'new');
    expect(set).toEqual([
      { name: 'Tag', value: 'new' },
      { name: 'lr', value: null },
      { name: 'TTL', value: '5' },
    ]);
    expect(setParam(params, 'rport', null).at(-1)).toEqual({ name: 'rport', value: null });
    expect(removeParam(params, 'tag')).toEqual([
      { name: 'lr', value: null },
      { name: 'TTL', value: '5' },
    ]);
    expect(params).toHaveLength(4);
  });
});

describe('serializeParams, quote, unquote', () => {
  it('writes parameters as written, quoting values that are not gen-values', () => {
    expect(serializeParams(parseParams(';tag=1;lr;x="a b";m=[::1]'))).toBe(';tag=1;lr;x="a b";m=[::1]');
    expect(serializeParams([{ name: 'x', value: 'a b' }])).toBe(';x="a b"');
    expect(serializeParams([{ name: 'x', value: '' }])).toBe(';x=""');
    expect(serializeParams([{ name: 'received', value: '2001:db8::1' }], true)).toBe(';received=2001:db8::1');
    expect(serializeParams([{ name: 'x', value: '2001:db8::1' }])).toBe(';x="2001:db8::1"');
  });

  it('quotes and unquotes with quoted-pairs', () => {
    expect(quote('J Rosenberg \\"')).toBe('"J Rosenberg \\\\\\""');
    expect(unquote('"J Rosenberg \\\\\\""')).toBe('J Rosenberg \\"');
    expect(unquote('token')).toBe('token');
    expect(unquote('"\\a\\b"')).toBe('ab');
    expect(quote('a\r\nb')).toBe('"a  b"');
    expect(isGenValue('"a"b"')).toBe(false);
    expect(isGenValue('"a\\"b"')).toBe(true);
    expect(isGenValue('[::1]')).toBe(true);
    expect(isGenValue('[::1')).toBe(false);
  });
});
