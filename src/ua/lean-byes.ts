/**
 * BYE over UDP on the lean path of the common call (UaOptions.lean, with lean-invites.ts): the
 * way every call ends, without a non-INVITE transaction on either side.
 *
 * - **A BYE we receive** in a session of this UA, with an RFC 3261 branch and the next CSeq, is
 *   answered 200 at once (written as text, responseText) and ends the session. Its key and our tag
 *   are kept 64*T1 (Timer J, RFC 3261 17.2.2) in one queue, to answer the BYE's retransmissions
 *   with the same 200, written again from the retransmission. Anything else (a BYE for no
 *   session, an old CSeq, over TCP) goes to the transaction layer, which answers 481 or 500 as
 *   before.
 * - **A BYE we send** is resent at T1, 2T1 ... T2, and every T2 once a provisional came (Timer E),
 *   until a final, which is the answer; 408 after 64*T1 (Timer F), 503 when it cannot be sent.
 *   A retransmitted final finds nothing and is counted a stray response: the transaction's Timer
 *   K (17.1.2.2) would only have absorbed it, sending nothing either.
 */
import { BoxedMap } from '../boxed-map.js';
import type { TimerHandle } from '../clock.js';
import { dialogKeyOfIncomingRequest } from '../dialog/index.js';
import { createResponse, latin1Bytes, ownString, parseMessage, responseText, serializeMessage, type SipRequest, type SipResponse, type Via } from '../sip/index.js';
import { clientKey, isRfc3261Branch, LingerQueue, responseKey, serverKey, type Destination, type Lingering, type MessageSource } from '../transaction/index.js';
import { responseDestinationFor } from '../transport/index.js';
import type { Session } from './session.js';
import type { UserAgent } from './user-agent.js';

/** A BYE we answered 200, kept for its retransmissions (Timer J). */
class AnsweredBye implements Lingering {
  constructor(
    private readonly table: LeanByes,
    readonly key: string,
    /** Our tag in the 200: a retransmitted BYE gets the same 200 again, written anew from it. */
    readonly localTag: string,
  ) {}

  lingerDue(): void {
    this.table.expired(this);
  }
}

/** A BYE we sent, until its final (or Timer F). */
class PlacedBye {
  private timer: TimerHandle | null = null;
  private interval: number;
  private proceeding = false;
  private readonly deadline: number;
  private done = false;

  constructor(
    private readonly ua: UserAgent,
    private readonly table: LeanByes,
    readonly key: string,
    /** The BYE as a message; null for one written as text, parsed back only if needed (message()). */
    private request: SipRequest | null,
    private readonly bytes: Buffer,
    private readonly destination: Destination,
    private readonly resolve: (response: SipResponse) => void,
  ) {
    this.interval = ua.t1;
    this.deadline = ua.clock.now() + 64 * ua.t1;
  }

  start(): void {
    this.ua.transport.sendBytes(this.bytes, this.destination, this.sent);
    if (!this.done) this.timer = this.ua.clock.setTimer(this.interval, this.fire);
  }

  receive(response: SipResponse): void {
    if (response.status < 200) {
      this.proceeding = true; // Timer E now fires at T2 (17.1.2.2, Proceeding)
      return;
    }
    this.end(response);
  }

  /** Timer E: the BYE again; Timer F (64*T1 from the first) ends it with 408. */
  private readonly fire = (): void => {
    this.timer = null;
    if (this.done) return;
    const left = this.deadline - this.ua.clock.now();
    if (left <= 0) {
      this.ua.transactions.stats.timeouts++;
      this.end(createResponse(this.message(), 408));
      return;
    }
    this.ua.transactions.stats.retransmissions++;
    this.ua.transport.sendBytes(this.bytes, this.destination, this.sent);
    const t2 = this.ua.transactions.timers.t2;
    this.interval = this.proceeding ? t2 : Math.min(2 * this.interval, t2);
    this.timer = this.ua.clock.setTimer(Math.min(this.interval, left), this.fire);
  };

  private readonly sent = (err: Error | null): void => {
    if (err === null || this.done) return;
    this.ua.transactions.stats.transportErrors++;
    this.end(createResponse(this.message(), 503)); // 8.1.3.1: a transport error is a 503
  };

  private message(): SipRequest {
    return (this.request ??= parseMessage(this.bytes) as SipRequest);
  }

  private end(response: SipResponse): void {
    if (this.done) return;
    this.done = true;
    this.dispose();
    this.table.placedDone(this);
    this.resolve(response);
  }

  dispose(): void {
    this.ua.clock.clearTimer(this.timer);
    this.timer = null;
  }
}

export class LeanByes {
  private readonly answered = new BoxedMap<string, AnsweredBye>();
  private readonly placed = new BoxedMap<string, PlacedBye>();
  private readonly queue: LingerQueue;

  constructor(
    private readonly ua: UserAgent,
    /** The session a request in a dialog names (the UA's table), or undefined. */
    private readonly sessionOf: (key: string) => Session | undefined,
  ) {
    this.queue = new LingerQueue(ua.clock, 64 * ua.t1);
  }

  /** BYE exchanges kept: answered ones waiting out Timer J, and sent ones without their final. */
  get size(): number {
    return this.answered.size + this.placed.size;
  }

  /**
   * Takes a BYE or a response to one of ours that belongs here; false leaves it to the
   * transaction layer. What it throws, the UA catches (onMessage).
   */
  take(message: SipRequest | SipResponse, source: MessageSource): boolean {
    if (message.kind === 'response') {
      if (this.placed.size === 0 || message.cseq.method !== 'BYE') return false;
      const key = responseKey(message);
      const bye = key === null ? undefined : this.placed.get(key);
      if (bye === undefined) return false;
      bye.receive(message);
      return true;
    }
    if (message.method !== 'BYE' || source.transport !== 'UDP') return false;
    const via = message.topVia;
    if (via === undefined || !isRfc3261Branch(via.branch)) return false;
    const key = serverKey(via, 'BYE');
    const kept = this.answered.get(key);
    if (kept !== undefined) {
      // The same BYE again: the 200 written from it is the same 200, to the same place (18.2.2).
      // Writing it again costs only the rare retransmission; keeping its text cost every call
      // some 300 bytes for 64*T1.
      this.ua.transactions.stats.absorbed++;
      this.answer(message, via, source, kept.localTag);
      return true;
    }
    const dialog = dialogKeyOfIncomingRequest(message);
    const session = dialog === null ? undefined : this.sessionOf(dialog);
    if (session === undefined || !this.ua.admit(message, source) || !session.acceptBye(message)) return false;
    this.ua.transactions.stats.requests++;
    const localTag = session.dialog.localTag;
    this.answer(message, via, source, localTag);
    // Kept 64*T1: the key, made of the BYE's slices, would keep its text alive that long. The tag
    // is the session's own string (ownDialog).
    const answered = new AnsweredBye(this, ownString(key), localTag);
    this.answered.set(answered.key, answered);
    this.queue.add(answered);
    session.finish({ by: 'remote', cause: 'bye' });
    return true;
  }

  /** The 200 to a BYE (its first or a retransmission), where 18.2.2 sends it. */
  private answer(bye: SipRequest, via: Via, source: MessageSource, localTag: string): void {
    this.ua.transport.sendText(responseText(bye, { status: 200, toTag: localTag }), responseDestinationFor(via, source), this.ua.responseSent);
  }

  /** Sends a BYE (one attempt: sendWithAuth makes the next); resolves with its final, 408 or 503. */
  send(request: SipRequest, destination: Destination): Promise<SipResponse> {
    return this.place(clientKey(request.topVia!.branch!, 'BYE'), request, serializeMessage(request), destination);
  }

  /** send() for a BYE written as text (inDialogRequestText) with the branch of its Via. */
  sendText(text: string, branch: string, destination: Destination): Promise<SipResponse> {
    return this.place(clientKey(branch, 'BYE'), null, latin1Bytes(text), destination);
  }

  private place(key: string, request: SipRequest | null, bytes: Buffer, destination: Destination): Promise<SipResponse> {
    return new Promise((resolve) => {
      const bye = new PlacedBye(this.ua, this, key, request, bytes, destination, resolve);
      this.placed.set(key, bye);
      bye.start();
    });
  }

  /** @internal */
  expired(answered: AnsweredBye): void {
    if (this.answered.get(answered.key) === answered) this.answered.delete(answered.key);
  }

  /** @internal */
  placedDone(bye: PlacedBye): void {
    if (this.placed.get(bye.key) === bye) this.placed.delete(bye.key);
  }

  dispose(): void {
    for (const b of this.placed.values()) b.dispose();
    this.placed.clear();
    this.answered.clear();
    this.queue.dispose();
  }
}
