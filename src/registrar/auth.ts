/**
 * RFC 3261 10.3 steps 3 and 4 for a local registrar: digest authentication of a REGISTER
 * (RFC 3261 22, RFC 8760 algorithms) and the rule that a user registers only its own AOR.
 */
import type { Clock } from '../clock.js';
import {
  createChallenge,
  parseAuth,
  parseUri,
  SipParseError,
  uriEquals,
  verifyCredentials,
  type AuthValue,
  type DigestAlgorithm,
  type SipRequest,
} from '../sip/index.js';
import { RegistrationRefused } from './errors.js';
import { NonceKeeper } from './nonce.js';

export interface DigestGateOptions {
  clock: Clock;
  realm: string;
  users: Record<string, string>;
  algorithms: readonly DigestAlgorithm[];
  nonceTtlMs: number;
  nonceSecret: string | undefined;
}

export class DigestGate {
  private readonly nonces: NonceKeeper;
  private readonly users: ReadonlyMap<string, string>;

  constructor(private readonly options: DigestGateOptions) {
    this.nonces = new NonceKeeper(options.clock, options.realm, options.nonceTtlMs, options.nonceSecret);
    // A Map, not the object: a username such as __proto__ must not find an inherited value.
    this.users = new Map(Object.entries(options.users));
  }

  /** Returns when `request` carries valid credentials of `user`; throws RegistrationRefused (401, 403, 400) otherwise. */
  authenticate(request: SipRequest, user: string): void {
    const credentials = this.credentials(request);
    if (credentials === null) throw this.challenge(false, 'Unauthorized');
    const { realm } = this.options;
    const nonce = credentials.params.get('nonce') ?? '';
    const state = this.nonces.check(nonce);
    if (state === 'invalid') throw this.challenge(false, 'Unauthorized');
    const password = this.users.get(credentials.params.get('username') ?? '');
    if (password === undefined) throw this.challenge(false, 'Unauthorized');
    const result = verifyCredentials({ credentials, method: request.method, realm, password, body: request.body });
    if (!result.ok) {
      if (result.reason === 'malformed') throw new RegistrationRefused(400, 'Malformed digest credentials');
      throw this.challenge(false, 'Unauthorized');
    }
    if (!this.options.algorithms.includes(result.algorithm)) throw this.challenge(false, 'Unauthorized');
    // Right password, old nonce or a replayed nonce count: the client retries with the new nonce (RFC 2617 3.2.1).
    if (state === 'stale' || !this.nonces.use(nonce, result.nc)) throw this.challenge(true, 'Unauthorized');
    if (!sameUri(result.uri, request.uriText)) throw new RegistrationRefused(400, 'Digest uri differs from the Request-URI');
    if (result.username !== user) throw new RegistrationRefused(403, 'Credentials are not for the registered user');
  }

  /** The Authorization value for our realm; null when there is none (other realms are not ours to check). */
  private credentials(request: SipRequest): AuthValue | null {
    for (const value of request.headerValues('authorization')) {
      let a: AuthValue;
      try {
        a = parseAuth(value);
      } catch (e) {
        if (e instanceof SipParseError) throw new RegistrationRefused(400, `Bad Authorization header: ${e.reason}`);
        throw e;
      }
      if (a.scheme.toLowerCase() === 'digest' && a.params.get('realm') === this.options.realm) return a;
    }
    return null;
  }

  private challenge(stale: boolean, reason: string): RegistrationRefused {
    const nonce = this.nonces.issue();
    const headers = this.options.algorithms.map((algorithm): [string, string] => [
      'WWW-Authenticate',
      createChallenge({ realm: this.options.realm, nonce, algorithm, qop: 'auth', stale }),
    ]);
    return new RegistrationRefused(401, reason, headers);
  }
}

/** RFC 2617 3.2.2.5: the digest-uri names the Request-URI (compared as URIs, else as text). */
function sameUri(digestUri: string, requestUri: string): boolean {
  if (digestUri === requestUri) return true;
  try {
    return uriEquals(parseUri(digestUri), parseUri(requestUri));
  } catch {
    return false;
  }
}
