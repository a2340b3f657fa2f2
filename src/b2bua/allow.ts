import { isIP } from 'node:net';
import { ipv4Value, parseIPv6 } from '../sip/host.js';

/**
 * Source admission by CIDR (a realm's `allow` list): parsed once, checked per message with
 * integer arithmetic. An empty list admits everyone.
 */
export class AllowList {
  private readonly v4: { net: number; mask: number }[] = [];
  private readonly v6: { net: bigint; mask: bigint }[] = [];

  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [addr = '', bits = '0'] = c.split('/');
      const n = Number(bits);
      if (isIP(addr) === 4) {
        const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
        this.v4.push({ net: (v4(addr) & mask) >>> 0, mask });
      } else {
        const mask = n === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - n)) - 1n);
        this.v6.push({ net: v6(addr) & mask, mask });
      }
    }
  }

  get open(): boolean {
    return this.v4.length === 0 && this.v6.length === 0;
  }

  admits(address: string): boolean {
    if (this.open) return true;
    const family = isIP(address);
    if (family === 4) {
      const a = v4(address);
      return this.v4.some((r) => ((a & r.mask) >>> 0) === r.net);
    }
    if (family === 6) {
      const a = v6(address);
      return this.v6.some((r) => (a & r.mask) === r.net);
    }
    return false;
  }
}

function v4(a: string): number {
  return ipv4Value(a, 0, a.length);
}

/** The 128-bit value of an IPv6 address, through the SIP layer's parser (IPv4 tails included). */
function v6(a: string): bigint {
  const groups: number[] = [];
  if (!parseIPv6(a, 0, a.length, groups)) return -1n;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}
