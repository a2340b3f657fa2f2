import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUri } from '../../src/sip/uri.js';
import type { SipUri } from '../../src/sip/types.js';
import { orderSrv, TargetResolver, TransportError } from '../../src/transport/index.js';
import { TestDnsServer } from './dns-server.js';

const uri = (s: string) => parseUri(s) as SipUri;

describe('RFC 3263 resolution against a DNS server on loopback', () => {
  const dns = new TestDnsServer([
    { type: 'NAPTR', name: 'naptr.test', order: 10, preference: 10, flags: 's', service: 'SIP+D2T', regexp: '', replacement: '_sip._tcp.naptr.test' },
    { type: 'NAPTR', name: 'naptr.test', order: 20, preference: 10, flags: 's', service: 'SIP+D2U', regexp: '', replacement: '_sip._udp.naptr.test' },
    { type: 'SRV', name: '_sip._tcp.naptr.test', priority: 10, weight: 0, port: 5070, target: 'pbx1.naptr.test' },
    { type: 'SRV', name: '_sip._udp.naptr.test', priority: 10, weight: 0, port: 5080, target: 'pbx1.naptr.test' },
    { type: 'A', name: 'pbx1.naptr.test', address: '127.0.0.11' },
    { type: 'SRV', name: '_sip._udp.srv.test', priority: 20, weight: 0, port: 5099, target: 'backup.srv.test' },
    { type: 'SRV', name: '_sip._udp.srv.test', priority: 10, weight: 0, port: 5098, target: 'main.srv.test' },
    { type: 'A', name: 'main.srv.test', address: '127.0.0.12' },
    { type: 'A', name: 'backup.srv.test', address: '127.0.0.13' },
    { type: 'SRV', name: '_sips._tcp.secure.test', priority: 10, weight: 0, port: 5061, target: 'tls.secure.test' },
    { type: 'A', name: 'tls.secure.test', address: '127.0.0.14' },
    { type: 'A', name: 'plain.test', address: '127.0.0.15' },
    { type: 'AAAA', name: 'plain.test', address: '::1' },
  ]);
  let resolver: TargetResolver;

  beforeAll(async () => {
    await dns.start();
    const r = new Resolver({ timeout: 500, tries: 1 });
    r.setServers([`127.0.0.1:${dns.port}`]);
    resolver = new TargetResolver({ dns: r, hosts: { 'trunk.local': ['127.0.0.20'] }, random: () => 0 });
  });
  afterAll(() => dns.stop());

  it('needs no lookup for a numeric host', async () => {
    expect(await resolver.resolve(uri('sip:bob@127.0.0.1'))).toEqual([{ transport: 'UDP', address: '127.0.0.1', port: 5060, reliable: false }]);
    expect(await resolver.resolve(uri('sip:bob@[::1]:5070;transport=tcp'))).toEqual([{ transport: 'TCP', address: '::1', port: 5070, reliable: true }]);
    expect((await resolver.resolve(uri('sips:bob@127.0.0.1')))[0]).toMatchObject({ transport: 'TLS', port: 5061 });
  });

  it('uses the configured hosts table before DNS', async () => {
    expect(await resolver.resolve(uri('sip:trunk.local'))).toEqual([{ transport: 'UDP', address: '127.0.0.20', port: 5060, reliable: false, serverName: 'trunk.local' }]);
  });

  it('follows NAPTR to SRV to A, in NAPTR order', async () => {
    const out = await resolver.resolve(uri('sip:bob@naptr.test'));
    expect(out[0]).toMatchObject({ transport: 'TCP', address: '127.0.0.11', port: 5070 });
  });

  it('falls back to SRV by priority without NAPTR', async () => {
    const out = await resolver.resolve(uri('sip:bob@srv.test'));
    expect(out.map((d) => [d.address, d.port])).toEqual([['127.0.0.12', 5098], ['127.0.0.13', 5099]]);
  });

  it('asks _sips._tcp for a sips URI', async () => {
    const out = await resolver.resolve(uri('sips:bob@secure.test'));
    expect(out[0]).toMatchObject({ transport: 'TLS', address: '127.0.0.14', port: 5061, serverName: 'secure.test' });
  });

  it('falls back to A and AAAA at the default port', async () => {
    const out = await resolver.resolve(uri('sip:bob@plain.test'));
    expect(out.map((d) => d.address).sort()).toEqual(['127.0.0.15', '::1']);
    expect(out.every((d) => d.port === 5060 && d.transport === 'UDP')).toBe(true);
  });

  it('an explicit port skips NAPTR and SRV', async () => {
    dns.queries.length = 0;
    await resolver.resolve(uri('sip:bob@plain.test:5090'));
    expect(dns.queries.some((q) => q.startsWith('NAPTR') || q.startsWith('SRV'))).toBe(false);
  });

  it('a name that resolves to nothing is a TransportError', async () => {
    await expect(resolver.resolve(uri('sip:bob@nowhere.test'))).rejects.toBeInstanceOf(TransportError);
  });
});

describe('orderSrv', () => {
  it('orders by priority, weights choosing within one priority', () => {
    const recs = [
      { priority: 2, weight: 0, id: 'c' },
      { priority: 1, weight: 10, id: 'a' },
      { priority: 1, weight: 90, id: 'b' },
    ];
    expect(orderSrv(recs, () => 0).map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(orderSrv(recs, () => 0.99).map((r) => r.id)).toEqual(['b', 'a', 'c']);
  });
});
