import { SluiceError } from '../errors.js';

export const RegistrarErrorCode = {
  /** Options that contradict each other (minExpires above maxExpires ...). */
  config: 'SLUICE_ERR_REGISTRAR_CONFIG',
  /** A REGISTER refused for what it says (400, 403, 404, 423, 500 per RFC 3261 10.3). */
  refused: 'SLUICE_ERR_REGISTRAR_REFUSED',
  /** The store failed while the REGISTER was being applied; it was answered 500. */
  store: 'SLUICE_ERR_REGISTRAR_STORE',
} as const;

export type RegistrarErrorCode = (typeof RegistrarErrorCode)[keyof typeof RegistrarErrorCode];

export class RegistrarError extends SluiceError {
  declare readonly code: RegistrarErrorCode;

  constructor(code: RegistrarErrorCode, message: string, status?: number, options?: { cause?: unknown }) {
    super(code, message, status, options);
  }
}

/**
 * A REGISTER refused: `reason` goes out as the reason phrase (printable ASCII), `headers` with
 * the response (Min-Expires for 423). Thrown inside the registrar and answered at its top.
 */
export class RegistrationRefused extends RegistrarError {
  readonly reason: string;
  readonly headers: [string, string][];

  constructor(status: number, reason: string, headers: [string, string][] = []) {
    super(RegistrarErrorCode.refused, `REGISTER refused with ${status}: ${reason}`, status);
    this.reason = reason;
    this.headers = headers;
  }
}
