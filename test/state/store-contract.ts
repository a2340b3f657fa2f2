/**
 * The Store contract as a test suite, run against every implementation (memory now, Redis in
 * the cluster tier). Time is the fixture's: a fake clock for the memory store, real sleeps for
 * a store whose TTLs run on a server, so the TTLs below stay short (a few hundred ms).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError, StoreErrorCode, type Store } from '../../src/state/index.js';

export interface StoreFixture {
  store: Store;
  /** Lets `ms` of the store's time pass (advance a fake clock, or sleep). */
  advance(ms: number): Promise<void> | void;
  /** Extra teardown after close() (flush a Redis database, stop a server). */
  dispose?(): Promise<void> | void;
}

interface Sample {
  id: string;
  n: number;
  ok: boolean;
  none: null;
  tags: string[];
  nested: { deep: { list: { a: number }[] } };
}

const sample = (): Sample => ({ id: 'x', n: 1.5, ok: true, none: null, tags: ['a', 'b'], nested: { deep: { list: [{ a: 1 }, { a: 2 }] } } });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof StoreError ? e.code : `other: ${String(e)}`;
  }
  return 'none';
}

export function runStoreContract(name: string, makeStore: () => StoreFixture | Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    let f: StoreFixture;
    let s: Store;

    beforeEach(async () => {
      f = await makeStore();
      s = f.store;
    });

    afterEach(async () => {
      await s.close();
      await f.dispose?.();
    });

    it('returns null for an absent record', async () => {
      expect(await s.get('call', 'nope')).toBeNull();
    });

    it('round-trips nested plain data', async () => {
      await s.put('call', 'c1', sample());
      expect(await s.get<Sample>('call', 'c1')).toEqual(sample());
    });

    it('never aliases: changing what was put or what was got leaves the record as written', async () => {
      const v = sample();
      await s.put('leg', 'l1', v);
      v.tags.push('mutated');
      v.nested.deep.list[0]!.a = 99;
      const got = (await s.get<Sample>('leg', 'l1'))!;
      expect(got).toEqual(sample());
      got.tags.length = 0;
      expect(await s.get<Sample>('leg', 'l1')).toEqual(sample());
      const listed = await s.list<Sample>('leg');
      listed[0]!.value.n = 7;
      expect((await s.get<Sample>('leg', 'l1'))!.n).toBe(1.5);
    });

    it('overwrites, and keeps kinds apart', async () => {
      await s.put('call', 'k', { v: 1 });
      await s.put('call', 'k', { v: 2 });
      await s.put('media', 'k', { v: 3 });
      expect(await s.get('call', 'k')).toEqual({ v: 2 });
      expect(await s.get('media', 'k')).toEqual({ v: 3 });
      expect(await s.get('leg', 'k')).toBeNull();
    });

    it('stores scalars and arrays as values too', async () => {
      await s.put('cdr', 'str', 'text');
      await s.put('cdr', 'num', 0);
      await s.put('cdr', 'arr', [1, 'two', null]);
      await s.put('cdr', 'nul', null);
      expect(await s.get('cdr', 'str')).toBe('text');
      expect(await s.get('cdr', 'num')).toBe(0);
      expect(await s.get('cdr', 'arr')).toEqual([1, 'two', null]);
      // A stored null cannot be told from an absent record through get(), but list() shows it.
      expect((await s.list('cdr', 'nul')).map((r) => r.key)).toEqual(['nul']);
    });

    it('accepts keys with separators, braces and non-ASCII characters', async () => {
      const keys = ['a:b', 'alice|sip:alice@10.0.0.1:5060;transport=udp', '{tag}x', 'ünï|☎', ' spaced '];
      for (const k of keys) await s.put('registration', k, { k });
      for (const k of keys) expect(await s.get('registration', k)).toEqual({ k });
    });

    it('deletes; deleting an absent record is fine', async () => {
      await s.put('call', 'd', { a: 1 });
      await s.delete('call', 'd');
      await s.delete('call', 'd');
      await s.delete('leg', 'never');
      expect(await s.get('call', 'd')).toBeNull();
      await s.put('call', 'd', { a: 2 });
      expect(await s.get('call', 'd')).toEqual({ a: 2 });
    });

    it('lists one kind by key prefix, in key order', async () => {
      await s.put('registration', 'bob|2', { n: 2 });
      await s.put('registration', 'alice|1', { n: 1 });
      await s.put('registration', 'bob|1', { n: 3 });
      await s.put('registration', 'bobby|1', { n: 4 });
      await s.put('call', 'bob|9', { n: 9 });
      expect(await s.list('registration', 'bob|')).toEqual([
        { key: 'bob|1', value: { n: 3 } },
        { key: 'bob|2', value: { n: 2 } },
      ]);
      // Code-unit order, as a byte-wise sort gives for ASCII keys: 'y' (0x79) sorts before '|' (0x7c).
      expect((await s.list('registration')).map((r) => r.key)).toEqual(['alice|1', 'bobby|1', 'bob|1', 'bob|2']);
      expect(await s.list('registration', 'carol')).toEqual([]);
      expect(await s.list('media')).toEqual([]);
    });

    it('hides a record once its TTL has passed, from get and from list', async () => {
      await s.put('media', 'short', { a: 1 }, 200);
      await s.put('media', 'long', { a: 2 }, 5_000);
      await s.put('media', 'forever', { a: 3 });
      await f.advance(50);
      expect(await s.get('media', 'short')).toEqual({ a: 1 });
      await f.advance(300);
      expect(await s.get('media', 'short')).toBeNull();
      expect((await s.list('media')).map((r) => r.key)).toEqual(['forever', 'long']);
    });

    it('a put replaces the TTL: a new TTL restarts it, no TTL removes it', async () => {
      await s.put('registration', 'refresh', { v: 1 }, 200);
      await s.put('registration', 'persist', { v: 1 }, 200);
      await f.advance(120);
      await s.put('registration', 'refresh', { v: 2 }, 200);
      await s.put('registration', 'persist', { v: 2 });
      await f.advance(120);
      expect(await s.get('registration', 'refresh')).toEqual({ v: 2 });
      await f.advance(200);
      expect(await s.get('registration', 'refresh')).toBeNull();
      expect(await s.get('registration', 'persist')).toEqual({ v: 2 });
    });

    it('refuses TTLs that are not positive numbers', async () => {
      for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(await codeOf(s.put('call', 't', { a: 1 }, ttl))).toBe(StoreErrorCode.ttl);
      }
      expect(await s.get('call', 't')).toBeNull();
    });

    it('refuses values that would not survive serialisation, naming where', async () => {
      const bad: unknown[] = [{ at: new Date(0) }, { m: new Map() }, { f: () => 1 }, { n: Number.NaN }, { b: 1n }, [undefined], new (class Rec {})()];
      for (const v of bad) expect(await codeOf(s.put('call', 'bad', v))).toBe(StoreErrorCode.value);
      expect(await s.get('call', 'bad')).toBeNull();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(await codeOf(s.put('call', 'bad', cyclic))).toBe(StoreErrorCode.value);
      await expect(s.put('call', 'bad', { deep: { at: new Date(0) } })).rejects.toThrow(/deep\.at/);
      await expect(s.put('call', 'bad', { list: [1, { x: Number.NaN }] })).rejects.toThrow(/call "bad"\.list\[1\]\.x is NaN/);
    });

    it('writes a batch in order: puts with and without TTL, deletes, the same key twice', async () => {
      await s.put('leg', 'gone', { a: 0 });
      await s.write([
        { op: 'put', kind: 'call', key: 'c', value: { state: 'ringing' } },
        { op: 'put', kind: 'leg', key: 'ca', value: { side: 'a' }, ttlMs: 200 },
        { op: 'delete', kind: 'leg', key: 'gone' },
        { op: 'delete', kind: 'leg', key: 'never-was' },
        { op: 'put', kind: 'call', key: 'c', value: { state: 'answered' } },
      ]);
      expect(await s.get('call', 'c')).toEqual({ state: 'answered' });
      expect(await s.get('leg', 'gone')).toBeNull();
      expect(await s.get('leg', 'ca')).toEqual({ side: 'a' });
      await f.advance(350);
      expect(await s.get('leg', 'ca')).toBeNull();
      await s.write([]);
      expect(await s.get('call', 'c')).toEqual({ state: 'answered' });
    });

    it('a batch with one refused value or TTL writes nothing of it, with put\'s error', async () => {
      await s.put('leg', 'kept', { v: 1 });
      const batch = (last: { value: unknown; ttlMs?: number }) =>
        s.write([
          { op: 'delete', kind: 'leg', key: 'kept' },
          { op: 'put', kind: 'call', key: 'new', value: { v: 2 } },
          { op: 'put', kind: 'call', key: 'bad', ...last },
        ]);
      expect(await codeOf(batch({ value: { at: new Date(0) } }))).toBe(StoreErrorCode.value);
      expect(await codeOf(batch({ value: { v: 3 }, ttlMs: 0 }))).toBe(StoreErrorCode.ttl);
      await expect(batch({ value: { list: [Number.NaN] } })).rejects.toThrow(/call "bad"\.list\[0\] is NaN/);
      expect(await s.get('leg', 'kept')).toEqual({ v: 1 });
      expect(await s.get('call', 'new')).toBeNull();
    });

    it('never aliases what a batch put', async () => {
      const v = sample();
      await s.write([{ op: 'put', kind: 'call', key: 'w', value: v }]);
      v.tags.push('changed');
      v.nested.deep.list[0]!.a = 99;
      expect(await s.get('call', 'w')).toEqual(sample());
    });

    it('reads an undefined property back as absent', async () => {
      await s.put('leg', 'u', { a: 1, b: undefined });
      expect(await s.get('leg', 'u')).toEqual({ a: 1 });
    });

    it('rejects every operation after close(); close() twice is fine', async () => {
      await s.put('call', 'c', { a: 1 });
      await s.close();
      await s.close();
      expect(await codeOf(s.get('call', 'c'))).toBe(StoreErrorCode.closed);
      expect(await codeOf(s.put('call', 'c', { a: 1 }))).toBe(StoreErrorCode.closed);
      expect(await codeOf(s.delete('call', 'c'))).toBe(StoreErrorCode.closed);
      expect(await codeOf(s.write([{ op: 'delete', kind: 'call', key: 'c' }]))).toBe(StoreErrorCode.closed);
      expect(await codeOf(s.list('call'))).toBe(StoreErrorCode.closed);
    });
  });
}
