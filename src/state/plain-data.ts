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
  copyPlainData(value, what);
}

/**
 * A copy of `value` that shares nothing mutable with it: objects and arrays are copied, strings
 * (immutable) are shared, and so is a frozen object or array (Object.freeze) whose contents are
 * frozen or primitive all the way down, since nobody can change it either: a dialog record, a
 * route, a caller's identity is then held once, by its owner and the store alike. Checked as it
 * is copied (see assertPlainData); throws StoreError (SLUICE_ERR_STORE_VALUE) naming `what` (a
 * function names it only on failure: every put passes through here) and where. An undefined
 * property is left out, as JSON would (a shared frozen object keeps it: records hold none).
 */
export function copyPlainData<T>(value: T, what: string | (() => string) = 'value'): T {
  const c = copy(value, 0);
  if (!(c instanceof Problem)) return c as T;
  const name = typeof what === 'function' ? what() : what;
  throw new StoreError(StoreErrorCode.value, `Record ${name}${c.path} ${c.what}`);
}

/** Why a value is not plain data, and where from the record's root (`.dialog.routeSet[2]`). */
class Problem {
  constructor(
    readonly path: string,
    readonly what: string,
  ) {}

  /** The same problem seen from the parent: the path is built only on the way back from a failure. */
  under(step: string): Problem {
    return new Problem(step + this.path, this.what);
  }
}

const NOT_PLAIN = 'records hold plain objects, arrays, strings, numbers, booleans and null';
const notFinite = (n: number): Problem => new Problem('', `is ${n}: only finite numbers survive JSON`);
const notPlain = (type: string): Problem => new Problem('', `is a ${type}: ${NOT_PLAIN}`);
/** An object whose prototype is not Object's (a Date, a Map, a class instance), named by its constructor. */
const notPlainObject = (v: object): Problem => notPlain((v as { constructor?: { name?: string } }).constructor?.name ?? 'object');
const tooDeep = (): Problem => new Problem('', `is nested deeper than ${MAX_DEPTH} levels (a cycle?)`);

/** The copy of `v`, or the Problem that makes it no record. */
function copy(v: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) return tooDeep();
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : notFinite(v);
    case 'object': {
      if (v === null) return null;
      if (Object.isFrozen(v)) {
        const shared = frozenPlain(v, depth);
        if (shared !== NOT_FROZEN) return shared;
      }
      if (Array.isArray(v)) {
        const out = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          const c = x === undefined ? new Problem('', 'is undefined: use null in arrays') : copy(x, depth + 1);
          if (c instanceof Problem) return c.under(`[${i}]`);
          out[i] = c;
        }
        return out;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        return notPlainObject(v);
      }
      // A spread copies the object's own enumerable properties whole (with its shape, where a
      // property-by-property copy builds the shape again); values that are objects are then
      // replaced by their copies. (It copies symbol-keyed properties too, which JSON drops:
      // records have none, and looking for them would cost every object a call.) Two spreads,
      // one for a record's root and one for what it holds: each sees a few shapes, where one
      // saw them all, went megamorphic and cloned property by property (CloneObjectIC_Slow).
      const out = depth === 0 ? { ...(v as Record<string, unknown>) } : { ...(v as Record<string, unknown>) };
      let undefinedSeen = false;
      for (const k in out) {
        const x = out[k];
        switch (typeof x) {
          case 'string':
          case 'boolean':
            break;
          case 'number':
            if (!Number.isFinite(x)) return notFinite(x).under(`.${k}`);
            break;
          case 'object': {
            if (x === null) break;
            const c = copy(x, depth + 1);
            if (c instanceof Problem) return c.under(`.${k}`);
            out[k] = c;
            break;
          }
          case 'undefined':
            undefinedSeen = true;
            break;
          default:
            return notPlain(typeof x).under(`.${k}`);
        }
      }
      // As JSON: an undefined property is left out (rare; delete is slow).
      if (undefinedSeen) for (const k in out) if (out[k] === undefined) delete out[k];
      return out;
    }
    default:
      return notPlain(typeof v);
  }
}

/** A frozen value with something unfrozen inside: copied instead (see copy). */
const NOT_FROZEN = Symbol('not frozen');

/**
 * `v` itself if it is frozen plain data all the way down (the Problem if it is not plain data at
 * all), NOT_FROZEN if something inside it could still change. It walks and allocates nothing.
 */
function frozenPlain(v: object, depth: number): unknown {
  if (depth > MAX_DEPTH) return tooDeep();
  if (!Object.isFrozen(v)) return NOT_FROZEN;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x === undefined) return new Problem(`[${i}]`, 'is undefined: use null in arrays');
      const r = frozenMember(x, depth);
      if (r !== undefined) return r instanceof Problem ? r.under(`[${i}]`) : r;
    }
    return v;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    return notPlainObject(v);
  }
  for (const k in v) {
    const r = frozenMember((v as Record<string, unknown>)[k], depth);
    if (r !== undefined) return r instanceof Problem ? r.under(`.${k}`) : r;
  }
  return v;
}

/** undefined if `x` may be shared as a member of a frozen value; else NOT_FROZEN or the Problem. */
function frozenMember(x: unknown, depth: number): Problem | typeof NOT_FROZEN | undefined {
  switch (typeof x) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return undefined;
    case 'number':
      return Number.isFinite(x) ? undefined : notFinite(x);
    case 'object': {
      if (x === null) return undefined;
      const r = frozenPlain(x, depth + 1);
      return r === x ? undefined : (r as Problem | typeof NOT_FROZEN);
    }
    default:
      return notPlain(typeof x);
  }
}

/** Throws StoreError (SLUICE_ERR_STORE_TTL) for a TTL that is not a positive finite number. */
export function assertTtl(ttlMs: number | undefined): void {
  if (ttlMs === undefined) return;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new StoreError(StoreErrorCode.ttl, `TTL must be a positive number of milliseconds (got ${String(ttlMs)}); omit it for a record without expiry`);
  }
}
