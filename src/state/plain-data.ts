import { StoreError, StoreErrorCode } from './errors.js';

/** Deeper than any record we write: a guard against cycles and runaway nesting, not a design limit. */
const MAX_DEPTH = 64;

/**
 * Throws StoreError (SLUICE_ERR_STORE_VALUE) unless `value` is plain JSON-compatible data:
 * null, booleans, finite numbers, strings, arrays and plain objects of those. An undefined
 * object property is allowed (it reads back as absent). Both stores check this, so a record
 * that would not survive Redis's JSON fails on the single-node default too, not first in a cluster.
 */
export function assertPlainData(value: unknown, what: string | (() => string) = 'value'): void {
  const problem = check(value, 0);
  if (problem === null) return;
  // A function names the record only when it fails: every put passes through here.
  const name = typeof what === 'function' ? what() : what;
  throw new StoreError(StoreErrorCode.value, `Record ${name}${problem.path} ${problem.what}`);
}

/** copy() found something check() will name. */
const INVALID: unique symbol = Symbol('invalid');

/**
 * A copy of `value` that shares nothing mutable with it: objects and arrays are copied, strings
 * (immutable) are shared. Checked as assertPlainData checks, in the same walk; throws
 * StoreError (SLUICE_ERR_STORE_VALUE) naming `what` and where. An undefined property is left
 * out, as JSON would.
 */
export function copyPlainData<T>(value: T, what: string | (() => string) = 'value'): T {
  const c = copy(value, 0);
  if (c !== INVALID) return c as T;
  assertPlainData(value, what);
  // check() and copy() refuse the same values; should they ever differ, refuse all the same.
  throw new StoreError(StoreErrorCode.value, `Record ${typeof what === 'function' ? what() : what} is not plain data`);
}

function copy(v: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) return INVALID;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : INVALID;
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) {
        const out = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          const c = x === undefined ? INVALID : copy(x, depth + 1);
          if (c === INVALID) return INVALID;
          out[i] = c;
        }
        return out;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return INVALID;
      // A spread copies the object's own enumerable properties whole (with its shape, where a
      // property-by-property copy builds the shape again); values that are objects are then
      // replaced by their copies. (It copies symbol-keyed properties too, which JSON drops:
      // records have none, and looking for them would cost every object a call.)
      const out = { ...(v as Record<string, unknown>) };
      let undefinedSeen = false;
      for (const k in out) {
        const x = out[k];
        switch (typeof x) {
          case 'string':
          case 'boolean':
            break;
          case 'number':
            if (!Number.isFinite(x)) return INVALID;
            break;
          case 'object': {
            if (x === null) break;
            const c = copy(x, depth + 1);
            if (c === INVALID) return INVALID;
            out[k] = c;
            break;
          }
          case 'undefined':
            undefinedSeen = true;
            break;
          default:
            return INVALID;
        }
      }
      // As JSON: an undefined property is left out (rare; delete is slow).
      if (undefinedSeen) for (const k in out) if (out[k] === undefined) delete out[k];
      return out;
    }
    default:
      return INVALID;
  }
}

interface Problem {
  /** Where, from the record's root: `.dialog.routeSet[2]`. */
  path: string;
  what: string;
}

/**
 * Null when `v` is plain data, else where and why not. The path is built only on the way back
 * from a failure: every call's records pass through here, and a path string per property was
 * most of the check's cost.
 */
function check(v: unknown, depth: number): Problem | null {
  if (depth > MAX_DEPTH) return { path: '', what: `is nested deeper than ${MAX_DEPTH} levels (a cycle?)` };
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(v) ? null : { path: '', what: `is ${v}: only finite numbers survive JSON` };
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          const p = x === undefined ? { path: '', what: 'is undefined: use null in arrays' } : check(x, depth + 1);
          if (p !== null) return { path: `[${i}]${p.path}`, what: p.what };
        }
        return null;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        const name = (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
        return { path: '', what: `is a ${name}: records hold plain objects, arrays, strings, numbers, booleans and null` };
      }
      const o = v as Record<string, unknown>;
      for (const k in o) {
        if (!Object.hasOwn(o, k)) continue;
        const x = o[k];
        if (x === undefined) continue;
        const p = check(x, depth + 1);
        if (p !== null) return { path: `.${k}${p.path}`, what: p.what };
      }
      return null;
    }
    default:
      return { path: '', what: `is a ${typeof v}: records hold plain objects, arrays, strings, numbers, booleans and null` };
  }
}

/** Throws StoreError (SLUICE_ERR_STORE_TTL) for a TTL that is not a positive finite number. */
export function assertTtl(ttlMs: number | undefined): void {
  if (ttlMs === undefined) return;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new StoreError(StoreErrorCode.ttl, `TTL must be a positive number of milliseconds (got ${String(ttlMs)}); omit it for a record without expiry`);
  }
}
