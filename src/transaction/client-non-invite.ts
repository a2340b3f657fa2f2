/** The non-INVITE client transaction: RFC 3261 17.1.2. */
import type { TimerHandle } from '../clock.js';
import type { SipRequest, SipResponse } from '../sip/index.js';
import { TransactionMachine, type BaseInputs, type TransitionTable } from './machine.js';
import type { TimerValues } from './timers.js';
import type { ClientTransactionUser, Destination, TransactionHost } from './types.js';

export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

interface Inputs extends BaseInputs {
  provisional: SipResponse;
  final: SipResponse;
  timerE: null;
  timerF: null;
  timerK: null;
}

type Table = TransitionTable<NonInviteClientTransaction, NonInviteClientState, Inputs>;

const ignore = (): void => undefined;
/** The user of a transaction whose final response went out: no callback is due but onTerminated. */
const SETTLED_USER: ClientTransactionUser = Object.freeze({ onFinal: ignore, onTimeout: ignore, onTransportError: ignore });

export class NonInviteClientTransaction extends TransactionMachine<NonInviteClientState, Inputs> {
  readonly kind = 'non-invite-client' as const;
  readonly destination: Destination;
  /** Its user; one without onTerminated only until the final response is delivered (see complete()). */
  private user: ClientTransactionUser;
  private interval = 0;
  private timerE: TimerHandle | null = null;
  private timerF: TimerHandle | null = null;

  /** @internal Made by TransactionLayer.createClientTransaction. */
  constructor(
    id: string,
    request: SipRequest,
    destination: Destination,
    user: ClientTransactionUser,
    host: TransactionHost,
    timers: TimerValues,
  ) {
    super(id, request, 'trying', host, timers);
    this.destination = destination;
    this.user = user;
  }

  /** @internal 17.1.2.2: enter Trying: send the request, start Timer E (unreliable only) and Timer F. */
  start(): void {
    if (this.t.retransmit > 0) {
      this.interval = this.t.retransmit;
      this.timerE = this.arm(this.interval, 'timerE');
    }
    this.timerF = this.arm(this.t.F, 'timerF');
    this.host.transport.sendRequest(this.request, this.destination, this.sendDone);
  }

  /** @internal A response the layer matched to this transaction (17.1.3). */
  receiveResponse(response: SipResponse): void {
    this.fireNetwork(response.status < 200 ? 'provisional' : 'final', response);
  }

  // One line per cell: the RFC paragraph it implements.
  private static readonly table: Table = {
    trying: {
      timerE: (tx) => tx.retransmit(Math.min(2 * tx.interval, tx.t.t2)), // 17.1.2.2: Timer E in Trying: retransmit, E = MIN(2E, T2)
      timerF: (tx) => tx.timedOut(), // 17.1.2.2: Timer F fires: tell the TU of the timeout, Terminated
      provisional: (tx, r) => tx.proceed(r), // 17.1.2.2: 1xx in Trying: Proceeding, 1xx to TU
      final: (tx, r) => tx.complete(r), // 17.1.2.2: 200-699: Completed, response to TU, Timer K
      transportError: (tx, e) => tx.failed(e), // 17.1.4: tell the TU (8.1.3.1: as 503), Terminated
    },
    proceeding: {
      timerE: (tx) => tx.retransmit(tx.t.t2), // 17.1.2.2: Timer E in Proceeding: retransmit, E = T2
      timerF: (tx) => tx.timedOut(), // 17.1.2.2: Timer F in Proceeding: timeout to TU, Terminated
      provisional: (tx, r) => tx.provisional(r), // 17.1.2.2: further 1xx in Proceeding go to the TU
      final: (tx, r) => tx.complete(r), // 17.1.2.2: 200-699 in Proceeding: Completed, response to TU
      transportError: (tx, e) => tx.failed(e), // 17.1.4: tell the TU (as 503), Terminated
    },
    completed: {
      provisional: (tx) => tx.absorbed(), // 17.1.2.2: Completed buffers any retransmissions
      final: (tx) => tx.absorbed(), // 17.1.2.2: "buffer any additional response retransmissions"
      timerK: (tx) => tx.terminate(), // 17.1.2.2: Timer K fires in Completed: Terminated
    },
    terminated: {},
  };

  protected cell<E extends keyof Inputs>(event: E): Table[NonInviteClientState][E] {
    return NonInviteClientTransaction.table[this._state][event];
  }

  protected clearTimers(): void {
    this.timerE = this.disarm(this.timerE);
    this.timerF = this.disarm(this.timerF);
    this.unlinger(); // Timer K
  }

  protected notifyTerminated(): void {
    this.user.onTerminated?.(this);
  }

  private retransmit(next: number): void {
    this.interval = next;
    this.timerE = this.arm(next, 'timerE');
    this.host.stats.retransmissions++;
    this.host.transport.sendRequest(this.request, this.destination, this.sendDone);
  }

  private proceed(response: SipResponse): void {
    // Timer E keeps running: only its next value changes (to T2, on its next firing).
    this._state = 'proceeding';
    this.user.onProvisional?.(response, this);
  }

  private provisional(response: SipResponse): void {
    this.user.onProvisional?.(response, this);
  }

  private complete(response: SipResponse): void {
    this.timerE = this.disarm(this.timerE);
    this.timerF = this.disarm(this.timerF);
    this._state = 'completed';
    this.releaseRequest(); // Completed only absorbs response retransmissions
    if (this.t.K > 0) this.linger(this.t.K, 'timerK');
    const user = this.user;
    // Completed only absorbs retransmitted responses for Timer K: a user that does not ask to
    // hear of the end is let go, with the request, promise and response its closures hold.
    if (user.onTerminated === undefined) this.user = SETTLED_USER;
    try {
      user.onFinal(response, this);
    } finally {
      // 17.1.2.2: Timer K is zero for reliable transports: Terminated at once.
      if (this.t.K === 0) this.terminate();
    }
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
