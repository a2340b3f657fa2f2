/**
 * Structured values of the SIP grammar (RFC 3261 section 25). All strings are "byte strings":
 * the message is decoded as latin1, so every byte of the wire is one UTF-16 code unit and raw
 * UTF-8, NUL and other bytes survive a round trip untouched. Use `utf8(text)` to read one as
 * Unicode.
 */

/** A `;name=value` (or `?name=value` for URI headers) parameter, as written on the wire. */
export interface Param {
  /** The name as written (compare case-insensitively). */
  name: string;
  /** The value as written (escaped, or a quoted-string with its quotes), or null when absent. */
  value: string | null;
}

export type HostKind = 'domain' | 'ipv4' | 'ipv6';

export interface SipUri {
  scheme: 'sip' | 'sips';
  /** The user part, %-unescaped; null when the URI has no user part. */
  user: string | null;
  /** The password, %-unescaped; null when absent. */
  password: string | null;
  /** Host as written, without the brackets of an IPv6 reference. */
  host: string;
  hostKind: HostKind;
  port: number | null;
  params: Param[];
  /** `?h=v&...` URI headers (not allowed in a Request-URI). */
  headers: Param[];
}

export interface TelUri {
  scheme: 'tel';
  /** The telephone-subscriber's number (global with a leading '+', or local). */
  number: string;
  params: Param[];
}

/** Any other absoluteURI (RFC 3261 25.1): kept opaque. */
export interface OtherUri {
  /** Lower-cased scheme. */
  scheme: string;
  /** Everything after the first ':' as written. */
  opaque: string;
}

export type Uri = SipUri | TelUri | OtherUri;

/** name-addr or addr-spec with the header's own parameters (From, To, Contact, Route, ...). */
export interface NameAddr {
  /** Display name: a quoted-string's content with quoted-pairs resolved, or the token words; null when absent. */
  displayName: string | null;
  uri: Uri;
  /** Header parameters that follow the URI (tag, expires, q, ...), as written. */
  params: Param[];
  /** Whether the URI was enclosed in <>: a URI with ;,? must be, on serialization. */
  angle: boolean;
}

export interface Via {
  /** 'SIP' */
  protocol: string;
  /** '2.0' */
  version: string;
  /** Upper-cased transport: UDP, TCP, TLS, SCTP, WS, WSS or any extension token. */
  transport: string;
  host: string;
  hostKind: HostKind;
  port: number | null;
  /** The branch parameter, or null when absent (RFC 2543 peers). */
  branch: string | null;
  /** received= (RFC 3261 18.2.1); an IPv6 value is stored without brackets. */
  received: string | null;
  /** rport (RFC 3581): a number when filled in, true when present without a value, null when absent. */
  rport: number | true | null;
  maddr: string | null;
  ttl: number | null;
  /** Every parameter in order, the ones above included. */
  params: Param[];
}

export interface CSeq {
  /** 0 .. 2^32-1 */
  seq: number;
  method: string;
}

export interface ContentType {
  /** Lower-cased type, e.g. 'application'. */
  type: string;
  /** Lower-cased subtype, e.g. 'sdp'. */
  subtype: string;
  params: Param[];
}

/** Authorization / Proxy-Authorization credentials, WWW-Authenticate / Proxy-Authenticate challenges. */
export interface AuthValue {
  /** The scheme as written (Digest, or any other token). */
  scheme: string;
  /** auth-params by lower-cased name, quoted values unquoted; empty for a non-param scheme. */
  params: Map<string, string>;
  /** For schemes whose value is not auth-params (e.g. a token68), the text after the scheme. */
  token: string | null;
}
