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

/**
 * Loss estimate for one direction: RFC 3550 A.3 "expected - received" for the current SSRC, plus
 * what earlier SSRCs (or restarted sequences) had lost. Only the current SSRC is tracked, so
 * interleaved SSRCs restart counting each time and never show false loss.
 */
export class SeqTracker {
  private ssrc = -1;
  private base = 0;
  private max = 0;
  private cycles = 0;
  private received = 0;
  private lostBefore = 0;

  /** Records one RTP packet. Runs per packet: integer arithmetic only. */
  add(seq: number, ssrc: number): void {
    if (ssrc !== this.ssrc) {
      this.restart(seq);
      this.ssrc = ssrc;
      return;
    }
    const delta = (seq - this.max) & 0xffff;
    if (delta < MAX_DROPOUT) {
      // Forward (or a duplicate of the highest); a smaller number means the 16 bits wrapped.
      if (seq < this.max) this.cycles += SEQ_MOD;
      this.max = seq;
      this.received++;
    } else if (delta > SEQ_MOD - MAX_MISORDER) {
      this.received++;
    } else {
      this.restart(seq);
    }
  }

  get lost(): number {
    return this.lostBefore + this.currentLost();
  }

  private currentLost(): number {
    if (this.received === 0) return 0;
    const expected = this.cycles + this.max - this.base + 1;
    // Duplicates and packets from before the first one can push received above expected.
    return Math.max(0, expected - this.received);
  }

  private restart(seq: number): void {
    this.lostBefore += this.currentLost();
    this.base = seq;
    this.max = seq;
    this.cycles = 0;
    this.received = 1;
  }
}
