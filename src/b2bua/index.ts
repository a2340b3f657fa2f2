/** `src/b2bua`: calls and legs, SDP regeneration, media policy, CDRs (DESIGN.md row `b2bua/`). */
export { Engine, type EngineParts, type RealmRuntime } from './engine.js';
export { Call, type CallTarget } from './call.js';
export { CdrWriter } from './cdr.js';
export { AllowList } from './allow.js';
export { MediaPlan, MediaRefused, MediaUnavailable } from './media-plan.js';
export { regenerate, signalledStreams, newOrigin, type OriginState, type StreamTarget, type SignalledStream } from './sdp-bridge.js';
export type { CallRecord } from './records.js';
export type { CallContext } from './context.js';
