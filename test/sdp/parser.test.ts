import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/errors.js';
import { parseSdp, SDP_LIMITS, SdpParseError, serializeSdp, serializeSdpBuffer } from '../../src/sdp/index.js';
import { BASIC, sdpText } from './helpers.js';

function parseError(text: string | Buffer): SdpParseError {
  try {
    parseSdp(text);
  } catch (e) {
    if (e instanceof SdpParseError) return e;
    throw e;
  }
  throw new Error('expected SdpParseError');
}

const HEAD = ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0'];

describe('parseSdp: structure', () => {
  it('splits session lines and media sections in order', () => {
    const sdp = parseSdp(BASIC);
    expect(sdp.session.map((l) => l.type).join('')).toBe('vosct');
    expect(sdp.session[1]).toEqual({ type: 'o', value: 'alice 2890844526 2890844526 IN IP4 198.51.100.1' });
    expect(sdp.media).toHaveLength(1);
    expect(sdp.media[0]?.lines[0]).toEqual({ type: 'm', value: 'audio 49170 RTP/AVP 0 8 101' });
    expect(sdp.media[0]?.lines.map((l) => l.type).join('')).toBe('maaaaaa');
    expect(sdp.eol).toBe('\r\n');
    expect(sdp.finalEol).toBe(true);
    expect(sdp.trailer).toBe('');
  });

  it('accepts a session without media', () => {
    const sdp = parseSdp(sdpText(HEAD));
    expect(sdp.media).toEqual([]);
    expect(serializeSdp(sdp)).toBe(sdpText(HEAD));
  });

  it('keeps unknown line types and unknown attributes in place', () => {
    const text = sdpText([...HEAD, 'y=whatever', 'm=audio 1 RTP/AVP 0', 'f=invalid:yes', 'a=x-vendor:1 2  3', 'a=flag']);
    const sdp = parseSdp(text);
    expect(sdp.session[4]).toEqual({ type: 'y', value: 'whatever' });
    expect(sdp.media[0]?.lines.slice(1)).toEqual([
      { type: 'f', value: 'invalid:yes' },
      { type: 'a', value: 'x-vendor:1 2  3' },
      { type: 'a', value: 'flag' },
    ]);
    expect(serializeSdp(sdp)).toBe(text);
  });

  it('accepts missing s= and t= and odd order (c= before s=)', () => {
    const text = sdpText(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 'c=IN IP4 233.252.0.1/64', 'm=audio 5004 RTP/AVP 96']);
    expect(serializeSdp(parseSdp(text))).toBe(text);
  });

  it('accepts runs of blanks between fields and keeps them', () => {
    const text = sdpText(['v=0', 'o=-  1 1\tIN IP4 192.0.2.1', 's=-', 'c=IN  IP4 192.0.2.1', 'm=audio  49170 RTP/AVP  0']);
    expect(serializeSdp(parseSdp(text))).toBe(text);
  });

  it('accepts address types and network types in any case', () => {
    expect(() => parseSdp(sdpText([...HEAD, 'c=in ip4 192.0.2.1']))).not.toThrow();
  });
});

describe('parseSdp: line endings and exact round trip', () => {
  it('records bare LF and writes it back', () => {
    const text = sdpText(HEAD, '\n');
    const sdp = parseSdp(text);
    expect(sdp.eol).toBe('\n');
    expect(serializeSdp(sdp)).toBe(text);
  });

  it('keeps a missing final line ending', () => {
    const text = 'v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\na=x';
    const sdp = parseSdp(text);
    expect(sdp.finalEol).toBe(false);
    expect(sdp.session[3]).toEqual({ type: 'a', value: 'x' });
    expect(serializeSdp(sdp)).toBe(text);
  });

  it('keeps mixed line endings line by line', () => {
    const text = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\ns=-\r\nt=0 0\n';
    const sdp = parseSdp(text);
    expect(sdp.eol).toBe('\r\n');
    expect(sdp.session[1]?.eol).toBe('\n');
    expect(sdp.session[2]?.eol).toBeUndefined();
    expect(serializeSdp(sdp)).toBe(text);
  });

  it('keeps blank lines after the last line as a trailer', () => {
    const text = sdpText(HEAD) + '\r\n\r\n';
    const sdp = parseSdp(text);
    expect(sdp.trailer).toBe('\r\n\r\n');
    expect(sdp.session).toHaveLength(4);
    expect(serializeSdp(sdp)).toBe(text);
  });

  it('keeps a stray CR inside a value and trailing blanks', () => {
    const text = sdpText([...HEAD, 'a=odd\rvalue ', 'i=  spaced  ']);
    const sdp = parseSdp(text);
    expect(sdp.session[4]?.value).toBe('odd\rvalue ');
    expect(serializeSdp(sdp)).toBe(text);
  });

  it('decodes a Buffer as latin1 so every byte survives', () => {
    const bytes = Buffer.concat([
      Buffer.from(sdpText(HEAD.slice(0, 2)), 'latin1'),
      Buffer.from([0x73, 0x3d, 0xe9, 0x00, 0xff, 0xc3, 0xa9, 0x0d, 0x0a]), // s=é NUL ÿ and UTF-8 é
    ]);
    const sdp = parseSdp(bytes);
    expect(sdp.session[2]?.value).toBe('\u00e9\u0000\u00ff\u00c3\u00a9');
    expect(serializeSdpBuffer(sdp).equals(bytes)).toBe(true);
  });

  it('takes a string as it is (no re-decoding)', () => {
    const text = sdpText([...HEAD.slice(0, 2), 's=Caf\u00e9 \u263a']);
    const sdp = parseSdp(text);
    expect(sdp.session[2]?.value).toBe('Caf\u00e9 \u263a');
    expect(serializeSdp(sdp)).toBe(text);
  });

  it('accepts a Uint8Array view into a larger buffer', () => {
    const whole = Buffer.from('XXXX' + sdpText(HEAD) + 'YYYY', 'latin1');
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 4, whole.length - 8);
    expect(serializeSdp(parseSdp(view))).toBe(sdpText(HEAD));
  });
});

describe('parseSdp: errors', () => {
  it('is a SluiceError with code, status 488 and the line number', () => {
    const e = parseError(sdpText([...HEAD, 'bad line']));
    expect(e).toBeInstanceOf(SluiceError);
    expect(e.code).toBe('SLUICE_ERR_SDP_PARSE');
    expect(e.status).toBe(488);
    expect(e.line).toBe(5);
    expect(e.name).toBe('SdpParseError');
    expect(e.message).toBe('SDP line 5: expected <letter>=<value>, found "bad line"');
  });

  it.each([
    ['a line without = in position 2', [...HEAD, 'a:x'], 5],
    ['an upper-case type', [...HEAD, 'A=x'], 5],
    ['a type that is not a letter', [...HEAD, '1=x'], 5],
    ['a two-letter type', [...HEAD, 'ab=x'], 5],
    ['a line with only the type', [...HEAD, 'a'], 5],
    ['a leading blank', [...HEAD, ' a=x'], 5],
    ['a blank line in the middle', ['v=0', '', 'o=- 1 1 IN IP4 192.0.2.1'], 2],
    ['a first line that is not v=', ['o=- 1 1 IN IP4 192.0.2.1', 'v=0'], 1],
    ['a version other than 0', ['v=1', 'o=- 1 1 IN IP4 192.0.2.1'], 1],
    ['a version with a blank', ['v=0 ', 'o=- 1 1 IN IP4 192.0.2.1'], 1],
    ['a second v=', [...HEAD, 'v=0'], 5],
    ['a missing o=', ['v=0', 's=-', 't=0 0'], 2],
    ['a second o=', [...HEAD, 'o=- 2 2 IN IP4 192.0.2.1'], 5],
    ['an o= inside a media description', [...HEAD.slice(0, 1), 'o=- 1 1 IN IP4 192.0.2.1', 'm=audio 1 RTP/AVP 0', 'o=x'], 4],
    ['an o= with 5 fields', ['v=0', 'o=- 1 IN IP4 192.0.2.1'], 2],
    ['an o= with a non-numeric sess-version', ['v=0', 'o=- 1 v2 IN IP4 192.0.2.1'], 2],
    ['a c= with 2 fields', [...HEAD, 'c=IN IP4'], 5],
    ['a c= with 4 fields', [...HEAD, 'c=IN IP4 192.0.2.1 x'], 5],
    ['a c= with network type ATM', [...HEAD, 'c=ATM NSAP 47.0091'], 5],
    ['a c= with address type IP7', [...HEAD, 'c=IN IP7 X'], 5],
    ['a c= with a bad TTL', [...HEAD, 'c=IN IP4 233.252.0.1/256'], 5],
    ['a c= with an IP6 TTL', [...HEAD, 'c=IN IP6 ff15::101/3/2'], 5],
    ['a c= with an empty address', [...HEAD, 'c=IN IP4 /5'], 5],
    ['an m= without formats', [...HEAD, 'm=audio 49170 RTP/AVP'], 5],
    ['an m= with port 65536', [...HEAD, 'm=audio 65536 RTP/AVP 0'], 5],
    ['an m= with a negative port', [...HEAD, 'm=audio -1 RTP/AVP 0'], 5],
    ['an m= with a port count of 0', [...HEAD, 'm=audio 49170/0 RTP/AVP 0'], 5],
    ['an m= with a non-numeric port', [...HEAD, 'm=audio $ RTP/AVP 0'], 5],
    ['a bad media-level c=', [...HEAD, 'm=audio 1 RTP/AVP 0', 'a=x', 'c=IN IP4'], 7],
  ])('refuses %s', (_what, lines, line) => {
    expect(parseError(sdpText(lines)).line).toBe(line);
  });

  it('refuses empty input and input of only line breaks', () => {
    expect(parseError('').line).toBe(1);
    expect(parseError('\r\n\r\n').line).toBe(1);
    expect(parseError(Buffer.alloc(0)).reason).toBe('empty SDP');
  });

  it('refuses input that is neither text nor bytes', () => {
    expect(parseError(undefined as unknown as string).reason).toMatch(/neither text nor bytes/);
    expect(parseError(42 as unknown as string).line).toBe(1);
  });

  it('escapes odd bytes in the reason and cuts long text short', () => {
    const e = parseError(sdpText([...HEAD, '\u0000\u00ff' + 'x'.repeat(100)]));
    expect(e.reason).toBe('expected <letter>=<value>, found "\\x00\\xff' + 'x'.repeat(38) + '..."');
    expect(/^[\x20-\x7e]*$/.test(e.message)).toBe(true);
  });
});

describe('parseSdp: limits', () => {
  it('accepts exactly 64 KiB and refuses one byte more', () => {
    const head = sdpText(HEAD);
    const pad = SDP_LIMITS.maxBytes - head.length - 'i=\r\n'.length;
    const atLimit = head + 'i=' + 'x'.repeat(pad) + '\r\n';
    expect(atLimit.length).toBe(65_536);
    expect(() => parseSdp(atLimit)).not.toThrow();
    expect(parseError(atLimit + 'a').reason).toMatch(/larger than 65536/);
    expect(parseError(Buffer.from(atLimit + 'a', 'latin1')).reason).toMatch(/larger than 65536/);
  });

  it('accepts 1,000 lines and refuses the 1,001st', () => {
    const lines = [...HEAD];
    while (lines.length < 1000) lines.push('a=x');
    expect(() => parseSdp(sdpText(lines))).not.toThrow();
    expect(parseError(sdpText([...lines, 'a=x'])).line).toBe(1001);
  });

  it('does not count trailing blank lines against the line limit', () => {
    const lines = [...HEAD];
    while (lines.length < 1000) lines.push('a=x');
    expect(parseSdp(sdpText(lines) + '\r\n\r\n').trailer).toBe('\r\n\r\n');
  });

  it('accepts 128 m= lines and refuses the 129th', () => {
    const lines = [...HEAD];
    for (let i = 0; i < 128; i++) lines.push(`m=audio ${2 * i + 1000} RTP/AVP 0`);
    expect(parseSdp(sdpText(lines)).media).toHaveLength(128);
    const e = parseError(sdpText([...lines, 'm=audio 9 RTP/AVP 0']));
    expect(e.line).toBe(HEAD.length + 129);
    expect(e.reason).toMatch(/more than 128 m= lines/);
  });

  it('parses a hostile long line in linear time without error', () => {
    const text = sdpText([...HEAD, 'a=' + ' '.repeat(60_000) + 'x']);
    expect(serializeSdp(parseSdp(text))).toBe(text);
    expect(parseError('v=0\r\n' + '\r'.repeat(60_000) + 'x').line).toBe(2);
  });
});
