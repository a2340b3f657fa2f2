import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldBounds, fieldTexts, isDigitRange, restAfter, tokenEnd, tokenize, tokenStart } from '../../src/sdp/tokens.js';

// Values made of fields and runs of spaces and tabs, as devices write them.
const value = fc.array(fc.constantFrom('a', 'IN', '1', ' ', '\t', '  ', 'x/2'), { maxLength: 12 }).map((parts) => parts.join(''));

describe('SDP field tokens', () => {
  it('fieldTexts gives the texts tokenize gives, with no position objects', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(fieldTexts(v)).toEqual(tokenize(v).map((t) => t.text));
      }),
    );
    expect(fieldTexts(' IN\tIP4  127.0.0.1 ')).toEqual(['IN', 'IP4', '127.0.0.1']);
  });

  it('tokenStart, tokenEnd and restAfter find the field by scanning, keeping the spacing around it', () => {
    fc.assert(
      fc.property(value, fc.nat(6), (v, i) => {
        const t = tokenize(v)[i];
        const start = tokenStart(v, i);
        if (t === undefined) {
          expect(start).toBe(-1);
          expect(restAfter(v, i)).toBe('');
        } else {
          expect([start, tokenEnd(v, start)]).toEqual([t.start, t.end]);
          expect(restAfter(v, i)).toBe(v.slice(t.start));
        }
      }),
    );
    const m = 'audio  49170\tRTP/AVP 0';
    expect(m.slice(tokenStart(m, 1), tokenEnd(m, tokenStart(m, 1)))).toBe('49170');
  });

  it('fieldBounds gives the bounds tokenize gives, flat and without texts', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(fieldBounds(v)).toEqual(tokenize(v).flatMap((t) => [t.start, t.end]));
      }),
    );
  });

  it('isDigitRange: one or more ASCII digits in the range, nothing else', () => {
    expect(isDigitRange('o=x 123 y', 4, 7)).toBe(true);
    expect(isDigitRange('o=x 123 y', 3, 7)).toBe(false);
    expect(isDigitRange('123', 1, 1)).toBe(false);
    expect(isDigitRange('1a3', 0, 3)).toBe(false);
  });
});
