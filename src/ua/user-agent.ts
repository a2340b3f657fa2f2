/**
 * The UA core (RFC 3261 8, 12-15 over 17): owns the transaction layer, the table of sessions
 * (INVITE dialog usages) and the incoming INVITEs being answered, and routes what the
 * transactions hand up: new INVITEs to the application, requests in a dialog to their session,
 * the rest to the application or to RFC defaults. It also sends requests: outside a dialog with
 * digest retries, and for calls through OutgoingCall.
 */
import { BoxedMap } from '../boxed-map.js';
import type { Clock } from '../clock.js';
import { dialogKeyOfIncomingRequest, type ViaSpec } from '../dialog/index.js';
import { createResponse, flatString, isSipUri, ownString, parseUri, SipRequest, type SipResponse } from '../sip/index.js';
import {
  LingerQueue,
  TransactionLayer,
  type Destination,
  type InviteServerTransaction,
  type MessageSource,
  type NonInviteServerTransaction,
  type ServerTransaction,
  type TransactionCore,
  type TransactionLogger,
} from '../transaction/index.js';
import { AddressTable } from '../transport/addresses.js';
import { outOfDialogRequest, sendWithAuth, transact, type Attempt, type OutOfDialogOptions } from './client-requests.js';
import { UaError, UaErrorCode } from './errors.js';
import { glareDelayMs, randomIds } from './ids.js';
import { IncomingCall } from './incoming-call.js';
import type { IncomingInvite, OutgoingInvite } from './invites.js';
import { LeanByes } from './lean-byes.js';
import { LeanInvites } from './lean-invites.js';
import type { RingingIncoming } from './lean-incoming-call.js';
import type { RingingOutgoing } from './lean-outgoing-call.js';
import { numericDestination, numericDestinationOfText } from './numeric-destination.js';
import { IncomingRequest } from './incoming-request.js';
import { OutgoingCall, type CallOptions } from './outgoing-call.js';
import type { Session } from './session.js';
import { resolveSessionTimer } from './session-timer.js';
import { ALLOW, KNOWN_METHODS, SUPPORTED } from './methods.js';
import type { CredentialLookup, SessionTimerConfig, UaOptions, UaTransport } from './types.js';

/** What the application decides. Without a handler: INVITE 480, OPTIONS 200, others 405 or 501. */
export interface UaHandler {
  onInvite?(call: IncomingInvite): void;
  /** A request outside any dialog other than INVITE, ACK, CANCEL. */
  onRequest?(incoming: IncomingRequest): void;
}

/** URIs whose next hop numericDestinationOf keeps. */
const HOPS_KEPT = 1024;

/** Seconds a caller refused while overloaded is asked to wait (Retry-After of the 503). */
const BUSY_RETRY_AFTER_S = 2;

export class UserAgent implements TransactionCore {
  readonly transactions: TransactionLayer;
  readonly clock: Clock;
  readonly transport: UaTransport;
  readonly random: () => number;
  readonly sessionTimer: SessionTimerConfig | null;
  readonly t1: number;
  /**
   * Entries falling due T1 after they were added: the first wait of a message resent outside the
   * transaction layer (a flat call's, b2bua/flat-resend.ts), nearly always answered before it.
   * One queue and one clock timer for them all, where a timer each was a Node Timeout made,
   * unref'd and cleared per message.
   */
  readonly t1Queue: LingerQueue;
  readonly log: TransactionLogger;
  readonly credentials: CredentialLookup | undefined;
  handler: UaHandler;
  private readonly ids: () => string;
  private readonly contactUser: string;
  private readonly product: string | undefined;
  /** Allow, Supported and User-Agent, made once (see standardHeaders). */
  private standard: readonly (readonly [string, string])[] | undefined;
  private readonly options: UaOptions;
  private readonly sessions = new BoxedMap<string, Session>();
  /** Numeric hosts of the URIs it sends to, one string each (transport/addresses.ts). */
  private readonly addresses = new AddressTable(1024);
  /** numericDestinationOf's last answers, by URI text. */
  private readonly hops = new Map<string, Destination | null>();
  /** Incoming INVITEs not yet answered finally, by server transaction. */
  private readonly pendingCalls = new BoxedMap<InviteServerTransaction, IncomingCall>();
  /** The lean path of the common call (lean-invites.ts, lean-byes.ts), where UaOptions.lean asks for it. */
  private readonly lean: LeanInvites | null;
  private readonly leanByes: LeanByes | null;
  private disposed = false;

  constructor(options: UaOptions, handler: UaHandler = {}) {
    this.options = options;
    this.clock = options.clock;
    this.transport = options.transport;
    this.random = options.random ?? Math.random;
    this.ids = options.ids ?? randomIds();
    this.contactUser = options.contactUser ?? 'sluice';
    this.product = options.product;
    this.sessionTimer = resolveSessionTimer(options.sessionTimer);
    this.credentials = options.credentials;
    this.log = options.logger ?? { debug() {}, warn() {}, error() {} };
    this.handler = handler;
    this.transactions = new TransactionLayer({
      clock: options.clock,
      transport: options.transport,
      core: this,
      timers: options.timers,
      trying: options.trying,
      logger: options.logger,
      branchIds: this.ids,
    });
    this.t1 = this.transactions.timers.t1;
    this.t1Queue = new LingerQueue(options.clock, this.t1);
    // The lean UAS sends its 100 Trying at once: other policies keep INVITEs on the general path.
    this.lean = options.lean === true && (options.trying ?? 'immediate') === 'immediate' ? new LeanInvites(this) : null;
    this.leanByes = options.lean === true ? new LeanByes(this, (key) => this.sessions.get(key)) : null;
  }

  /** Feed for the transport (its TransportUser). */
  onMessage(message: SipRequest | SipResponse, source: MessageSource): void {
    // A malformed Contact or Request-URI throws here, to the transport (TransportUser): 400.
    message.completeParse();
    if (!this.disposed && this.takeLean(message, source)) return;
    this.transactions.onMessage(message, source);
  }

  /**
   * The lean path's turn at a message (lean-invites.ts, lean-byes.ts); false leaves it to the
   * transaction layer. Like that layer, it lets nothing thrown reach the transport: no input may
   * crash the process (DESIGN.md), and the application's handlers may throw too.
   */
  private takeLean(message: SipRequest | SipResponse, source: MessageSource): boolean {
    try {
      return (this.lean !== null && this.lean.take(message, source)) || (this.leanByes !== null && this.leanByes.take(message, source));
    } catch (err) {
      this.transactions.stats.errors++;
      this.log.error({ err }, `error while handling ${message.kind === 'request' ? `a ${message.method}` : 'a response'} on the lean path; dropped`);
      return true;
    }
  }

  /** @internal How a session's BYE attempt is sent: on the lean path over UDP (lean-byes.ts), else in a transaction. */
  readonly sendBye = (request: SipRequest, destination: Destination): Promise<SipResponse> =>
    this.leanByeText(destination)?.send(request, destination) ?? this.transact(request, destination);

  /**
   * @internal Where a session's BYE goes on the lean path (and may be written as text,
   * inDialogRequestText): over UDP with the lean BYEs on. Null elsewhere: a transaction takes it.
   */
  leanByeText(destination: Destination): LeanByes | null {
    return destination.transport === 'UDP' ? this.leanByes : null;
  }

  /** INVITEs on the lean path, answered or placed, that are still kept (for tests and metrics). */
  get leanCallCount(): number {
    return this.lean?.size ?? 0;
  }

  /** BYE exchanges on the lean path still kept (for tests and metrics). */
  get leanByeCount(): number {
    return this.leanByes?.size ?? 0;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Incoming INVITEs not yet answered finally, on either path. */
  get pendingCallCount(): number {
    return this.pendingCalls.size + (this.lean?.answering ?? 0);
  }

  newTag(): string {
    return this.ids();
  }

  glareDelay(ownsCallId: boolean): number {
    return glareDelayMs(ownsCallId, this.random);
  }

  // ---- TransactionCore ----------------------------------------------------------------------

  admit(request: SipRequest, source: MessageSource): boolean {
    const admission = this.options.admission;
    return admission === undefined || admission(request, source) !== 'drop';
  }

  onRequest(request: SipRequest, tx: ServerTransaction): void {
    if (this.disposed) return;
    const key = dialogKeyOfIncomingRequest(request);
    if (key !== null) {
      const session = this.sessions.get(key) ?? this.lean?.earlySession(request) ?? undefined;
      if (session === undefined) {
        // 12.2.2: a request for a dialog we do not know.
        this.respondPlain(request, tx, 481);
        return;
      }
      session.receiveRequest(request, tx);
      return;
    }
    const unsupported = this.unsupportedRequired(request);
    if (unsupported.length > 0) {
      // 8.2.2.3: an extension we do not support is required.
      this.respondPlain(request, tx, 420, [['Unsupported', unsupported.join(', ')]]);
      return;
    }
    if (request.method === 'INVITE') {
      const call = new IncomingCall(this, request, tx as InviteServerTransaction);
      this.pendingCalls.set(call.tx, call);
      this.newCall(call);
      return;
    }
    const incoming = new IncomingRequest(request, tx.source, tx, this.newTag(), this.standardHeaders());
    if (this.handler.onRequest) {
      this.handler.onRequest(incoming);
      return;
    }
    if (request.method === 'OPTIONS') incoming.respond(200, { headers: [['Accept', 'application/sdp']] });
    else incoming.respond(KNOWN_METHODS.has(request.method) ? 405 : 501);
  }

  onAck(ack: SipRequest): void {
    const key = dialogKeyOfIncomingRequest(ack);
    const session = key === null ? undefined : this.sessions.get(key);
    if (session === undefined) {
      this.log.debug({ callId: ack.callId }, 'ACK for no dialog dropped');
      return;
    }
    session.receiveAck(ack);
  }

  onCancel(cancel: SipRequest, tx: NonInviteServerTransaction, invite: InviteServerTransaction | undefined): void {
    // 9.2: 481 when no transaction matches; else 200 to the CANCEL, then 487 to the INVITE if
    // it has no final response yet.
    const call = invite === undefined ? undefined : this.pendingCalls.get(invite);
    if (invite === undefined) {
      this.respondPlain(cancel, tx, 481);
      return;
    }
    this.respondPlain(cancel, tx, 200, [], invite.responseToTag ?? call?.localTag);
    call?.cancelled();
  }

  // ---- for sessions and calls -----------------------------------------------------------------

  /** @internal */
  addSession(key: string, session: Session): void {
    this.sessions.set(key, session);
  }

  /** @internal */
  removeSession(key: string, session: Session): void {
    if (this.sessions.get(key) === session) this.sessions.delete(key);
  }

  /** @internal A new INVITE, admitted, on either path: to the application. */
  newCall(call: IncomingInvite): void {
    if (this.options.admission?.(call.request, call.source) === 'busy') {
      // RFC 3261 21.5.4: overloaded, try again shortly (a TCP or TLS caller, which would never
      // send the INVITE again by itself).
      call.reject(503, { headers: [['Retry-After', String(BUSY_RETRY_AFTER_S)]] });
      return;
    }
    if (this.handler.onInvite) this.handler.onInvite(call);
    else call.reject(480);
  }

  /** @internal An incoming INVITE got its final response. */
  callSettled(call: IncomingCall): void {
    this.pendingCalls.delete(call.tx);
  }

  /** Allow, Supported and User-Agent: what our requests and responses carry. */
  standardHeaders(): readonly (readonly [string, string])[] {
    return (this.standard ??= Object.freeze(
      this.product === undefined
        ? [['Allow', ALLOW] as const, ['Supported', SUPPORTED.join(', ')] as const]
        : [['Allow', ALLOW] as const, ['Supported', SUPPORTED.join(', ')] as const, ['User-Agent', this.product] as const],
    ));
  }

  viaFor(destination: Destination): ViaSpec {
    const local = this.transport.localFor(destination);
    return { transport: destination.transport, host: this.options.advertise ?? local.address, port: local.port, rport: destination.transport === 'UDP' };
  }

  /** Our Contact URI for messages to or from `peer` (the local address that talks to it). */
  contactFor(peer: Destination | MessageSource, user = this.contactUser): string {
    const local = peer.local ?? this.transport.localFor(peer);
    const address = this.options.advertise ?? local.address;
    const host = address.includes(':') ? `[${address}]` : address;
    const transport = peer.transport === 'UDP' ? '' : `;transport=${peer.transport.toLowerCase()}`;
    // A call keeps it (our target in its dialogs) as long as it lasts.
    return flatString(`sip:${user}@${host}:${local.port}${transport}`);
  }

  /**
   * The next hop of a URI (`<...>` allowed) whose host is an address, with no lookup; null for a
   * name (see destinationFor). The answers for the last URIs asked are kept: a trunk's or a
   * peer's Contact comes back call after call, and parsing it was most of the cost.
   */
  numericDestinationOf(uriText: string): Destination | null {
    const known = this.hops.get(uriText);
    if (known !== undefined) return known;
    const hop = numericDestinationOfText(uriText, this.addresses);
    // Cleared when full rather than evicted one by one: a burst of new peers costs a parse each.
    if (this.hops.size >= HOPS_KEPT) this.hops.clear();
    // The key is kept: a slice of a message would keep the whole message alive (ownString).
    this.hops.set(ownString(uriText), hop);
    return hop;
  }

  /** RFC 3263 for a URI (`<...>` allowed): numeric hosts directly, names through options.resolve. */
  async destinationFor(uriText: string): Promise<Destination> {
    const text = uriText.startsWith('<') ? uriText.slice(1, uriText.indexOf('>')) : uriText;
    const uri = parseUri(text);
    if (!isSipUri(uri)) throw new UaError(UaErrorCode.target, `Cannot send to a ${uri.scheme}: URI`);
    const direct = numericDestination(uri, this.addresses);
    if (direct !== null) return direct;
    const found = this.options.resolve ? await this.options.resolve(uri) : [];
    const first = found[0];
    if (first === undefined) throw new UaError(UaErrorCode.target, `No address for ${uri.host}`);
    return first;
  }

  /** Sends a non-INVITE request in a client transaction; resolves with the final response (408/503 made here on timeout or transport error). */
  transact(request: SipRequest, destination: Destination, onProvisional?: (r: SipResponse) => void): Promise<SipResponse> {
    return transact(this, request, destination, onProvisional);
  }

  /** See client-requests.ts: a request `make` makes, and again with credentials for each challenge. */
  sendWithAuth(make: (auth: [string, string][]) => SipRequest, destination: Destination, send?: (request: SipRequest, destination: Destination) => Promise<SipResponse>, challenged?: Attempt): Promise<SipResponse> {
    return sendWithAuth(this, make, destination, send, challenged);
  }

  /** Sends a request outside any dialog (OPTIONS, MESSAGE, SUBSCRIBE ...). */
  request(method: string, options: OutOfDialogOptions): Promise<SipResponse> {
    return outOfDialogRequest(this, method, options);
  }

  /** Places a call: an INVITE outside any dialog (on the lean path where it can take it). */
  invite(options: CallOptions): OutgoingInvite {
    if (this.disposed) throw new UaError(UaErrorCode.state, 'User agent disposed');
    if (this.lean !== null) {
      const destination = options.destination ?? numericDestinationOfText(options.uri, this.addresses);
      const lean = destination === null ? null : this.lean.invite(options, destination);
      if (lean !== null) return lean;
    }
    const call = new OutgoingCall(this, options);
    call.start();
    return call;
  }

  /**
   * @internal A call begun on the engine's flat path, ringing, taken onto the lean path (its
   * two INVITEs, one in each realm's UA); null where this UA has no lean path.
   */
  adoptIncoming(invite: SipRequest, source: MessageSource, taken: RingingIncoming): IncomingInvite | null {
    return this.lean?.adoptIncoming(invite, source, taken) ?? null;
  }

  /** @internal See adoptIncoming: the callee's INVITE. */
  adoptOutgoing(options: CallOptions, destination: Destination, taken: RingingOutgoing): OutgoingInvite | null {
    return this.lean?.adoptOutgoing(options, destination, taken) ?? null;
  }

  /** Sends an ACK (no transaction of its own: 17.1.1.3); failures are logged. */
  sendAck(ack: SipRequest, destination: Destination): void {
    this.transport.sendRequest(ack, destination, this.ackSent);
  }

  /** Sends an ACK already serialized (a session resends the same bytes for each 2xx retransmission). */
  sendAckBytes(bytes: Buffer, destination: Destination): void {
    this.transport.sendBytes(bytes, destination, this.ackSent);
  }

  /** sendAckBytes for an ACK kept as latin1 text. */
  sendAckText(text: string, destination: Destination): void {
    this.transport.sendText(text, destination, this.ackSent);
  }

  private readonly ackSent = (err: Error | null): void => {
    if (err) this.log.debug({ err: err.message }, 'ACK not sent');
  };

  /** @internal For responses the lean path sends itself. */
  readonly responseSent = (err: Error | null): void => {
    if (err) this.log.debug({ err: err.message }, 'response not sent');
  };

  /** Ends everything at once: timers cleared, no messages sent, sessions told 'disposed'. */
  dispose(): void {
    this.disposed = true;
    for (const s of [...this.sessions.values()]) s.dispose();
    for (const c of [...this.pendingCalls.values()]) c.dispose();
    this.sessions.clear();
    this.pendingCalls.clear();
    this.lean?.dispose();
    this.leanByes?.dispose();
    this.t1Queue.dispose();
    this.transactions.dispose();
  }

  private respondPlain(request: SipRequest, tx: ServerTransaction, status: number, headers: [string, string][] = [], toTag?: string): void {
    const response = createResponse(request, status, undefined, toTag ?? (request.toTag === null ? this.newTag() : undefined));
    if (status === 405 || status === 420) response.appendHeader('Allow', ALLOW);
    for (const [n, v] of headers) response.appendHeader(n, v);
    tx.respond(response);
  }

  private unsupportedRequired(request: SipRequest): string[] {
    if (!request.has('require') || request.method === 'ACK' || request.method === 'CANCEL') return [];
    const out: string[] = [];
    for (const v of request.headerValues('require')) {
      for (const t of v.split(',')) {
        const opt = t.trim().toLowerCase();
        if (opt !== '' && !SUPPORTED.includes(opt)) out.push(t.trim());
      }
    }
    return out;
  }
}
