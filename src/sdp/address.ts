/**
 * Address literal checks, written by hand (no backtracking regexes on peer text, and no
 * node:net in a pure layer).
 */

/** Dotted-quad IPv4 without leading zeros (which some stacks read as octal). One scan, no split. */
export function isIpv4Literal(s: string): boolean {
  let parts = 0;
  let i = 0;
  const n = s.length;
  for (;;) {
    const start = i;
    let value = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || value > 255) return false;
    if (digits > 1 && s.charCodeAt(start) === 0x30) return false;
    parts++;
    if (i === n) return parts === 4;
    if (parts === 4 || s.charCodeAt(i) !== 0x2e) return false;
    i++;
  }
}

function isHexGroup(g: string): boolean {
  if (g.length === 0 || g.length > 4) return false;
  for (let i = 0; i < g.length; i++) {
    const c = g.charCodeAt(i);
    const hex = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
    if (!hex) return false;
  }
  return true;
}

/** Counts the groups of one side of '::' (an embedded IPv4 counts as two), or -1 if malformed. */
function countGroups(side: string, mayEndWithIpv4: boolean): number {
  if (side === '') return 0;
  const groups = side.split(':');
  let count = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as string;
    if (i === groups.length - 1 && mayEndWithIpv4 && g.includes('.')) {
      if (!isIpv4Literal(g)) return -1;
      count += 2;
    } else if (isHexGroup(g)) {
      count += 1;
    } else {
      return -1;
    }
  }
  return count;
}

/** RFC 4291 text form (with '::' compression and an embedded IPv4 tail); no zone id. */
export function isIpv6Literal(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  const halves = s.split('::');
  if (halves.length > 2) return false;
  if (halves.length === 1) return countGroups(s, true) === 8;
  const left = countGroups(halves[0] as string, false);
  const right = countGroups(halves[1] as string, true);
  return left >= 0 && right >= 0 && left + right <= 7;
}

/** 0.0.0.0 (in any literal spelling of zeros) for IP4, the unspecified address :: for IP6. */
export function isZeroAddress(addrtype: 'IP4' | 'IP6', address: string): boolean {
  if (addrtype === 'IP4') return isIpv4Literal(address) && address === '0.0.0.0';
  if (!isIpv6Literal(address)) return false;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c !== 0x30 && c !== 0x3a && c !== 0x2e) return false;
  }
  return true;
}

/**
 * A domain name as RFC 8866 9 writes one (FQDN = 4*(alpha-numeric / "-" / ".")), which a c= may
 * carry instead of a literal; with at least one letter, as a name's top label has, so that a
 * malformed address of dotted digits (1.2.3, 010.0.0.1) is not taken for one.
 */
export function isDomainName(s: string): boolean {
  if (s.length < 4 || s.length > 253) return false;
  let letters = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) letters++;
    else if (!((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e)) return false;
  }
  return letters > 0;
}
