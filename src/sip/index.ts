/** `sluice/sip`: the SIP message layer (RFC 3261 sections 7, 20 and 25). Pure: no I/O. */
export { SipParseError } from './errors.js';
export { parseMessage, type ParseMode, type ParseOptions } from './parser.js';
export { serializeMessage } from './serializer.js';
export { createResponse, REASON_PHRASES } from './response.js';
export { StreamFramer, type StreamItem } from './stream.js';
export { DEFAULT_LIMITS, type ParseLimits } from './limits.js';
export {
  SipMessage,
  SipRequest,
  SipResponse,
  isRequest,
  isResponse,
  type AnySipMessage,
  type HeaderField,
} from './message.js';
export { isSipUri, isTelUri, parseUri, serializeUri, uriEquals } from './uri.js';
export { parseNameAddr, serializeNameAddr } from './name-addr.js';
export { parseVia, serializeVia } from './via.js';
export { getParam } from './params.js';
export * from './header-values.js';
export { canonicalName, displayName } from './header-names.js';
export { utf8, byteString } from './utf8.js';
export { ownCopy, ownUtf8 } from './bytes.js';
export type * from './types.js';
export * from './digest.js';
