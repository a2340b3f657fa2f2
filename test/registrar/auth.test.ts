import { describe, expect, it } from 'vitest';
import { parseAuth, serializeAuth } from '../../src/sip/index.js';
import { Harness, answerFor, registerRequest } from './helpers.js';

const USERS = { alice: 'wonderland', bob: 'builder' };

function challenges(r: { headerValues(n: string): string[] }) {
  return r.headerValues('www-authenticate').map((v) => parseAuth(v, 'www-authenticate'));
}

describe('Registrar: digest authentication', () => {
  it('challenges a REGISTER without credentials with 401, SHA-256 then MD5, and stores nothing', async () => {
    const h = new Harness({ users: USERS });
    const r = await h.register();
    expect(r.status).toBe(401);
    const c = challenges(r);
    expect(c.map((x) => x.params.get('algorithm'))).toEqual(['SHA-256', 'MD5']);
    for (const x of c) {
      expect(x.params.get('realm')).toBe('inside');
      expect(x.params.get('qop')).toBe('auth');
      expect(x.params.get('stale')).toBeUndefined();
    }
    expect(c[0]!.params.get('nonce')).toBe(c[1]!.params.get('nonce'));
    expect(await h.store.list('registration')).toEqual([]);
  });

  it('registers once the challenge is answered with the right password (401 then 200)', async () => {
    const h = new Harness({ users: USERS, authRealm: 'sbc.example.com' });
    const [first, second] = await h.registerWithAuth('alice', 'wonderland');
    expect(challenges(first)[0]!.params.get('realm')).toBe('sbc.example.com');
    expect(second.status).toBe(200);
    expect(await h.registrar.lookup('alice')).toHaveLength(1);
  });

  it('answers MD5 credentials too, and refuses an algorithm it did not offer', async () => {
    const md5 = new Harness({ users: USERS });
    const first = await md5.register();
    const offered = challenges(first).find((c) => c.params.get('algorithm') === 'MD5')!;
    const { answerChallenge } = await import('../../src/sip/index.js');
    const auth = answerChallenge({ challenge: offered, method: 'REGISTER', uri: 'sip:example.com', username: 'alice', password: 'wonderland' });
    expect((await md5.register({ headers: [['Authorization', auth]] })).status).toBe(200);

    const shaOnly = new Harness({ users: USERS, digestAlgorithms: ['SHA-256'] });
    const c = challenges(await shaOnly.register())[0]!;
    const downgraded = { ...c, params: new Map(c.params).set('algorithm', 'MD5') };
    const weak = answerChallenge({ challenge: downgraded, method: 'REGISTER', uri: 'sip:example.com', username: 'alice', password: 'wonderland' });
    expect((await shaOnly.register({ headers: [['Authorization', weak]] })).status).toBe(401);
  });

  it('challenges again for a wrong password or an unknown user, without telling which', async () => {
    const h = new Harness({ users: USERS });
    const [, wrong] = await h.registerWithAuth('alice', 'looking-glass');
    const [, unknown] = await h.registerWithAuth('mallory', 'x', { user: 'mallory' });
    const [, proto] = await h.registerWithAuth('__proto__', 'x', { user: '__proto__' });
    for (const r of [wrong, unknown, proto]) {
      expect(r.status).toBe(401);
      expect(challenges(r)[0]!.params.get('stale')).toBeUndefined();
    }
    expect(await h.store.list('registration')).toEqual([]);
  });

  it("refuses with 403 one user's credentials registering another's address", async () => {
    const h = new Harness({ users: USERS });
    const [, r] = await h.registerWithAuth('bob', 'builder', { user: 'alice' });
    expect(r.status).toBe(403);
    expect(await h.registrar.lookup('alice')).toEqual([]);
  });

  it('refuses a replayed nonce count with a stale challenge, and takes the next count', async () => {
    const h = new Harness({ users: USERS });
    const first = await h.register();
    const nc1 = answerFor(first, 'alice', 'wonderland', 'sip:example.com', 1);
    expect((await h.register({ headers: [['Authorization', nc1]] })).status).toBe(200);
    // The same Authorization again (a captured REGISTER sent from elsewhere): refused.
    const replay = await h.register({ headers: [['Authorization', nc1]], source: { transport: 'UDP', address: '192.0.2.66', port: 5060, reliable: false } });
    expect(replay.status).toBe(401);
    expect(challenges(replay)[0]!.params.get('stale')).toBe('TRUE');
    expect((await h.registrar.lookup('alice'))[0]!.flow.address).toBe('198.51.100.7');
    const nc2 = answerFor(first, 'alice', 'wonderland', 'sip:example.com', 2);
    expect((await h.register({ headers: [['Authorization', nc2]] })).status).toBe(200);
  });

  it('sends a stale challenge for right credentials on an expired nonce', async () => {
    const h = new Harness({ users: USERS, nonceTtlMs: 60_000 });
    const first = await h.register();
    h.clock.advance(61_000);
    const r = await h.register({ headers: [['Authorization', answerFor(first, 'alice', 'wonderland', 'sip:example.com')]] });
    expect(r.status).toBe(401);
    expect(challenges(r)[0]!.params.get('stale')).toBe('TRUE');
    expect((await h.register({ headers: [['Authorization', answerFor(r, 'alice', 'wonderland', 'sip:example.com')]] })).status).toBe(200);
  });

  it('refuses a nonce it did not issue, and takes one from an instance sharing its secret', async () => {
    const a = new Harness({ users: USERS, nonceSecret: 'cluster-secret' });
    const b = new Harness({ users: USERS, nonceSecret: 'cluster-secret' });
    const other = new Harness({ users: USERS });
    const first = await a.register();
    const auth = answerFor(first, 'alice', 'wonderland', 'sip:example.com');
    expect((await other.register({ headers: [['Authorization', auth]] })).status).toBe(401);
    expect((await b.register({ headers: [['Authorization', auth]] })).status).toBe(200);

    const c = challenges(first)[0]!;
    const nonce = c.params.get('nonce')!;
    const forged = { ...c, params: new Map(c.params).set('nonce', `${nonce.slice(0, -2)}xx`) };
    const { answerChallenge } = await import('../../src/sip/index.js');
    const f = answerChallenge({ challenge: forged, method: 'REGISTER', uri: 'sip:example.com', username: 'alice', password: 'wonderland' });
    const r = await a.register({ headers: [['Authorization', f]] });
    expect(r.status).toBe(401);
    expect(challenges(r)[0]!.params.get('stale')).toBeUndefined();
  });

  it('answers 400 for malformed credentials or a digest uri that is not the Request-URI', async () => {
    const h = new Harness({ users: USERS });
    expect((await h.register({ headers: [['Authorization', 'Digest realm="inside", nonce=']] })).status).toBe(400);
    const first = await h.register();
    const a = parseAuth(answerFor(first, 'alice', 'wonderland', 'sip:example.com'));
    a.params.delete('response');
    expect((await h.register({ headers: [['Authorization', serializeAuth(a)]] })).status).toBe(400);
    const elsewhere = answerFor(first, 'alice', 'wonderland', 'sip:other.example.com', 2);
    const r = await h.register({ headers: [['Authorization', elsewhere]] });
    expect(r.status).toBe(400);
    expect(r.reason).toMatch(/Request-URI/);
  });

  it('ignores credentials for another realm (they are not ours to check)', async () => {
    const h = new Harness({ users: USERS });
    const req = registerRequest({ headers: [['Authorization', 'Digest username="alice", realm="elsewhere", nonce="n", uri="sip:example.com", response="00"']] });
    expect((await h.send(req)).status).toBe(401);
  });
});
