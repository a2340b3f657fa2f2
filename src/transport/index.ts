/** SIP transports (RFC 3261 18, RFC 3263, RFC 3581, RFC 5626 keepalives): the I/O edge of the stack. */
export { TransportLayer, type ListenerConfig, type TransportCounters, type TransportOptions, type TransportUser } from './layer.js';
export { TargetResolver, orderSrv, type DnsPort, type ResolverOptions } from './resolve.js';
export { defaultPort, responseDestination, responseDestinationFor, stampReceived } from './via.js';
export { isReliable, TransportError, type Destination, type LocalAddress, type MessageSource, type TransportProtocol } from './types.js';
