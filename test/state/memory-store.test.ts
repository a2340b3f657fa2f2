import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { MemoryStore, StoreError, StoreErrorCode } from '../../src/state/index.js';
import { runStoreContract } from './store-contract.js';

runStoreContract('MemoryStore', () => {
  const clock = new FakeClock();
  return { store: new MemoryStore({ clock }), advance: (ms) => clock.advance(ms) };
});

describe('MemoryStore specifics', () => {
  it('reports itself not shared (it ends with the process) unless told to, and keeps what is put either way', async () => {
    const own = new MemoryStore({ clock: new FakeClock() });
    const shared = new MemoryStore({ clock: new FakeClock(), shared: true });
    expect([own.shared, shared.shared]).toEqual([false, true]);
    await own.put('call', 'a', { a: 1 });
    expect(await own.get('call', 'a')).toEqual({ a: 1 });
    await Promise.all([own.close(), shared.close()]);
  });

  it('holds no timer while no record has a TTL', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    await store.put('call', 'a', { a: 1 });
    expect(clock.pending).toEqual([]);
    await store.close();
  });

  it('purges expired records in the background, then stops sweeping', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock, sweepIntervalMs: 1_000 });
    await store.put('registration', 'a', { a: 1 }, 500);
    await store.put('registration', 'b', { b: 1 }, 1_500);
    expect(clock.pending).toEqual([1_000]);
    clock.advance(1_000);
    expect(store.size).toBe(1);
    expect(clock.pending).toEqual([1_000]);
    clock.advance(1_000);
    expect(store.size).toBe(0);
    expect(clock.pending).toEqual([]);
    await store.close();
  });

  it('close() clears the sweep timer', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    await store.put('media', 'm', { a: 1 }, 60_000);
    expect(clock.pending).toHaveLength(1);
    await store.close();
    expect(clock.pending).toEqual([]);
  });

  it('purges an expired record when it is read', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock, sweepIntervalMs: 60_000 });
    await store.put('leg', 'x', { a: 1 }, 10);
    clock.advance(10);
    expect(store.size).toBe(1);
    expect(await store.get('leg', 'x')).toBeNull();
    expect(store.size).toBe(0);
    await store.close();
  });

  it('refuses a sweep interval that is not a positive number', () => {
    expect(() => new MemoryStore({ sweepIntervalMs: 0 })).toThrow(StoreError);
    try {
      new MemoryStore({ sweepIntervalMs: -5 });
    } catch (e) {
      expect((e as StoreError).code).toBe(StoreErrorCode.ttl);
    }
  });

  it('works on the system clock by default', async () => {
    const store = new MemoryStore();
    await store.put('cdr', 'c', { ok: true }, 60_000);
    expect(await store.get('cdr', 'c')).toEqual({ ok: true });
    await store.close();
  });
});
