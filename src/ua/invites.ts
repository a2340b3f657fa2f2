/**
 * What an application holds of an INVITE outside any dialog, whichever path carries it: the
 * transaction layer's (IncomingCall, OutgoingCall) or the lean one for the common call over UDP
 * (LeanIncomingCall, LeanOutgoingCall; see lean-invites.ts).
 */
import type { SipRequest, SipResponse } from '../sip/index.js';
import type { MessageSource } from '../transaction/index.js';
import type { ProgressParts } from './incoming-call.js';
import type { ResponseParts } from './incoming-request.js';
import type { Session } from './session.js';

/** An INVITE being answered (UAS core, RFC 3261 13.3). */
export interface IncomingInvite {
  readonly request: SipRequest;
  readonly source: MessageSource;
  readonly localTag: string;
  /** Our Contact URI for the dialog (see useContactUser). */
  readonly contact: string;
  /** The early or confirmed session, once one exists (the lean path makes none before the 2xx). */
  readonly session: Session | null;
  /** The caller's SDP offer, or null (a late offer). */
  readonly offer: string | null;
  /** A final response is out. */
  readonly answered: boolean;
  /** RFC 4028 8.1: the interval asked for is below our Min-SE. */
  readonly sessionIntervalTooSmall: number | null;
  /** The caller cancelled (the 487 is out). */
  onCancel: (() => void) | null;
  /** A PRACK acknowledged a reliable provisional (never on the lean path, which sends none). */
  onPrack: ((prack: SipRequest) => void) | null;
  /**
   * The lean path's early dialog became a session, for a request the caller sent in it (an
   * UPDATE before the answer). The general path makes it at the provisional instead (session).
   */
  onEarlySession: ((session: Session) => void) | null;
  /**
   * The session of the early dialog our latest provisional made, made now if it was not (the
   * lean path makes it only when needed); null before any provisional with our tag, or once a
   * final went out.
   */
  earlySession(): Session | null;
  useContactUser(user: string): void;
  progress(status?: number, parts?: ProgressParts): void;
  accept(parts?: ResponseParts): Session;
  reject(status: number, parts?: ResponseParts): void;
}

/** A call we place (UAC core, RFC 3261 13.2). */
export interface OutgoingInvite {
  /** The session of the first 2xx; rejects with CallFailed on a final non-2xx, timeout or error. */
  readonly answered: Promise<Session>;
  /** Every provisional response, with the early session it made or updated, if any. */
  onProvisional: ((response: SipResponse, session: Session | null) => void) | null;
  /**
   * The lean path's early dialog became a session, for a request the callee sent in it. The
   * general path makes it at the provisional instead (onProvisional's session).
   */
  onEarlySession: ((session: Session) => void) | null;
  readonly callId: string;
  readonly fromTag: string;
  /**
   * The session of the early dialog of the latest provisional, made now if it was not (the lean
   * path makes it only when needed); null when none made one, or once the call has its outcome.
   */
  earlySession(): Session | null;
  /** CANCEL (9.1): at once after a provisional response, else as soon as one comes. */
  cancel(): void;
}
