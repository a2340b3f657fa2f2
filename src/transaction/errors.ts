import { SluiceError } from '../errors.js';

/**
 * Errors the transaction layer throws at its caller. They are programmer errors (a request a
 * client transaction cannot be made for, a response the state machine has no transition for,
 * a bad timer configuration); nothing that arrives from the network throws.
 */
export type TransactionErrorCode =
  | 'SLUICE_ERR_TRANSACTION_CONFIG'
  | 'SLUICE_ERR_TRANSACTION_REQUEST'
  | 'SLUICE_ERR_TRANSACTION_EXISTS'
  | 'SLUICE_ERR_TRANSACTION_RESPONSE'
  | 'SLUICE_ERR_TRANSACTION_STATE'
  | 'SLUICE_ERR_TRANSACTION_RELEASED';

export class TransactionError extends SluiceError {
  declare readonly code: TransactionErrorCode;

  constructor(code: TransactionErrorCode, message: string) {
    super(code, message);
  }
}
