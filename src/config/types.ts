/** Sluice's configuration, as read from YAML (config/sluice.yaml is the embedded default). */
export interface SluiceConfig {
  node: { id: string };
  log: { level: string };
  sip: SipConfig;
  realms: Record<string, RealmConfig>;
  /** Routing rules and trunks (a folder of YAML files, relative to the configuration file). */
  dialplan: string;
  store: { kind: 'memory' };
  calls: CallsConfig;
  /** The media relay as a whole (each realm's ports are in its own `media` section). */
  media: MediaConfig;
}

export interface SipConfig {
  maxMessageBytes: number;
  /**
   * While the process cannot keep up (its event loop saturated and peers retransmitting), drop
   * new INVITEs over UDP unanswered so that calls in progress keep their service; the callers
   * retransmit them. Over TCP or TLS they are answered 503 with Retry-After (security/overload.ts).
   * Default true.
   */
  overloadControl: boolean;
  /**
   * UDP datagrams leave through a send thread of the native addon (native/sip-send.c): the main
   * thread copies each into a queue and the thread sends them with sendmmsg. Where the addon was
   * not built Sluice says so at start and sends through node:dgram. Default true.
   */
  udpSendThread: boolean;
  /**
   * A turn of at most this many UDP datagrams, the send thread asleep, is sent by the main thread
   * itself (one sendmmsg) rather than by waking the thread: on a host where waking a thread is
   * dear that wake-up costs more than the sends. 0 hands every turn to the thread.
   */
  udpSendInline: number;
  /**
   * UDP datagrams are read a batch at a time (recvmmsg) by the same addon, one callback per batch
   * (transport/native-recv.ts); where it could not be built, or with false, one at a time by
   * node:dgram. Default true.
   */
  udpBatchReceive: boolean;
  /**
   * INVITEs over UDP that can only be the common call (no Require header) are answered and placed,
   * and the BYEs of their sessions sent and answered, on the UA core's lean path
   * (ua/lean-invites.ts, ua/lean-byes.ts): no transaction objects, messages written as text, no
   * early dialogs, for less CPU per call. Such a call's provisionals are never reliable, and its
   * early dialog becomes a session only when a request in it needs one. Default true.
   */
  leanInvites: boolean;
  /**
   * The common call (an INVITE over UDP with an offer, routed at once to a trunk at an address
   * over UDP, media direct) held by one object for both legs (b2bua/flat-call.ts) instead of a
   * Call over the UA core's calls and sessions, with the same messages on the wire; anything else
   * in its dialogs promotes it to such a Call. Needs leanInvites. Default true.
   */
  flatCalls: boolean;
}

export interface MediaConfig {
  /**
   * Worker threads that forward RTP/RTCP, each owning the sockets of the streams placed on it;
   * 0 forwards in the signalling thread. Default: one per core (os.availableParallelism()).
   */
  workers: number;
  /**
   * The relay reads and sends packets with the native addon (native/: recvmmsg/sendmmsg,
   * no JavaScript per packet) where `npm install` built it; else, or false, through node:dgram.
   */
  native: boolean;
}

export interface ListenConfig {
  transport: 'udp' | 'tcp' | 'tls';
  address: string;
  port: number;
  /** TLS only: PEM files, relative to the configuration file. */
  cert?: string;
  key?: string;
}

/** One side of the SBC: its listeners, what it advertises, its media ports and who may talk to it. */
export interface RealmConfig {
  listen: ListenConfig[];
  /** The address put in Via, Contact and SDP when the host sits behind 1:1 NAT (a cloud VM); default the listen address. */
  advertise?: string;
  media: { address: string; advertise?: string; portMin: number; portMax: number };
  /** Source networks allowed to send signalling (CIDR); empty means anyone. */
  allow: string[];
  /** Phones REGISTER here (the local registrar serves this realm). */
  registrar: boolean;
}

export interface CallsConfig {
  /** CDR file (one JSON line per call); empty = no CDRs. Relative to the configuration file. */
  cdrFile: string;
  /** A call longer than this ends with BYE on both legs (0 = no limit). */
  maxDurationSeconds: number;
  /** No RTP/RTCP from either party for this long ends the call (0 = never). */
  mediaTimeoutSeconds: number;
  /** Release relay ports while a call is on hold (resume allocates again). */
  releaseOnHold: boolean;
  /** Strict latching: media is accepted only from the IP the SDP named. */
  strictMedia: boolean;
}

/**
 * sip.udpSendInline's default and ceiling (transport/native-send.ts applies them too): a turn of
 * more than the ceiling is the send thread's work whatever the setting, or it would hold the main
 * thread.
 */
export const UDP_SEND_INLINE = { default: 16, max: 1_024 } as const;
