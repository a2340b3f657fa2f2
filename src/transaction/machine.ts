/**
 * What the four transaction state machines share: the transition-table dispatch, run-to-
 * completion of events, timers through the injected clock, and termination.
 */
import type { TimerHandle } from '../clock.js';
import type { SipRequest } from '../sip/index.js';
import { TransactionError } from './errors.js';
import type { LingerQueue, Lingering } from './linger.js';
import { LEGACY_ID_PREFIX } from './matching.js';
import type { TimerValues } from './timers.js';
import type { SendCallback, Transaction, TransactionHost, TransactionKind } from './types.js';

/** The handler of one (state, event) cell. */
export type Handler<T, I> = (tx: T, input: I) => void;

/**
 * state -> event -> handler. A missing cell means the RFC gives that state no transition for
 * that event: a network event is then dropped (and counted), a TU event is a programmer error.
 */
export type TransitionTable<T, S extends string, P> = {
  readonly [K in S]: { readonly [E in keyof P]?: Handler<T, P[E]> };
};

/** Every machine has a transport-error event: a failed send (17.1.4, 17.2.4). */
export interface BaseInputs {
  transportError: Error;
}

/** The events whose input is null: timers firing. */
type TimerEvent<P> = { [K in keyof P]: P[K] extends null ? K : never }[keyof P];

export abstract class TransactionMachine<S extends string, P extends BaseInputs> implements Lingering {
  abstract readonly kind: TransactionKind;
  /** The matching key (matching.ts): unique among live transactions of its side. */
  readonly id: string;
  /** The request that created the transaction, until releaseRequest(). */
  private _request: SipRequest | null;
  protected _state: S;
  protected readonly host: TransactionHost;
  protected readonly t: TimerValues;
  /** See sendDone. */
  private _sendDone: SendCallback | null = null;
  /** Nesting of handlers running now; a send error raised inside one waits for it to finish. */
  private depth = 0;
  private deferredError: Error | null = null;
  /** The current wait in a linger queue (see linger()): its queue and token, or null and 0. */
  private lingerQueue: LingerQueue | null = null;
  private lingerToken = 0;
  private lingerEvent: TimerEvent<P> | null = null;

  protected constructor(id: string, request: SipRequest, initial: S, host: TransactionHost, timers: TimerValues) {
    this.id = id;
    this._request = request;
    this._state = initial;
    this.host = host;
    this.t = timers;
  }

  /**
   * One send callback per transaction, shared by every send (no closure per message). It goes
   * when the transaction starts a wait before its end (linger()), where it seldom sends again:
   * a closure and its context kept 32 s per transaction (Timers J, L and M on UDP) were two of
   * every ten or so objects a busy node held per call. A retransmission answered then makes it
   * again.
   */
  protected get sendDone(): SendCallback {
    return (this._sendDone ??= (error) => {
      if (error === null || error === undefined) return;
      this.host.stats.transportErrors++;
      if (this.depth > 0) this.deferredError ??= error;
      else this.fireSafely('transportError', error);
    });
  }

  get state(): S {
    return this._state;
  }

  /**
   * The request that created the transaction. Throws TransactionError
   * (SLUICE_ERR_TRANSACTION_RELEASED) once the transaction has let it go: see releaseRequest.
   */
  get request(): SipRequest {
    if (this._request === null) {
      throw new TransactionError(
        'SLUICE_ERR_TRANSACTION_RELEASED',
        `${this.kind} transaction ${this.id} no longer holds its request (released on leaving its first states); keep the request where it is needed`,
      );
    }
    return this._request;
  }

  /** False once releaseRequest() let the request go. */
  get holdsRequest(): boolean {
    return this._request !== null;
  }

  get terminated(): boolean {
    return this._state === 'terminated';
  }

  /** Ends the transaction at once: timers cleared, dropped from the layer, no callbacks. */
  dispose(): void {
    this.close();
  }

  protected abstract cell<E extends keyof P>(event: E): Handler<this, P[E]> | undefined;
  protected abstract clearTimers(): void;
  protected abstract notifyTerminated(): void;

  /**
   * Runs the handler of (state, event); false when the cell is empty. Events run to completion:
   * a transport error reported synchronously by a send inside a handler is handled after it.
   */
  protected fire<E extends keyof P>(event: E, input: P[E]): boolean {
    const handler = this.cell(event);
    if (handler === undefined) return false;
    this.depth++;
    try {
      handler(this, input);
    } finally {
      if (--this.depth === 0 && this.deferredError !== null) {
        const error = this.deferredError;
        this.deferredError = null;
        this.fireSafely('transportError', error);
      }
    }
    return true;
  }

  /** A network event: an empty cell drops the message (counted, logged at debug). */
  protected fireNetwork<E extends keyof P>(event: E, input: P[E]): void {
    if (!this.fire(event, input)) {
      this.host.stats.dropped++;
      this.host.log.debug({ tx: this.id, state: this._state, event }, 'no transition for this message; dropped');
    }
  }

  /** A TU event: an empty cell is the TU's mistake. */
  protected fireTu<E extends keyof P>(event: E, input: P[E]): void {
    if (!this.fire(event, input)) {
      throw new TransactionError(
        'SLUICE_ERR_TRANSACTION_STATE',
        `${this.kind} transaction ${this.id}: ${String(event)} is not allowed in state ${this._state}`,
      );
    }
  }

  /** Entry from the event loop (timers, late send errors): nothing may escape into it. */
  protected fireSafely<E extends keyof P>(event: E, input: P[E]): void {
    try {
      this.fire(event, input);
    } catch (err) {
      this.host.stats.errors++;
      this.host.log.error({ err, tx: this.id, state: this._state, event }, 'transaction user threw');
    }
  }

  /**
   * Arms the timer whose firing is `event`. Its closure is made here, not one per timer up
   * front: most transactions arm two or three of their four or five timers.
   */
  protected arm(ms: number, event: TimerEvent<P>): TimerHandle {
    return this.host.clock.setTimer(ms, () => this.fireSafely(event, null as P[TimerEvent<P>]));
  }

  /**
   * Arms the timer whose firing is `event` for one of the waits before the end (D, I, J, K, L,
   * M), whose duration is fixed per layer: through the layer's queue for that duration (see
   * linger.ts) rather than a timer and closure of its own. One wait at a time; unlinger() ends it.
   */
  protected linger(ms: number, event: TimerEvent<P>): void {
    this.unlinger();
    this.lingerEvent = event;
    this.lingerQueue = this.host.lingerQueue(ms);
    this.lingerToken = this.lingerQueue.add(this);
    // A send already under way keeps its own reference (see sendDone).
    this._sendDone = null;
  }

  /** Ends the wait linger() began, if any. */
  protected unlinger(): void {
    if (this.lingerQueue === null) return;
    this.lingerQueue.cancel(this.lingerToken);
    this.lingerQueue = null;
    this.lingerToken = 0;
  }

  /** @internal The linger queue: the wait with `token` is over. */
  lingerDue(token: number): void {
    if (token !== this.lingerToken || this.lingerEvent === null) return;
    this.lingerQueue = null;
    this.lingerToken = 0;
    this.fireSafely(this.lingerEvent, null as P[TimerEvent<P>]);
  }

  /**
   * Lets the request go on entering a state that neither sends it nor matches by it (Accepted,
   * Completed): the transaction lives on there for Timer D, J, L or M (32 s on UDP), and a
   * parsed request held that long per call is most of what a busy node keeps in its heap and
   * what its garbage collector walks. An RFC 2543 transaction keeps it: its matching reads it.
   */
  protected releaseRequest(): void {
    if (!this.id.startsWith(LEGACY_ID_PREFIX)) this._request = null;
  }

  /** Clears a timer; returns null for the caller to store. */
  protected disarm(handle: TimerHandle | null): null {
    if (handle !== null) this.host.clock.clearTimer(handle);
    return null;
  }

  /** Moves to Terminated without callbacks; false if it already was. */
  protected close(): boolean {
    if (this._state === 'terminated') return false;
    this.clearTimers();
    this._state = 'terminated' as S;
    this.host.released(this as unknown as Transaction);
    return true;
  }

  /** Moves to Terminated and tells the user (17.1.1.2 etc.: "destroyed the instant it enters"). */
  protected terminate(): void {
    if (this.close()) this.notifyTerminated();
  }

  /** A status code the TU may send (RFC 3261 7.2: 100 to 699). */
  protected checkStatus(status: number): void {
    if (!(Number.isInteger(status) && status >= 100 && status <= 699)) {
      throw new TransactionError('SLUICE_ERR_TRANSACTION_RESPONSE', `${this.kind} transaction ${this.id}: status ${status} is not 100-699`);
    }
  }

  /** A message the state absorbs on purpose (a retransmission), as the RFC asks. */
  protected absorbed(): void {
    this.host.stats.absorbed++;
  }
}
