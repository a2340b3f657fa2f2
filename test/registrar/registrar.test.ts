import { describe, expect, it } from 'vitest';
import { RegistrarError, RegistrarErrorCode, bindingKey } from '../../src/registrar/index.js';
import type { SipResponse } from '../../src/sip/index.js';
import type { Store } from '../../src/state/index.js';
import type { ServerTransaction } from '../../src/transaction/index.js';
import { IncomingRequest } from '../../src/ua/index.js';
import { Harness, PHONE, contactsOf, registerRequest } from './helpers.js';

describe('Registrar: bindings', () => {
  it('registers a contact, answers 200 with it and its expires, and finds it by user', async () => {
    const h = new Harness();
    const r = await h.register({ expires: 600 });
    expect(r.status).toBe(200);
    expect(contactsOf(r)).toEqual(['<sip:alice@192.168.1.10:5060>;expires=600']);
    const [b] = await h.registrar.lookup('alice');
    expect(b).toEqual({
      aor: 'sip:alice@example.com',
      user: 'alice',
      contact: 'sip:alice@192.168.1.10:5060',
      flow: { transport: 'UDP', address: '198.51.100.7', port: 40_001, local: { address: '203.0.113.1', port: 5060 } },
      realm: 'inside',
      expiresAt: h.clock.wallNow() + 600_000,
      callId: 'reg-call-1',
      cseq: 1,
      userAgent: 'TestPhone/1.0',
    });
    expect(await h.registrar.lookup('bob')).toEqual([]);
    expect((await h.store.list('registration')).map((x) => x.key)).toEqual([bindingKey('alice', 'sip:alice@192.168.1.10:5060')]);
  });

  it('records the NAT flow from the true source, not from what the Contact claims', async () => {
    const h = new Harness();
    const tcp = { transport: 'TCP' as const, address: '198.51.100.9', port: 51_234, connectionId: 'conn-7', reliable: true };
    await h.register({ contacts: ['<sip:alice@10.0.0.5:5060;transport=tcp>'], source: tcp });
    const [b] = await h.registrar.lookup('alice');
    expect(b!.contact).toBe('sip:alice@10.0.0.5:5060;transport=tcp');
    expect(b!.flow).toEqual({ transport: 'TCP', address: '198.51.100.9', port: 51_234, connectionId: 'conn-7' });
  });

  it('refreshes a binding in place: same key, new expiry, Call-ID and CSeq kept', async () => {
    const h = new Harness();
    await h.register({ expires: 300 });
    h.clock.advance(200_000);
    const r = await h.register({ expires: 300 });
    expect(contactsOf(r)).toEqual(['<sip:alice@192.168.1.10:5060>;expires=300']);
    expect(await h.store.list('registration')).toHaveLength(1);
    expect(await h.registrar.lookup('alice')).toMatchObject([{ cseq: 2, expiresAt: h.clock.wallNow() + 300_000 }]);
    h.clock.advance(299_000);
    expect(await h.registrar.lookup('alice')).toHaveLength(1); // the first registration's 300 s are long gone
  });

  it('counts a contact that differs in a transport parameter as another binding (RFC 3261 19.1.4)', async () => {
    const h = new Harness();
    await h.register();
    const r = await h.register({ contacts: ['<sip:alice@192.168.1.10:5060;transport=udp>'] });
    expect(contactsOf(r)).toHaveLength(2);
  });

  it('matches contacts as URIs, not as text', async () => {
    const h = new Harness();
    await h.register({ contacts: ['<sip:alice@PHONE.example.com:5060>'] });
    const r = await h.register({ contacts: ['<sip:alice@phone.example.com:5060>'] });
    // One binding, now showing the contact as last registered.
    expect(contactsOf(r)).toEqual(['<sip:alice@phone.example.com:5060>;expires=3600']);
    expect(await h.store.list('registration')).toHaveLength(1);
  });

  it('lets a binding expire with time, from lookup and from the store', async () => {
    const h = new Harness();
    await h.register({ expires: 60 });
    h.clock.advance(59_000);
    expect(await h.registrar.lookup('alice')).toHaveLength(1);
    const q = await h.register({ contacts: [] });
    expect(contactsOf(q)).toEqual(['<sip:alice@192.168.1.10:5060>;expires=1']);
    h.clock.advance(1_000);
    expect(await h.registrar.lookup('alice')).toEqual([]);
    expect(await h.store.list('registration')).toEqual([]);
  });

  it('answers a REGISTER without Contact with the current bindings (a query), changing nothing', async () => {
    const h = new Harness();
    expect(contactsOf(await h.register({ contacts: [] }))).toEqual([]);
    await h.register({ contacts: ['<sip:alice@10.0.0.1>;q=0.5', '<sip:alice@10.0.0.2>;q=0.9'], expires: 120 });
    h.clock.advance(20_000);
    const q = await h.register({ contacts: [] });
    expect(q.status).toBe(200);
    expect(contactsOf(q)).toEqual(['<sip:alice@10.0.0.2>;expires=100;q=0.9', '<sip:alice@10.0.0.1>;expires=100;q=0.5']);
  });

  it('orders lookups by q (absent ranks as 1), then the freshest', async () => {
    const h = new Harness();
    await h.register({ contacts: ['<sip:alice@10.0.0.1>;q=0.1', '<sip:alice@10.0.0.2>'], expires: 600, callId: 'a' });
    await h.register({ contacts: ['<sip:alice@10.0.0.3>'], expires: 900, callId: 'b' });
    await h.register({ contacts: ['<sip:alice@10.0.0.4>;q=1.0'], expires: 300, callId: 'c' });
    expect((await h.registrar.lookup('alice')).map((b) => [b.contact, b.q])).toEqual([
      ['sip:alice@10.0.0.3', undefined],
      ['sip:alice@10.0.0.2', undefined],
      ['sip:alice@10.0.0.4', 1],
      ['sip:alice@10.0.0.1', 0.1],
    ]);
  });

  it("removes one binding with expires=0 and all with Contact '*' and Expires: 0", async () => {
    const h = new Harness();
    await h.register({ contacts: ['<sip:alice@10.0.0.1>', '<sip:alice@10.0.0.2>', '<sip:alice@10.0.0.3>'] });
    const r = await h.register({ contacts: ['<sip:alice@10.0.0.2>;expires=0'] });
    expect(contactsOf(r).map((c) => c.split(';')[0])).toEqual(['<sip:alice@10.0.0.1>', '<sip:alice@10.0.0.3>']);
    await h.register({ user: 'bob', callId: 'bob-1' });
    const all = await h.register({ contacts: '*', expires: 0 });
    expect(all.status).toBe(200);
    expect(contactsOf(all)).toEqual([]);
    expect(await h.registrar.lookup('alice')).toEqual([]);
    expect(await h.registrar.lookup('bob')).toHaveLength(1);
  });

  it('caps expires at maxExpires and uses the Expires header, then defaultExpires', async () => {
    const h = new Harness({ maxExpires: 1800, defaultExpires: 900 });
    expect(contactsOf(await h.register({ expires: 7200 }))).toEqual(['<sip:alice@192.168.1.10:5060>;expires=1800']);
    expect(contactsOf(await h.register({ contacts: ['<sip:alice@10.0.0.9>;expires=100'], expires: 7200, callId: 'x' }))).toContain('<sip:alice@10.0.0.9>;expires=100');
    expect(contactsOf(await h.register({ user: 'carol', callId: 'c' }))).toEqual(['<sip:carol@192.168.1.10:5060>;expires=900']);
  });

  it('refuses a too brief interval with 423 and Min-Expires, changing nothing', async () => {
    const h = new Harness({ minExpires: 120 });
    const r = await h.register({ contacts: ['<sip:alice@10.0.0.1>', '<sip:alice@10.0.0.2>;expires=30'], expires: 600 });
    expect(r.status).toBe(423);
    expect(r.reason).toBe('Interval Too Brief');
    expect(r.header('min-expires')).toBe('120');
    expect(await h.registrar.lookup('alice')).toEqual([]);
  });

  it('refuses an older CSeq for the same Call-ID with 500, and takes any CSeq from a new Call-ID', async () => {
    const h = new Harness();
    await h.register({ cseq: 5, expires: 600 });
    const old = await h.register({ cseq: 5, expires: 300 });
    expect(old.status).toBe(500);
    expect(old.reason).toMatch(/Out of order CSeq/);
    expect((await h.registrar.lookup('alice'))[0]!.cseq).toBe(5);
    expect((await h.register({ cseq: 4, contacts: '*', expires: 0 })).status).toBe(500);
    expect(await h.registrar.lookup('alice')).toHaveLength(1);
    expect((await h.register({ cseq: 1, callId: 'rebooted', expires: 300 })).status).toBe(200);
    expect((await h.registrar.lookup('alice'))[0]).toMatchObject({ callId: 'rebooted', cseq: 1 });
  });

  it('answers 400 for a bad Contact, a bad Expires or a misused *', async () => {
    const h = new Harness();
    const bad: [Parameters<Harness['register']>[0], RegExp][] = [
      [{ contacts: ['<sip:alice@10.0.0.1>;expires=soon'] }, /./],
      [{ contacts: ['<tel:+4930123>'] }, /sip: or sips:/],
      [{ contacts: ['<sip:alice@10.0.0.1'] }, /./],
      [{ expires: -1 }, /./],
      [{ headers: [['Expires', 'tomorrow']] }, /./],
      [{ contacts: '*' }, /Expires: 0/],
      [{ contacts: '*', expires: 60 }, /Expires: 0/],
      [{ contacts: ['*', '<sip:alice@10.0.0.1>'], expires: 0 }, /./],
    ];
    for (const [spec, reason] of bad) {
      const r = await h.register(spec);
      expect(r.status, JSON.stringify(spec)).toBe(400);
      expect(r.reason.length).toBeGreaterThan(5);
      expect(r.reason).toMatch(reason);
    }
    expect(await h.store.list('registration')).toEqual([]);
  });

  it('answers 404 for an address-of-record without a user', async () => {
    const h = new Harness();
    const req = registerRequest();
    req.setHeader('To', '<sip:example.com>');
    expect((await h.send(req)).status).toBe(404);
  });

  it('refuses more bindings than maxBindings with 403', async () => {
    const h = new Harness({ maxBindings: 2 });
    await h.register({ contacts: ['<sip:alice@10.0.0.1>', '<sip:alice@10.0.0.2>'] });
    const r = await h.register({ contacts: ['<sip:alice@10.0.0.3>'] });
    expect(r.status).toBe(403);
    expect(await h.registrar.lookup('alice')).toHaveLength(2);
    expect((await h.register({ contacts: ['<sip:alice@10.0.0.3>', '<sip:alice@10.0.0.1>;expires=0'] })).status).toBe(200);
  });

  it('keeps users apart whatever characters their names hold', async () => {
    const h = new Harness();
    await h.register({ user: 'a%7Cb', contacts: ['<sip:x@10.0.0.1>'], callId: '1' }); // user "a|b"
    await h.register({ user: 'a', contacts: ['<sip:y@10.0.0.2>'], callId: '2' });
    expect((await h.registrar.lookup('a')).map((b) => b.contact)).toEqual(['sip:y@10.0.0.2']);
    expect((await h.registrar.lookup('a|b')).map((b) => b.aor)).toEqual(['sip:a|b@example.com']);
  });

  it('applies concurrent REGISTERs of one user one at a time', async () => {
    const h = new Harness({ maxBindings: 3 });
    const rs = await Promise.all([1, 2, 3, 4].map((n) => h.register({ contacts: [`<sip:alice@10.0.0.${n}>`], callId: `c${n}` })));
    expect(rs.map((r) => r.status).sort()).toEqual([200, 200, 200, 403]);
    expect(await h.registrar.lookup('alice')).toHaveLength(3);
  });

  it('answers 405 to another method', async () => {
    const h = new Harness();
    const req = registerRequest();
    req.method = 'OPTIONS';
    const r = await h.send(req);
    expect(r.status).toBe(405);
    expect(r.header('allow')).toBe('REGISTER');
  });

  it('answers 500 and rejects with a RegistrarError when the store fails', async () => {
    const h = new Harness();
    const broken: Store = {
      shared: true,
      get: (kind, key) => h.store.get(kind, key),
      put: (kind, key, value, ttl) => h.store.put(kind, key, value, ttl),
      delete: (kind, key) => h.store.delete(kind, key),
      write: (changes) => h.store.write(changes),
      list: () => Promise.reject(new Error('redis down')),
      close: () => h.store.close(),
    };
    const h2 = new Harness({ store: broken });
    const sent: number[] = [];
    const tx = { source: PHONE, respond: (r: SipResponse) => sent.push(r.status) } as unknown as ServerTransaction;
    const err = await h2.registrar.handle(new IncomingRequest(registerRequest(), PHONE, tx, 't')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistrarError);
    expect((err as RegistrarError).code).toBe(RegistrarErrorCode.store);
    expect((err as RegistrarError).message).toContain('redis down');
    expect(sent).toEqual([500]);
  });

  it('refuses contradictory options with a typed error', () => {
    for (const o of [{ minExpires: 600, maxExpires: 300 }, { defaultExpires: 10 }, { maxExpires: 0 }, { minExpires: 1.5 }, { digestAlgorithms: [] }]) {
      expect(() => new Harness(o)).toThrow(RegistrarError);
    }
    expect(() => new Harness({ maxExpires: 1200 })).not.toThrow(); // default follows a lower max
  });
});
