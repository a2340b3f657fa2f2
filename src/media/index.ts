/**
 * The media relay (an edge layer): port pools, RTP/RTCP relaying (in this thread or in worker
 * threads), latching, per-stream statistics. It knows no SIP or SDP.
 */
export { MediaRelay, type MediaRelayOptions } from './relay.js';
export { RelayStream } from './stream.js';
export { MediaError, type MediaErrorCode } from './errors.js';
export type { MediaEndpoint, RealmMedia, RemoteAddress, Side, SideStats, StreamSideSpec } from './types.js';
