import { describe, expect, it } from 'vitest';
import { isMuxedRtcp, isVersion2, rtpSeq, rtpSsrc, SeqTracker } from '../../src/media/rtp.js';
import { rtcp, rtp } from './helpers.js';

const feed = (t: SeqTracker, seqs: number[], ssrc = 1): void => {
  for (const s of seqs) t.add(s, ssrc);
};

describe('RTP header, read in place', () => {
  it('reads version, sequence number and an unsigned SSRC', () => {
    const p = rtp(0xbeef, 0xfedcba98);
    expect(isVersion2(p)).toBe(true);
    expect(rtpSeq(p)).toBe(0xbeef);
    expect(rtpSsrc(p)).toBe(0xfedcba98);
    expect(isMuxedRtcp(p)).toBe(false);
  });

  it('tells RTCP from RTP by the second byte (RFC 5761 4) and rejects other versions', () => {
    expect(isMuxedRtcp(rtcp())).toBe(true);
    const marked = rtp(1);
    marked[1] = 0x80 | 0; // marker bit + PT 0 is 128: still RTP
    expect(isMuxedRtcp(marked)).toBe(false);
    expect(isVersion2(Buffer.from([0x00, 0x01, 0x00, 0x00]))).toBe(false); // STUN binding request
    expect(isVersion2(Buffer.from([0x16, 0xfe, 0xfd]))).toBe(false); // DTLS handshake
    expect(isVersion2(Buffer.from([0x80]))).toBe(false); // runt
  });
});

describe('loss estimate from sequence gaps', () => {
  it('counts nothing for an unbroken run', () => {
    const t = new SeqTracker();
    feed(t, [10, 11, 12, 13]);
    expect(t.lost).toBe(0);
  });

  it('counts a gap', () => {
    const t = new SeqTracker();
    feed(t, [10, 11, 14, 15]);
    expect(t.lost).toBe(2);
  });

  it('follows the 16-bit wrap 65535 → 0', () => {
    const t = new SeqTracker();
    feed(t, [65533, 65534, 65535, 0, 1]);
    expect(t.lost).toBe(0);
    feed(t, [3]);
    expect(t.lost).toBe(1);
  });

  it('counts a gap that spans the wrap', () => {
    const t = new SeqTracker();
    feed(t, [65534, 1]);
    expect(t.lost).toBe(2); // 65535 and 0
  });

  it('takes back a loss when the late packet arrives (reordering)', () => {
    const t = new SeqTracker();
    feed(t, [1, 2, 4]);
    expect(t.lost).toBe(1);
    feed(t, [3]);
    expect(t.lost).toBe(0);
  });

  it('restarts counting on a new SSRC and keeps what the old one lost', () => {
    const t = new SeqTracker();
    feed(t, [100, 101, 103], 1);
    expect(t.lost).toBe(1);
    feed(t, [5000, 5001], 2); // no gap computed across SSRCs
    expect(t.lost).toBe(1);
    feed(t, [5004], 2);
    expect(t.lost).toBe(3);
  });

  it('treats a huge jump as a restarted sequence, not as loss', () => {
    const t = new SeqTracker();
    feed(t, [1, 2, 30_000, 30_001]);
    expect(t.lost).toBe(0);
  });

  it('never goes negative on duplicates', () => {
    const t = new SeqTracker();
    feed(t, [7, 7, 7, 8, 8]);
    expect(t.lost).toBe(0);
  });
});
