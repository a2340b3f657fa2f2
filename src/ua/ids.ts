import { randomBytes } from 'node:crypto';

/** The character codes of the hex digits, by value. */
const HEX = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);

/**
 * Unique tokens for tags, Call-IDs and branches: 64 random bits in hex, drawn in batches (one
 * crypto call per 256). Each is one flat string made by String.fromCharCode from the bytes: a call
 * takes half a dozen, and Buffer#toString('hex') per token was a call into C++ through the
 * encoding switch each time (about 1% of the CPU per call at 3,500 calls/s, `npm run bench:perf`).
 */
export function randomIds(): () => string {
  let pool = new Uint8Array(0);
  let at = 0;
  return () => {
    if (at + 8 > pool.length) {
      pool = randomBytes(8 * 256);
      at = 0;
    }
    const p = pool;
    const i = at;
    at += 8;
    const b0 = p[i]!, b1 = p[i + 1]!, b2 = p[i + 2]!, b3 = p[i + 3]!, b4 = p[i + 4]!, b5 = p[i + 5]!, b6 = p[i + 6]!, b7 = p[i + 7]!;
    return String.fromCharCode(
      HEX[b0 >> 4]!, HEX[b0 & 15]!, HEX[b1 >> 4]!, HEX[b1 & 15]!, HEX[b2 >> 4]!, HEX[b2 & 15]!, HEX[b3 >> 4]!, HEX[b3 & 15]!,
      HEX[b4 >> 4]!, HEX[b4 & 15]!, HEX[b5 >> 4]!, HEX[b5 & 15]!, HEX[b6 >> 4]!, HEX[b6 & 15]!, HEX[b7 >> 4]!, HEX[b7 & 15]!,
    );
  };
}

/** RFC 3261 14.1 glare retry: the Call-ID owner waits 2.1-4 s, the other side 0-2 s, in 10 ms steps. */
export function glareDelayMs(ownsCallId: boolean, random: () => number): number {
  return ownsCallId ? 2100 + Math.floor(random() * 191) * 10 : Math.floor(random() * 201) * 10;
}
