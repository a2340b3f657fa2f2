/**
 * Reading and writing the header values dialogs are made of. Values stay byte strings as the
 * grammar keeps them (src/sip/types.ts); route values and From/To are kept as written, so what
 * goes back on the wire is what the peer sent (RFC 3261 12.1.1: "preserving all URI parameters").
 */
import {
  getParam,
  parseNameAddr,
  parseUri,
  serializeUri,
  splitList,
  type NameAddr,
  type SipMessage,
  type SipUri,
  type Uri,
} from '../sip/index.js';
import { DialogError, DialogErrorCode } from './errors.js';

/** Every Record-Route (or Route) value of a message in wire order, each validated and kept as written. */
export function routeValues(message: SipMessage, header: 'record-route' | 'route'): string[] {
  const out: string[] = [];
  for (const field of message.headerValues(header)) {
    for (const part of splitList(field, header)) {
      parseNameAddr(part, { requireAngle: true, header }); // throws SipParseError when malformed
      out.push(part);
    }
  }
  return out;
}

/** The first Contact URI as a string, or null when there is none (or only '*'). */
export function contactUri(message: SipMessage): string | null {
  const contact = message.contact;
  if (contact === '*' || contact.length === 0) return null;
  return serializeUri(contact[0]!.uri);
}

/** The raw value of a header the message must have. */
export function requiredValue(message: SipMessage, name: string): string {
  const v = message.header(name);
  if (v === undefined) throw new DialogError(DialogErrorCode.missing, `Missing ${name} header`, 400);
  return v;
}

function isSip(uri: Uri): uri is SipUri {
  return uri.scheme === 'sip' || uri.scheme === 'sips';
}

/** Whether a route value (`<sip:...;lr>`) names a loose router (RFC 3261 16.12.1.1 / 19.1.1 lr). */
export function isLooseRoute(routeValue: string): boolean {
  const na: NameAddr = parseNameAddr(routeValue, { requireAngle: true, header: 'route' });
  return isSip(na.uri) && getParam(na.uri.params, 'lr') !== undefined;
}

/** The URI of a route value. */
export function routeUri(routeValue: string): Uri {
  return parseNameAddr(routeValue, { requireAngle: true, header: 'route' }).uri;
}

/**
 * A URI made fit for a Request-URI: RFC 3261 19.1.1 Table 1 allows neither `method` nor URI
 * headers there (and our own parser refuses `?headers` in one). Unchanged text when there is
 * nothing to strip.
 */
export function asRequestUri(uriText: string): string {
  // A target with neither URI headers nor a method parameter is its own Request-URI: the one of
  // every in-dialog request, as remote targets (Contact URIs) were checked when they came in.
  if (uriText.indexOf('?') < 0 && uriText.toLowerCase().indexOf(';method') < 0) return uriText;
  return requestUriOf(parseUri(uriText), uriText);
}

export function requestUriOf(uri: Uri, text?: string): string {
  if (!isSip(uri)) return text ?? serializeUri(uri);
  const hasMethod = getParam(uri.params, 'method') !== undefined;
  if (!hasMethod && uri.headers.length === 0) return text ?? serializeUri(uri);
  return serializeUri({
    ...uri,
    params: uri.params.filter((p) => p.name.toLowerCase() !== 'method'),
    headers: [],
  });
}
