/**
 * Two of Sluice's user agents over real loopback sockets, through the whole stack (transport,
 * transactions, dialogs, UA core): a call with BYE over UDP, TCP and TLS (sips:).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/clock.js';
import { TransportLayer, type ListenerConfig, type TransportOptions } from '../../src/transport/index.js';
import { UserAgent, type Session, type SessionEnd } from '../../src/ua/index.js';
import { ANSWER, OFFER } from './wire.js';

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of stops) await s();
});

async function node(listener: ListenerConfig, extra: Partial<TransportOptions> = {}): Promise<{ ua: UserAgent; port: number }> {
  const layer = new TransportLayer({ listeners: [listener], ...extra });
  const ua = new UserAgent({ clock: new SystemClock(), transport: layer });
  layer.setUser(ua);
  await layer.start();
  stops.push(async () => {
    ua.dispose();
    await layer.stop();
  });
  return { ua, port: layer.locals[0]!.port };
}

async function callAndHangUp(a: UserAgent, b: UserAgent, uri: string): Promise<{ caller: Session; ends: SessionEnd[] }> {
  const ends: SessionEnd[] = [];
  b.handler = {
    onInvite(call) {
      call.progress(180);
      call.accept({ body: ANSWER }).handler = { onTerminated: (e) => ends.push(e) };
    },
  };
  const caller = await a.invite({ uri, from: '<sip:alice@127.0.0.1>', body: OFFER }).answered;
  expect(caller.record.remoteSdp).toBe(ANSWER);
  expect((await caller.bye())?.status).toBe(200);
  for (let i = 0; i < 100 && ends.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  return { caller, ends };
}

describe('user agents over loopback sockets', () => {
  for (const transport of ['UDP', 'TCP'] as const) {
    it(`call and BYE over ${transport}`, async () => {
      const a = await node({ transport, address: '127.0.0.1', port: 0 });
      const b = await node({ transport, address: '127.0.0.1', port: 0 });
      const t = transport === 'TCP' ? ';transport=tcp' : '';
      const { ends } = await callAndHangUp(a.ua, b.ua, `sip:bob@127.0.0.1:${b.port}${t}`);
      expect(ends).toEqual([{ by: 'remote', cause: 'bye' }]);
    });
  }

  it('call and BYE over TLS to a sips: URI, the certificate verified', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-ua-tls-'));
    stops.push(async () => rmSync(dir, { recursive: true, force: true }));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const tls = { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
    const a = await node({ transport: 'TLS', address: '127.0.0.1', port: 0, tls }, { tlsClient: { ca: tls.cert } });
    const b = await node({ transport: 'TLS', address: '127.0.0.1', port: 0, tls }, { tlsClient: { ca: tls.cert } });
    const { caller, ends } = await callAndHangUp(a.ua, b.ua, `sips:bob@127.0.0.1:${b.port}`);
    expect(caller.dialog.secure).toBe(true);
    expect(ends).toEqual([{ by: 'remote', cause: 'bye' }]);
  });
});
