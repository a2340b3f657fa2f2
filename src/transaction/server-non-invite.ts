/** The non-INVITE server transaction: RFC 3261 17.2.2. */
import { parseMessage, serializeMessage, type SipRequest, type SipResponse } from '../sip/index.js';
import { TransactionMachine, type BaseInputs, type TransitionTable } from './machine.js';
import type { LegacyOrigin } from './matching.js';
import type { TimerValues } from './timers.js';
import type { Destination, MessageSource, ServerTransactionUser, TransactionHost } from './types.js';

export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

interface Inputs extends BaseInputs {
  request: SipRequest;
  provisional: SipResponse;
  final: SipResponse;
  timerJ: null;
}

type Table = TransitionTable<NonInviteServerTransaction, NonInviteServerState, Inputs>;

export class NonInviteServerTransaction extends TransactionMachine<NonInviteServerState, Inputs> implements LegacyOrigin {
  readonly kind = 'non-invite-server' as const;
  /** Optional observer (transport errors, termination), set by the core. */
  user: ServerTransactionUser | undefined = undefined;
  /** Never matched by an ACK, so the To tag to expect from one is moot. */
  readonly responseToTag = null;
  private _source: MessageSource;
  private lastProvisional: SipResponse | null = null;
  /** The final sent over a reliable transport, where there is no Timer J (lastResponse shows it). */
  private lastFinal: SipResponse | null = null;
  /**
   * The final as sent, kept for Timer J (32 s on UDP) to answer retransmissions: its bytes as
   * latin1 text (one byte per byte) and where they went. Not the message, whose header objects
   * take twice the memory, nor the serialized Buffer, a slice of one of Node's shared 8 KB pool
   * blocks that would keep the whole block as long.
   */
  private finalWire: { text: string; destination: Destination } | null = null;

  /** @internal Made by the layer for a request that matched no transaction. */
  constructor(id: string, request: SipRequest, source: MessageSource, host: TransactionHost, timers: TimerValues) {
    super(id, request, 'trying', host, timers);
    this._source = source;
  }

  /** Where the request came from (responses go back by it, RFC 3261 18.2.2). */
  get source(): MessageSource {
    return this._source;
  }

  /** The last response sent (final, else provisional), or null; a final kept for Timer J is read back from its bytes. */
  get lastResponse(): SipResponse | null {
    if (this.finalWire !== null) return parseMessage(Buffer.from(this.finalWire.text, 'latin1')) as SipResponse;
    return this.lastFinal ?? this.lastProvisional;
  }

  /**
   * Sends a response through the transaction. False when it was not sent: the transaction has
   * ended, or it is Completed, where 17.2.2 says further finals "MUST be discarded". Throws
   * TransactionError for a 1xx after the final.
   */
  respond(response: SipResponse): boolean {
    if (this._state === 'terminated') {
      this.host.log.debug({ tx: this.id, status: response.status }, 'response on an ended transaction; not sent');
      return false;
    }
    this.checkStatus(response.status);
    const wasCompleted = this._state === 'completed';
    this.fireTu(response.status < 200 ? 'provisional' : 'final', response);
    return !wasCompleted;
  }

  /** @internal A retransmission that matched this transaction (17.2.3). */
  receiveRequest(request: SipRequest, source: MessageSource): void {
    // 18.2.2: a retransmission on a new connection moves the responses there.
    if (source.reliable) this._source = source;
    this.fireNetwork('request', request);
  }

  // One line per cell: the RFC paragraph it implements.
  private static readonly table: Table = {
    trying: {
      request: (tx) => tx.absorbed(), // 17.2.2: "any further request retransmissions are discarded" in Trying
      provisional: (tx, r) => tx.proceed(r), // 17.2.2: 1xx from TU in Trying: Proceeding, send it
      final: (tx, r) => tx.complete(r), // 17.2.2: 200-699 from TU: Completed, send it, Timer J
    },
    proceeding: {
      request: (tx) => tx.resend(tx.lastProvisional), // 17.2.2: retransmission in Proceeding: resend the latest provisional
      provisional: (tx, r) => tx.sendProvisional(r), // 17.2.2: further 1xx from TU in Proceeding: send them
      final: (tx, r) => tx.complete(r), // 17.2.2: 200-699 from TU in Proceeding: Completed, send it, Timer J
      transportError: (tx, e) => tx.failed(e), // 17.2.2 (17.2.4): tell the TU, Terminated
    },
    completed: {
      request: (tx) => tx.resendFinal(), // 17.2.2: retransmission in Completed: resend the final
      provisional: (tx) => tx.discard(), // 17.2.2: Completed takes nothing more from the TU
      final: (tx) => tx.discard(), // 17.2.2: "Any other final responses passed by the TU ... MUST be discarded"
      timerJ: (tx) => tx.terminate(), // 17.2.2: Timer J fires: Terminated
      transportError: (tx, e) => tx.failed(e), // 17.2.2 (17.2.4): tell the TU, Terminated
    },
    terminated: {},
  };

  protected cell<E extends keyof Inputs>(event: E): Table[NonInviteServerState][E] {
    return NonInviteServerTransaction.table[this._state][event];
  }

  protected clearTimers(): void {
    this.unlinger(); // Timer J
  }

  protected notifyTerminated(): void {
    this.user?.onTerminated?.(this);
  }

  private send(response: SipResponse): void {
    this.host.transport.sendResponse(response, this._source, this.sendDone);
  }

  private resend(response: SipResponse | null): void {
    this.absorbed();
    if (response !== null) this.send(response);
  }

  private resendFinal(): void {
    const wire = this.finalWire;
    if (wire === null) return this.resend(this.lastFinal);
    const bytes = Buffer.from(wire.text, 'latin1');
    // 18.2.2: a retransmission that came on a connection takes the response back on it.
    if (this._source.reliable) return this.resend(parseMessage(bytes) as SipResponse);
    this.absorbed();
    this.host.transport.sendBytes(bytes, wire.destination, this.sendDone);
  }

  private proceed(response: SipResponse): void {
    this._state = 'proceeding';
    this.sendProvisional(response);
  }

  private sendProvisional(response: SipResponse): void {
    this.lastProvisional = response;
    this.send(response);
  }

  private complete(response: SipResponse): void {
    this._state = 'completed';
    // Only Proceeding resends it, and lastResponse now shows the final: not kept for Timer J.
    this.lastProvisional = null;
    this.releaseRequest(); // Completed resends the final; retransmissions match by the key
    if (this.t.J === 0) {
      // 17.2.2: Timer J is zero for reliable transports: Terminated at once.
      this.lastFinal = response;
      this.send(response);
      this.terminate();
      return;
    }
    // Serialised once: sent now, and again for each retransmission until Timer J.
    const transport = this.host.transport;
    const bytes = serializeMessage(response);
    const destination = transport.responseDestination(response, this._source);
    this.finalWire = { text: bytes.toString('latin1'), destination };
    transport.sendBytes(bytes, destination, this.sendDone);
    this.linger(this.t.J, 'timerJ'); // after the send: see sendDone
  }

  private discard(): void {
    this.host.log.debug({ tx: this.id }, 'response from the TU in Completed; discarded');
  }

  private failed(error: Error): void {
    this.close();
    try {
      this.user?.onTransportError?.(error, this);
    } finally {
      this.notifyTerminated();
    }
  }
}
