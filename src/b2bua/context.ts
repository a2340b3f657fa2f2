import type { Clock } from '../clock.js';
import type { CallsConfig } from '../config/types.js';
import type { MediaRelay } from '../media/index.js';
import type { Logger } from '../observability/logger.js';
import type { SipRequest } from '../sip/index.js';
import type { Store } from '../state/index.js';
import type { UserAgent } from '../ua/index.js';
import type { Call, CallTarget } from './call.js';
import type { CdrWriter } from './cdr.js';

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
  route(realm: string, invite: SipRequest): Promise<CallTarget | { reject: number; reason?: string }>;
  ended(call: Call): void;
}
