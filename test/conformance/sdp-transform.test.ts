import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  attributeValues,
  effectiveConnection,
  getCandidates,
  getCryptos,
  getDirection,
  getFmtps,
  getMaxptime,
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
  parseSdp,
  serializeSdp,
  serializeSdpBuffer,
  type LineEnding,
  type Sdp,
} from '../../src/sdp/index.js';
import { corpusPath, corpusPresent, corpusRequired } from './corpus.js';

/**
 * sdp-transform's test SDP bodies (other/sdp-transform, see its SOURCE.md): every file parses
 * and serializes back byte for byte, and the fields below were checked by reading each file.
 */

interface Expectation {
  eol: LineEnding;
  /** false where the file's last line has no line ending. */
  finalEol: boolean;
  media: number;
  first: { media: string; port: number; proto: string; formats: string[] };
  /** Effective connection address of the first stream (null: no c= anywhere). */
  address: string | null;
  more?: (sdp: Sdp) => void;
}

const mediaclk = (rtpmap: string): Expectation => ({
  eol: '\n',
  finalEol: false,
  media: 1,
  first: { media: 'audio', port: 5004, proto: 'RTP/AVP', formats: ['96'] },
  address: '233.252.0.1',
  more: (sdp) => {
    // c= comes before s= in these files: tolerated, and still the session connection.
    expect(sdp.session.map((l) => l.type).join('')).toBe('vocst');
    expect(getSessionConnection(sdp)?.ttl).toBe(64);
    expect(holdState(sdp, 0)).toMatchObject({ held: true, holdStyle: 'sendonly' });
    expect(attributeValues(sdp.media[0]?.lines ?? [], 'rtpmap')).toEqual([rtpmap]);
  },
});

const EXPECTED: Record<string, Expectation> = {
  'alac.sdp': {
    eol: '\n',
    finalEol: true,
    media: 1,
    first: { media: 'audio', port: 0, proto: 'RTP/AVP', formats: ['96'] },
    address: 'fe80::5a55:caff:fe1a:e187',
    more: (sdp) => {
      // An IPv6 address under IP4, in o= and c=: accepted, flagged as not a literal of its type.
      expect(effectiveConnection(sdp, 0)).toMatchObject({ addrtype: 'IP4', literal: false });
      expect(getOrigin(sdp)).toMatchObject({ username: 'iTunes', sessId: '3413821438', sessVersion: '0', address: 'fe80::217:f2ff:fe0f:e0f6' });
      expect(isDisabled(sdp, 0)).toBe(true);
      // `a=rtpmap:96 AppleLossless` has no clock rate (RFC 8866 6.6): unreadable, kept verbatim.
      expect(getRtpmaps(sdp, 0)).toEqual([]);
      expect(attributeValues(sdp.media[0]?.lines ?? [], 'rtpmap')).toEqual(['96 AppleLossless']);
      expect(getFmtps(sdp, 0)).toEqual([{ pt: 96, params: '352 0 16 40 10 14 2 255 0 0 44100' }]);
    },
  },
  'bfcp.sdp': {
    eol: '\n',
    finalEol: true,
    media: 4,
    first: { media: 'audio', port: 3230, proto: 'RTP/AVP', formats: ['9'] },
    address: '192.0.0.0',
    more: (sdp) => {
      expect(getSessionName(sdp)).toBe('');
      expect(getMediaLine(sdp, 2)).toEqual({ media: 'application', port: 3238, portCount: 1, proto: 'UDP/BFCP', formats: ['*'] });
      expect(getMediaLine(sdp, 3).port).toBe(3234);
      expect(getDirection(sdp, 'session')).toBe('sendrecv');
      expect(getFmtps(sdp, 1)).toEqual([{ pt: 111, params: 'profile-level-id=64001f; packetization-mode=1; max-br=20010; sar=13' }]);
    },
  },
  'dante-aes67.sdp': {
    eol: '\r\n',
    finalEol: true,
    media: 1,
    first: { media: 'audio', port: 5004, proto: 'RTP/AVP', formats: ['97'] },
    address: '239.65.125.63',
    more: (sdp) => {
      expect(getSessionConnection(sdp)?.ttl).toBe(32);
      expect(getSessionName(sdp)).toBe('AOIP44-serial-1614 : 2');
      expect(sdp.media[0]?.lines[1]).toEqual({ type: 'i', value: '2 channels: TxChan 0, TxChan 1' });
      expect(holdState(sdp, 0)).toMatchObject({ direction: 'recvonly', holdStyle: 'recvonly' });
      expect(getRtpmaps(sdp, 0)).toEqual([{ pt: 97, encoding: 'L24', clockRate: 48000, channels: 2 }]);
      expect(getPtime(sdp, 0)).toBe(1);
    },
  },
  'extmap-encrypt.sdp': {
    eol: '\r\n',
    finalEol: true,
    media: 1,
    first: { media: 'audio', port: 54400, proto: 'RTP/SAVPF', formats: ['96'] },
    address: '203.0.113.1',
    more: (sdp) => {
      expect(attributeValues(sdp.media[0]?.lines ?? [], 'extmap')).toEqual([
        '1/sendonly URI-toffset',
        '2 urn:ietf:params:rtp-hdrext:toffset',
        '3 urn:ietf:params:rtp-hdrext:encrypt urn:ietf:params:rtp-hdrext:smpte-tc 25@600/24',
        '4/recvonly urn:ietf:params:rtp-hdrext:encrypt URI-gps-string',
      ]);
      // `extmap:1/sendonly` is not a direction attribute.
      expect(getDirection(sdp, 0)).toBe('sendrecv');
    },
  },
  'hacky.sdp': {
    eol: '\r\n',
    finalEol: true,
    media: 3,
    first: { media: 'audio', port: 1, proto: 'RTP/SAVPF', formats: ['111', '103', '104', '0', '8', '107', '106', '105', '13', '126'] },
    address: '0.0.0.0',
    more: (sdp) => {
      expect(getOrigin(sdp).sessId).toBe('3710604898417546434');
      // 0.0.0.0 with ICE credentials is the ICE placeholder, not hold.
      expect(holdState(sdp, 0)).toEqual({ direction: 'sendrecv', held: false, holdStyle: 'none', zeroAddress: true });
      expect(getRtcp(sdp, 0)).toEqual({ port: 1, nettype: 'IN', addrtype: 'IP4', address: '0.0.0.0' });
      expect(getRtcp(sdp, 1)).toEqual({ port: 12312 });
      expect(getPtime(sdp, 0)).toBe(0.125);
      expect(getMaxptime(sdp, 0)).toBe(60);
      expect(hasRtcpMux(sdp, 0)).toBe(true);
      expect(hasRtcpMux(sdp, 2)).toBe(false);
      expect(getCryptos(sdp, 0)).toEqual([{ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: 'inline:8QVQSHJ2AM8gIumHpYRRdWHyZ5NkLhaTD1AENOWx' }]);
      expect(getCandidates(sdp, 0)).toHaveLength(8);
      expect(getCandidates(sdp, 0)[7]).toBe('6 1 TCP 1692401663 192.0.2.3 45687 typ srflx raddr 10.0.1.1 rport 8999 tcptype so');
      expect(getRtpmaps(sdp, 0).at(-1)).toEqual({ pt: 126, encoding: 'telephone-event', clockRate: 8000 });
      expect(getMediaLine(sdp, 2)).toMatchObject({ media: 'application', port: 9, proto: 'DTLS/SCTP', formats: ['5000'] });
    },
  },
  'icelite.sdp': {
    eol: '\n',
    finalEol: true,
    media: 1,
    first: { media: 'audio', port: 10018, proto: 'RTP/SAVPF', formats: ['8', '0', '101'] },
    address: '192.168.100.100',
    more: (sdp) => {
      expect(attributeValues(sdp.session, 'ice-lite')).toEqual(['']);
      expect(getCandidates(sdp, 0)).toEqual(['X 1 UDP 659136 192.168.100.100 10018 typ host', 'X 2 UDP 659134 192.168.100.100 10019 typ host']);
      expect(getFmtps(sdp, 0)).toEqual([{ pt: 101, params: '0-15' }]);
      expect(hasRtcpMux(sdp, 0)).toBe(true);
    },
  },
  // invalid.sdp parses under our rules: every line is <letter>=<value>, v= o= m= c= are well formed.
  // What is odd about it: `a=rtcp:1 IN IP7 X` names an address type that does not exist, so the
  // typed view ignores it (RTCP then defaults to RTP port + 1, RFC 3605) while the line is kept;
  // `f=invalid:yes` is an unknown line type (harmless, kept in place, as are unknown attributes);
  // and c=0.0.0.0 without ICE is an RFC 2543 hold.
  'invalid.sdp': {
    eol: '\r\n',
    finalEol: true,
    media: 1,
    first: { media: 'audio', port: 1, proto: 'RTP/AVP', formats: ['0'] },
    address: '0.0.0.0',
    more: (sdp) => {
      const lines = sdp.media[0]?.lines ?? [];
      expect(attributeValues(lines, 'rtcp')).toEqual(['1 IN IP7 X']);
      expect(getRtcp(sdp, 0)).toBeNull();
      expect(lines.at(-1)).toEqual({ type: 'f', value: 'invalid:yes' });
      expect(attributeValues(lines, 'goo')).toEqual(['hithere']);
      expect(holdState(sdp, 0)).toEqual({ direction: 'sendrecv', held: true, holdStyle: 'zero-address', zeroAddress: true });
    },
  },
  'jsep.sdp': {
    eol: '\n',
    finalEol: true,
    media: 2,
    first: { media: 'audio', port: 56500, proto: 'UDP/TLS/RTP/SAVPF', formats: ['96', '0', '8', '97', '98'] },
    address: '192.0.2.1',
    more: (sdp) => {
      expect(getOrigin(sdp)).toMatchObject({ sessId: '4962303333179871722', sessVersion: '1', address: '0.0.0.0' });
      expect(getRtcp(sdp, 0)).toEqual({ port: 56501, nettype: 'IN', addrtype: 'IP4', address: '192.0.2.1' });
      expect(getMaxptime(sdp, 0)).toBe(120);
      expect(getCandidates(sdp, 0)).toHaveLength(2);
      expect(isDisabled(sdp, 1)).toBe(true);
      expect(getFmtps(sdp, 1)).toEqual([{ pt: 101, params: 'apt=100' }]);
    },
  },
  'jssip.sdp': {
    eol: '\r\n',
    finalEol: true,
    media: 1,
    first: { media: 'audio', port: 60017, proto: 'RTP/SAVPF', formats: ['111', '103', '104', '0', '8', '106', '105', '13', '126'] },
    address: '193.84.77.194',
    more: (sdp) => {
      expect(getRtcp(sdp, 0)).toEqual({ port: 60017, nettype: 'IN', addrtype: 'IP4', address: '193.84.77.194' });
      expect(getCandidates(sdp, 0)).toHaveLength(6);
      expect(getCryptos(sdp, 0).map((c) => [c.tag, c.suite])).toEqual([
        [0, 'AES_CM_128_HMAC_SHA1_32'],
        [1, 'AES_CM_128_HMAC_SHA1_80'],
      ]);
      expect(getRtpmaps(sdp, 0)).toHaveLength(9);
    },
  },
  'mediaclk-avbtp.sdp': mediaclk('96 L24/48000/2'),
  'mediaclk-ptp-v2-w-rate.sdp': mediaclk('96 L24/44100/2'),
  'mediaclk-ptp-v2.sdp': mediaclk('96 L24/48000/8'),
  'mediaclk-rtp.sdp': mediaclk('96 L24/48000/2'),
  'normal.sdp': {
    eol: '\r\n',
    finalEol: true,
    media: 2,
    first: { media: 'audio', port: 54400, proto: 'RTP/SAVPF', formats: ['0', '96'] },
    address: '203.0.113.1',
    more: (sdp) => {
      expect(getOrigin(sdp)).toEqual({ username: '-', sessId: '20518', sessVersion: '0', nettype: 'IN', addrtype: 'IP4', address: '203.0.113.1' });
      expect(getPtime(sdp, 0)).toBe(20);
      expect(getMediaLine(sdp, 1)).toMatchObject({ media: 'video', port: 55400, formats: ['97', '98'] });
      expect(effectiveConnection(sdp, 1)?.address).toBe('203.0.113.1');
      expect(getCryptos(sdp, 1)[0]?.keyParams).toBe('inline:keNcG3HezSNID7LmfDa9J4lfdUL8W1F7TNJKcbuy|2^20|1:32');
      expect(getCandidates(sdp, 0)).toHaveLength(4);
      expect(getCandidates(sdp, 1)).toHaveLength(4);
    },
  },
  'onvif.sdp': {
    eol: '\n',
    finalEol: true,
    media: 3,
    first: { media: 'audio', port: 0, proto: 'RTP/AVP', formats: ['0'] },
    address: null,
    more: (sdp) => {
      // No c= and no t= anywhere: RTSP style, accepted; every stream has a null connection.
      expect(sdp.session.map((l) => l.type).join('')).toBe('vos');
      expect(getSessionName(sdp)).toBe('RTSP Session');
      expect([0, 1, 2].map((i) => effectiveConnection(sdp, i))).toEqual([null, null, null]);
      expect(getDirection(sdp, 2)).toBe('recvonly');
    },
  },
  'rtcp-fb.sdp': {
    eol: '\n',
    finalEol: true,
    media: 2,
    first: { media: 'audio', port: 7777, proto: 'RTP/AVP', formats: ['96', '101'] },
    address: '127.0.0.1',
    more: (sdp) => {
      expect(getOrigin(sdp).username).toBe('alice');
      expect(attributeValues(sdp.media[1]?.lines ?? [], 'rtcp-fb')).toHaveLength(6);
    },
  },
  'sctp-dtls-26.sdp': {
    eol: '\n',
    finalEol: false,
    media: 1,
    first: { media: 'application', port: 9, proto: 'UDP/DTLS/SCTP', formats: ['webrtc-datachannel'] },
    address: '0.0.0.0',
    more: (sdp) => {
      expect(holdState(sdp, 0).held).toBe(false);
      expect(attributeValues(sdp.session, 'msid-semantic')).toEqual([' WMS ']);
    },
  },
  'simulcast.sdp': {
    eol: '\n',
    finalEol: true,
    media: 2,
    first: { media: 'audio', port: 49200, proto: 'RTP/AVP', formats: ['0'] },
    address: '192.0.2.156',
    more: (sdp) => {
      expect(getRtpmaps(sdp, 1).map((r) => r.encoding)).toEqual(['H264', 'H264', 'H264', 'VP8']);
      expect(attributeValues(sdp.media[1]?.lines ?? [], 'simulcast')).toEqual(['send 1,~4;2;3 recv c', ' send rid=1,4;2;3 paused=4 recv rid=c']);
    },
  },
  'ssrc.sdp': {
    eol: '\n',
    finalEol: true,
    media: 2,
    first: {
      media: 'audio',
      port: 9,
      proto: 'UDP/TLS/RTP/SAVPF',
      formats: ['111', '103', '104', '9', '0', '8', '106', '105', '13', '110', '112', '113', '126'],
    },
    address: '0.0.0.0',
    more: (sdp) => {
      expect(getRtcp(sdp, 0)).toEqual({ port: 9, nettype: 'IN', addrtype: 'IP4', address: '0.0.0.0' });
      expect(holdState(sdp, 1).held).toBe(false);
      expect(getMediaLine(sdp, 1).formats).toHaveLength(10);
    },
  },
  'st2022-6.sdp': {
    eol: '\n',
    finalEol: true,
    media: 1,
    first: { media: 'video', port: 2004, proto: 'RTP/AVP', formats: ['98'] },
    address: '239.0.0.1',
    more: (sdp) => {
      expect(getSessionConnection(sdp)).toBeNull();
      expect(effectiveConnection(sdp, 0)?.ttl).toBe(32);
      expect(getRtpmaps(sdp, 0)).toEqual([{ pt: 98, encoding: 'SMPTE2022-6', clockRate: 27_000_000 }]);
    },
  },
  'st2110-20.sdp': {
    eol: '\n',
    finalEol: true,
    media: 2,
    first: { media: 'video', port: 50000, proto: 'RTP/AVP', formats: ['112'] },
    address: '239.100.9.10',
    more: (sdp) => {
      expect(effectiveConnection(sdp, 1)?.address).toBe('239.101.9.10');
      expect(getDirection(sdp, 1)).toBe('recvonly');
      expect(sdp.session.find((l) => l.type === 'i')?.value).toBe('this example is for 720p interlaced video');
      expect(getFmtps(sdp, 0)[0]?.params).toMatch(/^sampling=YCbCr-4:2:2; width=1280;.* SSN=ST2110-20:2017;$/);
    },
  },
  'tcp-active.sdp': {
    eol: '\n',
    finalEol: true,
    media: 1,
    first: { media: 'image', port: 9, proto: 'TCP', formats: ['t38'] },
    address: '192.0.2.3',
    more: (sdp) => {
      expect(sdp.session.some((l) => l.type === 't')).toBe(false);
      expect(attributeValues(sdp.media[0]?.lines ?? [], 'setup')).toEqual(['active']);
    },
  },
  'tcp-passive.sdp': {
    eol: '\n',
    finalEol: true,
    media: 1,
    first: { media: 'image', port: 54111, proto: 'TCP', formats: ['t38'] },
    address: '192.0.2.2',
    more: (sdp) => {
      expect(attributeValues(sdp.media[0]?.lines ?? [], 'connection')).toEqual(['existing']);
    },
  },
  'ts-refclk-media.sdp': {
    eol: '\n',
    finalEol: false,
    media: 2,
    first: { media: 'audio', port: 49170, proto: 'RTP/AVP', formats: ['0'] },
    address: '233.252.0.1',
    more: (sdp) => {
      expect(sdp.session.map((l) => l.type).join('')).toBe('vosiuectaa');
      expect(getDirection(sdp, 1)).toBe('recvonly');
      expect(attributeValues(sdp.media[0]?.lines ?? [], 'ts-refclk')).toEqual(['ntp=203.0.113.10', 'ntp=198.51.100.22']);
    },
  },
  'ts-refclk-sess.sdp': {
    eol: '\n',
    finalEol: false,
    media: 2,
    first: { media: 'audio', port: 49170, proto: 'RTP/AVP', formats: ['0'] },
    address: '233.252.0.1',
    more: (sdp) => {
      expect(sdp.media[0]?.lines).toHaveLength(1);
      expect(getRtpmaps(sdp, 1)).toEqual([{ pt: 99, encoding: 'h263-1998', clockRate: 90000 }]);
    },
  },
};

const dir = corpusPath('other', 'sdp-transform');
const files = corpusPresent ? readdirSync(dir).filter((f) => f.endsWith('.sdp')).sort() : [];

describe('conformance: sdp-transform corpus', () => {
  it.runIf(corpusRequired)('corpus is present', () => expect(corpusPresent).toBe(true));
});

describe.skipIf(!corpusPresent)('conformance: sdp-transform SDP bodies', () => {
  it('finds the 25 files SOURCE.md lists, each with expectations here', () => {
    expect(files).toHaveLength(25);
    expect(files.filter((f) => EXPECTED[f] === undefined)).toEqual([]);
  });

  describe.each(files)('%s', (file) => {
    const bytes = readFileSync(`${dir}/${file}`);

    it('parses and round-trips byte-exact (Buffer and string)', () => {
      const sdp = parseSdp(bytes);
      expect(serializeSdpBuffer(sdp).equals(bytes)).toBe(true);
      const text = bytes.toString('latin1');
      expect(serializeSdp(parseSdp(text))).toBe(text);
    });

    it('has the fields read from the file', () => {
      const want = EXPECTED[file];
      if (want === undefined) throw new Error(`no expectations written for ${file}`);
      const sdp = parseSdp(bytes);
      expect(sdp.eol).toBe(want.eol);
      expect(sdp.finalEol).toBe(want.finalEol);
      expect(sdp.media).toHaveLength(want.media);
      expect(getMediaLine(sdp, 0)).toEqual({ ...want.first, portCount: 1 });
      expect(effectiveConnection(sdp, 0)?.address ?? null).toBe(want.address);
      want.more?.(sdp);
    });
  });
});
