/** A phone's UA registering through the in-memory network: digest retry by the real UAC core. */
import { describe, expect, it } from 'vitest';
import { Registrar } from '../../src/registrar/index.js';
import { MemoryStore } from '../../src/state/index.js';
import { Network } from '../ua/wire.js';

describe('Registrar behind a UserAgent', () => {
  it('a phone registers with digest auth; the binding carries the source it came from', async () => {
    const net = new Network();
    const store = new MemoryStore({ clock: net.clock });
    const registrar = new Registrar({ store, clock: net.clock, realm: 'inside', users: { alice: 'secret' } });
    const sbc = net.ua('10.0.0.2');
    sbc.handler = { onRequest: (incoming) => void registrar.handle(incoming) };
    const phone = net.ua('10.0.0.1', { contactUser: 'alice', credentials: () => ({ username: 'alice', password: 'secret' }) });
    const done = phone.request('REGISTER', {
      uri: 'sip:10.0.0.2',
      from: '<sip:alice@10.0.0.2>',
      to: '<sip:alice@10.0.0.2>',
      headers: [['Expires', '120']],
      destination: { transport: 'UDP', address: '10.0.0.2', port: 5060, reliable: false },
    });
    await net.settle();
    const response = await done;
    expect(response.status).toBe(200);
    expect(net.sent('401 REGISTER')).toHaveLength(1);
    expect(response.headerValues('contact')).toEqual(['<sip:alice@10.0.0.1:5060>;expires=120']);
    const [b] = await registrar.lookup('alice');
    expect(b).toMatchObject({ aor: 'sip:alice@10.0.0.2', contact: 'sip:alice@10.0.0.1:5060', flow: { transport: 'UDP', address: '10.0.0.1', port: 5060 } });
    await net.run(121_000, 10_000);
    expect(await registrar.lookup('alice')).toEqual([]);
    await store.close();
    phone.dispose();
    sbc.dispose();
  });
});
