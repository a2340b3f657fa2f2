/** `src/dialog`: RFC 3261 section 12 dialogs as plain records. Pure: no I/O, no timers. */
export { dialogId, dialogKey, dialogWith, frozenDialog, keyOf, ownDialog, type DialogChange, type DialogId, type DialogRecord, type DialogRole, type DialogState } from './record.js';
export { DialogError, DialogErrorCode } from './errors.js';
export {
  checkResponseFor,
  createUacDialog,
  createUasDialog,
  createUasDialogAs,
  uacDialogBase,
  uacDialogFromResponse,
  type UacDialogBase,
  type UacDialogOptions,
  type UasDialogOptions,
  type UasResponseParts,
} from './create.js';
export {
  advanceLocalSeq,
  checkRemoteSeq,
  confirmDialog,
  isTargetRefresh,
  refreshRemoteTarget,
  responseEndsDialog,
  terminateDialog,
  updateEarlyDialog,
  withLocalTarget,
  type RemoteSeqOptions,
  type RemoteSeqResult,
} from './update.js';
export { dialogKeyOfIncomingRequest, dialogKeyOfResponse, isInDialog } from './match.js';
export {
  ackFor2xxText,
  createAckFor2xx,
  createCancel,
  createInDialogRequest,
  inDialogRequestText,
  createNon2xxAck,
  inviteCredentials,
  requestTarget,
  ourVia,
  ourViaText,
  type AckOptions,
  type Credential,
  type InDialogRequestOptions,
  type RequestOptions,
  type RequestTarget,
  type ViaSpec,
} from './requests.js';
export {
  createInviteDialogSet,
  dialogSetBase,
  findDialog,
  liveDialogs,
  onInviteResponse,
  replaceDialog,
  terminateEarlyDialogs,
  type InviteDialogSet,
  type InviteResponseOutcome,
} from './invite-dialog-set.js';
