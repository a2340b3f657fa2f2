/**
 * The contract every store implements (DESIGN.md "State as data"): records are plain data kept by
 * kind and key, optionally with a TTL. The in-memory store is the single-node default; the Redis
 * store implements the same contract for a cluster, and test/state/store-contract.ts checks both.
 */
export type RecordKind = 'call' | 'leg' | 'media' | 'registration' | 'cdr';

export const RECORD_KINDS: readonly RecordKind[] = ['call', 'leg', 'media', 'registration', 'cdr'];

/** One change of a write batch (Store.write): a put or a delete, with put's and delete's rules. */
export type StoreWrite =
  | { readonly op: 'put'; readonly kind: RecordKind; readonly key: string; readonly value: unknown; readonly ttlMs?: number }
  | { readonly op: 'delete'; readonly kind: RecordKind; readonly key: string };

export interface Store {
  /**
   * Whether another process can read what this store holds: true for a cluster's shared store,
   * false for the in-memory one, which ends with this process. Records that only a takeover by
   * another process would read (a call's, b2bua/call-store.ts) are written to a shared store only.
   */
  readonly shared: boolean;
  /** The record, or null when absent or expired. Never aliases what was put, but for frozen parts (which nobody can change). */
  get<T>(kind: RecordKind, key: string): Promise<T | null>;
  /**
   * Writes a record, replacing any previous one and its TTL (like Redis SET): without ttlMs the
   * record lives until deleted. `value` must be plain JSON-compatible data (assertPlainData),
   * else StoreError SLUICE_ERR_STORE_VALUE; a ttlMs that is not a positive finite number gives
   * SLUICE_ERR_STORE_TTL.
   */
  put<T>(kind: RecordKind, key: string, value: T, ttlMs?: number): Promise<void>;
  /** Removes a record; removing an absent one is not an error. */
  delete(kind: RecordKind, key: string): Promise<void>;
  /**
   * Applies the changes in order, all or none (a Redis MULTI): every value and TTL is checked
   * first, and one that put would refuse fails the whole batch with put's error, nothing
   * written. A call's records (the call, its legs, its media) or a user's bindings then change
   * together: no reader, on this node or another, sees half of them, and a cluster pays one
   * round trip for them rather than one per record.
   */
  write(changes: readonly StoreWrite[]): Promise<void>;
  /**
   * Every live record of a kind whose key starts with prefix (registrar lookups, tests), in key
   * order (UTF-16 code units, as JS sorts strings).
   */
  list<T>(kind: RecordKind, prefix?: string): Promise<{ key: string; value: T }[]>;
  /** Releases timers and connections; idempotent. Later calls reject with SLUICE_ERR_STORE_CLOSED. */
  close(): Promise<void>;
}
