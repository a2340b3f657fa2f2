import { describe, expect, it } from 'vitest';
import {
  attributeName,
  attributeValues,
  hasAttribute,
  isAttribute,
  parseAttribute,
  parseCrypto,
  parseFmtp,
  parseMilliseconds,
  parseRtcp,
  parseRtpmap,
  parseSdp,
  sectionDirection,
} from '../../src/sdp/index.js';
import { sdpText } from './helpers.js';

describe('parseAttribute', () => {
  it('splits at the first colon and keeps the value verbatim', () => {
    expect(parseAttribute('rtpmap:0 PCMU/8000')).toEqual({ name: 'rtpmap', value: '0 PCMU/8000' });
    expect(parseAttribute('fingerprint:sha-256 AB:CD')).toEqual({ name: 'fingerprint', value: 'sha-256 AB:CD' });
    expect(parseAttribute('simulcast: send rid=1')).toEqual({ name: 'simulcast', value: ' send rid=1' });
    expect(parseAttribute('rtcp-mux')).toEqual({ name: 'rtcp-mux', value: null });
    expect(parseAttribute('empty:')).toEqual({ name: 'empty', value: '' });
    expect(parseAttribute(' sendrecv ')).toEqual({ name: 'sendrecv', value: null });
  });

  it('finds attributes of a section by exact name', () => {
    const sdp = parseSdp(sdpText(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 'm=audio 1 RTP/AVP 0', 'a=rtcp:5', 'a=rtcp-mux', 'a=rtcp-fb:* nack', 'a=rtcp:7']));
    const lines = sdp.media[0]?.lines ?? [];
    expect(attributeValues(lines, 'rtcp')).toEqual(['5', '7']);
    expect(attributeValues(lines, 'rtcp-mux')).toEqual(['']);
    expect(hasAttribute(lines, 'rtcp-mux')).toBe(true);
    expect(hasAttribute(lines, 'rtcp-rsize')).toBe(false);
  });

  it('isAttribute and attributeName read the name in place as parseAttribute does', () => {
    const values = ['rtcp:5', 'rtcp', ' rtcp :5', 'rtcp-mux', 'rtcpx:1', 'rtc', 'rtcp x:1', '\trtcp\t', ':rtcp', 'sendrecv ', 'fingerprint:sha-256 AB:CD', ''];
    for (const v of values) {
      expect(attributeName(v)).toBe(parseAttribute(v).name);
      for (const name of ['rtcp', 'rtcp-mux', 'sendrecv', 'fingerprint']) expect(isAttribute(v, name)).toBe(parseAttribute(v).name === name);
    }
  });
});

describe('direction attributes', () => {
  it('returns the first direction flag of a section', () => {
    const sdp = parseSdp(sdpText(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 'm=audio 1 RTP/AVP 0', 'a=sendonly:x', 'a=inactive', 'a=recvonly']));
    expect(sectionDirection(sdp.media[0]?.lines ?? [])).toBe('inactive');
    expect(sectionDirection(sdp.session)).toBeNull();
  });
});

describe('parseRtpmap', () => {
  it('reads payload type, encoding, clock rate and channels', () => {
    expect(parseRtpmap('0 PCMU/8000')).toEqual({ pt: 0, encoding: 'PCMU', clockRate: 8000 });
    expect(parseRtpmap('111 opus/48000/2')).toEqual({ pt: 111, encoding: 'opus', clockRate: 48000, channels: 2 });
    expect(parseRtpmap('98 SMPTE2022-6/27000000')).toMatchObject({ clockRate: 27_000_000 });
  });

  it('returns null for malformed values', () => {
    for (const v of ['96 AppleLossless', '128 x/8000', 'x PCMU/8000', '0 /8000', '0 PCMU/', '0 PCMU/8000/x', '0 PCMU/8000/2/1', '0', '0 PCMU/8000 extra', '']) {
      expect(parseRtpmap(v), v).toBeNull();
    }
  });
});

describe('parseFmtp', () => {
  it('reads the payload type and keeps the parameters verbatim', () => {
    expect(parseFmtp('101 0-16')).toEqual({ pt: 101, params: '0-16' });
    expect(parseFmtp('111 profile-level-id=64001f; packetization-mode=1 ')).toEqual({
      pt: 111,
      params: 'profile-level-id=64001f; packetization-mode=1 ',
    });
    expect(parseFmtp('96')).toEqual({ pt: 96, params: '' });
  });

  it('returns null without a payload type', () => {
    expect(parseFmtp('x a=b')).toBeNull();
    expect(parseFmtp(' 96 a=b')).toBeNull();
    expect(parseFmtp('')).toBeNull();
  });
});

describe('parseMilliseconds (ptime, maxptime)', () => {
  it('reads integers and fractions', () => {
    expect(parseMilliseconds('20')).toBe(20);
    expect(parseMilliseconds('0.125')).toBe(0.125);
    expect(parseMilliseconds('60 ')).toBe(60);
  });

  it('returns null for anything else', () => {
    for (const v of ['', 'x', '-20', '20ms', '1.', '.5', '1e3', '1.2.3']) expect(parseMilliseconds(v), v).toBeNull();
  });
});

describe('parseRtcp (RFC 3605)', () => {
  it('reads a port alone', () => {
    expect(parseRtcp('53020')).toEqual({ port: 53020 });
  });

  it('reads a port with an IP4 address', () => {
    expect(parseRtcp('53020 IN IP4 126.16.64.4')).toEqual({ port: 53020, nettype: 'IN', addrtype: 'IP4', address: '126.16.64.4' });
  });

  it('reads a port with an IP6 address', () => {
    expect(parseRtcp('53020 IN IP6 2001:2345:6789:ABCD:EF01:2345:6789:ABCD')).toEqual({
      port: 53020,
      nettype: 'IN',
      addrtype: 'IP6',
      address: '2001:2345:6789:ABCD:EF01:2345:6789:ABCD',
    });
  });

  it('returns null for what cannot be used', () => {
    for (const v of ['1 IN IP7 X', '70000', 'x', '1 IN IP4', '1 ATM NSAP x', '1 IN IP4 a b', '']) {
      expect(parseRtcp(v), v).toBeNull();
    }
  });
});

describe('parseCrypto (RFC 4568)', () => {
  it('reads tag, suite and key params as text', () => {
    expect(parseCrypto('1 AES_CM_128_HMAC_SHA1_80 inline:8QVQSHJ2AM8gIumHpYRRdWHyZ5NkLhaTD1AENOWx')).toEqual({
      tag: 1,
      suite: 'AES_CM_128_HMAC_SHA1_80',
      keyParams: 'inline:8QVQSHJ2AM8gIumHpYRRdWHyZ5NkLhaTD1AENOWx',
    });
    expect(parseCrypto('1 AES_CM_128_HMAC_SHA1_32 inline:keNcG3HezSNID7LmfDa9J4lfdUL8W1F7TNJKcbuy|2^20|1:32')?.keyParams).toBe(
      'inline:keNcG3HezSNID7LmfDa9J4lfdUL8W1F7TNJKcbuy|2^20|1:32',
    );
  });

  it('keeps session params verbatim', () => {
    expect(parseCrypto('2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 FEC_ORDER=FEC_SRTP  UNENCRYPTED_SRTCP')).toEqual({
      tag: 2,
      suite: 'F8_128_HMAC_SHA1_80',
      keyParams: 'inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4',
      sessionParams: 'FEC_ORDER=FEC_SRTP  UNENCRYPTED_SRTCP',
    });
  });

  it('returns null for malformed values', () => {
    expect(parseCrypto('x AES inline:k')).toBeNull();
    expect(parseCrypto('1 AES')).toBeNull();
  });
});
