/**
 * The next hop of a SIP URI whose host (or maddr) is an IP address: no RFC 3263 resolution is
 * needed. Its transport from the scheme and the transport parameter, its port the URI's or the
 * transport's default.
 */
import { isIP } from 'node:net';
import { getParam, isSipUri, parseUri, type SipUri } from '../sip/index.js';
import type { Destination } from '../transaction/index.js';
import type { AddressTable } from '../transport/addresses.js';

export function numericDestination(uri: SipUri, addresses: AddressTable): Destination | null {
  const transportParam = getParam(uri.params, 'transport')?.toUpperCase();
  const transport = uri.scheme === 'sips' ? 'TLS' : transportParam === 'TCP' ? 'TCP' : transportParam === 'TLS' ? 'TLS' : 'UDP';
  const maddr = getParam(uri.params, 'maddr') ?? null;
  const host = maddr ?? uri.host;
  if (isIP(host) === 0) return null;
  // One string per peer address (transport/addresses.ts): a destination is kept as long as its
  // dialog, and an ACK's or a response's for Timer M or J after it.
  return { transport, address: addresses.of(host), port: uri.port ?? (transport === 'TLS' ? 5061 : 5060), reliable: transport !== 'UDP' };
}

/** The same for a URI as text (`<...>` allowed); null for one that does not parse or is not sip/sips. */
export function numericDestinationOfText(uriText: string, addresses: AddressTable): Destination | null {
  try {
    const uri = parseUri(uriText.startsWith('<') ? uriText.slice(1, uriText.indexOf('>')) : uriText);
    return isSipUri(uri) ? numericDestination(uri, addresses) : null;
  } catch {
    return null;
  }
}
