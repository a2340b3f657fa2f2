/**
 * sluice/sdp: RFC 8866 session descriptions, parsed into a line-exact model, read through
 * typed views and rewritten in place for the B2BUA. Pure: no I/O, no clock.
 */
export { SdpParseError } from './errors.js';
export type {
  AddrType,
  Connection,
  Direction,
  HoldState,
  HoldStyle,
  LineEnding,
  MediaLine,
  Origin,
  Sdp,
  SdpLine,
  SdpMedia,
} from './model.js';
export { parseSdp, SDP_LIMITS } from './parser.js';
export { serializeSdp, serializeSdpBuffer } from './serializer.js';
export {
  parseBandwidth,
  parseConnection,
  parseMediaLine,
  parseOrigin,
  parseTiming,
  type Bandwidth,
  type Timing,
} from './fields.js';
export {
  attributeName,
  attributeValues,
  hasAttribute,
  isAttribute,
  isDirection,
  parseAttribute,
  parseCrypto,
  parseFmtp,
  parseMilliseconds,
  parseRtcp,
  parseRtpmap,
  sectionDirection,
  type Attribute,
  type Crypto,
  type Fmtp,
  type Rtcp,
  type Rtpmap,
} from './attributes.js';
export { isDomainName, isIpv4Literal, isIpv6Literal, isZeroAddress } from './address.js';
export {
  effectiveConnection,
  getCandidates,
  getCryptos,
  getDirection,
  getFmtps,
  getMaxptime,
  getMediaConnections,
  getMediaLine,
  getOrigin,
  getPtime,
  getRtcp,
  getRtpmaps,
  getSessionConnection,
  getSessionName,
  hasRtcpMux,
  holdState,
  isDisabled,
  isOnHold,
  mediaAt,
  usesIce,
} from './media.js';
export {
  bumpVersion,
  cloneSdp,
  setDirection,
  setMediaAddress,
  setMediaPort,
  setOrigin,
  setRtcp,
  setSessionAddress,
  type AddressSpec,
} from './rewrite.js';
