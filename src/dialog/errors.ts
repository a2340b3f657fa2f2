import { SluiceError } from '../errors.js';

/**
 * Stable codes of the errors src/dialog throws. These are programmer or protocol errors the UA
 * core should have caught earlier (a message that cannot make or fit a dialog); `status` is the
 * response a UAS sends when the fault is the peer's.
 */
export const DialogErrorCode = {
  /** A message lacks a header (or tag) the dialog needs. */
  missing: 'SLUICE_ERR_DIALOG_MISSING',
  /** A response or request does not belong to the dialog (or dialog set) it was given with. */
  mismatch: 'SLUICE_ERR_DIALOG_MISMATCH',
  /** The status or method cannot do what was asked (a 486 cannot create a dialog, ACK is not built here). */
  invalid: 'SLUICE_ERR_DIALOG_INVALID',
  /** The dialog is terminated. */
  terminated: 'SLUICE_ERR_DIALOG_TERMINATED',
} as const;

export type DialogErrorCode = (typeof DialogErrorCode)[keyof typeof DialogErrorCode];

export class DialogError extends SluiceError {
  declare readonly code: DialogErrorCode;

  constructor(code: DialogErrorCode, message: string, status?: number) {
    super(code, message, status);
  }
}
