import { describe, expect, it } from 'vitest';
import { BoxedMap } from '../src/boxed-map.js';

describe('BoxedMap', () => {
  it('gets, sets, replaces and deletes like a Map', () => {
    const m = new BoxedMap<string, { n: number }>();
    const a = { n: 1 };
    const b = { n: 2 };
    expect(m.size).toBe(0);
    expect(m.get('x')).toBeUndefined();
    expect(m.has('x')).toBe(false);
    expect(m.set('x', a)).toBe(m);
    expect(m.get('x')).toBe(a);
    expect(m.has('x')).toBe(true);
    m.set('x', b);
    expect(m.get('x')).toBe(b);
    expect(m.size).toBe(1);
    expect(m.delete('x')).toBe(true);
    expect(m.delete('x')).toBe(false);
    expect(m.get('x')).toBeUndefined();
    expect(m.has('x')).toBe(false);
    expect(m.size).toBe(0);
  });

  it('lists values and entries in insertion order, live as a Map does: deleting while iterating is safe', () => {
    const m = new BoxedMap<number, string>();
    for (let i = 0; i < 5; i++) m.set(i, `v${i}`);
    m.delete(2);
    m.set(0, 'w0');
    expect([...m.values()]).toEqual(['w0', 'v1', 'v3', 'v4']);
    expect([...m.entries()]).toEqual([
      [0, 'w0'],
      [1, 'v1'],
      [3, 'v3'],
      [4, 'v4'],
    ]);
    for (const [k] of m.entries()) m.delete(k);
    expect(m.size).toBe(0);
    expect([...m.values()]).toEqual([]);
  });

  it('clears', () => {
    const m = new BoxedMap<string, number>();
    m.set('a', 1).set('b', 2);
    m.clear();
    expect(m.size).toBe(0);
    expect(m.get('a')).toBeUndefined();
    m.set('a', 3);
    expect(m.get('a')).toBe(3);
  });

  it('takes any key a Map takes, objects by identity', () => {
    const k1 = {};
    const k2 = {};
    const m = new BoxedMap<object, string>();
    m.set(k1, 'one').set(k2, 'two');
    expect(m.get(k1)).toBe('one');
    expect(m.get({})).toBeUndefined();
    expect(m.delete(k2)).toBe(true);
    expect([...m.values()]).toEqual(['one']);
  });
});
