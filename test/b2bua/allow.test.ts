import { describe, expect, it } from 'vitest';
import { AllowList } from '../../src/b2bua/index.js';

describe('realm allow lists (CIDR)', () => {
  it('admits everyone when empty', () => {
    expect(new AllowList([]).admits('203.0.113.9')).toBe(true);
  });

  it('admits IPv4 and IPv6 sources inside the networks only', () => {
    const a = new AllowList(['192.0.2.0/24', '10.0.0.0/8', '2001:db8::/32', '198.51.100.7/32']);
    expect(a.admits('192.0.2.200')).toBe(true);
    expect(a.admits('10.255.1.1')).toBe(true);
    expect(a.admits('198.51.100.7')).toBe(true);
    expect(a.admits('198.51.100.8')).toBe(false);
    expect(a.admits('192.0.3.1')).toBe(false);
    expect(a.admits('2001:db8:1::5')).toBe(true);
    expect(a.admits('2001:db9::5')).toBe(false);
    expect(a.admits('not-an-ip')).toBe(false);
  });

  it('takes /0 as every address of the family', () => {
    const a = new AllowList(['0.0.0.0/0']);
    expect(a.admits('203.0.113.1')).toBe(true);
    expect(a.admits('::1')).toBe(false);
  });
});
