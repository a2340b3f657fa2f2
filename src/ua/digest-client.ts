/**
 * The UAC side of digest authentication (RFC 3261 22.2, 22.3; RFC 8760 algorithms): turns a
 * 401/407 into the Authorization or Proxy-Authorization field for the request sent again.
 */
import { answerChallenge, pickChallenge, type AuthValue, type SipRequest, type SipResponse } from '../sip/index.js';
import type { CredentialLookup } from './types.js';

export interface AuthAnswer {
  header: 'Authorization' | 'Proxy-Authorization';
  value: string;
  realm: string;
}

/**
 * The credentials field answering `response` (401 or 407) to `request`, or null when there is no
 * usable challenge or no credentials for its realm. `tried` holds realms already answered with
 * a rejected result (a second 401 for the same realm means wrong credentials: give up).
 */
export function answer401(request: SipRequest, response: SipResponse, lookup: CredentialLookup | undefined, tried: ReadonlySet<string>): AuthAnswer | null {
  if (lookup === undefined) return null;
  const proxy = response.status === 407;
  const values = response.parsed<AuthValue[]>(proxy ? 'proxy-authenticate' : 'www-authenticate');
  if (values === undefined) return null;
  const challenge = pickChallenge(values);
  const realm = challenge?.params.get('realm');
  if (challenge === undefined || realm === undefined) return null;
  const stale = challenge.params.get('stale')?.toLowerCase() === 'true';
  if (tried.has(realm) && !stale) return null;
  const creds = lookup(realm, request);
  if (creds === undefined) return null;
  const value = answerChallenge({
    challenge,
    method: request.method,
    uri: request.uriText,
    username: creds.username,
    password: creds.password,
    body: request.body,
  });
  return { header: proxy ? 'Proxy-Authorization' : 'Authorization', value, realm };
}
