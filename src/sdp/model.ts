/**
 * The SDP model: plain, serialisable data (it can live in a LegRecord as it is).
 *
 * Every section is an ordered list of lines exactly as received, so an unchanged description
 * serializes back byte for byte (unknown lines and attributes, their order and odd spacing
 * included). Typed views (origin, connection, m= line, attributes) are derived from the lines
 * on demand by the functions in fields.ts, attributes.ts and media.ts; the rewrite helpers in
 * rewrite.ts edit the right line in place.
 */

export type LineEnding = '\r\n' | '\n';

export interface SdpLine {
  /** One lower-case letter: 'v', 'o', 'm', 'a', ... (unknown letters are kept). */
  type: string;
  /** Everything after `<type>=`, verbatim (no line ending). */
  value: string;
  /** Set only where this line's ending differs from `Sdp.eol` (mixed endings survive). */
  eol?: LineEnding;
}

export interface SdpMedia {
  /** `lines[0]` is the m= line; then its i=, c=, b=, k=, a= and any other lines, in order. */
  lines: SdpLine[];
}

export interface Sdp {
  /** Session-level lines from v= up to the first m= line. */
  session: SdpLine[];
  media: SdpMedia[];
  /** The line ending of the first line (CRLF when it has none); new lines get this one. */
  eol: LineEnding;
  /** Whether the last line is terminated (some senders leave it bare); applies to whatever line is last. */
  finalEol: boolean;
  /** Blank lines (only CR and LF) after the last line, kept verbatim; usually ''. */
  trailer: string;
}

export type AddrType = 'IP4' | 'IP6';
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> */
export interface Origin {
  username: string;
  /** Strings: both commonly exceed 2^53 (NTP timestamps, 64-bit random ids). */
  sessId: string;
  sessVersion: string;
  nettype: string;
  /** As written: o= is not used for media, so unknown address types are tolerated here. */
  addrtype: string;
  address: string;
}

/** c=IN <IP4|IP6> <address>[/<ttl>][/<count>], address without the suffixes. */
export interface Connection {
  nettype: 'IN';
  addrtype: AddrType;
  address: string;
  /** IP4 multicast TTL, when written. */
  ttl?: number;
  /** Number of multicast addresses, when written. */
  count?: number;
  /**
   * True when `address` is a literal of `addrtype` (a dotted quad for IP4, an IPv6 address for
   * IP6). Hostnames and mismatches are accepted (some devices send them) but flagged here.
   */
  literal: boolean;
}

/** m=<media> <port>[/<count>] <proto> <fmt> ... */
export interface MediaLine {
  media: string;
  port: number;
  /** 1 unless written as port/count. */
  portCount: number;
  proto: string;
  formats: string[];
}

export type HoldStyle = 'none' | 'sendonly' | 'recvonly' | 'inactive' | 'zero-address';

/**
 * How a stream's media flows, from the point of view of the party that wrote the SDP.
 * - `direction`: media-level direction attribute, else session-level, else sendrecv.
 * - `zeroAddress`: the effective c= is 0.0.0.0 or the IPv6 unspecified address.
 * - `holdStyle`: the direction when it is not sendrecv, else 'zero-address' when `zeroAddress`
 *   and the stream does not use ICE (RFC 2543 hold), else 'none'. With ICE (an a=ice-ufrag at
 *   media or session level) the zero address is the trickle-ICE placeholder (RFC 8840, with
 *   port 9) and ICE agents hold with direction attributes only (RFC 8839), so it is not hold.
 * - `held`: `holdStyle !== 'none'`, i.e. media does not flow both ways. Note that RFC 6337
 *   calls only sendonly, inactive and the zero address "hold"; recvonly (typically the answer
 *   to a sendonly hold) is reported as held too, and callers that care check `holdStyle`.
 */
export interface HoldState {
  direction: Direction;
  held: boolean;
  holdStyle: HoldStyle;
  zeroAddress: boolean;
}
