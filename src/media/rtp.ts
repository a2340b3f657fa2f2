/**
 * The few header fields the relay reads, straight from the received Buffer (no copy, no view
 * object): version bits, the RFC 5761 demultiplexing byte, sequence number and SSRC.
 */

/** RTP fixed header length (RFC 3550 5.1). */
export const RTP_HEADER = 12;

/** True for a version-2 datagram: RTP or RTCP, as opposed to STUN, DTLS or ZRTP (RFC 7983). */
export function isVersion2(buf: Buffer): boolean {
  return buf.length >= 2 && (buf[0]! & 0xc0) === 0x80;
}

/** RFC 5761 4: a version-2 packet whose second byte is 192-223 is RTCP (RTP avoids PT 64-95). */
export function isMuxedRtcp(buf: Buffer): boolean {
  const pt = buf[1]!;
  return pt >= 192 && pt <= 223;
}

export function rtpSeq(buf: Buffer): number {
  return (buf[2]! << 8) | buf[3]!;
}

export function rtpSsrc(buf: Buffer): number {
  // >>> 0 keeps the SSRC unsigned so that it compares equal to what a peer put on the wire.
  return ((buf[8]! << 24) | (buf[9]! << 16) | (buf[10]! << 8) | buf[11]!) >>> 0;
}

// RFC 3550 A.1: a jump forward of less than MAX_DROPOUT is loss; a packet at most MAX_MISORDER
// behind the highest is late; anything else is a restarted sequence.
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const SEQ_MOD = 0x10000;

// SeqTracker state, as Float64 values from an offset: in a stream's shared slot (slots.ts), so
// the main thread can compute loss from what a worker thread tracks.
const SSRC = 0;
const BASE = 1;
const MAX = 2;
const CYCLES = 3;
const RECEIVED = 4;
const LOST_BEFORE = 5;
export const SEQ_FIELDS = 6;

/** Puts a tracker's state at `o` in `s` to "nothing seen". */
export function seqReset(s: Float64Array, o: number): void {
  s.fill(0, o, o + SEQ_FIELDS);
  s[o + SSRC] = -1;
}

/** The loss the tracker whose state is at `o` in `s` has counted (see SeqTracker). */
export function seqLost(s: Float64Array, o: number): number {
  return s[o + LOST_BEFORE]! + currentLost(s, o);
}

function currentLost(s: Float64Array, o: number): number {
  const received = s[o + RECEIVED]!;
  if (received === 0) return 0;
  const expected = s[o + CYCLES]! + s[o + MAX]! - s[o + BASE]! + 1;
  // Duplicates and packets from before the first one can push received above expected.
  return Math.max(0, expected - received);
}

/**
 * Loss estimate for one direction: RFC 3550 A.3 "expected - received" for the current SSRC, plus
 * what earlier SSRCs (or restarted sequences) had lost. Only the current SSRC is tracked, so
 * interleaved SSRCs restart counting each time and never show false loss. The state lives in a
 * Float64Array (its own, or a stream slot's).
 */
export class SeqTracker {
  constructor(
    private readonly s: Float64Array = new Float64Array(SEQ_FIELDS).fill(-1, SSRC, SSRC + 1),
    private readonly o = 0,
  ) {}

  /** Records one RTP packet. Runs per packet: arithmetic on the state in place, no allocation. */
  add(seq: number, ssrc: number): void {
    const s = this.s;
    const o = this.o;
    if (ssrc !== s[o + SSRC]) {
      this.restart(seq);
      s[o + SSRC] = ssrc;
      return;
    }
    const max = s[o + MAX]!;
    const delta = (seq - max) & 0xffff;
    if (delta < MAX_DROPOUT) {
      // Forward (or a duplicate of the highest); a smaller number means the 16 bits wrapped.
      if (seq < max) s[o + CYCLES]! += SEQ_MOD;
      s[o + MAX] = seq;
      s[o + RECEIVED]!++;
    } else if (delta > SEQ_MOD - MAX_MISORDER) {
      s[o + RECEIVED]!++;
    } else {
      this.restart(seq);
    }
  }

  get lost(): number {
    return seqLost(this.s, this.o);
  }

  private restart(seq: number): void {
    const s = this.s;
    const o = this.o;
    s[o + LOST_BEFORE]! += currentLost(s, o);
    s[o + BASE] = seq;
    s[o + MAX] = seq;
    s[o + CYCLES] = 0;
    s[o + RECEIVED] = 1;
  }
}
