import { describe, expect, it } from 'vitest';
import { copyPlainData, StoreError } from '../../src/state/index.js';

describe('copyPlainData', () => {
  it('copies every object and array, leaves undefined properties out and keeps a __proto__ key as a property', () => {
    const value = JSON.parse('{"a":{"b":[1,{"c":"x"}]},"__proto__":{"p":1}}') as Record<string, unknown>;
    (value as { u?: undefined }).u = undefined;
    const copy = copyPlainData(value);
    expect(copy).toEqual(JSON.parse('{"a":{"b":[1,{"c":"x"}]},"__proto__":{"p":1}}'));
    expect(Object.keys(copy)).toEqual(['a', '__proto__']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    const a = value.a as { b: [number, { c: string }] };
    const b = copy.a as { b: [number, { c: string }] };
    expect(b).not.toBe(a);
    expect(b.b).not.toBe(a.b);
    expect(b.b[1]).not.toBe(a.b[1]);
  });

  it('refuses what JSON would not carry, naming the record and where', () => {
    const bad = { dialog: { routeSet: ['a', 'b', new Date(0)] } };
    expect(() => copyPlainData(bad, () => 'leg "x"')).toThrow(StoreError);
    expect(() => copyPlainData(bad, () => 'leg "x"')).toThrow(/Record leg "x"\.dialog\.routeSet\[2\] is a Date/);
    expect(() => copyPlainData({ n: Number.NaN })).toThrow(/\.n is NaN/);
    expect(() => copyPlainData([1, undefined])).toThrow(/\[1\] is undefined/);
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 70; i++) at = (at.next = {}) as Record<string, unknown>;
    expect(() => copyPlainData(deep)).toThrow(/deeper than 64/);
  });

  it('shares a frozen value whole, and copies around a part that could still change', () => {
    const dialog = Object.freeze({ callId: 'c', routeSet: Object.freeze(['<sip:p;lr>']), remoteSeq: null, gone: undefined });
    const leg = { side: 'a', session: { dialog, localSdp: 'v=0' } };
    const copy = copyPlainData(leg);
    expect(copy).not.toBe(leg);
    expect(copy.session).not.toBe(leg.session);
    expect(copy.session.dialog).toBe(dialog);
    // Frozen outside, mutable inside: nothing of it is shared but the frozen array.
    const inner = { n: 1 };
    const half = Object.freeze({ inner, list: Object.freeze([1, 2]) });
    const c2 = copyPlainData({ half });
    expect(c2.half).not.toBe(half);
    expect(c2.half.inner).not.toBe(inner);
    expect(c2.half.inner).toEqual({ n: 1 });
    expect(c2.half.list).toBe(half.list);
    inner.n = 2;
    expect(c2.half.inner.n).toBe(1);
  });

  it('checks a frozen value as it would a copy, naming where', () => {
    const bad = Object.freeze({ dialog: Object.freeze({ routeSet: Object.freeze(['a', new Date(0)]) }) });
    expect(() => copyPlainData(bad, () => 'leg "x"')).toThrow(/Record leg "x"\.dialog\.routeSet\[1\] is a Date/);
    expect(() => copyPlainData(Object.freeze({ n: Number.POSITIVE_INFINITY }))).toThrow(/\.n is Infinity/);
    expect(() => copyPlainData(Object.freeze([1, undefined]))).toThrow(/\[1\] is undefined/);
    expect(() => copyPlainData(Object.freeze({ f: Object.freeze(() => 1) }))).toThrow(/\.f is a function/);
  });

  it('names the record only when the value fails', () => {
    let asked = 0;
    copyPlainData({ ok: true }, () => `call ${++asked}`);
    expect(asked).toBe(0);
  });
});
