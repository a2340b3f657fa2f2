/**
 * The UA core's contracts (DESIGN.md row `ua/`): what it needs from the transport below, the
 * options an application gives it, and the plain records it keeps. Types only.
 */
import type { Clock } from '../clock.js';
import type { DialogRecord } from '../dialog/index.js';
import type { SipRequest, SipUri } from '../sip/index.js';
import type { Destination, LocalAddress, MessageSource, SendCallback, TimerConfig, TransactionLogger, TransportPort, TryingPolicy } from '../transaction/index.js';

/** The transport as the UA core sees it: sending (through transactions) and its own addresses. */
export interface UaTransport extends TransportPort {
  /** The local address a message to `destination` leaves from (Via sent-by, Contact). */
  localFor(destination: Pick<Destination, 'transport' | 'address' | 'local'>): LocalAddress;
  /** Sends a message kept as latin1 text (a byte per code unit), as sendBytes its bytes. */
  sendText(text: string, destination: Destination, done: SendCallback): void;
}

/** RFC 3263 resolution of a SIP URI to next hops, best first (TargetResolver fits). */
export type ResolveTarget = (uri: SipUri) => Promise<Destination[]>;

export interface Credentials {
  username: string;
  password: string;
}

/** Credentials for a realm that challenged `request` with 401/407 (trunks): undefined gives up. */
export type CredentialLookup = (realm: string, request: SipRequest) => Credentials | undefined;

/** RFC 4028 session timers. Intervals in seconds. */
export interface SessionTimerConfig {
  /** Session-Expires we ask for and grant at most (default 1800). */
  interval: number;
  /** Our Min-SE: shorter requested intervals get 422 (default 90, the RFC's floor). */
  minSE: number;
  /** How the refresher refreshes (default 're-INVITE'; UPDATE is lighter, RFC 4028 9). */
  refreshWith: 'INVITE' | 'UPDATE';
}

export interface UaOptions {
  clock: Clock;
  transport: UaTransport;
  /** Hostnames in URIs; numeric hosts never need it. */
  resolve?: ResolveTarget;
  timers?: Partial<TimerConfig>;
  trying?: TryingPolicy;
  /** The user part of our Contact (default 'sluice'); calls may set their own (a leg key). */
  contactUser?: string;
  /** The address put in Via and Contact instead of the socket's (a host behind 1:1 NAT). */
  advertise?: string;
  /** Value of User-Agent / Server (default none). */
  product?: string;
  /** Session timers; false turns them off (default on with the defaults above). */
  sessionTimer?: Partial<SessionTimerConfig> | false;
  credentials?: CredentialLookup;
  /** [0, 1) (glare delays, Retry-After); Math.random by default. */
  random?: () => number;
  /** Unique tokens for tags, Call-IDs and branches (tests: deterministic). */
  ids?: () => string;
  logger?: TransactionLogger;
  /**
   * What becomes of a new request (one outside any transaction), asked before its transaction
   * is made: 'drop' drops it unanswered (TransactionCore.admit); 'busy', for an INVITE that
   * starts a dialog, answers 503 with Retry-After. The engine's overload guard sheds new calls
   * this way. Default: every request accepted.
   */
  admission?: (request: SipRequest, source: MessageSource) => Admission;
  /**
   * The lean path of the common call over UDP: INVITEs that can only be the common call (no
   * Require; see lean-invites.ts) are answered and placed, and BYEs in its sessions sent and
   * answered (lean-byes.ts), without transaction objects, with their messages written as text,
   * and their early dialogs become sessions only when a request in one needs it
   * (IncomingInvite.earlySession): less CPU per call. The provisionals of an INVITE answered so
   * are never reliable. Default false.
   */
  lean?: boolean;
}

/** See UaOptions.admission. */
export type Admission = 'accept' | 'drop' | 'busy';

/** Body and extra header fields of a request or response the application sends. */
export interface MessageParts {
  body?: string | Buffer;
  /** Required with a body (default application/sdp). */
  contentType?: string;
  headers?: readonly (readonly [string, string])[];
}

/** The session timer in force on a dialog (RFC 4028), as data: a deadline, not a timer. */
export interface SessionTimerState {
  /** Seconds. */
  interval: number;
  /** True when this side refreshes; else it ends the session when no refresh comes. */
  weRefresh: boolean;
  /** Wall-clock ms: refresh at (we refresh) or give up at (they refresh). */
  deadline: number;
}

/**
 * Everything about one INVITE dialog usage that must outlive a process: the dialog record, the
 * offer/answer bodies in force and the session timer deadline (DESIGN.md "State as data").
 */
export interface SessionRecord {
  dialog: DialogRecord;
  /** Our last SDP (offer or answer) and the peer's, as text. */
  localSdp: string | null;
  remoteSdp: string | null;
  sessionTimer: SessionTimerState | null;
  /** Wall-clock ms of creation and of the answer. */
  createdAt: number;
  answeredAt: number | null;
}

/** Why a session ended, for the application's records. */
export interface SessionEnd {
  by: 'local' | 'remote';
  cause: 'bye' | 'cancel' | 'rejected' | 'no-ack' | 'session-expired' | 'timeout' | 'transport' | 'dialog-gone' | 'fork-dropped' | 'disposed';
  status?: number;
}
