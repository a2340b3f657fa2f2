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

  it('names the record only when the value fails', () => {
    let asked = 0;
    copyPlainData({ ok: true }, () => `call ${++asked}`);
    expect(asked).toBe(0);
  });
});
