import { describe, expect, it } from 'vitest';
import {
  effectiveConnection,
  getCandidates,
  getCryptos,
  getDirection,
  getFmtps,
  getMaxptime,
  getMediaConnections,
  getMediaLine,
  getOrigin,
  getPtime,
  getRtcp,
  getRtpmaps,
  getSessionConnection,
  getSessionName,
  hasRtcpMux,
  holdState,
  isDisabled,
  isOnHold,
  parseSdp,
  serializeSdp,
  usesIce,
  type Sdp,
} from '../../src/sdp/index.js';
import { BASIC, manyStreams, sdpText } from './helpers.js';

const HEAD = ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0'];
const parse = (lines: string[]): Sdp => parseSdp(sdpText(lines));

describe('session views', () => {
  it('reads o= and s=', () => {
    const sdp = parseSdp(BASIC);
    expect(getOrigin(sdp)).toEqual({
      username: 'alice',
      sessId: '2890844526',
      sessVersion: '2890844526',
      nettype: 'IN',
      addrtype: 'IP4',
      address: '198.51.100.1',
    });
    expect(getSessionName(sdp)).toBe('-');
    expect(getSessionName(parse(['v=0', 'o=- 1 1 IN IP4 192.0.2.1']))).toBeNull();
  });

  it('throws RangeError for a stream that does not exist', () => {
    const sdp = parseSdp(BASIC);
    expect(() => getMediaLine(sdp, 1)).toThrow(RangeError);
    expect(() => effectiveConnection(sdp, -1)).toThrow(RangeError);
  });

  it('reads m= lines of many mixed streams', () => {
    const sdp = parseSdp(manyStreams(14));
    expect(sdp.media).toHaveLength(14);
    expect(getMediaLine(sdp, 0)).toEqual({ media: 'audio', port: 10000, portCount: 1, proto: 'RTP/AVP', formats: ['0'] });
    expect(getMediaLine(sdp, 13)).toEqual({ media: 'video', port: 10026, portCount: 1, proto: 'RTP/AVP', formats: ['96'] });
  });
});

describe('effectiveConnection', () => {
  it('prefers the media-level c= over the session-level one', () => {
    const sdp = parse([...HEAD.slice(0, 3), 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 1 RTP/AVP 0', 'c=IN IP4 198.51.100.7', 'm=video 2 RTP/AVP 96']);
    expect(effectiveConnection(sdp, 0)).toMatchObject({ addrtype: 'IP4', address: '198.51.100.7' });
    expect(effectiveConnection(sdp, 1)).toMatchObject({ addrtype: 'IP4', address: '192.0.2.1' });
    expect(getSessionConnection(sdp)?.address).toBe('192.0.2.1');
  });

  it('is null, not an error, when there is no c= at all', () => {
    const sdp = parse([...HEAD, 'm=audio 0 RTP/AVP 0']);
    expect(effectiveConnection(sdp, 0)).toBeNull();
    expect(getSessionConnection(sdp)).toBeNull();
    expect(holdState(sdp, 0)).toEqual({ direction: 'sendrecv', held: false, holdStyle: 'none', zeroAddress: false });
  });

  it('reads an IPv6 c=', () => {
    const sdp = parse([...HEAD, 'm=audio 1 RTP/AVP 0', 'c=IN IP6 2001:db8::5']);
    expect(effectiveConnection(sdp, 0)).toEqual({ nettype: 'IN', addrtype: 'IP6', address: '2001:db8::5', literal: true });
  });

  it('returns every media-level c= and uses the first', () => {
    const sdp = parse([...HEAD, 'm=video 50000/2 RTP/AVP 96', 'c=IN IP4 233.252.0.1/127', 'c=IN IP4 233.252.0.2/127']);
    expect(getMediaConnections(sdp, 0).map((c) => c.address)).toEqual(['233.252.0.1', '233.252.0.2']);
    expect(effectiveConnection(sdp, 0)?.ttl).toBe(127);
    expect(getMediaLine(sdp, 0).portCount).toBe(2);
  });
});

describe('direction and hold', () => {
  const withSession = (sessionAttr: string[], mediaLines: string[]): Sdp =>
    parse([...HEAD.slice(0, 3), 'c=IN IP4 192.0.2.1', 't=0 0', ...sessionAttr, 'm=audio 1 RTP/AVP 0', ...mediaLines]);

  it('defaults to sendrecv, not held', () => {
    expect(holdState(withSession([], []), 0)).toEqual({ direction: 'sendrecv', held: false, holdStyle: 'none', zeroAddress: false });
    expect(isOnHold(withSession([], ['a=sendrecv']), 0)).toBe(false);
  });

  it.each([
    ['sendonly', 'sendonly'],
    ['recvonly', 'recvonly'],
    ['inactive', 'inactive'],
  ] as const)('reports a=%s as held', (attr, style) => {
    expect(holdState(withSession([], [`a=${attr}`]), 0)).toEqual({ direction: attr, held: true, holdStyle: style, zeroAddress: false });
  });

  it('falls back to the session-level direction, and media level wins', () => {
    const sdp = parse([...HEAD, 'a=sendonly', 'm=audio 1 RTP/AVP 0', 'm=audio 2 RTP/AVP 0', 'a=sendrecv']);
    expect(getDirection(sdp, 0)).toBe('sendonly');
    expect(getDirection(sdp, 1)).toBe('sendrecv');
    expect(getDirection(sdp, 'session')).toBe('sendonly');
    expect(isOnHold(sdp, 0)).toBe(true);
    expect(isOnHold(sdp, 1)).toBe(false);
  });

  it('reports c=IN IP4 0.0.0.0 as the RFC 2543 hold', () => {
    const sdp = parse([...HEAD, 'm=audio 1 RTP/AVP 0', 'c=IN IP4 0.0.0.0']);
    expect(holdState(sdp, 0)).toEqual({ direction: 'sendrecv', held: true, holdStyle: 'zero-address', zeroAddress: true });
  });

  it('reports c=IN IP6 :: (and its long form) as hold, at session level too', () => {
    expect(holdState(parse([...HEAD, 'c=IN IP6 ::', 'm=audio 1 RTP/AVP 0']), 0).holdStyle).toBe('zero-address');
    expect(holdState(parse([...HEAD, 'm=audio 1 RTP/AVP 0', 'c=IN IP6 0:0:0:0:0:0:0:0']), 0).holdStyle).toBe('zero-address');
  });

  it('names the direction when a zero address comes with one', () => {
    const sdp = parse([...HEAD, 'm=audio 1 RTP/AVP 0', 'c=IN IP4 0.0.0.0', 'a=inactive']);
    expect(holdState(sdp, 0)).toEqual({ direction: 'inactive', held: true, holdStyle: 'inactive', zeroAddress: true });
  });

  it('does not take the trickle-ICE placeholder 0.0.0.0 for hold', () => {
    const media = parse([...HEAD, 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=ice-ufrag:ez5G']);
    expect(usesIce(media, 0)).toBe(true);
    expect(holdState(media, 0)).toEqual({ direction: 'sendrecv', held: false, holdStyle: 'none', zeroAddress: true });
    const session = parse([...HEAD, 'a=ice-ufrag:F7gI', 'm=audio 9 RTP/SAVPF 0', 'c=IN IP4 0.0.0.0']);
    expect(holdState(session, 0).held).toBe(false);
  });

  it('exposes port 0 as disabled', () => {
    const sdp = parse([...HEAD, 'm=audio 0 RTP/AVP 0', 'm=video 5000 RTP/AVP 96']);
    expect(isDisabled(sdp, 0)).toBe(true);
    expect(isDisabled(sdp, 1)).toBe(false);
  });
});

describe('stream attributes', () => {
  const sdp = parse([
    ...HEAD,
    'm=audio 49170 RTP/SAVP 111 0 101',
    'a=rtpmap:111 opus/48000/2',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:96 AppleLossless',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=fmtp:101 0-15',
    'a=ptime:20',
    'a=maxptime:60',
    'a=rtcp:53020 IN IP4 126.16.64.4',
    'a=rtcp-mux',
    'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32',
    'a=crypto:x broken',
    'a=candidate:1 1 UDP 2130706431 10.0.1.1  8998 typ host',
    'a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998',
    'm=video 0 RTP/AVP 96',
  ]);

  it('reads rtpmap and fmtp, skipping unreadable lines', () => {
    expect(getRtpmaps(sdp, 0)).toEqual([
      { pt: 111, encoding: 'opus', clockRate: 48000, channels: 2 },
      { pt: 0, encoding: 'PCMU', clockRate: 8000 },
      { pt: 101, encoding: 'telephone-event', clockRate: 8000 },
    ]);
    expect(getFmtps(sdp, 0)).toEqual([
      { pt: 111, params: 'minptime=10;useinbandfec=1' },
      { pt: 101, params: '0-15' },
    ]);
    expect(getRtpmaps(sdp, 1)).toEqual([]);
  });

  it('reads ptime, maxptime, rtcp and rtcp-mux', () => {
    expect(getPtime(sdp, 0)).toBe(20);
    expect(getMaxptime(sdp, 0)).toBe(60);
    expect(getPtime(sdp, 1)).toBeNull();
    expect(getRtcp(sdp, 0)).toEqual({ port: 53020, nettype: 'IN', addrtype: 'IP4', address: '126.16.64.4' });
    expect(getRtcp(sdp, 1)).toBeNull();
    expect(hasRtcpMux(sdp, 0)).toBe(true);
    expect(hasRtcpMux(sdp, 1)).toBe(false);
  });

  it('reads crypto and keeps candidates byte-exact', () => {
    expect(getCryptos(sdp, 0)).toEqual([
      { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: 'inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32' },
    ]);
    expect(getCandidates(sdp, 0)).toEqual([
      '1 1 UDP 2130706431 10.0.1.1  8998 typ host',
      '2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998',
    ]);
    expect(serializeSdp(sdp)).toContain('a=candidate:1 1 UDP 2130706431 10.0.1.1  8998 typ host\r\n');
  });
});
