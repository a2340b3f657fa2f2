import type { Clock } from '../clock.js';
import type { DigestAlgorithm } from '../sip/index.js';
import type { Store } from '../state/index.js';

/** One registered contact of a user: a plain record (kind 'registration') the store keeps until it expires. */
export interface Binding {
  /** The address-of-record, canonical (RFC 3261 10.3 step 5): 'sip:alice@domain'. */
  aor: string;
  /** The AOR's user part: what lookup() is keyed by. */
  user: string;
  /** The Contact URI as registered (without <> and header parameters). */
  contact: string;
  /**
   * The TRUE source the REGISTER came from: where to send requests to a phone behind NAT,
   * whatever its Contact claims (far-end NAT traversal).
   */
  flow: {
    transport: 'UDP' | 'TCP' | 'TLS';
    address: string;
    port: number;
    /** Our listener that took the REGISTER: requests to the phone leave from it (the NAT pinhole). */
    local?: { address: string; port: number };
    /** The stream connection it came on, reused while it is open. */
    connectionId?: string;
  };
  /** The realm the REGISTER arrived on. */
  realm: string;
  /** Wall-clock ms. */
  expiresAt: number;
  callId: string;
  cseq: number;
  userAgent?: string;
  q?: number;
}

export interface RegistrarOptions {
  store: Store;
  clock: Clock;
  /** The realm name the REGISTERs arrive on. */
  realm: string;
  /** Shorter registrations get 423 Interval Too Brief (default 60 s). */
  minExpires?: number;
  /** Longer registrations are cut to this (default 3600 s). */
  maxExpires?: number;
  /** When neither the Contact nor an Expires header says (default 3600 s, or maxExpires if lower). */
  defaultExpires?: number;
  /** user -> password: when set, REGISTER needs digest auth; when absent, registration is open. */
  users?: Record<string, string>;
  /** The digest realm of the challenges (default: `realm`). */
  authRealm?: string;
  /** Most bindings one user may hold; more gets 403 (default 10): bounds the store under open registration. */
  maxBindings?: number;
  /**
   * Key for the nonces (HMAC-SHA-256). Instances of a cluster must share it so any of them can
   * check a nonce another issued; by default each registrar makes a random one.
   */
  nonceSecret?: string;
  /** How long a nonce is accepted before a stale=TRUE challenge (default 300 s). */
  nonceTtlMs?: number;
  /** Offered in this order, one WWW-Authenticate each (default SHA-256 then MD5, RFC 8760 2.3). */
  digestAlgorithms?: DigestAlgorithm[];
}
