/**
 * Digest authentication for SIP: RFC 3261 22 (which takes it from RFC 2617) with the algorithms
 * of RFC 7616 that RFC 8760 brings to SIP: MD5, SHA-256 and SHA-512/256, each also as -sess.
 * Pure: hashing through node:crypto, randomness only from an injectable source.
 *
 * Strings are byte strings as everywhere in src/sip (one char per wire byte): values taken from
 * headers are hashed as they are; the username and password a caller gives are Unicode and are
 * hashed as their UTF-8 bytes (byteString), which is what RFC 7616 3.4.4 prescribes for UTF-8.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SluiceError } from '../errors.js';
import { serializeAuth } from './auth.js';
import type { AuthValue } from './types.js';
import { byteString } from './utf8.js';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';
export type DigestQop = 'auth' | 'auth-int';

export const DigestErrorCode = {
  /** An algorithm this module does not implement (RFC 7616 3.7: such a challenge is to be ignored). */
  algorithm: 'SLUICE_ERR_DIGEST_ALGORITHM',
  /** A challenge that cannot be answered: not Digest, no realm or nonce, no usable qop. */
  challenge: 'SLUICE_ERR_DIGEST_CHALLENGE',
  /** Arguments that do not make sense (no password nor HA1, nc out of range). */
  usage: 'SLUICE_ERR_DIGEST_USAGE',
} as const;

export type DigestErrorCode = (typeof DigestErrorCode)[keyof typeof DigestErrorCode];

export class DigestError extends SluiceError {
  declare readonly code: DigestErrorCode;

  constructor(code: DigestErrorCode, message: string) {
    super(code, message);
  }
}

interface AlgorithmInfo {
  readonly name: DigestAlgorithm;
  /** node:crypto hash name. */
  readonly hash: string;
  readonly sess: boolean;
  /** Preference among offered challenges: higher is stronger. */
  readonly strength: number;
}

const TABLE: readonly AlgorithmInfo[] = [
  { name: 'MD5', hash: 'md5', sess: false, strength: 1 },
  { name: 'MD5-sess', hash: 'md5', sess: true, strength: 1 },
  { name: 'SHA-256', hash: 'sha256', sess: false, strength: 2 },
  { name: 'SHA-256-sess', hash: 'sha256', sess: true, strength: 2 },
  { name: 'SHA-512-256', hash: 'sha512-256', sess: false, strength: 3 },
  { name: 'SHA-512-256-sess', hash: 'sha512-256', sess: true, strength: 3 },
];

/** By lower-cased name: peers write md5 and MD5 alike, so names match case-insensitively. */
const ALGORITHMS: ReadonlyMap<string, AlgorithmInfo> = new Map(TABLE.map((a) => [a.name.toLowerCase(), a]));

/** The algorithm named by an `algorithm` parameter (absent: MD5, RFC 2617 3.2.1); throws for an unknown one. */
export function digestAlgorithm(name: string | undefined): AlgorithmInfo {
  const info = ALGORITHMS.get((name ?? 'MD5').toLowerCase());
  if (info === undefined) throw new DigestError(DigestErrorCode.algorithm, `Unsupported digest algorithm ${name}`);
  return info;
}

function isDigest(value: AuthValue): boolean {
  return value.scheme.toLowerCase() === 'digest' && value.token === null;
}

function supported(value: AuthValue): AlgorithmInfo | null {
  if (!isDigest(value)) return null;
  return ALGORITHMS.get((value.params.get('algorithm') ?? 'MD5').toLowerCase()) ?? null;
}

/**
 * The challenge to answer among several (WWW-Authenticate / Proxy-Authenticate values): the
 * strongest algorithm, SHA-512-256 > SHA-256 > MD5 (-sess ranks with its base), the earlier one
 * on a tie; undefined when none is a Digest challenge we can answer. RFC 8760 2.4 says a UAC
 * SHOULD take the topmost one it supports "unless a local policy dictates otherwise"; this is
 * that policy, for the reason RFC 8760 3 gives: challenges are not integrity-protected, so an
 * on-path attacker could reorder them to put MD5 first. topmostSupported() is the letter of 2.4.
 */
export function pickChallenge(values: readonly AuthValue[]): AuthValue | undefined {
  let best: AuthValue | undefined;
  let bestStrength = 0;
  for (const v of values) {
    const info = supported(v);
    if (info !== null && info.strength > bestStrength) {
      best = v;
      bestStrength = info.strength;
    }
  }
  return best;
}

/** RFC 8760 2.4 as written: the first challenge whose algorithm we support. */
export function topmostSupported(values: readonly AuthValue[]): AuthValue | undefined {
  return values.find((v) => supported(v) !== null);
}

function H(info: AlgorithmInfo, data: string | Uint8Array): string {
  const h = createHash(info.hash);
  if (typeof data === 'string') h.update(Buffer.from(data, 'latin1'));
  else h.update(data);
  return h.digest('hex');
}

/** H(username:realm:password), the HA1 a registrar may store instead of the password. */
export function digestHa1(algorithm: DigestAlgorithm | string, username: string, realm: string, password: string): string {
  return H(digestAlgorithm(algorithm), `${byteString(username)}:${realm}:${byteString(password)}`);
}

interface ResponseInput {
  info: AlgorithmInfo;
  /** H(username:realm:password) with the algorithm's hash. */
  ha1: string;
  nonce: string;
  cnonce: string | null;
  nc: string | null;
  qop: DigestQop | null;
  method: string;
  uri: string;
  body: Uint8Array | string | undefined;
}

/** RFC 7616 3.4.1-3.4.3 (RFC 2617 3.2.2.1-3.2.2.3; without qop, the RFC 2069 form). */
function computeResponse(p: ResponseInput): string {
  const ha1 = p.info.sess ? H(p.info, `${p.ha1}:${p.nonce}:${p.cnonce ?? ''}`) : p.ha1;
  const a2 = p.qop === 'auth-int' ? `${p.method}:${p.uri}:${H(p.info, toBytes(p.body))}` : `${p.method}:${p.uri}`;
  const ha2 = H(p.info, a2);
  if (p.qop === null) return H(p.info, `${ha1}:${p.nonce}:${ha2}`);
  return H(p.info, `${ha1}:${p.nonce}:${p.nc ?? ''}:${p.cnonce ?? ''}:${p.qop}:${ha2}`);
}

function toBytes(body: Uint8Array | string | undefined): Uint8Array {
  if (body === undefined) return new Uint8Array(0);
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** The qop-options of a challenge, lower-cased ("auth,auth-int" may be written with spaces). */
function qopOptions(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((q) => q.trim().toLowerCase())
    .filter((q) => q !== '');
}

/** 8 lower-case hex digits (RFC 7616 3.4: nc-value = 8LHEX). */
export function formatNonceCount(nc: number): string {
  if (!Number.isInteger(nc) || nc < 1 || nc > 0xffffffff) throw new DigestError(DigestErrorCode.usage, `nc out of range: ${nc}`);
  return nc.toString(16).padStart(8, '0');
}

/** How many times we have used a nonce: nc restarts at 1 with each new nonce (RFC 7616 3.4). */
export interface NonceCount {
  readonly nonce: string;
  readonly nc: number;
}

/** The count for the next request with `nonce`, after `previous` (plain data: keep it in a record). */
export function nextNonceCount(previous: NonceCount | null | undefined, nonce: string): NonceCount {
  return previous !== null && previous !== undefined && previous.nonce === nonce ? { nonce, nc: previous.nc + 1 } : { nonce, nc: 1 };
}

export interface AnswerChallengeParams {
  /** A parsed WWW-Authenticate or Proxy-Authenticate value. */
  challenge: AuthValue;
  method: string;
  /** The digest-uri: the Request-URI of the request being authorized. */
  uri: string;
  username: string;
  password: string;
  /** The request body: with it, qop=auth-int is used when offered. */
  body?: Uint8Array | string;
  /** Our cnonce; by default 16 random bytes in hex from `random`. */
  cnonce?: string;
  /** The nonce count (see nextNonceCount), 1 by default. */
  nc?: number;
  /** Randomness for the cnonce (crypto.randomBytes by default). */
  random?: (size: number) => Uint8Array;
}

/**
 * The Authorization / Proxy-Authorization value answering a challenge (RFC 3261 22.2, 22.3).
 * qop: auth-int when offered and a body is given, else auth when offered, else auth-int on the
 * empty body when that is all that is offered; no qop offered gives the RFC 2069 form without
 * cnonce and nc. The algorithm is echoed as the challenge wrote it, and only when it wrote one.
 */
export function answerChallenge(params: AnswerChallengeParams): string {
  const { challenge } = params;
  if (!isDigest(challenge)) throw new DigestError(DigestErrorCode.challenge, `Not a Digest challenge: ${challenge.scheme}`);
  const realm = challenge.params.get('realm');
  const nonce = challenge.params.get('nonce');
  if (realm === undefined || nonce === undefined) {
    throw new DigestError(DigestErrorCode.challenge, 'Digest challenge without realm or nonce');
  }
  const algorithmParam = challenge.params.get('algorithm');
  const info = digestAlgorithm(algorithmParam);
  const offered = qopOptions(challenge.params.get('qop'));
  let qop: DigestQop | null = null;
  if (offered.length > 0) {
    if (params.body !== undefined && offered.includes('auth-int')) qop = 'auth-int';
    else if (offered.includes('auth')) qop = 'auth';
    else if (offered.includes('auth-int')) qop = 'auth-int';
    else throw new DigestError(DigestErrorCode.challenge, `No supported qop in "${offered.join(',')}"`);
  }
  // RFC 2617 3.2.2: cnonce goes only with qop, and a -sess HA1 needs a cnonce.
  if (qop === null && info.sess) throw new DigestError(DigestErrorCode.challenge, `${info.name} needs qop`);
  const cnonce = qop === null ? null : (params.cnonce ?? Buffer.from((params.random ?? randomBytes)(16)).toString('hex'));
  const nc = qop === null ? null : formatNonceCount(params.nc ?? 1);
  const username = byteString(params.username);
  const response = computeResponse({
    info,
    ha1: H(info, `${username}:${realm}:${byteString(params.password)}`),
    nonce,
    cnonce,
    nc,
    qop,
    method: params.method,
    uri: params.uri,
    body: params.body,
  });
  const out = new Map<string, string>([
    ['username', username],
    ['realm', realm],
    ['nonce', nonce],
    ['uri', params.uri],
    ['response', response],
  ]);
  if (algorithmParam !== undefined) out.set('algorithm', algorithmParam);
  if (cnonce !== null) out.set('cnonce', cnonce);
  const opaque = challenge.params.get('opaque');
  if (opaque !== undefined) out.set('opaque', opaque); // RFC 2617 3.2.2: returned unchanged
  if (qop !== null && nc !== null) {
    out.set('qop', qop);
    out.set('nc', nc);
  }
  return serializeAuth({ scheme: 'Digest', params: out, token: null });
}

export interface CreateChallengeParams {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm | string;
  /** One qop, several (offered in this order), or null for none (RFC 2069 clients). */
  qop: DigestQop | readonly DigestQop[] | null;
  opaque?: string;
  /** The credentials were right but the nonce had expired (RFC 2617 3.2.1): retry silently. */
  stale?: boolean;
  /** RFC 7616 3.3 domain: space-separated URIs of the protection space. */
  domain?: string;
}

/** A WWW-Authenticate / Proxy-Authenticate value. */
export function createChallenge(params: CreateChallengeParams): string {
  const info = digestAlgorithm(params.algorithm);
  const out = new Map<string, string>([['realm', params.realm]]);
  if (params.domain !== undefined) out.set('domain', params.domain);
  out.set('nonce', params.nonce);
  if (params.opaque !== undefined) out.set('opaque', params.opaque);
  if (params.stale === true) out.set('stale', 'TRUE');
  out.set('algorithm', info.name);
  const qops = params.qop === null ? [] : typeof params.qop === 'string' ? [params.qop] : params.qop;
  if (qops.length > 0) out.set('qop', qops.join(','));
  return serializeAuth({ scheme: 'Digest', params: out, token: null });
}

export interface VerifyCredentialsParams {
  /** A parsed Authorization / Proxy-Authorization value. */
  credentials: AuthValue;
  method: string;
  /** Our realm: credentials for another realm are not ours to check. */
  realm: string;
  /** The user's password, or */
  password?: string;
  /** H(username:realm:password) with the hash of the algorithm the credentials name (digestHa1). */
  ha1?: string;
  /** The request body, for qop=auth-int. */
  body?: Uint8Array | string;
}

export type VerifyFailure = 'scheme' | 'malformed' | 'realm' | 'algorithm' | 'qop' | 'response';

export type VerifyResult =
  | {
      readonly ok: true;
      readonly username: string;
      readonly algorithm: DigestAlgorithm;
      /** The registrar checks it is a nonce it issued and still fresh (else 401 with stale=TRUE). */
      readonly nonce: string;
      /** The nonce count (null without qop): the registrar refuses one it has already seen for this nonce. */
      readonly nc: number | null;
      readonly qop: DigestQop | null;
      /** The digest-uri: the registrar compares it with the Request-URI (RFC 2617 3.2.2.5). */
      readonly uri: string;
    }
  | { readonly ok: false; readonly reason: VerifyFailure };

const NC = /^[0-9a-fA-F]{8}$/;

/**
 * Server side (RFC 3261 22.4, RFC 2617 3.2.2): recomputes the response from the credentials and
 * the password (or HA1) and compares in constant time. Nonce freshness and nc replay are the
 * caller's: they need the caller's table of issued nonces.
 */
export function verifyCredentials(params: VerifyCredentialsParams): VerifyResult {
  if ((params.password === undefined) === (params.ha1 === undefined)) {
    throw new DigestError(DigestErrorCode.usage, 'Give exactly one of password and ha1');
  }
  const c = params.credentials;
  if (!isDigest(c)) return { ok: false, reason: 'scheme' };
  const username = c.params.get('username');
  const realm = c.params.get('realm');
  const nonce = c.params.get('nonce');
  const uri = c.params.get('uri');
  const response = c.params.get('response');
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) {
    return { ok: false, reason: 'malformed' };
  }
  if (realm !== params.realm) return { ok: false, reason: 'realm' };
  const info = supported(c);
  if (info === null) return { ok: false, reason: 'algorithm' };
  const qopParam = c.params.get('qop')?.toLowerCase();
  let qop: DigestQop | null = null;
  let nc: string | null = null;
  let cnonce: string | null = null;
  if (qopParam !== undefined) {
    if (qopParam !== 'auth' && qopParam !== 'auth-int') return { ok: false, reason: 'qop' };
    qop = qopParam;
    nc = c.params.get('nc') ?? null;
    cnonce = c.params.get('cnonce') ?? null;
    if (nc === null || cnonce === null || !NC.test(nc)) return { ok: false, reason: 'malformed' };
  } else if (info.sess) return { ok: false, reason: 'qop' };
  const ha1 = params.ha1?.toLowerCase() ?? H(info, `${username}:${realm}:${byteString(params.password!)}`);
  const expected = computeResponse({ info, ha1, nonce, cnonce, nc, qop, method: params.method, uri, body: params.body });
  const given = Buffer.from(response.toLowerCase(), 'latin1');
  const want = Buffer.from(expected, 'latin1');
  if (given.length !== want.length || !timingSafeEqual(given, want)) return { ok: false, reason: 'response' };
  return { ok: true, username, algorithm: info.name, nonce, nc: nc === null ? null : parseInt(nc, 16), qop, uri };
}
