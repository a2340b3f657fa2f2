import { describe, expect, it } from 'vitest';
import { randomIds } from '../../src/ua/ids.js';

describe('randomIds (tags, Call-IDs and branches)', () => {
  it('gives 64 random bits as 16 lower-case hex digits, unique, every digit in every place, across many batches', () => {
    const next = randomIds();
    const ids = Array.from({ length: 20_000 }, next);
    expect(ids.every((id) => /^[0-9a-f]{16}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // Each place takes all 16 digits: no nibble is dropped, doubled or out of the table.
    for (let place = 0; place < 16; place++) expect(new Set(ids.map((id) => id[place])).size).toBe(16);
    // Two generators draw their own bits.
    const other = randomIds();
    expect(ids).not.toContain(other());
  });
});
