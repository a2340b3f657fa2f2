import { describe, expect, it } from 'vitest';
import {
  answerChallenge,
  createChallenge,
  digestHa1,
  DigestError,
  formatNonceCount,
  nextNonceCount,
  pickChallenge,
  topmostSupported,
  verifyCredentials,
  type DigestAlgorithm,
} from '../../src/sip/digest.js';
import { parseAuth } from '../../src/sip/auth.js';
import type { AuthValue } from '../../src/sip/types.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof DigestError ? e.code : `other: ${String(e)}`;
  }
  return 'none';
}

describe('published vectors', () => {
  it('RFC 2617 3.5 (MD5, qop=auth)', () => {
    const challenge = parseAuth(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    const value = answerChallenge({ challenge, method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle Of Life', cnonce: '0a4f113b', nc: 1 });
    const c = parseAuth(value, 'authorization');
    expect(c.scheme).toBe('Digest');
    expect(Object.fromEntries(c.params)).toEqual({
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      uri: '/dir/index.html',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
      response: '6629fae49393a05397450978507c4ef1',
      opaque: '5ccc069c403ebaf9f0171e9517f40e41',
    });
    expect(value).toContain('qop=auth,');
    expect(value).toContain('nc=00000001');
    expect(verifyCredentials({ credentials: c, method: 'GET', realm: 'testrealm@host.com', password: 'Circle Of Life' })).toMatchObject({ ok: true, nc: 1, qop: 'auth' });
  });

  // RFC 7616 3.9.1: the same request answered with SHA-256 and with MD5. Both response values
  // as printed in the RFC (also recomputed with Python's hashlib before being written here).
  const rfc7616 = (algorithm: string) =>
    parseAuth(
      `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
    );
  const mufasa = { method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle of Life', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', nc: 1 };

  it('RFC 7616 3.9.1 SHA-256', () => {
    const c = parseAuth(answerChallenge({ challenge: rfc7616('SHA-256'), ...mufasa }));
    expect(c.params.get('response')).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    expect(c.params.get('algorithm')).toBe('SHA-256');
    expect(c.params.get('qop')).toBe('auth');
    expect(c.params.get('opaque')).toBe('FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS');
  });

  it('RFC 7616 3.9.1 MD5', () => {
    const c = parseAuth(answerChallenge({ challenge: rfc7616('MD5'), ...mufasa }));
    expect(c.params.get('response')).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });
});

describe('each algorithm', () => {
  // Expected values computed independently with Python's hashlib (md5, sha256, sha512_256):
  // HA1 = H(alice:sluice.test:secret) (then H(HA1:nonce:cnonce) for -sess), HA2 = H(REGISTER:sip:example.com),
  // response = H(HA1:dcd98b7102dd2f0e:00000001:0a4f113b:auth:HA2).
  const expected: Record<DigestAlgorithm, string> = {
    MD5: '332bf2eb0bfe4b4701215de1d626515c',
    'MD5-sess': 'cfc5f38e25cd2c30bd5468ca4038a3db',
    'SHA-256': 'c7ffa100ef7d89763d979d0ec624250476c3e7457407d173ba2da4829012c900',
    'SHA-256-sess': '7672602d91c6ff915d77ee7820ab50d4a83f2602f9ebf3a1e42a2a2f92e06104',
    'SHA-512-256': '1389ee6c198cfaddbc70e67ace5aaaf43603185a24e81909e7ea00ccf785c421',
    'SHA-512-256-sess': 'af1fdbc73eba386c00c9d88258d1da4faaf71ab673b58bedd6408475d5627a89',
  };
  const base = { method: 'REGISTER', uri: 'sip:example.com', username: 'alice', password: 'secret', cnonce: '0a4f113b', nc: 1 };

  for (const [algorithm, response] of Object.entries(expected) as [DigestAlgorithm, string][]) {
    it(`${algorithm}: answers, round-trips through createChallenge, verifies`, () => {
      const challenge = parseAuth(createChallenge({ realm: 'sluice.test', nonce: 'dcd98b7102dd2f0e', algorithm, qop: 'auth' }), 'www-authenticate');
      expect(challenge.params.get('algorithm')).toBe(algorithm);
      const credentials = parseAuth(answerChallenge({ challenge, ...base }), 'authorization');
      expect(credentials.params.get('response')).toBe(response);
      expect(credentials.params.get('algorithm')).toBe(algorithm);
      expect(verifyCredentials({ credentials, method: 'REGISTER', realm: 'sluice.test', password: 'secret' })).toEqual({
        ok: true,
        username: 'alice',
        algorithm,
        nonce: 'dcd98b7102dd2f0e',
        nc: 1,
        qop: 'auth',
        uri: 'sip:example.com',
      });
      const ha1 = digestHa1(algorithm.replace('-sess', ''), 'alice', 'sluice.test', 'secret');
      expect(verifyCredentials({ credentials, method: 'REGISTER', realm: 'sluice.test', ha1 }).ok).toBe(true);
    });
  }

  it('matches algorithm names case-insensitively', () => {
    const challenge = parseAuth('Digest realm="sluice.test", nonce="dcd98b7102dd2f0e", algorithm=sha-256, qop="auth"');
    const c = parseAuth(answerChallenge({ challenge, ...base }));
    expect(c.params.get('response')).toBe(expected['SHA-256']);
    expect(c.params.get('algorithm')).toBe('sha-256'); // echoed as the challenge wrote it
  });

  it('qop=auth-int over the body when one is given (Python hashlib: 96415d86...)', () => {
    const challenge = parseAuth('Digest realm="sluice.test", nonce="dcd98b7102dd2f0e", algorithm=SHA-256, qop="auth,auth-int"');
    const body = Buffer.from('v=0\r\n');
    const c = parseAuth(answerChallenge({ challenge, method: 'INVITE', uri: 'sip:bob@example.com', username: 'alice', password: 'secret', cnonce: '0a4f113b', body }));
    expect(c.params.get('qop')).toBe('auth-int');
    expect(c.params.get('response')).toBe('96415d867ef4757741070cebfe89c4d4cc012a0f573af1243ce88043ea6618dd');
    expect(verifyCredentials({ credentials: c, method: 'INVITE', realm: 'sluice.test', password: 'secret', body }).ok).toBe(true);
    expect(verifyCredentials({ credentials: c, method: 'INVITE', realm: 'sluice.test', password: 'secret', body: 'v=1\r\n' })).toEqual({ ok: false, reason: 'response' });
    // Without a body the same challenge is answered with auth.
    expect(parseAuth(answerChallenge({ challenge, ...base })).params.get('qop')).toBe('auth');
  });

  it('the RFC 2069 form without qop: no cnonce, no nc (Python hashlib: f0dd10da...)', () => {
    const challenge = parseAuth('Digest realm="sluice.test", nonce="dcd98b7102dd2f0e"');
    const value = answerChallenge({ challenge, ...base });
    const c = parseAuth(value);
    expect(c.params.get('response')).toBe('f0dd10da6736eb87962801276993e154');
    expect(c.params.has('cnonce')).toBe(false);
    expect(c.params.has('nc')).toBe(false);
    expect(c.params.has('qop')).toBe(false);
    expect(c.params.has('algorithm')).toBe(false);
    expect(verifyCredentials({ credentials: c, method: 'REGISTER', realm: 'sluice.test', password: 'secret' })).toMatchObject({ ok: true, nc: null, qop: null });
  });

  it('hashes a Unicode username and password as UTF-8 (Python hashlib: 88b141fa...)', () => {
    const challenge = parseAuth('Digest realm="sluice.test", nonce="dcd98b7102dd2f0e", algorithm=SHA-256, qop="auth"');
    const c = parseAuth(answerChallenge({ ...base, challenge, username: 'J\u00e4s\u00f8n Doe', password: 'Secret, or not?' }));
    expect(c.params.get('response')).toBe('88b141fa9277d231b694f6539df8993b1f635de51ca52d467434e0975f9c3bb4');
    expect(verifyCredentials({ credentials: c, method: 'REGISTER', realm: 'sluice.test', password: 'Secret, or not?' }).ok).toBe(true);
  });
});

describe('nonce count and cnonce', () => {
  const challenge = parseAuth('Digest realm="sluice.test", nonce="dcd98b7102dd2f0e", qop="auth"');
  const base = { challenge, method: 'REGISTER', uri: 'sip:example.com', username: 'alice', password: 'secret', cnonce: '0a4f113b' };

  it('counts per nonce and restarts with a new one', () => {
    const n1 = nextNonceCount(undefined, 'A');
    const n2 = nextNonceCount(n1, 'A');
    const n3 = nextNonceCount(n2, 'A');
    expect([n1.nc, n2.nc, n3.nc]).toEqual([1, 2, 3]);
    expect(nextNonceCount(n3, 'B')).toEqual({ nonce: 'B', nc: 1 });
    expect(formatNonceCount(255)).toBe('000000ff');
    expect(codeOf(() => formatNonceCount(0))).toBe('SLUICE_ERR_DIGEST_USAGE');
  });

  it('puts nc in the answer and into the hash (Python hashlib: nc=2 gives 6d2cd5e1...)', () => {
    const first = parseAuth(answerChallenge({ ...base, nc: 1 }));
    const second = parseAuth(answerChallenge({ ...base, nc: 2 }));
    expect(second.params.get('nc')).toBe('00000002');
    expect(second.params.get('response')).toBe('6d2cd5e18acee743ea39b676dd0585c0');
    expect(second.params.get('response')).not.toBe(first.params.get('response'));
    expect(verifyCredentials({ credentials: second, method: 'REGISTER', realm: 'sluice.test', password: 'secret' })).toMatchObject({ ok: true, nc: 2 });
  });

  it('draws the cnonce from the injected random source', () => {
    const random = (n: number) => new Uint8Array(n).fill(0xab);
    const c = parseAuth(answerChallenge({ ...base, cnonce: undefined, random }));
    expect(c.params.get('cnonce')).toBe('ab'.repeat(16));
    expect(verifyCredentials({ credentials: c, method: 'REGISTER', realm: 'sluice.test', password: 'secret' }).ok).toBe(true);
  });
});

describe('verifyCredentials refuses', () => {
  const challenge = parseAuth('Digest realm="sluice.test", nonce="dcd98b7102dd2f0e", algorithm=SHA-256, qop="auth"');
  const good = parseAuth(answerChallenge({ challenge, method: 'REGISTER', uri: 'sip:example.com', username: 'alice', password: 'secret', cnonce: 'c' }));
  const verify = (credentials: AuthValue, overrides: { method?: string; realm?: string; password?: string } = {}) =>
    verifyCredentials({ credentials, method: overrides.method ?? 'REGISTER', realm: overrides.realm ?? 'sluice.test', password: overrides.password ?? 'secret' });
  const edit = (changes: Record<string, string | null>): AuthValue => {
    const params = new Map(good.params);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) params.delete(k);
      else params.set(k, v);
    }
    return { ...good, params };
  };

  it('accepts the right ones', () => {
    expect(verify(good).ok).toBe(true);
  });

  it('a wrong password, method, realm or tampered field', () => {
    expect(verify(good, { password: 'Secret' })).toEqual({ ok: false, reason: 'response' });
    expect(verify(good, { method: 'INVITE' })).toEqual({ ok: false, reason: 'response' });
    expect(verify(good, { realm: 'other.test' })).toEqual({ ok: false, reason: 'realm' });
    expect(verify(edit({ uri: 'sip:evil.example.com' }))).toEqual({ ok: false, reason: 'response' });
    expect(verify(edit({ nc: '00000002' }))).toEqual({ ok: false, reason: 'response' });
    expect(verify(edit({ username: 'bob' }))).toEqual({ ok: false, reason: 'response' });
    expect(verifyCredentials({ credentials: good, method: 'REGISTER', realm: 'sluice.test', ha1: digestHa1('SHA-256', 'alice', 'sluice.test', 'nope') }).ok).toBe(false);
  });

  it('malformed, unknown and foreign credentials', () => {
    expect(verify(edit({ response: null }))).toEqual({ ok: false, reason: 'malformed' });
    expect(verify(edit({ cnonce: null }))).toEqual({ ok: false, reason: 'malformed' });
    expect(verify(edit({ nc: '1' }))).toEqual({ ok: false, reason: 'malformed' });
    expect(verify(edit({ qop: 'auth-conf' }))).toEqual({ ok: false, reason: 'qop' });
    expect(verify(edit({ algorithm: 'SHA-1' }))).toEqual({ ok: false, reason: 'algorithm' });
    expect(verify(parseAuth('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='))).toEqual({ ok: false, reason: 'scheme' });
    expect(codeOf(() => verifyCredentials({ credentials: good, method: 'REGISTER', realm: 'sluice.test' }))).toBe('SLUICE_ERR_DIGEST_USAGE');
  });
});

describe('pickChallenge', () => {
  const ch = (algorithm: string | null, realm = 'r') =>
    parseAuth(`Digest realm="${realm}", nonce="n"${algorithm === null ? '' : `, algorithm=${algorithm}`}, qop="auth"`);

  it('prefers SHA-512-256 > SHA-256 > MD5 whatever the order', () => {
    const md5 = ch('MD5');
    const sha256 = ch('SHA-256');
    const sha512 = ch('SHA-512-256');
    expect(pickChallenge([md5, sha256, sha512])).toBe(sha512);
    expect(pickChallenge([sha512, md5, sha256])).toBe(sha512);
    expect(pickChallenge([md5, sha256])).toBe(sha256);
    expect(pickChallenge([sha256, md5])).toBe(sha256);
    expect(pickChallenge([ch(null)])?.params.has('algorithm')).toBe(false); // absent means MD5
  });

  it('ranks -sess with its base and keeps the earlier on a tie', () => {
    const sess = ch('SHA-256-sess');
    const plain = ch('SHA-256');
    expect(pickChallenge([sess, plain])).toBe(sess);
    expect(pickChallenge([plain, sess])).toBe(plain);
  });

  it('skips what it cannot answer', () => {
    const basic = parseAuth('Basic realm="r"');
    const weird = ch('SHA-3');
    const md5 = ch('MD5');
    expect(pickChallenge([basic, weird, md5])).toBe(md5);
    expect(pickChallenge([basic, weird])).toBeUndefined();
    expect(pickChallenge([])).toBeUndefined();
    expect(topmostSupported([weird, md5, ch('SHA-512-256')])).toBe(md5);
  });
});

describe('challenges and errors', () => {
  it('writes a challenge with quoted realm, nonce, opaque and qop, and stale', () => {
    const value = createChallenge({ realm: 'sluice.test', nonce: 'abc', algorithm: 'SHA-256', qop: ['auth', 'auth-int'], opaque: 'xyz', stale: true });
    expect(value).toBe('Digest realm="sluice.test", nonce="abc", opaque="xyz", stale=TRUE, algorithm=SHA-256, qop="auth,auth-int"');
    expect(createChallenge({ realm: 'r', nonce: 'n', algorithm: 'md5', qop: null })).toBe('Digest realm="r", nonce="n", algorithm=MD5');
  });

  it('throws typed errors for unknown algorithms and unanswerable challenges', () => {
    expect(codeOf(() => createChallenge({ realm: 'r', nonce: 'n', algorithm: 'SHA-1', qop: 'auth' }))).toBe('SLUICE_ERR_DIGEST_ALGORITHM');
    const base = { method: 'REGISTER', uri: 'sip:r', username: 'u', password: 'p' };
    expect(codeOf(() => answerChallenge({ ...base, challenge: parseAuth('Digest realm="r", nonce="n", algorithm=SHA-1') }))).toBe('SLUICE_ERR_DIGEST_ALGORITHM');
    expect(codeOf(() => answerChallenge({ ...base, challenge: parseAuth('Digest nonce="n"') }))).toBe('SLUICE_ERR_DIGEST_CHALLENGE');
    expect(codeOf(() => answerChallenge({ ...base, challenge: parseAuth('Basic realm="r"') }))).toBe('SLUICE_ERR_DIGEST_CHALLENGE');
    expect(codeOf(() => answerChallenge({ ...base, challenge: parseAuth('Digest realm="r", nonce="n", algorithm=MD5-sess') }))).toBe('SLUICE_ERR_DIGEST_CHALLENGE');
    expect(codeOf(() => answerChallenge({ ...base, challenge: parseAuth('Digest realm="r", nonce="n", qop="auth-conf"') }))).toBe('SLUICE_ERR_DIGEST_CHALLENGE');
  });
});
