import { describe, expect, it } from 'vitest';
import { heapAfterGc } from '../../bench/lib/heap.js';
import { deepFreeze, ownCopy, ownString, ownUtf8 } from '../../src/sip/index.js';

/** Heap in use after a full collection, in MB. */
const heapMbAfterGc = (): number => heapAfterGc() / 1e6;

/** `n` values of 40 characters, each cut from a parent text of its own of 100 KB. */
function slicesOfBigTexts(n: number, own: (s: string) => string): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const b = Buffer.alloc(100_040, 0x79);
    b.write(`SIP/2.0/UDP 10.0.0.1:5060;branch=${String(i).padStart(6, '0')}`, 100_000, 'latin1');
    const text = b.toString('latin1');
    out.push(own(text.slice(100_000)));
  }
  return out;
}

describe('ownUtf8', () => {
  it('encodes UTF-8 into memory of its own, never a slice of the shared pool', () => {
    const text = 'v=0\r\ns=Café ☎\r\n';
    const body = ownUtf8(text);
    expect(body.equals(Buffer.from(text, 'utf8'))).toBe(true);
    // A pooled Buffer.from() shares an 8 KB ArrayBuffer; this one is exactly its bytes.
    expect(body.byteOffset).toBe(0);
    expect(body.buffer.byteLength).toBe(body.length);
    expect(ownUtf8('').length).toBe(0);
  });
});

describe('ownCopy', () => {
  it('copies plain data deeply, equal in value and sharing nothing', () => {
    const record = { dialog: { callId: 'a@b', routeSet: ['<sip:p1;lr>'] }, sdp: null, n: 3 };
    const copy = ownCopy(record);
    expect(copy).toEqual(record);
    expect(copy.dialog).not.toBe(record.dialog);
    expect(copy.dialog.routeSet).not.toBe(record.dialog.routeSet);
    expect(ownCopy('key')).toBe('key');
  });

  it('follows JSON: undefined properties left out, undefined elements null', () => {
    const copy = ownCopy({ a: undefined, b: [undefined, 1, 'x'], c: { d: true, e: null } });
    expect(copy).toEqual(JSON.parse(JSON.stringify({ a: undefined, b: [undefined, 1, 'x'], c: { d: true, e: null } })));
    expect(Object.keys(copy)).toEqual(['b', 'c']);
  });

  it('keeps a key named __proto__ as a property, as JSON.parse makes it', () => {
    const v = JSON.parse('{"p":{"__proto__":{"x":1}}}') as { p: object };
    const copy = ownCopy(v);
    expect(Object.getPrototypeOf(copy.p)).toBe(Object.prototype);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(v));
  });
});

describe('ownCopy and frozen values', () => {
  it('copies a frozen object or array frozen, and a mutable one mutable', () => {
    const value = { open: { n: 1 }, shut: Object.freeze({ list: Object.freeze(['x']) }) };
    const copy = ownCopy(value);
    expect(copy).toEqual(value);
    expect(Object.isFrozen(copy)).toBe(false);
    expect(Object.isFrozen(copy.open)).toBe(false);
    expect(copy.shut).not.toBe(value.shut);
    expect(Object.isFrozen(copy.shut)).toBe(true);
    expect(Object.isFrozen(copy.shut.list)).toBe(true);
  });

  it('deepFreeze freezes every object and array inside, even under one already frozen', () => {
    const inner = { n: 1 };
    const value = deepFreeze({ a: [inner, { b: 'x' }], c: Object.freeze({ inner }), s: 'str', z: null });
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a[1])).toBe(true);
    expect(Object.isFrozen(inner)).toBe(true);
    expect(deepFreeze('text')).toBe('text');
  });
});

describe('ownString', () => {
  it('keeps the characters and lets the text they were cut from go', () => {
    const before = heapMbAfterGc();
    // The same count of slices kept as they are: each holds its whole 100 KB parent alive.
    const slices = slicesOfBigTexts(300, (s) => s);
    const withParents = heapMbAfterGc() - before;
    const owned = slicesOfBigTexts(300, ownString);
    const withoutParents = heapMbAfterGc() - before - withParents;
    expect(withParents).toBeGreaterThan(25);
    expect(withoutParents).toBeLessThan(2);
    expect(owned).toEqual(slices);
    expect(owned[7]).toBe('SIP/2.0/UDP 10.0.0.1:5060;branch=000007y');
  });

  it('returns short strings as they are (V8 copies those rather than slicing)', () => {
    expect(ownString('')).toBe('');
    expect(ownString('tag=abc')).toBe('tag=abc');
  });
});
