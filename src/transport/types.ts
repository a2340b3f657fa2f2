import { SluiceError } from '../errors.js';

/** The transports of RFC 3261 18 (WS/WSS may come later). */
export type TransportProtocol = 'UDP' | 'TCP' | 'TLS';

export interface LocalAddress {
  address: string;
  port: number;
}

/**
 * Where a message came from: its true source (the address and port the packet or connection
 * came from, never what the message claims), the transport, and the local socket that took it.
 */
export interface MessageSource {
  transport: TransportProtocol;
  address: string;
  port: number;
  /** The local listener that received it; responses leave from the same socket (NAT). */
  local?: LocalAddress;
  /** The stream connection it came on, for responses over the same connection (RFC 3261 18.2.2). */
  connectionId?: string;
  /** True for stream transports: no retransmissions at the transaction layer. */
  reliable: boolean;
}

/** Where to send a request: a resolved next hop (RFC 3263). */
export interface Destination {
  transport: TransportProtocol;
  address: string;
  port: number;
  reliable: boolean;
  /** Reuse this open connection if it is still there. */
  connectionId?: string;
  /** TLS: the name to verify the peer's certificate against. */
  serverName?: string;
  /** Send from this local listener (address and port) rather than the default of its family. */
  local?: LocalAddress;
}

export function isReliable(t: TransportProtocol): boolean {
  return t !== 'UDP';
}

/** A send that failed: an unreachable peer, a refused or reset connection, no listener. */
export class TransportError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SLUICE_ERR_TRANSPORT', message, 503, options);
  }
}
