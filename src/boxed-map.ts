/**
 * A Map for the tables whose entries come and go with calls and transactions (the UA's sessions,
 * the lean INVITEs and BYEs, the transaction layer, the active calls, the in-memory store, the
 * media relay's streams): each value sits in a box of its own, and delete() empties the box before
 * the entry goes.
 *
 * Why: V8 keeps a Map's entries in a hash table that it replaces when it grows, shrinks or drops
 * deleted entries, and for a Map that has lived a while (every one of these tables) it allocates
 * the new table in the old generation. The table it replaced stays in memory until the next full
 * collection, still pointing at every entry it held, and the young-generation collector keeps
 * alive whatever an old object points at, dead or not. So a call's session, transaction or BYE
 * that was in such a table when it was replaced is copied out of the young generation, and with it
 * everything it reaches, although the call ended milliseconds later. A replaced table now keeps
 * only empty boxes alive.
 *
 * Measured (`npm run bench:at-rate -- --rate 3000 --gc --call-ms 20`): 12-13 KB promoted per 20 ms
 * call with Maps, 3 KB with these boxes and the launcher's flags (scripts/sluice-node.sh: without
 * allocation-site pretenuring, which left the same kind of dead old objects), about what a call
 * leaves for 64*T1 (its transactions' stand-ins). With the lean BYEs' table alone boxed, a bare
 * UAC leg went from 6.0 to 2.8 KB per call.
 *
 * Only what these tables use is here: get, has, set, delete, size, values, entries, clear.
 */

interface Box<V> {
  value: V | undefined;
}

export class BoxedMap<K, V> {
  private readonly map = new Map<K, Box<V>>();

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Replaces the value of a key in its box: a table replaced since holds the box, not the old value. */
  set(key: K, value: V): this {
    const box = this.map.get(key);
    if (box !== undefined) box.value = value;
    else this.map.set(key, { value });
    return this;
  }

  delete(key: K): boolean {
    const box = this.map.get(key);
    if (box === undefined) return false;
    box.value = undefined;
    return this.map.delete(key);
  }

  /** The values, live like a Map's iterator (an entry deleted meanwhile is skipped, as there). */
  *values(): IterableIterator<V> {
    for (const box of this.map.values()) yield box.value as V;
  }

  /** The entries, live like values(). */
  *entries(): IterableIterator<[K, V]> {
    for (const [key, box] of this.map) yield [key, box.value as V];
  }

  clear(): void {
    for (const box of this.map.values()) box.value = undefined;
    this.map.clear();
  }
}
