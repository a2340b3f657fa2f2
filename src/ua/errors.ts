import { SluiceError } from '../errors.js';

export const UaErrorCode = {
  /** An INVITE or UPDATE is already in progress on the dialog (RFC 3261 14.1, RFC 3311 5.1). */
  pending: 'SLUICE_ERR_UA_PENDING',
  /** The session or call is over, or in a state where the action makes no sense. */
  state: 'SLUICE_ERR_UA_STATE',
  /** No destination for a URI (unresolvable host, unsupported scheme). */
  target: 'SLUICE_ERR_UA_TARGET',
} as const;
export type UaErrorCode = (typeof UaErrorCode)[keyof typeof UaErrorCode];

export class UaError extends SluiceError {
  declare readonly code: UaErrorCode;

  constructor(code: UaErrorCode, message: string) {
    super(code, message);
  }
}

/** An INVITE that ended without a 2xx: the final status (408 for a timeout, 503 for a transport error). */
export class CallFailed extends SluiceError {
  readonly reason: string;

  constructor(status: number, reason: string) {
    super('SLUICE_ERR_CALL_FAILED', `Call failed: ${status} ${reason}`, status);
    this.reason = reason;
  }
}
