/**
 * The INVITE server transaction: RFC 3261 17.2.1 with RFC 6026 7.1 (the Accepted state and
 * Timer L: after a 2xx the transaction stays to absorb INVITE retransmissions, sends the 2xx
 * retransmissions the TU hands it, and passes ACKs up; transport errors leave it in its state).
 */
import type { TimerHandle } from '../clock.js';
import { createResponse, ownString, type SipRequest, type SipResponse } from '../sip/index.js';
import { TransactionMachine, type BaseInputs, type TransitionTable } from './machine.js';
import type { LegacyOrigin } from './matching.js';
import { TRYING_DELAY_MS, type TimerValues } from './timers.js';
import type { MessageSource, ServerTransactionUser, TransactionHost, TryingPolicy } from './types.js';

export type InviteServerState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

interface Inputs extends BaseInputs {
  invite: SipRequest;
  ack: SipRequest;
  provisional: SipResponse;
  success: SipResponse;
  failure: SipResponse;
  timerTrying: null;
  timerG: null;
  timerH: null;
  timerI: null;
  timerL: null;
}

type Table = TransitionTable<InviteServerTransaction, InviteServerState, Inputs>;

export class InviteServerTransaction extends TransactionMachine<InviteServerState, Inputs> implements LegacyOrigin {
  readonly kind = 'invite-server' as const;
  /** Optional observer (ACK for a non-2xx, Timer H, transport errors), set by the core. */
  user: ServerTransactionUser | undefined = undefined;
  private _source: MessageSource;
  /** The source of the ACK being handled (the core wants it with the ACK). */
  private ackSource: MessageSource;
  private lastProvisional: SipResponse | null = null;
  private lastFinal: SipResponse | null = null;
  /** The To tag of the final response sent (kept apart: a 2xx itself is not kept, see accept()). */
  private finalToTag: string | null = null;
  private interval = 0;
  private timerTrying: TimerHandle | null = null;
  private timerG: TimerHandle | null = null;
  private timerH: TimerHandle | null = null;

  /** @internal Made by the layer for an INVITE that matched no transaction. */
  constructor(id: string, request: SipRequest, source: MessageSource, host: TransactionHost, timers: TimerValues) {
    super(id, request, 'proceeding', host, timers);
    this._source = source;
    this.ackSource = source;
  }

  /** Where the INVITE came from (responses go back by it, RFC 3261 18.2.2). */
  get source(): MessageSource {
    return this._source;
  }

  /** The last response this transaction may still resend (a non-2xx final, else a provisional), or null. */
  get lastResponse(): SipResponse | null {
    return this.lastFinal ?? this.lastProvisional;
  }

  /** For RFC 2543 ACK matching (17.2.3): the To tag of the final response sent. */
  get responseToTag(): string | null {
    return this.finalToTag;
  }

  /**
   * @internal 17.2.1: "the server transaction MUST generate a 100 (Trying) response unless it
   * knows that the TU will generate a provisional or final response within 200 ms".
   */
  start(trying: TryingPolicy): void {
    if (trying === 'immediate') this.sendTrying();
    else if (trying === 'delayed') this.timerTrying = this.arm(TRYING_DELAY_MS, 'timerTrying');
  }

  /**
   * Sends a response through the transaction. False when the transaction has already ended
   * (Timer H/I/L, or disposed); throws TransactionError for a response the state does not
   * allow (a 1xx or non-2xx after a final, a 2xx after a non-2xx).
   */
  respond(response: SipResponse): boolean {
    if (this._state === 'terminated') {
      this.host.log.debug({ tx: this.id, status: response.status }, 'response on an ended transaction; not sent');
      return false;
    }
    this.checkStatus(response.status);
    const status = response.status;
    this.fireTu(status < 200 ? 'provisional' : status < 300 ? 'success' : 'failure', response);
    return true;
  }

  /** @internal A retransmitted INVITE, or an ACK, that matched this transaction (17.2.3). */
  receiveRequest(request: SipRequest, source: MessageSource): void {
    // 18.2.2: responses go over the connection the request came on; a retransmission on a new
    // connection (the old one closed) moves them there. Datagram sources keep the first.
    if (source.reliable) this._source = source;
    if (request.method === 'ACK') {
      this.ackSource = source;
      this.fireNetwork('ack', request);
    } else {
      this.fireNetwork('invite', request);
    }
  }

  // One line per cell: the RFC paragraph it implements.
  private static readonly table: Table = {
    proceeding: {
      invite: (tx) => tx.resend(tx.lastProvisional), // 17.2.1: INVITE retransmission in Proceeding: resend the latest provisional
      provisional: (tx, r) => tx.sendProvisional(r), // 17.2.1: 1xx from TU in Proceeding: send it, stay
      success: (tx, r) => tx.accept(r), // RFC 6026 7.1: 2xx from TU: send it, Accepted, Timer L
      failure: (tx, r) => tx.complete(r), // 17.2.1: 300-699 from TU: send it, Completed, Timers G (unreliable) and H
      timerTrying: (tx) => tx.sendTrying(), // 17.2.1: the TU sent nothing within 200 ms: send 100 Trying
      transportError: (tx, e) => tx.informTransportError(e), // RFC 6026 7.1 figure 5: tell the TU, stay
    },
    completed: {
      invite: (tx) => tx.resend(tx.lastFinal), // 17.2.1: INVITE retransmission in Completed: resend the final
      ack: (tx, a) => tx.confirm(a), // 17.2.1: ACK in Completed: Confirmed, Timer I
      timerG: (tx) => tx.retransmitFinal(), // 17.2.1: Timer G: resend the final, G = MIN(2G, T2)
      timerH: (tx) => tx.timedOutH(), // 17.2.1: Timer H: no ACK; Terminated, tell the TU of the failure
      transportError: (tx, e) => tx.informTransportError(e), // RFC 6026 7.1 figure 5: tell the TU, stay
    },
    confirmed: {
      invite: (tx) => tx.absorbed(), // 17.2.1: Confirmed absorbs what arrives until Timer I
      ack: (tx) => tx.absorbed(), // 17.2.1: Confirmed exists to "absorb any additional ACK messages"
      timerI: (tx) => tx.terminate(), // 17.2.1: Timer I fires: Terminated
    },
    accepted: {
      invite: (tx) => tx.absorbed(), // RFC 6026 7.1: INVITE retransmissions in Accepted are absorbed, not passed up
      ack: (tx, a) => tx.passAck(a), // RFC 6026 7.1 figure 5: ACK in Accepted goes to the TU
      success: (tx, r) => tx.send(r), // RFC 6026 7.1: 2xx from TU in Accepted (its retransmissions): send it
      timerL: (tx) => tx.terminate(), // RFC 6026 7.1: Timer L fires: Terminated
      transportError: (tx, e) => tx.informTransportError(e), // RFC 6026 7.1 figure 5: tell the TU, stay
    },
    terminated: {},
  };

  protected cell<E extends keyof Inputs>(event: E): Table[InviteServerState][E] {
    return InviteServerTransaction.table[this._state][event];
  }

  protected clearTimers(): void {
    this.timerTrying = this.disarm(this.timerTrying);
    this.timerG = this.disarm(this.timerG);
    this.timerH = this.disarm(this.timerH);
    this.unlinger(); // Timer I or L
  }

  protected notifyTerminated(): void {
    this.user?.onTerminated?.(this);
  }

  private send(response: SipResponse): void {
    this.host.transport.sendResponse(response, this._source, this.sendDone);
  }

  private passAck(ack: SipRequest): void {
    const source = this.ackSource;
    // Not kept for Timer L's 32 s: the next ACK brings its own.
    this.ackSource = this._source;
    this.host.ackToCore(ack, source, this);
  }

  private resend(response: SipResponse | null): void {
    this.absorbed();
    if (response !== null) this.send(response);
  }

  private sendTrying(): void {
    this.timerTrying = this.disarm(this.timerTrying);
    // A 100 carries no To tag (8.2.6.2); it counts as the provisional to resend (17.2.1).
    this.lastProvisional = createResponse(this.request, 100);
    this.send(this.lastProvisional);
  }

  private sendProvisional(response: SipResponse): void {
    this.timerTrying = this.disarm(this.timerTrying);
    this.lastProvisional = response;
    this.send(response);
  }

  private accept(response: SipResponse): void {
    this.timerTrying = this.disarm(this.timerTrying);
    this._state = 'accepted';
    // Neither the 2xx nor the last provisional is resent from here (the TU resends its 2xx until
    // the ACK, RFC 6026 7.1): holding them for Timer L's 32 s would only keep two messages per
    // call alive, which at thousands of calls a second is most of the heap's churn.
    this.finalToTag = toTagOf(response);
    this.lastProvisional = null;
    this.releaseRequest();
    this.send(response);
    this.linger(this.t.L, 'timerL'); // after the send: see sendDone
  }

  private complete(response: SipResponse): void {
    this.timerTrying = this.disarm(this.timerTrying);
    this._state = 'completed';
    this.lastFinal = response;
    this.finalToTag = toTagOf(response);
    this.lastProvisional = null; // as in accept()
    this.releaseRequest(); // Completed resends lastFinal; retransmissions match by the key
    if (this.t.retransmit > 0) {
      this.interval = this.t.retransmit;
      this.timerG = this.arm(this.interval, 'timerG');
    }
    this.timerH = this.arm(this.t.H, 'timerH');
    this.send(response);
  }

  private retransmitFinal(): void {
    this.interval = Math.min(2 * this.interval, this.t.t2);
    this.timerG = this.arm(this.interval, 'timerG');
    this.host.stats.retransmissions++;
    if (this.lastFinal !== null) this.send(this.lastFinal);
  }

  private confirm(ack: SipRequest): void {
    this.timerG = this.disarm(this.timerG);
    this.timerH = this.disarm(this.timerH);
    this._state = 'confirmed';
    this.absorbed();
    if (this.t.I > 0) this.linger(this.t.I, 'timerI');
    try {
      this.user?.onAck?.(ack, this);
    } finally {
      // 17.2.1: Timer I is zero for reliable transports: Terminated at once.
      if (this.t.I === 0) this.terminate();
    }
  }

  private timedOutH(): void {
    this.host.stats.timeouts++;
    this.close();
    try {
      this.user?.onTimeoutH?.(this);
    } finally {
      this.notifyTerminated();
    }
  }

  private informTransportError(error: Error): void {
    this.user?.onTransportError?.(error, this);
  }
}

function toTagOf(response: SipResponse): string | null {
  try {
    // Its own characters: a slice would keep the response's To field for Timer L's 32 s.
    const tag = response.toTag;
    return tag === null ? null : ownString(tag);
  } catch {
    return null;
  }
}
