/**
 * The single-pass scanners against the plain readings they stand for: scanParams against its
 * former reading, scanParamList and scanParamsFor against scanParams (same parameters, same end,
 * same errors), scanHost's dotted quad against ipv4Value, methodAt against a substring.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHAR, DIGIT, DOMAIN, TOKEN, URI, scanToken, skipWs } from '../../src/sip/chars.js';
import { fail } from '../../src/sip/fail.js';
import { hostEnd, ipv4Value, parseIPv6, scanHost } from '../../src/sip/host.js';
import { methodAt } from '../../src/sip/methods.js';
import { foundParam, getParam, paramsEnd, scanParamList, scanParams, scanParamsFor, scanQuoted } from '../../src/sip/params.js';
import type { HostKind, Param } from '../../src/sip/types.js';

const charOf = (alphabet: string): fc.Arbitrary<string> => fc.constantFrom(...alphabet.split(''));
const text = (alphabet: string, max: number): fc.Arbitrary<string> =>
  fc.array(charOf(alphabet), { maxLength: max }).map((a) => a.join(''));

/** Parameter-ish text: mostly well formed pieces, with the chars that break them. */
const piece = fc.oneof(
  fc.constantFrom(';tag=1', ';lr', ';Tag=x', ';TAG', ';branch=z9hG4bK1', ';rport', ';received=[2001:db8::1]', ';q=0.5', ';expires=60'),
  fc.constantFrom(' ; ', ';', '=', ' = ', '"a;b"', '"', '[::1]', '[', ':', ',', ' ', '\t', '\\'),
  text('abtgTG=;:"[] ,.0129-', 6),
);
const params = fc.array(piece, { maxLength: 8 }).map((a) => a.join(''));

type Outcome = { ok: true; value: unknown; end: number } | { ok: false; reason: string };

function outcome(f: () => { value: unknown; end: number }): Outcome {
  try {
    return { ok: true, ...f() };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/** scanParams as it read before scanParam was drawn out of it: the reference the scanners are held to. */
function scanParamsReference(s: string, i: number, end: number, out: Param[], header: string | undefined, colonValues: boolean): number {
  for (;;) {
    let j = skipWs(s, i, end);
    if (j >= end || s.charCodeAt(j) !== 0x3b) return i;
    j = skipWs(s, j + 1, end);
    const nameEnd = scanToken(s, j, end);
    if (nameEnd === j) fail('Empty or invalid parameter', header);
    const name = s.substring(j, nameEnd);
    let k = skipWs(s, nameEnd, end);
    if (k >= end || s.charCodeAt(k) !== 0x3d) {
      out.push({ name, value: null });
      i = nameEnd;
      continue;
    }
    k = skipWs(s, k + 1, end);
    let v = k;
    const c = k < end ? s.charCodeAt(k) : -1;
    if (c === 0x22) v = scanQuoted(s, k, end, header);
    else if (c === 0x5b) {
      v = k + 1;
      while (v < end && s.charCodeAt(v) !== 0x5d) v++;
      if (v >= end || !parseIPv6(s, k + 1, v)) fail('Invalid IPv6 reference in parameter', header);
      v++;
    } else if (colonValues) {
      while (v < end && ((CHAR[s.charCodeAt(v)]! & TOKEN) !== 0 || s.charCodeAt(v) === 0x3a)) v++;
    } else v = scanToken(s, k, end);
    if (v === k) fail('Empty or invalid parameter value', header);
    out.push({ name, value: s.substring(k, v) });
    i = v;
  }
}

describe('parameter scanners', () => {
  it('scanParams reads as it read before (values, end, errors)', () => {
    fc.assert(
      fc.property(params, fc.boolean(), fc.nat(3), (s, colon, from) => {
        const start = Math.min(from, s.length);
        const run = (scan: typeof scanParamsReference): Outcome =>
          outcome(() => {
            const out: Param[] = [];
            const end = scan(s, start, s.length, out, 'via', colon);
            return { value: out, end };
          });
        expect(run(scanParams)).toEqual(run(scanParamsReference));
      }),
      { numRuns: 5000 },
    );
  });

  it('scanParamList gives what scanParams pushes, ends where it ends, and fails as it fails', () => {
    fc.assert(
      fc.property(params, fc.boolean(), (s, colon) => {
        const plain = outcome(() => {
          const out: Param[] = [];
          const end = scanParams(s, 0, s.length, out, 'via', colon);
          return { value: out, end };
        });
        const list = outcome(() => {
          const value = scanParamList(s, 0, s.length, 'via', colon);
          return { value, end: paramsEnd };
        });
        expect(list).toEqual(plain);
      }),
      { numRuns: 3000 },
    );
  });

  it('scanParamsFor finds what getParam finds over scanParams, with the same end and errors', () => {
    fc.assert(
      fc.property(params, fc.constantFrom('tag', 'lr', 'q', 'x'), (s, name) => {
        const plain = outcome(() => {
          const out: Param[] = [];
          const end = scanParams(s, 0, s.length, out, 'to');
          return { value: getParam(out, name), end };
        });
        const one = outcome(() => {
          const end = scanParamsFor(s, 0, s.length, name, 'to');
          return { value: foundParam, end };
        });
        expect(one).toEqual(plain);
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps names as written, shared string or not', () => {
    expect(scanParamList(';Tag=1;tag=2;TAG;branch=b;Branch=c;x-y=3;q;Q', 0, 44, undefined)).toEqual([
      { name: 'Tag', value: '1' },
      { name: 'tag', value: '2' },
      { name: 'TAG', value: null },
      { name: 'branch', value: 'b' },
      { name: 'Branch', value: 'c' },
      { name: 'x-y', value: '3' },
      { name: 'q', value: null },
      { name: 'Q', value: null },
    ]);
    // Each list is its own array, exactly as long as what it holds.
    const a = scanParamList(';a;b', 0, 4, undefined);
    const b = scanParamList(';a;b', 0, 4, undefined);
    expect(a).not.toBe(b);
    expect(scanParamList('', 0, 0, undefined)).not.toBe(scanParamList('', 0, 0, undefined));
  });
});

/** scanHost as it read before the dotted quad moved into its pass: ipv4Value over the digits and dots. */
function scanHostByIpv4Value(s: string): [HostKind | null, number] {
  let labelStart = 0;
  let onlyDigits = true;
  let bad = false;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((URI[c]! & DOMAIN) === 0) break;
    if (c === 0x2e) {
      if (i === labelStart || s.charCodeAt(i - 1) === 0x2d) bad = true;
      labelStart = i + 1;
    } else if ((CHAR[c]! & DIGIT) === 0) {
      onlyDigits = false;
      if (c === 0x2d && i === labelStart) bad = true;
    }
  }
  if (bad || i === 0) return [null, i];
  if (onlyDigits) return [ipv4Value(s, 0, i) >= 0 ? 'ipv4' : null, i];
  if (labelStart < i && s.charCodeAt(i - 1) === 0x2d) return [null, i];
  return ['domain', i];
}

describe('scanHost', () => {
  it('tells a dotted quad as ipv4Value does', () => {
    const quadish = fc.oneof(
      text('0123456789.', 20),
      fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(1000)).map((p) => p.join('.')),
      fc.tuple(fc.ipV4(), text('0.a-:;', 3)).map(([a, b]) => a + b),
      text('019.a-_:', 12),
    );
    fc.assert(
      fc.property(quadish, (s) => {
        const kind = scanHost(s, 0, s.length);
        expect([kind, hostEnd]).toEqual(scanHostByIpv4Value(s));
      }),
      { numRuns: 5000 },
    );
    for (const s of ['1.2.3.4', '255.255.255.255', '010.0.0.1', '256.1.1.1', '1.2.3', '1.2.3.4.', '1.2.3.4.5', '1..2.3', '.1.2.3', '1234.1.1.1']) {
      expect([scanHost(s, 0, s.length), hostEnd], s).toEqual(scanHostByIpv4Value(s));
    }
  });
});

describe('methodAt', () => {
  it('gives the text as written, the shared constant for a common method', () => {
    for (const m of ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'UPDATE', 'INFO', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH']) {
      const s = `1 ${m}`;
      expect(methodAt(s, 2, s.length)).toBe(m);
    }
    for (const m of ['invite', 'INVITF', 'IN', 'X', 'INVITES', 'NOTIFYX', 'A-VERY-LONG-EXTENSION-METHOD']) {
      expect(methodAt(`x${m}y`, 1, m.length + 1)).toBe(m);
    }
    fc.assert(
      fc.property(text('ABCEINOTVRYKS', 10), (m) => {
        expect(methodAt(`.${m}.`, 1, m.length + 1)).toBe(m);
      }),
    );
  });
});
