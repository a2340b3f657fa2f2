import { describe, expect, it } from 'vitest';
import {
  bumpVersion,
  cloneSdp,
  effectiveConnection,
  getDirection,
  getMediaLine,
  getOrigin,
  getRtcp,
  parseSdp,
  serializeSdp,
  setDirection,
  setMediaAddress,
  setMediaPort,
  setOrigin,
  setRtcp,
  setSessionAddress,
  type Sdp,
} from '../../src/sdp/index.js';
import { manyStreams, sdpText } from './helpers.js';

const HEAD = ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0'];
const parse = (lines: string[], eol?: string): Sdp => parseSdp(sdpText(lines, eol));

describe('setMediaAddress and setMediaPort over many streams', () => {
  it('rewrites each of 14 mixed streams and touches nothing else', () => {
    const text = manyStreams(14);
    const sdp = parseSdp(text);
    for (let i = 0; i < 14; i++) {
      setMediaAddress(sdp, i, i % 2 === 0 ? { addrtype: 'IP4', address: `203.0.113.${i + 1}` } : { addrtype: 'IP6', address: `2001:db8::${i + 1}` });
      setMediaPort(sdp, i, 40000 + 2 * i);
    }
    for (let i = 0; i < 14; i++) {
      expect(getMediaLine(sdp, i).port).toBe(40000 + 2 * i);
      expect(getMediaLine(sdp, i).media).toBe(i % 2 === 0 ? 'audio' : 'video');
      expect(effectiveConnection(sdp, i)?.address).toBe(i % 2 === 0 ? `203.0.113.${i + 1}` : `2001:db8::${i + 1}`);
      expect(sdp.media[i]?.lines[1]?.type).toBe('c');
    }
    // Removing the inserted c= lines and restoring ports gives the original text back.
    const lines = serializeSdp(sdp).split('\r\n');
    expect(lines.filter((l) => l.startsWith('c=')).length).toBe(15);
    expect(lines[5]).toBe('m=audio 40000 RTP/AVP 0');
    expect(lines[6]).toBe('c=IN IP4 203.0.113.1');
    const restored = parseSdp(serializeSdp(sdp));
    restored.media.forEach((m, i) => {
      m.lines.splice(1, 1);
      setMediaPort(restored, i, 10000 + 2 * i);
    });
    expect(serializeSdp(restored)).toBe(text);
  });

  it('replaces an existing media c= (dropping extra multicast ones) and keeps its place', () => {
    const sdp = parse([...HEAD, 'm=video 50000 RTP/AVP 96', 'i=cam', 'c=IN IP4 233.252.0.1/127', 'a=x', 'c=IN IP4 233.252.0.2/127', 'a=y']);
    setMediaAddress(sdp, 0, { addrtype: 'IP4', address: '198.51.100.9' });
    expect(serializeSdp(sdp)).toBe(sdpText([...HEAD, 'm=video 50000 RTP/AVP 96', 'i=cam', 'c=IN IP4 198.51.100.9', 'a=x', 'a=y']));
  });

  it('inserts a new media c= after m= and i= lines', () => {
    const sdp = parse([...HEAD, 'm=audio 1 RTP/AVP 0', 'i=one', 'i=two', 'b=AS:64', 'a=x']);
    setMediaAddress(sdp, 0, { addrtype: 'IP6', address: '::1' });
    expect(sdp.media[0]?.lines.map((l) => l.type).join('')).toBe('miicba');
    expect(sdp.media[0]?.lines[3]?.value).toBe('IN IP6 ::1');
  });

  it('keeps the port count and the spacing of the m= line', () => {
    const sdp = parse([...HEAD, 'm=video  49170/2  RTP/AVP 31']);
    setMediaPort(sdp, 0, 0);
    expect(sdp.media[0]?.lines[0]?.value).toBe('video  0/2  RTP/AVP 31');
    const tabbed = parse([...HEAD, 'm=audio  49170\tRTP/AVP 0']);
    setMediaPort(tabbed, 0, 5004);
    expect(tabbed.media[0]?.lines[0]?.value).toBe('audio  5004\tRTP/AVP 0');
  });

  it('refuses bad input', () => {
    const sdp = parse([...HEAD, 'm=audio 1 RTP/AVP 0']);
    expect(() => setMediaPort(sdp, 0, 65536)).toThrow(RangeError);
    expect(() => setMediaPort(sdp, 0, 1.5)).toThrow(RangeError);
    expect(() => setMediaPort(sdp, 1, 1)).toThrow(RangeError);
    expect(() => setMediaAddress(sdp, 0, { addrtype: 'IP4', address: '::1' })).toThrow(TypeError);
    expect(() => setMediaAddress(sdp, 0, { addrtype: 'IP4', address: '1.2.3.4\r\na=evil' })).toThrow(TypeError);
    expect(() => setMediaAddress(sdp, 0, { addrtype: 'IP5' as 'IP4', address: '1.2.3.4' })).toThrow(TypeError);
    expect(() => setMediaAddress(sdp, 0, { addrtype: 'IP4', address: 'host.example\r\na=evil' })).toThrow(TypeError);
    expect(() => setMediaAddress(sdp, 0, { addrtype: 'IP4', address: '1.2.3' })).toThrow(TypeError);
    expect(serializeSdp(sdp)).toBe(sdpText([...HEAD, 'm=audio 1 RTP/AVP 0']));
  });

  it('writes a domain name (RFC 8866 allows one in c=)', () => {
    const sdp = parse([...HEAD, 'm=audio 1 RTP/AVP 0']);
    setMediaAddress(sdp, 0, { addrtype: 'IP6', address: 'media.example.com' });
    expect(serializeSdp(sdp)).toBe(sdpText([...HEAD, 'm=audio 1 RTP/AVP 0', 'c=IN IP6 media.example.com']));
  });
});

describe('setSessionAddress', () => {
  it('replaces the session c=', () => {
    const sdp = parse(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 'c=IN IP4 233.252.0.1/64', 's=', 't=0 0']);
    setSessionAddress(sdp, { addrtype: 'IP4', address: '192.0.2.50' });
    expect(serializeSdp(sdp)).toBe(sdpText(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 'c=IN IP4 192.0.2.50', 's=', 't=0 0']));
  });

  it('inserts it in RFC order (after v o s i u e p) when absent', () => {
    const sdp = parse(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'i=info', 'e=a@b', 'b=AS:1', 't=0 0', 'a=x', 'm=audio 1 RTP/AVP 0']);
    setSessionAddress(sdp, { addrtype: 'IP6', address: '2001:db8::1' });
    expect(sdp.session.map((l) => l.type).join('')).toBe('vosiecbta');
    expect(effectiveConnection(sdp, 0)?.address).toBe('2001:db8::1');
  });
});

describe('setRtcp', () => {
  it('updates the first a=rtcp and removes the others', () => {
    const sdp = parse([...HEAD, 'm=audio 1 RTP/AVP 0', 'a=rtcp:2', 'a=rtcp-mux', 'a=rtcp:9 IN IP4 192.0.2.9']);
    setRtcp(sdp, 0, { port: 30001, address: { addrtype: 'IP4', address: '203.0.113.1' } });
    expect(sdp.media[0]?.lines.slice(1)).toEqual([
      { type: 'a', value: 'rtcp:30001 IN IP4 203.0.113.1' },
      { type: 'a', value: 'rtcp-mux' },
    ]);
    expect(getRtcp(sdp, 0)).toEqual({ port: 30001, nettype: 'IN', addrtype: 'IP4', address: '203.0.113.1' });
  });

  it('adds one before the first attribute when absent, port only', () => {
    const sdp = parse([...HEAD, 'm=audio 1 RTP/AVP 0', 'c=IN IP4 192.0.2.1', 'a=rtpmap:0 PCMU/8000']);
    setRtcp(sdp, 0, { port: 40001 });
    expect(sdp.media[0]?.lines.map((l) => `${l.type}=${l.value}`)).toEqual([
      'm=audio 1 RTP/AVP 0',
      'c=IN IP4 192.0.2.1',
      'a=rtcp:40001',
      'a=rtpmap:0 PCMU/8000',
    ]);
  });

  it('removes every a=rtcp with null, leaving rtcp-mux and rtcp-fb', () => {
    const sdp = parse([...HEAD, 'm=audio 1 RTP/AVP 0', 'a=rtcp:2', 'a=rtcp-mux', 'a=rtcp-fb:* nack', 'a=rtcp:3']);
    setRtcp(sdp, 0, null);
    expect(sdp.media[0]?.lines.map((l) => l.value)).toEqual(['audio 1 RTP/AVP 0', 'rtcp-mux', 'rtcp-fb:* nack']);
    expect(() => setRtcp(sdp, 0, { port: -1 })).toThrow(RangeError);
  });

  it('adds an IPv6 rtcp on the last line of an unterminated SDP and keeps the line structure', () => {
    const sdp = parseSdp('v=0\no=- 1 1 IN IP4 192.0.2.1\nm=audio 1 RTP/AVP 0');
    setRtcp(sdp, 0, { port: 5, address: { addrtype: 'IP6', address: '2001:2345:6789:ABCD:EF01:2345:6789:ABCD' } });
    expect(serializeSdp(sdp)).toBe('v=0\no=- 1 1 IN IP4 192.0.2.1\nm=audio 1 RTP/AVP 0\na=rtcp:5 IN IP6 2001:2345:6789:ABCD:EF01:2345:6789:ABCD');
  });
});

describe('setOrigin and bumpVersion', () => {
  it('increments a version of 20+ digits exactly', () => {
    const sdp = parse(['v=0', 'o=- 3710604898417546434 99999999999999999999999 IN IP4 127.0.0.1', 's=-']);
    expect(bumpVersion(sdp)).toBe('100000000000000000000000');
    expect(getOrigin(sdp).sessVersion).toBe('100000000000000000000000');
    expect(sdp.session[1]?.value).toBe('- 3710604898417546434 100000000000000000000000 IN IP4 127.0.0.1');
  });

  it('increments past 2^53 without losing precision', () => {
    const sdp = parse(['v=0', 'o=- 1 9007199254740993 IN IP4 127.0.0.1']);
    expect(bumpVersion(sdp)).toBe('9007199254740994');
    expect(bumpVersion(sdp)).toBe('9007199254740995');
  });

  it('changes only the given fields, keeping the spacing of the others', () => {
    const sdp = parse(['v=0', 'o=alice  2890844526 2890844526 IN IP4 198.51.100.1']);
    setOrigin(sdp, { username: 'sluice', sessId: '12345678901234567890123', address: '203.0.113.1' });
    expect(sdp.session[1]?.value).toBe('sluice  12345678901234567890123 2890844526 IN IP4 203.0.113.1');
    setOrigin(sdp, { addrtype: 'IP6', address: '2001:db8::1', sessVersion: '0' });
    expect(getOrigin(sdp)).toEqual({
      username: 'sluice',
      sessId: '12345678901234567890123',
      sessVersion: '0',
      nettype: 'IN',
      addrtype: 'IP6',
      address: '2001:db8::1',
    });
  });

  it('refuses values that would break the line', () => {
    const sdp = parse(['v=0', 'o=- 1 1 IN IP4 127.0.0.1']);
    expect(() => setOrigin(sdp, { username: 'a b' })).toThrow(TypeError);
    expect(() => setOrigin(sdp, { username: '' })).toThrow(TypeError);
    expect(() => setOrigin(sdp, { sessVersion: '1e3' })).toThrow(TypeError);
    expect(() => setOrigin(sdp, { address: 'x\n' })).toThrow(TypeError);
    expect(sdp.session[1]?.value).toBe('- 1 1 IN IP4 127.0.0.1');
  });
});

describe('setDirection', () => {
  it('replaces a media direction and drops duplicates', () => {
    const sdp = parse([...HEAD, 'm=audio 1 RTP/AVP 0', 'a=sendrecv', 'a=x', 'a=recvonly']);
    setDirection(sdp, 0, 'sendonly');
    expect(sdp.media[0]?.lines.map((l) => l.value)).toEqual(['audio 1 RTP/AVP 0', 'sendonly', 'x']);
  });

  it('appends one when absent, per stream or at session level', () => {
    const sdp = parse([...HEAD, 'm=audio 1 RTP/AVP 0', 'm=video 2 RTP/AVP 96', 'a=y'], '\n');
    setDirection(sdp, 1, 'inactive');
    setDirection(sdp, 'session', 'sendonly');
    expect(serializeSdp(sdp)).toBe(sdpText([...HEAD, 'a=sendonly', 'm=audio 1 RTP/AVP 0', 'm=video 2 RTP/AVP 96', 'a=y', 'a=inactive'], '\n'));
    expect(getDirection(sdp, 0)).toBe('sendonly');
    expect(getDirection(sdp, 1)).toBe('inactive');
    expect(() => setDirection(sdp, 0, 'hold' as 'inactive')).toThrow(TypeError);
  });
});

describe('cloneSdp', () => {
  it('makes an independent copy', () => {
    const sdp = parse([...HEAD, 'm=audio 1 RTP/AVP 0']);
    const before = serializeSdp(sdp);
    const copy = cloneSdp(sdp);
    setMediaPort(copy, 0, 2);
    bumpVersion(copy);
    expect(serializeSdp(sdp)).toBe(before);
    expect(getMediaLine(copy, 0).port).toBe(2);
    expect(structuredClone(sdp)).toEqual(sdp);
  });
});
