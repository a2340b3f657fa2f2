/** `src/ua`: the UAC/UAS core over transactions and dialogs (DESIGN.md row `ua/`). */
export { UserAgent, type UaHandler } from './user-agent.js';
export type { OutOfDialogOptions } from './client-requests.js';
export { ALLOW, KNOWN_METHODS, SUPPORTED } from './methods.js';
export { Session, type SessionHandler } from './session.js';
export { IncomingOffer } from './incoming-offer.js';
export { IncomingCall, type ProgressParts } from './incoming-call.js';
export type { IncomingInvite, OutgoingInvite } from './invites.js';
export { LeanIncomingCall, type RingingIncoming } from './lean-incoming-call.js';
export { LeanOutgoingCall, type RingingOutgoing } from './lean-outgoing-call.js';
export { isCommonInvite } from './lean-invites.js';
export type { AckBasis } from './uac-ack.js';
export { OutgoingCall, type CallOptions } from './outgoing-call.js';
export { IncomingRequest, type ResponseParts } from './incoming-request.js';
export { UaError, UaErrorCode, CallFailed } from './errors.js';
export { glareDelayMs, randomIds } from './ids.js';
export { DEFAULT_SESSION_TIMER, minSEOf, requires, resolveSessionTimer, responseHeaders, timerState, uasDecide, uacFromResponse, type UasDecision } from './session-timer.js';
export { sessionExpiresAfter422, writeInvite } from './invite-request.js';
export type * from './types.js';
