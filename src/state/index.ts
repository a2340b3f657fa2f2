/** `src/state`: the Store contract and its in-memory implementation (DESIGN.md "State as data"). */
export { RECORD_KINDS, type RecordKind, type Store, type StoreWrite } from './store.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { StoreError, StoreErrorCode } from './errors.js';
export { assertPlainData, assertTtl, copyPlainData } from './plain-data.js';
