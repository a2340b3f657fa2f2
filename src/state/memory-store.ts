/**
 * The single-node store: a map per kind in this process. Each record is kept as a copy of its
 * objects and arrays (strings, immutable, are shared, and so are frozen objects and arrays),
 * made as the put checks it, and read back as another: a caller can never mutate a stored
 * record behind the store's back, as the Redis store's serialisation also guarantees. Sharing
 * what cannot change is what makes it cheap: a leg's SDP and dialog (a frozen record) are the
 * session's own, not a second copy in JSON text, and a put costs a walk of a few objects rather
 * than a serialisation. A record with a TTL is the exception: it is kept as its JSON text (see
 * entryOf).
 * Records should hold strings of their own (sip/bytes.ts, ownString): one cut from a parsed
 * message would keep that message's text as long as the record.
 */
import { BoxedMap } from '../boxed-map.js';
import { SystemClock, type Clock, type TimerHandle } from '../clock.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { assertTtl, copyPlainData } from './plain-data.js';
import type { RecordKind, Store, StoreWrite } from './store.js';

interface Entry {
  /** The record's own copy (copyPlainData), or its JSON text when `text`. */
  value: unknown;
  /** Wall-clock ms at which the record disappears, or null for none. */
  expiresAt: number | null;
  text: boolean;
}

/**
 * A record with a TTL is kept as its JSON text: one string, where its objects would be a few
 * dozen. What such records are (a registration until it expires; an ended call kept 32 s for late
 * questions, in a store that keeps call records) is seldom read and can be held by the hundred
 * thousand at a few thousand calls a second: the old generation's marking walks every object
 * held, at every major collection, and those come more often the higher the call rate. At
 * 3,500 calls/s, keeping the ended calls' records as objects cost 14% of Sluice's CPU per call
 * against not keeping them (bench:ab in turn, rounds 1.04-1.20); as text they cost about a third
 * of that (0.95x against objects, rounds 0.94-1.05). A string is one object with nothing in it
 * to walk.
 */
function entryOf(copy: unknown, expiresAt: number | null): Entry {
  return expiresAt === null ? { value: copy, expiresAt, text: false } : { value: flatJson(copy), expiresAt, text: true };
}

/**
 * JSON text as one flat string. V8's JSON.stringify returns a record of a few hundred bytes as a
 * rope of its parts (four or five strings); reading a character flattens it, and the collector
 * then drops the parts (sip/bytes.ts, ownString, does the same). Held as ropes, the ended calls'
 * texts were about ten strings per call of the last 32 s.
 */
function flatJson(value: unknown): string {
  const text = JSON.stringify(value);
  text.charCodeAt(0);
  return text;
}

/** A record as a caller gets it: a copy of its own. */
function valueOf<T>(entry: Entry): T {
  return entry.text ? (JSON.parse(entry.value as string) as T) : copyPlainData(entry.value as T);
}

export interface MemoryStoreOptions {
  clock?: Clock;
  /** How often expired records are purged in the background (default 5 s); reads never see them anyway. */
  sweepIntervalMs?: number;
  /**
   * Report the store as shared (Store.shared), so that what is written only to a shared store
   * (a call's records) is written here too: for tests of those records. Default false: this
   * store ends with the process, and nothing outside it reads it.
   */
  shared?: boolean;
}

/**
 * An expired record stays in memory until a sweep, so the sweep's period adds to every TTL: a
 * busy node holds an ended call 32 s (call-store.ts), and a 30 s sweep kept it up to 62 s. A
 * sweep walks every record (about 100,000 at 3,000 calls/s: a few ms).
 */
const DEFAULT_SWEEP_MS = 5_000;

export class MemoryStore implements Store {
  readonly shared: boolean;
  private readonly clock: Clock;
  private readonly sweepMs: number;
  private readonly kinds = new Map<RecordKind, BoxedMap<string, Entry>>();
  private sweepTimer: TimerHandle | null = null;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = options.clock ?? new SystemClock();
    this.sweepMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_MS;
    this.shared = options.shared ?? false;
    if (!(this.sweepMs > 0) || !Number.isFinite(this.sweepMs)) {
      throw new StoreError(StoreErrorCode.ttl, `sweepIntervalMs must be a positive number of milliseconds (got ${this.sweepMs})`);
    }
  }

  async get<T>(kind: RecordKind, key: string): Promise<T | null> {
    this.open();
    const entry = this.live(kind, key);
    return entry === null ? null : valueOf<T>(entry);
  }

  /** A write of one put (the same checks and copy). */
  put<T>(kind: RecordKind, key: string, value: T, ttlMs?: number): Promise<void> {
    return this.write([{ op: 'put', kind, key, value, ttlMs }]);
  }

  delete(kind: RecordKind, key: string): Promise<void> {
    return this.write([{ op: 'delete', kind, key }]);
  }

  async write(changes: readonly StoreWrite[]): Promise<void> {
    this.open();
    // Checked and copied first, applied after: a refused value leaves every record as it was.
    const copies = changes.map((c) => {
      if (c.op === 'delete') return null;
      assertTtl(c.ttlMs);
      return copyPlainData(c.value, () => `${c.kind} ${JSON.stringify(c.key)}`);
    });
    const now = this.clock.wallNow();
    let ttl = false;
    for (let i = 0; i < changes.length; i++) {
      const c = changes[i]!;
      if (c.op === 'delete') {
        this.kinds.get(c.kind)?.delete(c.key);
        continue;
      }
      const expiresAt = c.ttlMs === undefined ? null : now + c.ttlMs;
      this.table(c.kind).set(c.key, entryOf(copies[i], expiresAt));
      if (expiresAt !== null) ttl = true;
    }
    if (ttl) this.armSweep();
  }

  async list<T>(kind: RecordKind, prefix = ''): Promise<{ key: string; value: T }[]> {
    this.open();
    const table = this.kinds.get(kind);
    if (table === undefined) return [];
    const now = this.clock.wallNow();
    const out: { key: string; value: T }[] = [];
    for (const [key, entry] of table.entries()) {
      if (!key.startsWith(prefix)) continue;
      if (expired(entry, now)) table.delete(key);
      else out.push({ key, value: valueOf<T>(entry) });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clock.clearTimer(this.sweepTimer);
    this.sweepTimer = null;
    this.kinds.clear();
  }

  /** Records held, expired ones not yet purged included (for tests of the sweep). */
  get size(): number {
    let n = 0;
    for (const table of this.kinds.values()) n += table.size;
    return n;
  }

  private open(): void {
    if (this.closed) throw new StoreError(StoreErrorCode.closed, 'The store is closed: the process is shutting down, or a stale reference was kept');
  }

  private table(kind: RecordKind): BoxedMap<string, Entry> {
    let t = this.kinds.get(kind);
    if (t === undefined) this.kinds.set(kind, (t = new BoxedMap()));
    return t;
  }

  /** The entry if present and unexpired; an expired one is purged on the way. */
  private live(kind: RecordKind, key: string): Entry | null {
    const table = this.kinds.get(kind);
    const entry = table?.get(key);
    if (entry === undefined) return null;
    if (expired(entry, this.clock.wallNow())) {
      table!.delete(key);
      return null;
    }
    return entry;
  }

  /** The sweep runs only while some record has a TTL, so an idle store holds no timer. */
  private armSweep(): void {
    if (this.sweepTimer !== null || this.closed) return;
    this.sweepTimer = this.clock.setTimer(this.sweepMs, () => {
      this.sweepTimer = null;
      if (this.sweep()) this.armSweep();
    });
  }

  /** Purges expired records; true while records with a TTL remain. */
  private sweep(): boolean {
    const now = this.clock.wallNow();
    let pending = false;
    for (const table of this.kinds.values()) {
      for (const [key, entry] of table.entries()) {
        if (expired(entry, now)) table.delete(key);
        else if (entry.expiresAt !== null) pending = true;
      }
    }
    return pending;
  }
}

function expired(entry: Entry, now: number): boolean {
  return entry.expiresAt !== null && entry.expiresAt <= now;
}
