/**
 * The transaction layer's contracts (RFC 3261 17): what it needs from the transport below, what
 * it reports to the transaction users above, and its configuration. Types only.
 */
import type { Clock } from '../clock.js';
import type { SipRequest, SipResponse } from '../sip/index.js';
import type { InviteClientTransaction } from './client-invite.js';
import type { NonInviteClientTransaction } from './client-non-invite.js';
import type { LingerQueue } from './linger.js';
import type { InviteServerTransaction } from './server-invite.js';
import type { NonInviteServerTransaction } from './server-non-invite.js';

// The transport row sits above this one (DESIGN.md "Layers") and already owns these shapes, so
// they are re-exported rather than defined twice: one definition, and no import from below.
export type { Destination, LocalAddress, MessageSource, TransportProtocol } from '../transport/types.js';
import type { Destination, MessageSource } from '../transport/types.js';

/**
 * The outcome of a send, synchronously or later. `null` (success) is accepted and ignored, so
 * the transport layer's own `done(err | null)` fits as is, including its null-then-error on a
 * stream connection that fails after the write was queued. An error reported after the
 * transaction ended is counted (stats.transportErrors) and otherwise ignored.
 */
export type SendCallback = (error: Error | null) => void;

/**
 * What the layer needs from the transport. Neither method may throw: a failure comes back
 * through the callback (RFC 3261 18.4), and the transaction treats it per 17.1.4 / 17.2.4.
 */
export interface TransportPort {
  sendRequest(request: SipRequest, destination: Destination, done: SendCallback): void;
  /**
   * `source` is where the request came from; the transport picks the destination itself
   * (RFC 3261 18.2.2, RFC 3581 4: the same connection, or received/rport of the top Via).
   */
  sendResponse(response: SipResponse, source: MessageSource, done: SendCallback): void;
  /** Where sendResponse would send `response` (for a transaction that keeps its final as bytes to resend). */
  responseDestination(response: SipResponse, source: MessageSource): Destination;
  /** Sends bytes already serialized (a final resent as it was first sent). */
  sendBytes(bytes: Buffer, destination: Destination, done: SendCallback): void;
}

/** RFC 3261 17.1.1.1 / table 4 base values, in milliseconds. */
export interface TimerConfig {
  /** RTT estimate (default 500 ms). */
  t1: number;
  /** Longest interval between non-INVITE request and INVITE response retransmissions (4 s). */
  t2: number;
  /** Longest time a message stays in the network (5 s). */
  t4: number;
}

export const DEFAULT_TIMER_CONFIG: Readonly<TimerConfig> = Object.freeze({ t1: 500, t2: 4000, t4: 5000 });

/**
 * When an INVITE server transaction sends 100 Trying (RFC 3261 17.2.1):
 * - 'immediate' (default): at once, before the request reaches the core;
 * - 'delayed': only if the TU has sent no provisional response within 200 ms (the RFC's rule);
 * - 'never': the TU takes over the duty itself.
 */
export type TryingPolicy = 'immediate' | 'delayed' | 'never';

export type TransactionKind = 'invite-client' | 'non-invite-client' | 'invite-server' | 'non-invite-server';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
export type Transaction = ClientTransaction | ServerTransaction;

/**
 * The TU of one client transaction (the UAC core, or a B2BUA leg). Callbacks run synchronously
 * inside the layer; they may call back into it. The outcome is onFinal (one non-2xx, or every
 * 2xx), onTimeout or onTransportError; a failed ACK for a non-2xx adds onTransportError after
 * onFinal. onTerminated comes last, unless the transaction was disposed (dispose is silent).
 */
export interface ClientTransactionUser {
  /** A 1xx (RFC 3261 17.1.1.2, 17.1.2.2). */
  onProvisional?(response: SipResponse, tx: ClientTransaction): void;
  /**
   * A final response. Non-INVITE and non-2xx INVITE: once (retransmissions are absorbed, the
   * ACK for a non-2xx is sent here). INVITE 2xx: once per 2xx received while Accepted, that
   * is every retransmission and every forked 2xx until Timer M (RFC 6026 7.2); the UAC core
   * ACKs each (RFC 3261 13.2.2.4).
   */
  onFinal(response: SipResponse, tx: ClientTransaction): void;
  /** Timer B or F fired: treat as 408 Request Timeout (RFC 3261 8.1.3.1). */
  onTimeout(tx: ClientTransaction): void;
  /**
   * The transport could not send the request (or the ACK for a non-2xx): treat as 503 Service
   * Unavailable (RFC 3261 8.1.3.1). The transaction is already Terminated.
   */
  onTransportError(error: Error, tx: ClientTransaction): void;
  onTerminated?(tx: ClientTransaction): void;
}

/** Optional observer of one server transaction, set by the core on `tx.user`. */
export interface ServerTransactionUser {
  /**
   * INVITE only: the ACK for this transaction's non-2xx final arrived (Completed to Confirmed,
   * RFC 3261 17.2.1). Informational: the transaction has absorbed it.
   */
  onAck?(ack: SipRequest, tx: InviteServerTransaction): void;
  /**
   * INVITE only: Timer H fired with no ACK for the non-2xx final (RFC 3261 17.2.1: "indicate
   * to the TU that a transaction failure has occurred").
   */
  onTimeoutH?(tx: InviteServerTransaction): void;
  /**
   * A response could not be sent (RFC 3261 17.2.4). INVITE: the transaction stays in its state
   * (RFC 6026 7.1, Figure 5); non-INVITE: it is Terminated (RFC 3261 17.2.2).
   */
  onTransportError?(error: Error, tx: ServerTransaction): void;
  onTerminated?(tx: ServerTransaction): void;
}

/** The core above the layer (UAS/UAC core, B2BUA): what no transaction absorbs. */
export interface TransactionCore {
  /**
   * A new request and the server transaction made for it (RFC 3261 17.2.3 found none). For an
   * INVITE the 100 Trying may already be out (see TryingPolicy).
   */
  onRequest(request: SipRequest, tx: ServerTransaction): void;
  /**
   * Asked before a new request (one that matched no transaction; never an ACK) gets a server
   * transaction: false drops it unanswered, as if lost, and counts it (stats.shed). Over UDP the
   * client retransmits it (Timers A and E), so a core under overload can refuse new work this
   * way and take it up again when it has room. Without this hook every request is admitted.
   */
  admit?(request: SipRequest, source: MessageSource): boolean;
  /**
   * An ACK the transaction layer does not absorb (RFC 3261 17, 13.3.1.4): the ACK for a 2xx,
   * which matches no transaction (`tx` undefined), or one matching an INVITE server transaction
   * in Accepted (RFC 6026 7.1, `tx` set). The core matches it to a dialog, and drops it if none.
   */
  onAck(ack: SipRequest, source: MessageSource, tx?: InviteServerTransaction): void;
  /**
   * A new CANCEL, with its own server transaction and the INVITE server transaction it cancels
   * (RFC 3261 9.2), if there is one. Without this hook CANCELs go to onRequest.
   */
  onCancel?(cancel: SipRequest, tx: NonInviteServerTransaction, invite: InviteServerTransaction | undefined): void;
  /**
   * A response that matches no client transaction (RFC 3261 17.1.3). RFC 6026 rewrites the end
   * of RFC 3261 18.1.2: any element but a stateless proxy MUST silently discard it, and 2xx
   * retransmissions reach the UAC core through the Accepted state instead. The hook exists for
   * the cluster, where the client transaction may live on another instance (the branch carries
   * the leg key): a core that implements it MUST forward the response to that owner or drop it
   * silently, never act on it itself. Without the hook the layer drops it (and counts it).
   */
  onStrayResponse?(response: SipResponse, source: MessageSource): void;
}

/** What the layer logs through (a pino Logger fits). */
export interface TransactionLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Active transactions by kind, for metrics. */
export interface TransactionCounts {
  inviteClient: number;
  nonInviteClient: number;
  inviteServer: number;
  nonInviteServer: number;
}

/** Monotonic counters, for metrics. */
export interface TransactionStats {
  /** Requests (Timers A, E) and responses (Timer G) sent again by a timer. */
  retransmissions: number;
  /** Incoming retransmissions absorbed by a transaction (requests, responses, ACKs). */
  absorbed: number;
  /** Responses that matched no client transaction. */
  strayResponses: number;
  /** ACKs that matched no server transaction. */
  strayAcks: number;
  /** Timers B, F and H. */
  timeouts: number;
  transportErrors: number;
  /** Messages dropped: no Via, or no transition for them in their transaction's state. */
  dropped: number;
  /** Exceptions caught on the way in or from a timer: a TU (or core) that threw, or bad input. */
  errors: number;
  /** New requests that made a server transaction. */
  requests: number;
  /** New requests the core did not admit (TransactionCore.admit: overload): dropped, no transaction made. */
  shed: number;
}

/**
 * The layer's side of a transaction: shared by every transaction of one layer (one object, no
 * closure per transaction). Internal: the layer implements it.
 */
export interface TransactionHost {
  readonly clock: Clock;
  readonly transport: TransportPort;
  readonly log: TransactionLogger;
  readonly stats: TransactionStats;
  /** Called exactly once when a transaction ends (Terminated or disposed). */
  released(tx: Transaction): void;
  /** The layer's queue for waits of `ms` (see linger.ts). */
  lingerQueue(ms: number): LingerQueue;
  /** An ACK an INVITE server transaction hands up (RFC 6026 7.1). */
  ackToCore(ack: SipRequest, source: MessageSource, tx: InviteServerTransaction): void;
}
