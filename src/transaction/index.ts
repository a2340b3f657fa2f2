/** `sluice/transaction`: RFC 3261 section 17 transactions with RFC 6026. Pure + timer port. */
export { TransactionLayer, type TransactionLayerOptions } from './layer.js';
export { InviteClientTransaction, type InviteClientState } from './client-invite.js';
export { NonInviteClientTransaction, type NonInviteClientState } from './client-non-invite.js';
export { InviteServerTransaction, type InviteServerState } from './server-invite.js';
export { NonInviteServerTransaction, type NonInviteServerState } from './server-non-invite.js';
export { MAGIC_COOKIE, newBranch, createBranchFactory, counterIdSource, branchEmbed, type BranchFactory, type IdSource } from './branch.js';
export { clientKey, isRfc3261Branch, responseKey, serverKey } from './matching.js';
export { LingerQueue, type Lingering } from './linger.js';
export { buildAckForNon2xx, buildCancel } from './requests.js';
export { resolveTimerConfig, timerValues, TRYING_DELAY_MS, type TimerValues } from './timers.js';
export { TransactionError, type TransactionErrorCode } from './errors.js';
export { DEFAULT_TIMER_CONFIG } from './types.js';
export type {
  ClientTransaction,
  ClientTransactionUser,
  Destination,
  LocalAddress,
  MessageSource,
  SendCallback,
  ServerTransaction,
  ServerTransactionUser,
  TimerConfig,
  Transaction,
  TransactionCore,
  TransactionCounts,
  TransactionKind,
  TransactionLogger,
  TransactionStats,
  TransportPort,
  TransportProtocol,
  TryingPolicy,
} from './types.js';
