import { describe, expect, it } from 'vitest';
import { BencodeError, decode, encode, type BValue } from '../../bench/lib/bencode.js';

describe('bencode', () => {
  it('encodes the four types, dictionary keys in byte order', () => {
    expect(encode('spam').toString()).toBe('4:spam');
    expect(encode(-42).toString()).toBe('i-42e');
    expect(encode(0).toString()).toBe('i0e');
    expect(encode(['a', 1, []]).toString()).toBe('l1:ai1elee');
    expect(encode({ z: 1, a: 'x', m: ['y'] }).toString()).toBe('d1:a1:x1:ml1:ye1:zi1ee');
  });

  it('counts string lengths in bytes, not characters', () => {
    expect(encode('µs').toString()).toBe('3:µs');
    expect(decode(encode('µs'))).toBe('µs');
  });

  it('round-trips an ng offer with an SDP body', () => {
    const offer: BValue = {
      command: 'offer',
      'call-id': 'bench-1',
      'from-tag': 'a1',
      ICE: 'remove',
      replace: ['origin', 'session-connection'],
      sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n',
    };
    expect(decode(encode(offer))).toEqual(offer);
    const nested: BValue = { totals: { RTP: { packets: 123456789012, bytes: 0 } }, list: [[[]], {}, '', -1] };
    expect(decode(encode(nested))).toEqual(nested);
  });

  it('refuses values bencode cannot carry', () => {
    expect(() => encode(1.5)).toThrow(BencodeError);
    expect(() => encode(true as unknown as BValue)).toThrow(BencodeError);
  });

  it.each([
    ['', 'unexpected end'],
    ['i12', 'unterminated integer'],
    ['i012e', 'bad integer'],
    ['i-0e', 'bad integer'],
    ['ie', 'bad integer'],
    ['5:abc', 'runs past the end'],
    ['03:abc', 'bad string length'],
    ['l1:a', 'unterminated list'],
    ['d1:a', 'unexpected end'],
    ['d1:ai1e', 'unterminated dictionary'],
    ['di1ei2ee', 'key is not a string'],
    ['x', 'unexpected byte'],
    ['i1ei2e', 'trailing data'],
    ['l'.repeat(100) + 'e'.repeat(100), 'nesting too deep'],
  ])('rejects malformed input %j (%s)', (input, message) => {
    expect(() => decode(input)).toThrow(message);
  });
});
