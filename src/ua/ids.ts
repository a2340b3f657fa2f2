import { randomBytes } from 'node:crypto';

/** Unique tokens for tags, Call-IDs and branches: 64 random bits in hex, drawn in batches. */
export function randomIds(): () => string {
  let pool = Buffer.alloc(0);
  let at = 0;
  return () => {
    if (at + 8 > pool.length) {
      pool = randomBytes(8 * 256);
      at = 0;
    }
    const id = pool.toString('hex', at, at + 8);
    at += 8;
    return id;
  };
}

/** RFC 3261 14.1 glare retry: the Call-ID owner waits 2.1-4 s, the other side 0-2 s, in 10 ms steps. */
export function glareDelayMs(ownsCallId: boolean, random: () => number): number {
  return ownsCallId ? 2100 + Math.floor(random() * 191) * 10 : Math.floor(random() * 201) * 10;
}
