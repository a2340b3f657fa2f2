import type { SipRequest, SipResponse } from '../sip/index.js';
import type { Via } from '../sip/types.js';
import type { Destination, MessageSource } from './types.js';
import { isReliable } from './types.js';

/** RFC 3263 4 default ports. */
export function defaultPort(transport: string): number {
  return transport.toUpperCase() === 'TLS' ? 5061 : 5060;
}

/**
 * RFC 3261 18.2.1 and RFC 3581 4: a server notes where a request really came from in its top
 * Via: `received` when the sent-by host is not the source address, and with `rport` present,
 * both `received` and the source port. Returns false when the request has no Via to stamp.
 */
export function stampReceived(request: SipRequest, source: MessageSource): boolean {
  const top = request.via[0];
  if (top === undefined) return false;
  const wantsRport = top.rport !== null;
  const differs = normalizeHost(top.host) !== normalizeHost(source.address);
  if (!differs && !wantsRport) return false;
  const params = top.params.filter((p) => {
    const n = p.name.toLowerCase();
    return n !== 'received' && n !== 'rport';
  });
  // RFC 3581 4: with rport, received is added even when it equals the sent-by host.
  params.push({ name: 'received', value: source.address });
  if (wantsRport) params.push({ name: 'rport', value: String(source.port) });
  const via: Via = { ...top, params, received: source.address, rport: wantsRport ? source.port : null };
  request.setTopVia(via);
  return true;
}

function normalizeHost(h: string): string {
  return h.toLowerCase();
}

/**
 * Where a response goes (RFC 3261 18.2.2 with RFC 3581 4): over the connection the request came
 * on when it is reliable; else to maddr if present; else to `received` at `rport` (or at the
 * sent-by port), from the socket that received the request.
 */
export function responseDestination(response: SipResponse, requestSource: MessageSource): Destination {
  return responseDestinationFor(response.via[0], requestSource);
}

/** responseDestination by the response's top Via: the request's, once stamped (stampReceived). */
export function responseDestinationFor(top: Via | undefined, requestSource: MessageSource): Destination {
  // Built as whole literals, not by spreading a base: this runs for every response sent, and
  // each spread was a copy through V8's slow clone path.
  const transport = requestSource.transport;
  const reliable = isReliable(transport);
  const local = requestSource.local;
  let address: string;
  let port: number;
  if (top === undefined) {
    address = requestSource.address;
    port = requestSource.port;
  } else if (reliable) {
    address = top.received ?? requestSource.address;
    port = typeof top.rport === 'number' ? top.rport : requestSource.port;
    const connectionId = requestSource.connectionId;
    if (connectionId) {
      return local ? { transport, reliable, local, address, port, connectionId } : { transport, reliable, address, port, connectionId };
    }
  } else if (top.maddr !== null) {
    address = top.maddr;
    port = top.port ?? defaultPort(top.transport);
  } else {
    address = top.received ?? top.host;
    // The source's string when it is the same address (addresses.ts: the transport's one copy),
    // not the Via's, which is cut from this message and kept with the response for Timer J.
    if (address === requestSource.address) address = requestSource.address;
    port = typeof top.rport === 'number' ? top.rport : (top.port ?? defaultPort(top.transport));
  }
  return local ? { transport, reliable, local, address, port } : { transport, reliable, address, port };
}
