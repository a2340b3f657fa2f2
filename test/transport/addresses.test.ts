import { describe, expect, it } from 'vitest';
import { AddressTable } from '../../src/transport/addresses.js';

describe('AddressTable', () => {
  it('gives back the address it was given, and keeps one entry per address', () => {
    const t = new AddressTable(8);
    const a = ['127.0.0.1', '::1', '192.0.2.7'].map((x) => t.of(x));
    expect(a).toEqual(['127.0.0.1', '::1', '192.0.2.7']);
    // A copy made at run time (as dgram makes one per datagram) finds the first.
    expect(t.of(['127', '0', '0', '1'].join('.'))).toBe('127.0.0.1');
    expect(t.size).toBe(3);
  });

  it('never holds more than its capacity: a flood of addresses starts it afresh', () => {
    const t = new AddressTable(100);
    for (let i = 0; i < 1_000; i++) {
      const address = `10.0.${i >> 8}.${i & 255}`;
      expect(t.of(address)).toBe(address);
      expect(t.size).toBeLessThanOrEqual(100);
    }
  });
});
