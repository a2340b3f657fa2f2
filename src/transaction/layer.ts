/**
 * The transaction layer (RFC 3261 17): owns the transaction tables, matches what the transport
 * delivers (17.1.3, 17.2.3), makes server transactions for new requests and hands what no
 * transaction absorbs to the core. Pure: time from the injected clock, I/O through the port.
 */
import { BoxedMap } from '../boxed-map.js';
import type { Clock } from '../clock.js';
import type { SipRequest, SipResponse } from '../sip/index.js';
import { createBranchFactory, counterIdSource, type BranchFactory, type IdSource } from './branch.js';
import { InviteClientTransaction } from './client-invite.js';
import { NonInviteClientTransaction } from './client-non-invite.js';
import { TransactionError } from './errors.js';
import { clientKey, isRfc3261Branch, LEGACY_ID_PREFIX, legacyKey, legacyMatches, responseKey, serverKey } from './matching.js';
import { InviteServerTransaction } from './server-invite.js';
import { NonInviteServerTransaction } from './server-non-invite.js';
import { LingerQueue } from './linger.js';
import { resolveTimerConfig, timerValues, type TimerValues } from './timers.js';
import type {
  ClientTransaction,
  ClientTransactionUser,
  Destination,
  MessageSource,
  ServerTransaction,
  TimerConfig,
  Transaction,
  TransactionCore,
  TransactionCounts,
  TransactionHost,
  TransactionLogger,
  TransactionStats,
  TransportPort,
  TryingPolicy,
} from './types.js';

export interface TransactionLayerOptions {
  clock: Clock;
  transport: TransportPort;
  core: TransactionCore;
  /** T1, T2, T4 for every transaction of this layer (defaults 500, 4000, 5000 ms). */
  timers?: Partial<TimerConfig>;
  logger?: TransactionLogger;
  /** When INVITE server transactions send 100 Trying (default 'immediate'). */
  trying?: TryingPolicy;
  /** The unique part of branches made by newBranch() (tests: deterministic; cluster: keyed). */
  branchIds?: IdSource;
}

const silent: TransactionLogger = { debug() {}, warn() {}, error() {} };

export class TransactionLayer {
  readonly timers: Readonly<TimerConfig>;
  readonly stats: TransactionStats = {
    retransmissions: 0,
    absorbed: 0,
    strayResponses: 0,
    strayAcks: 0,
    timeouts: 0,
    transportErrors: 0,
    dropped: 0,
    errors: 0,
    requests: 0,
    shed: 0,
  };
  /** Makes an RFC 3261 branch (z9hG4bK + unique id; `embed` goes in front of the id). */
  readonly newBranch: BranchFactory;
  private readonly core: TransactionCore;
  private readonly log: TransactionLogger;
  private readonly trying: TryingPolicy;
  private readonly reliableTimers: TimerValues;
  private readonly unreliableTimers: TimerValues;
  private readonly host: TransactionHost;
  /** 17.1.3 key -> client transaction. */
  private readonly clients = new BoxedMap<string, ClientTransaction>();
  /** 17.2.3 key (RFC 3261 branch) -> server transaction. */
  private readonly servers = new BoxedMap<string, ServerTransaction>();
  /** 17.2.3 RFC 2543 key -> server transaction. */
  private readonly legacy = new BoxedMap<string, ServerTransaction>();
  /** One queue per wait duration (linger.ts): a handful per layer (D, I/K, J/L/M). */
  private readonly lingerQueues = new Map<number, LingerQueue>();
  private readonly _counts: TransactionCounts = { inviteClient: 0, nonInviteClient: 0, inviteServer: 0, nonInviteServer: 0 };

  constructor(options: TransactionLayerOptions) {
    this.timers = Object.freeze(resolveTimerConfig(options.timers));
    this.reliableTimers = timerValues(this.timers, true);
    this.unreliableTimers = timerValues(this.timers, false);
    this.core = options.core;
    this.log = options.logger ?? silent;
    this.trying = options.trying ?? 'immediate';
    this.newBranch = createBranchFactory(options.branchIds ?? counterIdSource());
    const core = options.core;
    const stats = this.stats;
    this.host = {
      clock: options.clock,
      transport: options.transport,
      log: this.log,
      stats,
      released: (tx) => this.released(tx),
      lingerQueue: (ms) => this.lingerQueue(ms),
      ackToCore: (ack, source, tx) => core.onAck(ack, source, tx),
    };
  }

  /** Live transactions by kind. */
  get counts(): Readonly<TransactionCounts> {
    return { ...this._counts };
  }

  /** Live transactions in all. */
  get size(): number {
    return this.clients.size + this.servers.size + this.legacy.size;
  }

  private lingerQueue(ms: number): LingerQueue {
    let q = this.lingerQueues.get(ms);
    if (q === undefined) this.lingerQueues.set(ms, (q = new LingerQueue(this.host.clock, ms)));
    return q;
  }

  // ---- client side -----------------------------------------------------------------------

  /**
   * Makes a client transaction for `request` and sends it (17.1.1.2 / 17.1.2.2). The request's
   * top Via must carry an RFC 3261 branch (see newBranch) unique among live client
   * transactions of this method. The user's callbacks may run before this returns (a
   * transport that fails synchronously). Throws TransactionError for an ACK (never a
   * transaction of its own: 17.1.1.3, 13.2.2.4), a missing or non-RFC 3261 branch, or a
   * branch already in use.
   */
  createClientTransaction(request: SipRequest, destination: Destination, user: ClientTransactionUser): ClientTransaction {
    const method = request.method;
    if (method === 'ACK') {
      throw new TransactionError('SLUICE_ERR_TRANSACTION_REQUEST', 'ACK has no client transaction (RFC 3261 17.1.1.3, 13.2.2.4)');
    }
    const branch = request.topVia?.branch;
    if (!isRfc3261Branch(branch)) {
      throw new TransactionError(
        'SLUICE_ERR_TRANSACTION_REQUEST',
        `Request needs a top Via with an RFC 3261 branch (z9hG4bK + id, RFC 3261 8.1.1.7), got ${branch ?? 'none'}`,
      );
    }
    const id = clientKey(branch, method);
    if (this.clients.has(id)) {
      throw new TransactionError('SLUICE_ERR_TRANSACTION_EXISTS', `A client transaction with branch ${branch} and method ${method} exists`);
    }
    const timers = destination.reliable ? this.reliableTimers : this.unreliableTimers;
    const tx =
      method === 'INVITE'
        ? new InviteClientTransaction(id, request, destination, user, this.host, timers)
        : new NonInviteClientTransaction(id, request, destination, user, this.host, timers);
    this.clients.set(id, tx);
    if (tx.kind === 'invite-client') this._counts.inviteClient++;
    else this._counts.nonInviteClient++;
    tx.start();
    return tx;
  }

  /** The client transaction a response belongs to (17.1.3), if any. */
  findClientTransaction(response: SipResponse): ClientTransaction | undefined {
    const key = responseKey(response);
    return key === null ? undefined : this.clients.get(key);
  }

  /**
   * A response from the transport, with its true source. Matched to its client transaction
   * (17.1.3) or handed to core.onStrayResponse (else dropped: RFC 6026's change to RFC 3261
   * 18.1.2). Never throws.
   */
  receiveResponse(response: SipResponse, source: MessageSource): void {
    try {
      const tx = this.findClientTransaction(response);
      if (tx !== undefined) {
        tx.receiveResponse(response);
        return;
      }
      this.stats.strayResponses++;
      if (this.core.onStrayResponse) this.core.onStrayResponse(response, source);
      else this.log.debug({ status: response.status, from: source.address }, 'stray response discarded (RFC 6026)');
    } catch (err) {
      this.failedInput(err, 'response');
    }
  }

  // ---- server side -----------------------------------------------------------------------

  /**
   * A request from the transport, with its true source (received/rport already stamped).
   * A match (17.2.3) goes to its transaction: retransmissions and ACKs for non-2xx are absorbed
   * there. An ACK with no match goes to core.onAck; any other request gets a new server
   * transaction and goes to core.onRequest (CANCEL: core.onCancel if present), unless
   * core.admit refuses it (dropped and counted in stats.shed). Never throws.
   */
  receiveRequest(request: SipRequest, source: MessageSource): void {
    try {
      const via = request.topVia;
      if (via === undefined) {
        // 18.2.2 sends responses by the top Via: without one there is nowhere to answer.
        this.stats.dropped++;
        this.log.debug({ method: request.method, from: source.address }, 'request without Via dropped');
        return;
      }
      const method = request.method;
      const isAck = method === 'ACK';
      const compliant = isRfc3261Branch(via.branch);
      const key = compliant ? serverKey(via, method) : legacyKey(request, via, method);
      const found = compliant ? this.servers.get(key) : this.legacyMatch(key, request, isAck);
      if (found !== undefined) {
        found.receiveRequest(request, source);
        return;
      }
      if (isAck) {
        // 17.2.3 / 18.2.1: no transaction: the ACK for a 2xx, the core's (13.3.1.4).
        this.stats.strayAcks++;
        this.core.onAck(request, source);
        return;
      }
      if (this.core.admit !== undefined && !this.core.admit(request, source)) {
        this.stats.shed++;
        return;
      }
      this.newServerTransaction(key, compliant, request, source);
    } catch (err) {
      this.failedInput(err, 'request');
    }
  }

  /** Either side, as the transport delivers it (fits the transport's TransportUser). */
  onMessage(message: SipRequest | SipResponse, source: MessageSource): void {
    if (message.kind === 'request') this.receiveRequest(message, source);
    else this.receiveResponse(message, source);
  }

  /** The server transaction a request (or ACK) belongs to (17.2.3), if any. */
  findServerTransaction(request: SipRequest): ServerTransaction | undefined {
    const via = request.topVia;
    if (via === undefined) return undefined;
    const method = request.method;
    if (isRfc3261Branch(via.branch)) return this.servers.get(serverKey(via, method));
    return this.legacyMatch(legacyKey(request, via, method), request, method === 'ACK');
  }

  /**
   * The INVITE server transaction a CANCEL cancels (RFC 3261 9.2: match "assuming that the
   * request method is anything but CANCEL or ACK"), in whatever state it is; undefined if none.
   */
  findInviteForCancel(cancel: SipRequest): InviteServerTransaction | undefined {
    const via = cancel.topVia;
    if (via === undefined) return undefined;
    const tx = isRfc3261Branch(via.branch)
      ? this.servers.get(serverKey(via, 'INVITE'))
      : this.legacyMatch(legacyKey(cancel, via, 'INVITE'), cancel, false);
    return tx?.kind === 'invite-server' ? tx : undefined;
  }

  /** Ends every transaction at once, without callbacks, and clears every timer. */
  dispose(): void {
    for (const map of [this.clients, this.servers, this.legacy]) {
      for (const tx of [...map.values()]) tx.dispose();
      map.clear();
    }
  }

  private newServerTransaction(key: string, compliant: boolean, request: SipRequest, source: MessageSource): void {
    const timers = source.reliable ? this.reliableTimers : this.unreliableTimers;
    const method = request.method;
    const id = compliant ? key : LEGACY_ID_PREFIX + key;
    this.stats.requests++;
    if (method === 'INVITE') {
      const tx = new InviteServerTransaction(id, request, source, this.host, timers);
      this.register(key, compliant, tx);
      this._counts.inviteServer++;
      tx.start(this.trying);
      if (!tx.terminated) this.core.onRequest(request, tx);
      return;
    }
    const tx = new NonInviteServerTransaction(id, request, source, this.host, timers);
    this.register(key, compliant, tx);
    this._counts.nonInviteServer++;
    if (method === 'CANCEL' && this.core.onCancel) {
      this.core.onCancel(request, tx, this.findInviteForCancel(request));
    } else {
      this.core.onRequest(request, tx);
    }
  }

  private register(key: string, compliant: boolean, tx: ServerTransaction): void {
    (compliant ? this.servers : this.legacy).set(key, tx);
  }

  /** RFC 2543 fallback: the key narrows to one candidate; the URI and To tag confirm it. */
  private legacyMatch(key: string, request: SipRequest, isAck: boolean): ServerTransaction | undefined {
    const tx = this.legacy.get(key);
    if (tx === undefined) return undefined;
    // An ACK matches the INVITE transaction only (17.2.3).
    if (isAck && tx.kind !== 'invite-server') return undefined;
    return legacyMatches(tx, request, isAck) ? tx : undefined;
  }

  private released(tx: Transaction): void {
    switch (tx.kind) {
      case 'invite-client':
        this._counts.inviteClient--;
        break;
      case 'non-invite-client':
        this._counts.nonInviteClient--;
        break;
      case 'invite-server':
        this._counts.inviteServer--;
        break;
      case 'non-invite-server':
        this._counts.nonInviteServer--;
        break;
    }
    if (tx.kind === 'invite-client' || tx.kind === 'non-invite-client') {
      if (this.clients.get(tx.id) === tx) this.clients.delete(tx.id);
    } else if (this.servers.get(tx.id) === tx) {
      this.servers.delete(tx.id);
    } else {
      const key = tx.id.startsWith(LEGACY_ID_PREFIX) ? tx.id.slice(LEGACY_ID_PREFIX.length) : tx.id;
      if (this.legacy.get(key) === tx) this.legacy.delete(key);
    }
  }

  /** No input may crash the process (DESIGN.md): log what threw and carry on. */
  private failedInput(err: unknown, what: 'request' | 'response'): void {
    this.stats.errors++;
    this.log.error({ err }, `error while handling a ${what}; dropped`);
  }
}
