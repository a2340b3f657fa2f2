/**
 * The INVITE client transaction: RFC 3261 17.1.1 with RFC 6026 7.2 (the Accepted state and
 * Timer M, so that 2xx retransmissions and forked 2xx reach the TU instead of the core).
 */
import type { TimerHandle } from '../clock.js';
import type { SipRequest, SipResponse } from '../sip/index.js';
import { TransactionMachine, type BaseInputs, type TransitionTable } from './machine.js';
import { buildAckForNon2xx } from './requests.js';
import type { TimerValues } from './timers.js';
import type { ClientTransactionUser, Destination, TransactionHost } from './types.js';

export type InviteClientState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

interface Inputs extends BaseInputs {
  provisional: SipResponse;
  success: SipResponse;
  failure: SipResponse;
  timerA: null;
  timerB: null;
  timerD: null;
  timerM: null;
}

type Table = TransitionTable<InviteClientTransaction, InviteClientState, Inputs>;

export class InviteClientTransaction extends TransactionMachine<InviteClientState, Inputs> {
  readonly kind = 'invite-client' as const;
  readonly destination: Destination;
  readonly user: ClientTransactionUser;
  /** The ACK sent for a non-2xx final, kept to answer its retransmissions. */
  private ack: SipRequest | null = null;
  private interval = 0;
  private timerA: TimerHandle | null = null;
  private timerB: TimerHandle | null = null;

  /** @internal Made by TransactionLayer.createClientTransaction. */
  constructor(
    id: string,
    request: SipRequest,
    destination: Destination,
    user: ClientTransactionUser,
    host: TransactionHost,
    timers: TimerValues,
  ) {
    super(id, request, 'calling', host, timers);
    this.destination = destination;
    this.user = user;
  }

  /** @internal 17.1.1.2: enter Calling: send the INVITE, start Timer A (unreliable only) and Timer B. */
  start(): void {
    if (this.t.retransmit > 0) {
      this.interval = this.t.retransmit;
      this.timerA = this.arm(this.interval, 'timerA');
    }
    this.timerB = this.arm(this.t.B, 'timerB');
    this.send(this.request);
  }

  /** @internal A response the layer matched to this transaction (17.1.3). */
  receiveResponse(response: SipResponse): void {
    const status = response.status;
    this.fireNetwork(status < 200 ? 'provisional' : status < 300 ? 'success' : 'failure', response);
  }

  // One line per cell: the RFC paragraph it implements.
  private static readonly table: Table = {
    calling: {
      timerA: (tx) => tx.retransmit(), // 17.1.1.2: Timer A fires: retransmit, reset A to twice its value
      timerB: (tx) => tx.timedOut(), // 17.1.1.2: Timer B fires in Calling: tell the TU of the timeout, Terminated
      provisional: (tx, r) => tx.proceed(r), // 17.1.1.2: 1xx in Calling: Proceeding, stop retransmitting, 1xx to TU
      success: (tx, r) => tx.accept(r), // RFC 6026 7.2: 2xx in Calling or Proceeding: Accepted, Timer M, 2xx to TU
      failure: (tx, r) => tx.complete(r), // 17.1.1.2: 300-699: ACK, Completed, Timer D, response to TU
      transportError: (tx, e) => tx.failed(e), // 17.1.4: tell the TU (8.1.3.1: as 503), Terminated
    },
    proceeding: {
      provisional: (tx, r) => tx.provisional(r), // 17.1.1.2: further 1xx in Proceeding go to the TU
      success: (tx, r) => tx.accept(r), // RFC 6026 7.2: 2xx: Accepted, Timer M, 2xx to TU
      failure: (tx, r) => tx.complete(r), // 17.1.1.2: 300-699 in Proceeding: as in Calling
    },
    completed: {
      failure: (tx) => tx.reAck(), // 17.1.1.2: a retransmitted final in Completed: ACK again, not to the TU
      timerD: (tx) => tx.terminate(), // 17.1.1.2: Timer D fires in Completed: Terminated
      transportError: (tx, e) => tx.failed(e), // RFC 6026 7.2 figure (17.1.4): the ACK failed: tell the TU, Terminated
    },
    accepted: {
      success: (tx, r) => tx.passUp(r), // RFC 6026 7.2: every 2xx in Accepted goes to the TU (retransmissions, forks)
      timerM: (tx) => tx.terminate(), // RFC 6026 7.2: Timer M fires in Accepted: Terminated
    },
    terminated: {},
  };

  protected cell<E extends keyof Inputs>(event: E): Table[InviteClientState][E] {
    return InviteClientTransaction.table[this._state][event];
  }

  protected clearTimers(): void {
    this.timerA = this.disarm(this.timerA);
    this.timerB = this.disarm(this.timerB);
    this.unlinger(); // Timer D or M
  }

  protected notifyTerminated(): void {
    this.user.onTerminated?.(this);
  }

  private send(request: SipRequest): void {
    this.host.transport.sendRequest(request, this.destination, this.sendDone);
  }

  private retransmit(): void {
    this.interval *= 2;
    this.timerA = this.arm(this.interval, 'timerA');
    this.host.stats.retransmissions++;
    this.send(this.request);
  }

  /** Leaves Calling: no more retransmissions, and Timer B only ever applies in Calling. */
  private stopCalling(): void {
    this.timerA = this.disarm(this.timerA);
    this.timerB = this.disarm(this.timerB);
  }

  private proceed(response: SipResponse): void {
    this.stopCalling();
    this._state = 'proceeding';
    this.user.onProvisional?.(response, this);
  }

  private provisional(response: SipResponse): void {
    this.user.onProvisional?.(response, this);
  }

  private accept(response: SipResponse): void {
    this.stopCalling();
    this._state = 'accepted';
    this.releaseRequest(); // Accepted sends nothing: the TU ACKs each 2xx
    this.linger(this.t.M, 'timerM');
    this.user.onFinal(response, this);
  }

  private passUp(response: SipResponse): void {
    this.user.onFinal(response, this);
  }

  private complete(response: SipResponse): void {
    this.stopCalling();
    this._state = 'completed';
    this.ack = buildAckForNon2xx(this.request, response);
    this.releaseRequest(); // Completed resends the ACK only
    // 17.1.1.3: "sent to the same address, port, and transport to which the original request was sent".
    this.send(this.ack);
    if (this.t.D > 0) this.linger(this.t.D, 'timerD'); // after the send: see sendDone
    try {
      this.user.onFinal(response, this);
    } finally {
      // 17.1.1.2: Timer D is zero for reliable transports: Terminated at once.
      if (this.t.D === 0) this.terminate();
    }
  }

  private reAck(): void {
    this.absorbed();
    if (this.ack !== null) this.send(this.ack);
  }

  private timedOut(): void {
    this.host.stats.timeouts++;
    this.close();
    try {
      this.user.onTimeout(this);
    } finally {
      this.notifyTerminated();
    }
  }

  private failed(error: Error): void {
    this.close();
    try {
      this.user.onTransportError(error, this);
    } finally {
      this.notifyTerminated();
    }
  }
}
