import type { Clock } from '../clock.js';
import type { CallsConfig } from '../config/types.js';
import type { MediaRelay } from '../media/index.js';
import type { Logger } from '../observability/logger.js';
import type { SipRequest } from '../sip/index.js';
import type { Store } from '../state/index.js';
import type { UserAgent } from '../ua/index.js';
import type { CallTarget } from './call.js';
import type { CdrWriter } from './cdr.js';

/** The dialplan's answer for one INVITE: where the call goes, or the status it is refused with. */
export type RouteResult = CallTarget | { reject: number; reason?: string };

/** A call the engine holds: its deadlines looked at each second (sweep), hung up at shutdown. */
export interface ActiveCall {
  readonly id: string;
  sweep(now: number): void;
  hangUp(reason: string): void;
}

/** What a call needs from the engine around it. */
export interface CallContext {
  clock: Clock;
  store: Store;
  relay: MediaRelay | null;
  cdr: CdrWriter | null;
  calls: CallsConfig;
  log: Logger;
  newId(): string;
  /** The user agent of a realm (each realm is its own SIP stack: its own sockets, Via, Contact). */
  ua(realm: string): UserAgent;
  /** The address a realm's SDP carries (media advertise, else media address). */
  mediaAddress(realm: string): string;
  /** The address a realm's From/Contact carry. */
  signallingAddress(realm: string): string;
  /** Where the dialplan sends an INVITE: at once, or as a promise where it must look something up. */
  route(realm: string, invite: SipRequest): RouteResult | Promise<RouteResult>;
  ended(call: ActiveCall): void;
}
