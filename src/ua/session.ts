/**
 * A session: one INVITE dialog usage (RFC 3261 12-15), early or confirmed. It answers requests
 * in the dialog (CSeq check, BYE, re-INVITE and UPDATE with glare rules, PRACK through its call,
 * the rest through the application), retransmits our 2xx until the ACK comes (13.3.1.4), ACKs
 * the 2xx to our INVITEs (13.2.2.4), sends requests in the dialog, and keeps the RFC 4028
 * session timer. What must outlive the process is in `record`; timers are re-armed from it.
 */
import {
  checkRemoteSeq,
  createInDialogRequest,
  inDialogRequestText,
  keyOf,
  ownDialog,
  refreshRemoteTarget,
  requestTarget,
  responseEndsDialog,
  terminateDialog,
  type DialogRecord,
} from '../dialog/index.js';
import { createResponse, latin1Bytes, ownString, parseMessage, parseNameAddr, serializeUri, type SipRequest, type SipResponse } from '../sip/index.js';
import type { Destination, ServerTransaction } from '../transaction/index.js';
import { UaError, UaErrorCode } from './errors.js';
import { AckWait, type ResponseResender } from './ack-wait.js';
import { IncomingOffer } from './incoming-offer.js';
import { addParts, bodyText, IncomingRequest } from './incoming-request.js';
import { SessionRefresh, type RefreshedSession } from './session-refresh.js';
import { requestHeaders, responseHeaders, uasDecide, type UasDecision } from './session-timer.js';
import type { MessageParts, SessionEnd, SessionRecord } from './types.js';
import { KNOWN_METHODS } from './methods.js';
import { ackBasisOf, UacAcks, type AckBasis, type RepeatAck } from './uac-ack.js';
import type { UserAgent } from './user-agent.js';

/** The handler an ended session keeps: none of the application's. */
const ENDED_HANDLER: SessionHandler = Object.freeze({});

export interface SessionHandler {
  /** A request in the dialog other than BYE, INVITE, UPDATE, PRACK, ACK. Default: OPTIONS 200, else 405/501. */
  onRequest?(incoming: IncomingRequest, session: Session): void;
  /** A re-INVITE or UPDATE (offer or not). Default: accept, answering with our last SDP. */
  onOffer?(offer: IncomingOffer, session: Session): void;
  /** The ACK for our 2xx (carrying the answer when our 2xx carried the offer). */
  onAck?(ack: SipRequest, session: Session): void;
  onTerminated?(end: SessionEnd, session: Session): void;
}

export class Session implements RefreshedSession {
  record: SessionRecord;
  handler: SessionHandler = {};
  /** Where requests in the dialog go instead of the remote target (a NATed peer's flow). */
  flow: Destination | null = null;
  /** @internal PRACKs of an early UAS dialog go to its call. */
  prackHandler: ((prack: SipRequest, tx: ServerTransaction) => void) | null = null;
  private readonly key: string;
  private ended: SessionEnd | null = null;
  private outInvite = false;
  private outUpdate = false;
  private inInvite: ServerTransaction | null = null;
  private inUpdate = false;
  private awaiting: AckWait<unknown> | null = null;
  /** The ACKs of the 2xx to our INVITEs (uac-ack.ts), made at the first. */
  private acks: UacAcks | null = null;
  /** The RFC 4028 session timer as it runs (session-refresh.ts), made when a session gets one. */
  private refresh: SessionRefresh | null = null;
  /** Where a URI resolved to (RFC 3263), made on first use and let go when the session ends. */
  private destinations: Map<string, Destination> | null = null;
  /**
   * @internal Called once when the session ends, then dropped: the outgoing call that made it
   * hands its INVITE's transaction what Timer M still needs (accepted-invite.ts).
   */
  onFinish: (() => void) | null = null;

  constructor(
    private readonly ua: UserAgent,
    record: SessionRecord,
  ) {
    this.record = record;
    // Its own characters: keyOf concatenates slices of the message that made the dialog, and the
    // key lives as long as the session (see compact()).
    this.key = ownString(keyOf(record.dialog));
    ua.addSession(this.key, this);
  }

  /**
   * @internal Called once the session is answered: the dialog is copied so that it holds only its
   * own characters. Its strings were cut from the messages (V8 keeps a slice's parent text alive),
   * so until then every INVITE, 18x and 2xx of the exchange stayed in memory with the call. The
   * SDP texts are their own already (decoded from the body, or written by us), and copying them
   * again would only make garbage.
   */
  compact(): void {
    this.record = { ...this.record, dialog: ownDialog(this.record.dialog) };
  }

  get dialog(): DialogRecord {
    return this.record.dialog;
  }

  get state(): 'early' | 'confirmed' | 'terminated' {
    return this.ended !== null ? 'terminated' : this.record.dialog.state;
  }

  get end(): SessionEnd | null {
    return this.ended;
  }

  /**
   * Whether an offer of this method would now be refused as pending (reinvite() and update()
   * throw UaErrorCode.pending): an INVITE or UPDATE of either side still open in the dialog.
   */
  offerPending(method: 'INVITE' | 'UPDATE'): boolean {
    return method === 'INVITE' ? this.outInvite || this.inInvite !== null || this.awaiting !== null : this.outUpdate || this.inUpdate;
  }

  // ---- requests from the peer ----------------------------------------------------------------

  /**
   * @internal A BYE on the lean path (lean-byes.ts), before it is answered: true when it ends this
   * session (its 200 goes out, then finish()), false to leave it to receiveRequest (481 once
   * ended, 500 for a CSeq not above the last).
   */
  acceptBye(request: SipRequest): boolean {
    return this.takeRemoteSeq(request) === null;
  }

  /** @internal A request in this dialog, with its server transaction. */
  receiveRequest(request: SipRequest, tx: ServerTransaction): void {
    const method = request.method;
    const refused = this.takeRemoteSeq(request);
    if (refused === 'ended') {
      this.respond(request, tx, 481);
      return;
    }
    if (refused !== null) {
      this.respond(request, tx, 500, [['Retry-After', String(refused.retryAfter)]]);
      return;
    }
    switch (method) {
      case 'BYE':
        this.respond(request, tx, 200);
        this.finish({ by: 'remote', cause: 'bye' });
        return;
      case 'INVITE':
      case 'UPDATE':
        this.receiveOffer(request, tx);
        return;
      case 'PRACK':
        if (this.prackHandler !== null) this.prackHandler(request, tx);
        else this.respond(request, tx, 481);
        return;
      default: {
        const incoming = new IncomingRequest(request, tx.source, tx, this.record.dialog.localTag, this.ua.standardHeaders());
        if (this.handler.onRequest) this.handler.onRequest(incoming, this);
        else if (method === 'OPTIONS') incoming.respond(200);
        else incoming.respond(KNOWN_METHODS.has(method) ? 405 : 501);
      }
    }
  }

  private receiveOffer(request: SipRequest, tx: ServerTransaction): void {
    const isInvite = request.method === 'INVITE';
    // RFC 3261 14.2 and RFC 3311 5.2: an offer crossing ours is glare (491); a second one of
    // theirs while the first is open gets 500 with Retry-After.
    if (this.outInvite || this.outUpdate) {
      this.respond(request, tx, 491);
      return;
    }
    if (this.inInvite !== null || this.inUpdate || (isInvite && this.awaiting !== null)) {
      this.respond(request, tx, 500, [['Retry-After', String(Math.floor(this.ua.random() * 11))]]);
      return;
    }
    let timer: UasDecision;
    try {
      timer = uasDecide(request, this.ua.sessionTimer);
    } catch {
      this.respond(request, tx, 400);
      return;
    }
    if (timer.kind === 'too-small') {
      this.respond(request, tx, 422, [['Min-SE', String(timer.minSE)]]);
      return;
    }
    if (isInvite) this.inInvite = tx;
    else this.inUpdate = true;
    const offer = new IncomingOffer(request, tx, this.record.dialog.localTag, this, timer);
    if (this.handler.onOffer) this.handler.onOffer(offer, this);
    else offer.accept(this.record.localSdp === null ? undefined : { body: this.record.localSdp });
  }

  /** @internal An IncomingOffer accepted: our 2xx goes out; the dialog and record follow. */
  accepted(offer: IncomingOffer, response: SipResponse, timer: UasDecision, parts: MessageParts | undefined): void {
    const request = offer.request;
    response.appendHeader('Contact', `<${this.record.dialog.localTarget}>`);
    for (const [n, v] of this.ua.standardHeaders()) response.appendHeader(n, v);
    if (timer.kind === 'timer') for (const [n, v] of responseHeaders(timer)) response.appendHeader(n, v);
    offer.markAnswered(response);
    if (request.has('contact')) this.record.dialog = refreshRemoteTarget(this.record.dialog, request);
    const offered = bodyText(request);
    if (offered !== null) this.record.remoteSdp = offered;
    if (parts?.body !== undefined) this.record.localSdp = bodyText(response);
    if (timer.kind === 'timer') this.setSessionTimer(timer.interval, timer.refresher === 'uas');
    if (request.method === 'INVITE') this.awaitAck(request.cseq.seq, response, offer.transaction);
    else this.inUpdate = false;
  }

  /** @internal An IncomingOffer rejected: the dialog is as before. */
  rejected(offer: IncomingOffer): void {
    if (offer.request.method === 'INVITE') this.inInvite = null;
    else this.inUpdate = false;
  }

  /** @internal The ACK of a 2xx in this dialog. */
  receiveAck(ack: SipRequest): void {
    const a = this.awaiting;
    if (a === null || ack.cseq.seq !== a.seq) return; // a retransmitted ACK, or a stale one
    this.clearAwaiting();
    this.inInvite = null;
    // Acknowledged: a PRACK now could only be stale, and the hook holds the whole INVITE exchange.
    this.prackHandler = null;
    const answer = bodyText(ack);
    if (answer !== null) this.record.remoteSdp = answer;
    this.handler.onAck?.(ack, this);
  }

  /** @internal 13.3.1.4: resend our 2xx at T1, 2T1 ... T2 until the ACK; BYE after 64*T1. */
  awaitAck<R>(seq: number, response: R, tx: ResponseResender<R>): void {
    this.awaiting?.stop();
    this.awaiting = new AckWait(this.ua.clock, this.ua.t1, this.ua.transactions.timers.t2, seq, response, tx, () => {
      this.awaiting = null;
      this.inInvite = null;
      void this.bye('no-ack');
    });
  }

  private clearAwaiting(): void {
    this.awaiting?.stop();
    this.awaiting = null;
  }

  // ---- requests we send --------------------------------------------------------------------

  /** Sends a request in the dialog (INFO, MESSAGE, OPTIONS, REFER, NOTIFY ...); resolves with its final response. */
  async request(method: string, parts?: MessageParts): Promise<SipResponse> {
    if (method === 'INVITE' || method === 'BYE' || method === 'ACK' || method === 'CANCEL') {
      throw new UaError(UaErrorCode.state, `${method} has its own method on Session`);
    }
    this.live();
    const response = await this.send(method, parts);
    if (responseEndsDialog(response.status) && this.ended === null) {
      // 12.2.1.2: 481 or 408 to a request in the dialog ends it.
      if (response.status === 408) void this.bye('timeout');
      else this.finish({ by: 'remote', cause: 'dialog-gone', status: response.status });
    }
    return response;
  }

  /**
   * A re-INVITE (an offer in `parts.body`, or none to ask the peer for one). Retries after 491
   * (14.1) unless `retryGlare` is false: a B2BUA passes the 491 back to the party that offered.
   */
  async reinvite(parts?: MessageParts, options: { retryGlare?: boolean } = {}): Promise<SipResponse> {
    const retries = options.retryGlare === false ? 0 : 3;
    this.live();
    if (this.offerPending('INVITE')) {
      throw new UaError(UaErrorCode.pending, 'An INVITE transaction is already in progress in this dialog');
    }
    this.outInvite = true;
    try {
      for (let attempt = 0; ; attempt++) {
        const response = await this.sendInvite(parts);
        if (response.status === 491 && attempt < retries && this.ended === null) {
          // 14.1: while we wait, the peer's own re-INVITE must get through, not another 491.
          this.outInvite = false;
          await this.sleep(this.ua.glareDelay(this.record.dialog.role === 'uac'));
          while (this.ended === null && (this.inInvite !== null || this.awaiting !== null)) await this.sleep(100);
          if (this.ended !== null) return response;
          this.outInvite = true;
          continue;
        }
        if (responseEndsDialog(response.status) && this.ended === null) void this.bye(response.status === 408 ? 'timeout' : 'dialog-gone');
        return response;
      }
    } finally {
      this.outInvite = false;
    }
  }

  /** An UPDATE (RFC 3311), early or confirmed. Retries after 491 unless `retryGlare` is false. */
  async update(parts?: MessageParts, options: { retryGlare?: boolean } = {}): Promise<SipResponse> {
    const retries = options.retryGlare === false ? 0 : 3;
    this.live();
    if (this.offerPending('UPDATE')) throw new UaError(UaErrorCode.pending, 'An UPDATE is already in progress in this dialog');
    this.outUpdate = true;
    try {
      for (let attempt = 0; ; attempt++) {
        const response = await this.send('UPDATE', parts, true);
        if (response.status === 491 && attempt < retries && this.ended === null) {
          this.outUpdate = false;
          await this.sleep(this.ua.glareDelay(this.record.dialog.role === 'uac'));
          while (this.ended === null && this.inUpdate) await this.sleep(100);
          if (this.ended !== null) return response;
          this.outUpdate = true;
          continue;
        }
        if (response.status >= 200 && response.status < 300) this.refreshed(response, parts);
        return response;
      }
    } finally {
      this.outUpdate = false;
    }
  }

  /**
   * Ends the session with BYE (the session is over at once; the BYE's final response is
   * returned, or null when it could not be sent: callers may fire and forget, it never rejects).
   */
  async bye(cause: SessionEnd['cause'] = 'bye'): Promise<SipResponse | null> {
    if (this.ended !== null) return null;
    const dialog = this.record.dialog;
    this.finish({ by: 'local', cause });
    try {
      return await this.sendBye(dialog);
    } catch (err) {
      this.ua.log.warn({ err: (err as Error).message, callId: dialog.callId }, 'BYE not sent');
      return null;
    }
  }

  private async sendBye(start: DialogRecord): Promise<SipResponse> {
    // Nearly every BYE goes to the leg's flow: no promise to wait for it.
    const destination = this.flow ?? (await this.destination());
    const lean = this.ua.leanByeText(destination);
    if (lean === null) return this.ua.sendWithAuth(this.byeMaker(start, destination), destination, this.ua.sendBye);
    // The first attempt written as text, sent and kept as bytes: no message is made for it.
    const branch = this.ua.transactions.newBranch();
    const first = inDialogRequestText(start, 'BYE', { branch, via: this.ua.viaFor(destination) });
    const response = await lean.sendText(first.text, branch, destination);
    if (response.status !== 401 && response.status !== 407) return response;
    // Challenged: answered as any request is, from the BYE parsed back.
    const request = parseMessage(latin1Bytes(first.text)) as SipRequest;
    return this.ua.sendWithAuth(this.byeMaker(first.dialog, destination), destination, this.ua.sendBye, { request, response });
  }

  /** A BYE as a message for each attempt (sendWithAuth), from `start` on, each with the next CSeq. */
  private byeMaker(start: DialogRecord, destination: Destination): (auth: [string, string][]) => SipRequest {
    let dialog = start;
    return (auth) => {
      const made = createInDialogRequest(dialog, 'BYE', {
        branch: this.ua.transactions.newBranch(),
        via: this.ua.viaFor(destination),
        extraHeaders: auth,
      });
      dialog = made.dialog;
      return made.request;
    };
  }

  /** Ends at once with no message (process shutdown, tests). */
  dispose(): void {
    this.finish({ by: 'local', cause: 'disposed' });
  }

  // ---- internals ---------------------------------------------------------------------------

  private async send(method: string, parts: MessageParts | undefined, contact = false): Promise<SipResponse> {
    const destination = await this.destination();
    const extra = [...this.ua.standardHeaders(), ...(parts?.headers ?? [])];
    return this.ua.sendWithAuth((auth) => this.build(method, destination, parts, [...extra, ...auth], contact), destination);
  }

  private build(method: string, destination: Destination, parts: MessageParts | undefined, headers: readonly (readonly [string, string])[], contact: boolean): SipRequest {
    const body = parts?.body;
    const made = createInDialogRequest(this.record.dialog, method, {
      branch: this.ua.transactions.newBranch(),
      via: this.ua.viaFor(destination),
      contact: contact || undefined,
      extraHeaders: headers,
      ...(body !== undefined && body.length > 0 ? { body, contentType: parts?.contentType ?? 'application/sdp' } : {}),
    });
    this.record.dialog = made.dialog;
    return made.request;
  }

  private async sendInvite(parts: MessageParts | undefined): Promise<SipResponse> {
    const destination = await this.destination();
    const st = this.ua.sessionTimer;
    const timerHeaders = st !== null ? requestHeaders(st, this.record.sessionTimer?.interval ?? st.interval, 'uac') : [];
    const headers: (readonly [string, string])[] = [...this.ua.standardHeaders(), ...timerHeaders, ...(parts?.headers ?? [])];
    return this.ua.sendWithAuth(
      (auth) => this.build('INVITE', destination, parts, [...headers, ...auth], true),
      destination,
      (request, d) => this.inviteTransaction(request, d, parts),
    );
  }

  private inviteTransaction(request: SipRequest, destination: Destination, parts: MessageParts | undefined): Promise<SipResponse> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (r: SipResponse): void => {
        if (!settled) {
          settled = true;
          resolve(r);
        }
      };
      try {
        this.ua.transactions.createClientTransaction(request, destination, {
          onFinal: (response) => {
            if (response.status >= 200 && response.status < 300) {
              if (!settled) this.refreshed(response, parts, request);
              this.ack(ackBasisOf(request), response, destination);
            }
            settle(response);
          },
          onTimeout: () => settle(createResponse(request, 408)),
          onTransportError: () => settle(createResponse(request, 503)),
          onTerminated: () => this.forgetAck(request.cseq.seq),
        });
      } catch {
        settle(createResponse(request, 503));
      }
    });
  }

  /**
   * @internal 13.2.2.4: ACK each 2xx to our INVITE (a retransmitted 2xx gets the same ACK again).
   * With `defer`, a 2xx carrying the offer to our offerless INVITE waits for acknowledge(answer).
   */
  ack(basis: AckBasis, response: SipResponse, destination: Destination, defer = false): void {
    (this.acks ??= new UacAcks(this.ua)).ack(this.record.dialog, this.record.localSdp, basis, response, destination, defer);
  }

  /**
   * Sends the ACK held back for a late offer (see CallOptions.deferAck), with our answer. Later
   * retransmissions of the 2xx get this same ACK.
   */
  acknowledge(parts?: MessageParts): void {
    if (this.acks?.acknowledge(this.record.dialog, parts) !== true) return;
    const body = parts?.body;
    if (body !== undefined && body.length > 0) this.record.localSdp = typeof body === 'string' ? body : body.toString('utf8');
  }

  /** @internal The ACK to send again for a repeated 2xx, until its INVITE's transaction ends. */
  get ackToRepeat(): RepeatAck | null {
    return this.acks?.repeat ?? null;
  }

  /** @internal The INVITE transaction `seq` is over: no 2xx retransmission will need its ACK again. */
  forgetAck(seq: number): void {
    this.acks?.forget(seq);
  }

  /** True while a late-offer ACK waits for acknowledge(). */
  get ackPending(): boolean {
    return this.acks?.waiting ?? false;
  }

  /** A 2xx to our re-INVITE or UPDATE: target refresh, SDP in force, session timer. */
  private refreshed(response: SipResponse, parts: MessageParts | undefined, invite?: SipRequest): void {
    if (invite !== undefined && response.has('contact')) this.record.dialog = refreshRemoteTarget(this.record.dialog, response);
    if (parts?.body !== undefined && parts.body.length > 0) this.record.localSdp = typeof parts.body === 'string' ? parts.body : parts.body.toString('utf8');
    const remote = bodyText(response);
    if (remote !== null) this.record.remoteSdp = remote;
    this.timerFromResponse(response);
  }

  /** @internal The session timer a 2xx to our (re-)INVITE or UPDATE sets (RFC 4028 7.2). */
  timerFromResponse(response: SipResponse): void {
    // Without a timer so far and none in the response there is nothing to set or to clear.
    if (this.refresh === null && !response.has('session-expires')) return;
    this.refresher().fromResponse(response);
  }

  /** @internal */
  setSessionTimer(interval: number, weRefresh: boolean): void {
    this.refresher().set(interval, weRefresh);
  }

  /** Arms the timer from the record's deadline (also after a takeover by another instance). */
  armSessionTimer(): void {
    if (this.refresh !== null || this.record.sessionTimer !== null) this.refresher().arm();
  }

  private refresher(): SessionRefresh {
    return (this.refresh ??= new SessionRefresh(this.ua, this));
  }

  /** Where requests in the dialog go: the flow, else the first route or the remote target (RFC 3263). */
  async destination(): Promise<Destination> {
    if (this.flow !== null) return this.flow;
    const target = requestTarget(this.record.dialog);
    const first = target.routes[0];
    const uri = first === undefined ? target.requestUri : serializeUri(parseNameAddr(first).uri);
    const hit = this.destinations?.get(uri);
    if (hit !== undefined) return hit;
    const d = await this.ua.destinationFor(uri);
    // An ended session sends its last requests (BYE) and is kept only for Timer M: no cache.
    if (this.ended === null) (this.destinations ??= new Map()).set(uri, d);
    return d;
  }

  /**
   * 12.2.2: a request the session takes moves its remote CSeq (the record holds it); null when
   * taken, else why not: the session has ended (481), or the CSeq is not above the last (500).
   */
  private takeRemoteSeq(request: SipRequest): 'ended' | { retryAfter: number } | null {
    if (this.ended !== null) return 'ended';
    const seq = checkRemoteSeq(this.record.dialog, request, { random: this.ua.random });
    if (!seq.ok) return seq;
    this.record.dialog = seq.dialog;
    return null;
  }

  private respond(request: SipRequest, tx: ServerTransaction, status: number, headers: [string, string][] = []): void {
    const response = createResponse(request, status, undefined, this.record.dialog.localTag);
    for (const [n, v] of headers) response.appendHeader(n, v);
    tx.respond(response);
  }

  private live(): void {
    if (this.ended !== null) throw new UaError(UaErrorCode.state, 'The session has ended');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.ua.clock.setTimer(ms, resolve));
  }

  /** @internal Ends the session: timers cleared, out of the table, the application told once. */
  finish(end: SessionEnd): void {
    if (this.ended !== null) return;
    this.ended = end;
    this.clearAwaiting();
    this.refresh?.stop();
    this.refresh = null;
    this.prackHandler = null;
    // The INVITE's client transaction keeps an ended session for Timer M (32 s), to ACK a
    // repeated 2xx again (ackToRepeat): its SDP and resolved destinations go now.
    this.record = { ...this.record, dialog: terminateDialog(this.record.dialog), localSdp: null, remoteSdp: null };
    this.destinations = null;
    this.ua.removeSession(this.key, this);
    const onFinish = this.onFinish;
    this.onFinish = null;
    onFinish?.();
    const handler = this.handler;
    // An ended session gets no more events, and its handler (the application's call) must not
    // stay reachable through it: the INVITE's client transaction keeps the session for Timer M.
    this.handler = ENDED_HANDLER;
    handler.onTerminated?.(end, this);
  }
}

export { addParts };
