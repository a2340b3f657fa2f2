/** The media section of one realm: where its relay ports live. */
export interface RealmMedia {
  address: string;
  /** address to put in SDP, default = address */
  advertise?: string;
  /** Even ports p with portMin <= p < portMax are RTP ports; each is paired with p + 1 for RTCP. */
  portMin: number;
  portMax: number;
}

/**
 * What SDP advertises for one side. `rtcpPort` is always rtpPort + 1: it is reserved and
 * listening even on an rtcp-mux side, so it can serve as the a=rtcp fallback of RFC 5761 5.1.3.
 */
export interface MediaEndpoint {
  address: string;
  rtpPort: number;
  rtcpPort: number;
}

export type Side = 'a' | 'b';

export interface StreamSideSpec {
  realm: string;
  rtcpMux: boolean;
}

export interface RemoteAddress {
  address: string;
  rtpPort: number;
  /** null: rtcp-mux or unknown → rtpPort+1 unless mux */
  rtcpPort: number | null;
}

export interface SideStats {
  /** RTP packets (version 2, at least 12 bytes) accepted from the party. */
  packets: number;
  bytes: number;
  rtcpPackets: number;
  /** Estimated from sequence gaps per SSRC (RFC 3550 A.3: expected - received). */
  lost: number;
  /**
   * Datagrams the relay refused itself: from its own ports, (strict) from an IP other than the
   * signalled one, or from another source that reached a socket not connected to its latch (yet).
   * Once a side has latched, its socket is connected to the latched source and the kernel
   * refuses anyone else before the relay sees it: those are not counted (and cost no relay CPU).
   */
  dropped: number;
  /**
   * clock.now() ms of the last RTP or RTCP packet accepted from the party. With worker threads
   * the packet is stamped in real time and mapped onto the relay's clock when read.
   */
  lastPacketAt: number | null;
  /** The party's latched RTP source. */
  latched: { address: string; port: number } | null;
}
