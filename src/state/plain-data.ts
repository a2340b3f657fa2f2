import { StoreError, StoreErrorCode } from './errors.js';

/** Deeper than any record we write: a guard against cycles and runaway nesting, not a design limit. */
const MAX_DEPTH = 64;

/**
 * Throws StoreError (SLUICE_ERR_STORE_VALUE) unless `value` is plain JSON-compatible data:
 * null, booleans, finite numbers, strings, arrays and plain objects of those. An undefined
 * object property is allowed (it reads back as absent). Both stores check this, so a record
 * that would not survive Redis's JSON fails on the single-node default too, not first in a cluster.
 */
export function assertPlainData(value: unknown, what = 'value'): void {
  check(value, what, 0);
}

function check(v: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) fail(path, `is nested deeper than ${MAX_DEPTH} levels (a cycle?)`);
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(v)) fail(path, `is ${v}: only finite numbers survive JSON`);
      return;
    case 'object': {
      if (v === null) return;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          if (v[i] === undefined) fail(`${path}[${i}]`, 'is undefined: use null in arrays');
          check(v[i], `${path}[${i}]`, depth + 1);
        }
        return;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        const name = (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
        fail(path, `is a ${name}: records hold plain objects, arrays, strings, numbers, booleans and null`);
      }
      for (const [k, x] of Object.entries(v)) if (x !== undefined) check(x, `${path}.${k}`, depth + 1);
      return;
    }
    default:
      fail(path, `is a ${typeof v}: records hold plain objects, arrays, strings, numbers, booleans and null`);
  }
}

function fail(path: string, what: string): never {
  throw new StoreError(StoreErrorCode.value, `Record ${path} ${what}`);
}

/** Throws StoreError (SLUICE_ERR_STORE_TTL) for a TTL that is not a positive finite number. */
export function assertTtl(ttlMs: number | undefined): void {
  if (ttlMs === undefined) return;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new StoreError(StoreErrorCode.ttl, `TTL must be a positive number of milliseconds (got ${String(ttlMs)}); omit it for a record without expiry`);
  }
}
