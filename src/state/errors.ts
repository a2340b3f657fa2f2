import { SluiceError } from '../errors.js';

export const StoreErrorCode = {
  /** The store was closed: the caller is shutting down or holds a stale reference. */
  closed: 'SLUICE_ERR_STORE_CLOSED',
  /** A value that is not plain JSON-compatible data (see assertPlainData). */
  value: 'SLUICE_ERR_STORE_VALUE',
  /** A TTL that is not a positive finite number of milliseconds. */
  ttl: 'SLUICE_ERR_STORE_TTL',
  /** The backend cannot be reached (Redis down); the caller may retry or degrade. */
  unavailable: 'SLUICE_ERR_STORE_UNAVAILABLE',
} as const;

export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/** Every error a Store implementation throws on purpose. */
export class StoreError extends SluiceError {
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, undefined, options);
  }
}
