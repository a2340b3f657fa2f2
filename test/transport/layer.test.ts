import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createResponse, parseMessage, serializeMessage, type SipRequest, type SipResponse } from '../../src/sip/index.js';
import { TransportLayer, type MessageSource } from '../../src/transport/index.js';

const request = (via: string, extra = ''): Buffer =>
  Buffer.from(
    [
      'OPTIONS sip:sluice@127.0.0.1 SIP/2.0',
      `Via: ${via}`,
      'From: <sip:alice@example.com>;tag=a1',
      'To: <sip:sluice@example.com>',
      'Call-ID: t1@example.com',
      'CSeq: 1 OPTIONS',
      'Max-Forwards: 70',
      extra,
      'Content-Length: 0',
      '',
      '',
    ]
      .filter((l, i, a) => l !== '' || i >= a.length - 2)
      .join('\r\n'),
  );

type Received = { message: SipRequest | SipResponse; source: MessageSource };

function collect(layer: TransportLayer): { got: Received[]; next: () => Promise<Received> } {
  const got: Received[] = [];
  const waiters: ((r: Received) => void)[] = [];
  layer.setUser({
    onMessage(message, source) {
      const r = { message, source };
      const w = waiters.shift();
      if (w) w(r);
      else got.push(r);
    },
  });
  return {
    got,
    next: () => new Promise((resolve) => {
      const r = got.shift();
      if (r) resolve(r);
      else waiters.push(resolve);
    }),
  };
}

async function udpPeer(family: 'udp4' | 'udp6' = 'udp4'): Promise<{ socket: UdpSocket; port: number; next: () => Promise<Buffer> }> {
  const socket = createSocket(family);
  const queue: Buffer[] = [];
  const waiters: ((b: Buffer) => void)[] = [];
  socket.on('message', (b) => {
    const w = waiters.shift();
    if (w) w(b);
    else queue.push(b);
  });
  await new Promise<void>((r) => socket.bind(0, family === 'udp4' ? '127.0.0.1' : '::1', () => r()));
  return {
    socket,
    port: socket.address().port,
    next: () => new Promise((resolve) => {
      const b = queue.shift();
      if (b) resolve(b);
      else waiters.push(resolve);
    }),
  };
}

const layers: TransportLayer[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await Promise.all(layers.splice(0).map((l) => l.stop()));
});

async function start(listeners: ConstructorParameters<typeof TransportLayer>[0]['listeners'], extra: Partial<ConstructorParameters<typeof TransportLayer>[0]> = {}): Promise<TransportLayer> {
  const layer = new TransportLayer({ listeners, ...extra });
  await layer.start();
  layers.push(layer);
  return layer;
}

describe('UDP', () => {
  it('delivers a request with its true source and stamps received and rport (RFC 3581)', async () => {
    const layer = await start([{ transport: 'UDP', address: '127.0.0.1', port: 0 }]);
    const { next } = collect(layer);
    const peer = await udpPeer();
    cleanups.push(() => peer.socket.close());
    const local = layer.locals[0]!;
    peer.socket.send(request('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKu1;rport'), local.port, '127.0.0.1');
    const { message, source } = await next();
    expect(source).toMatchObject({ transport: 'UDP', address: '127.0.0.1', port: peer.port, reliable: false, local: { address: local.address, port: local.port } });
    expect(message.via[0]).toMatchObject({ received: '127.0.0.1', rport: peer.port, host: '192.0.2.1' });

    // The response goes to received:rport, not to the sent-by 192.0.2.1:5060.
    const res = createResponse(message as SipRequest, 200, 'OK', 'srv1');
    await new Promise<void>((resolve, reject) => layer.sendResponse(res, source, (e) => (e ? reject(e) : resolve())));
    const back = parseMessage(await peer.next()) as SipResponse;
    expect(back.status).toBe(200);
    expect(back.via[0]!.rport).toBe(peer.port);
    expect(back.toTag).toBe('srv1');
  });

  it('works over IPv6', async () => {
    const layer = await start([{ transport: 'UDP', address: '::1', port: 0 }]);
    const { next } = collect(layer);
    const peer = await udpPeer('udp6');
    cleanups.push(() => peer.socket.close());
    peer.socket.send(request('SIP/2.0/UDP [::1];branch=z9hG4bKu6'), layer.locals[0]!.port, '::1');
    const { source } = await next();
    expect(source.address).toBe('::1');
  });

  it('carries a 60 KB datagram (a jumbo NOTIFY body)', async () => {
    const layer = await start([{ transport: 'UDP', address: '127.0.0.1', port: 0 }]);
    const { next } = collect(layer);
    const peer = await udpPeer();
    cleanups.push(() => peer.socket.close());
    const body = 'p'.repeat(60_000);
    const big = request('SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKbig').toString('latin1')
      .replace('Content-Length: 0\r\n\r\n', `Content-Type: application/pidf+xml\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    peer.socket.send(Buffer.from(big, 'latin1'), layer.locals[0]!.port, '127.0.0.1');
    const { message } = await next();
    expect(message.body.length).toBe(60_000);
  });

  it('answers a malformed request 400 with the reason, and drops garbage, counting both', async () => {
    const layer = await start([{ transport: 'UDP', address: '127.0.0.1', port: 0 }]);
    collect(layer);
    const peer = await udpPeer();
    cleanups.push(() => peer.socket.close());
    const bad = request('SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKbad').toString('latin1').replace('CSeq: 1 OPTIONS', 'CSeq: 99999999999 OPTIONS');
    peer.socket.send(Buffer.from(bad, 'latin1'), layer.locals[0]!.port, '127.0.0.1');
    // The 400 echoes the bad CSeq as sent, so only a framing parse reads it back.
    const res = parseMessage(await peer.next(), { mode: 'framing' }) as SipResponse;
    expect(res.status).toBe(400);
    expect(res.reason).toMatch(/CSeq/i);
    peer.socket.send(Buffer.from('\x00\x01garbage'), layer.locals[0]!.port, '127.0.0.1');
    peer.socket.send(Buffer.from('\r\n\r\n'), layer.locals[0]!.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 100));
    expect(layer.counters).toMatchObject({ malformed: 2, answered400: 1, dropped: 1, keepalives: 1 });
  });

  it('leaves Contact and the Request-URI to the user, and answers 400 when its completeParse finds one malformed', async () => {
    const layer = await start([{ transport: 'UDP', address: '127.0.0.1', port: 0 }]);
    const delivered: SipRequest[] = [];
    // A user that completes the parse of OPTIONS only (as the SBC's flat calls complete an INVITE's).
    layer.setUser({
      onMessage(message) {
        delivered.push(message as SipRequest);
        if (message.kind === 'request' && message.method === 'OPTIONS') message.completeParse();
      },
    });
    const peer = await udpPeer();
    cleanups.push(() => peer.socket.close());
    const port = layer.locals[0]!.port;
    const badContact = request('SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKbc', 'Contact: <sip:a@[bad>');
    peer.socket.send(badContact, port, '127.0.0.1');
    const res = parseMessage(await peer.next()) as SipResponse;
    expect(res.status).toBe(400);
    expect(res.reason).toMatch(/contact/i);
    expect(res.via[0]!.branch).toBe('z9hG4bKbc');
    // A bad Request-URI, the same.
    peer.socket.send(Buffer.from(request('SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKbu').toString('latin1').replace('OPTIONS sip:sluice@127.0.0.1', 'OPTIONS sip:[::1'), 'latin1'), port, '127.0.0.1');
    expect(((parseMessage(await peer.next()) as SipResponse).status)).toBe(400);
    expect(layer.counters).toMatchObject({ malformed: 2, answered400: 2 });
    // A message the user handles without reading its Contact is delivered and not answered.
    peer.socket.send(Buffer.from(badContact.toString('latin1').replace(/OPTIONS/g, 'INFO'), 'latin1'), port, '127.0.0.1');
    await until(() => delivered.length === 3);
    await new Promise((r) => setTimeout(r, 50));
    expect(layer.counters).toMatchObject({ malformed: 2, answered400: 2 });
    expect(() => delivered[2]!.contact).toThrow(/contact/i);
  });

  it('sends a request to a peer and reports a send failure through the callback', async () => {
    const layer = await start([{ transport: 'UDP', address: '127.0.0.1', port: 0 }]);
    const peer = await udpPeer();
    cleanups.push(() => peer.socket.close());
    const r = parseMessage(request('SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKout')) as SipRequest;
    layer.sendRequest(r, { transport: 'UDP', address: '127.0.0.1', port: peer.port, reliable: false });
    expect(parseMessage(await peer.next()).callId).toBe('t1@example.com');
    const err = await new Promise((resolve) => layer.sendRequest(r, { transport: 'UDP', address: '::1', port: peer.port, reliable: false }, resolve));
    expect(err).toMatchObject({ code: 'SLUICE_ERR_TRANSPORT' });
  });
});

describe('TCP', () => {
  it('frames messages, answers on the same connection and answers a CRLF ping with a pong', async () => {
    const layer = await start([{ transport: 'TCP', address: '127.0.0.1', port: 0 }]);
    const { next } = collect(layer);
    const sock = connect(layer.locals[0]!.port, '127.0.0.1');
    cleanups.push(() => sock.destroy());
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    await new Promise((r) => sock.once('connect', r));
    const two = Buffer.concat([request('SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKt1'), request('SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKt2')]);
    sock.write(two.subarray(0, 100));
    sock.write(two.subarray(100));
    const a = await next();
    const b = await next();
    expect([a.message.via[0]!.branch, b.message.via[0]!.branch]).toEqual(['z9hG4bKt1', 'z9hG4bKt2']);
    expect(a.source).toMatchObject({ transport: 'TCP', reliable: true, address: '127.0.0.1', port: sock.localPort });
    expect(a.source.connectionId).toBe(b.source.connectionId);

    layer.sendResponse(createResponse(a.message as SipRequest, 200), a.source);
    await until(() => chunks.length > 0);
    expect(parseMessage(Buffer.concat(chunks), { transport: 'stream' })).toMatchObject({ status: 200 });
    chunks.length = 0;
    sock.write('\r\n\r\n');
    await until(() => chunks.length > 0);
    expect(Buffer.concat(chunks).toString()).toBe('\r\n');
    expect(layer.openConnections).toBe(1);
  });

  it('reuses one connection for requests to the same peer and closes a stream it cannot frame', async () => {
    const layer = await start([{ transport: 'TCP', address: '127.0.0.1', port: 0 }]);
    const { next } = collect(layer);
    const accepted: Socket[] = [];
    const server = createServer((s) => accepted.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => server.close());
    cleanups.push(() => accepted.forEach((s) => s.destroy()));
    const port = (server.address() as { port: number }).port;
    const r = parseMessage(request('SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKr')) as SipRequest;
    for (let i = 0; i < 3; i++) layer.sendRequest(r, { transport: 'TCP', address: '127.0.0.1', port, reliable: true });
    await until(() => accepted.length > 0);
    await new Promise((res) => setTimeout(res, 50));
    expect(accepted).toHaveLength(1);
    // The peer answers on that connection: the response reaches the user.
    accepted[0]!.write(serializeMessage(createResponse(r, 200)));
    expect(((await next()).message as SipResponse).status).toBe(200);
    // Then it sends bytes that cannot be framed: the connection is closed.
    accepted[0]!.write('INVITE sip:x SIP/2.0\r\nContent-Length: -5\r\n\r\n');
    await until(() => layer.openConnections === 0);
    expect(layer.counters.malformed).toBe(1);
  });

  it('reports a refused connection as a transport error, never a throw', async () => {
    const layer = await start([{ transport: 'TCP', address: '127.0.0.1', port: 0 }]);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = parseMessage(request('SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKx')) as SipRequest;
    const err = await new Promise((resolve) => layer.sendRequest(r, { transport: 'TCP', address: '127.0.0.1', port, reliable: true }, (e) => e && resolve(e)));
    expect(err).toMatchObject({ code: 'SLUICE_ERR_TRANSPORT', status: 503 });
  });

  it('closes an idle connection', async () => {
    const layer = await start([{ transport: 'TCP', address: '127.0.0.1', port: 0 }], { idleTimeoutMs: 100 });
    collect(layer);
    const sock = connect(layer.locals[0]!.port, '127.0.0.1');
    cleanups.push(() => sock.destroy());
    const closed = new Promise((r) => sock.on('close', r));
    await new Promise((r) => sock.once('connect', r));
    await closed;
    await until(() => layer.openConnections === 0);
    expect(layer.counters.connectionsClosed).toBe(1);
  });
});

describe('TLS', () => {
  it('carries SIP over TLS with the configured certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'));
    const key = readFileSync(join(dir, 'key.pem'));
    const server = await start([{ transport: 'TLS', address: '127.0.0.1', port: 0, tls: { cert, key } }]);
    const { next } = collect(server);
    const sock = tlsConnect({ host: '127.0.0.1', port: server.locals[0]!.port, ca: cert, servername: 'localhost' });
    cleanups.push(() => sock.destroy());
    await new Promise((r) => sock.once('secureConnect', r));
    sock.write(request('SIP/2.0/TLS 127.0.0.1;branch=z9hG4bKtls'));
    const got = await next();
    expect(got.source.transport).toBe('TLS');
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    server.sendResponse(createResponse(got.message as SipRequest, 200), got.source);
    await until(() => chunks.length > 0);
    expect(parseMessage(Buffer.concat(chunks), { transport: 'stream' })).toMatchObject({ status: 200 });

    // And as a client: a second layer connects to the first over TLS, verifying the certificate.
    const client = await start([{ transport: 'UDP', address: '127.0.0.1', port: 0 }], { tlsClient: { ca: cert } });
    const r = parseMessage(request('SIP/2.0/TLS 127.0.0.1;branch=z9hG4bKtls2')) as SipRequest;
    client.sendRequest(r, { transport: 'TLS', address: '127.0.0.1', port: server.locals[0]!.port, reliable: true, serverName: 'localhost' });
    expect((await next()).message.via[0]!.branch).toBe('z9hG4bKtls2');
  });
});

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('start', () => {
  it('fails with a TransportError naming the listener whose address is taken, and leaves none of its listeners bound', async () => {
    const holder = await udpPeer();
    cleanups.push(() => holder.socket.close());
    // A free TCP port for the first listener, which opens before the taken UDP one fails.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const tcpPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const layer = new TransportLayer({
      listeners: [
        { transport: 'TCP', address: '127.0.0.1', port: tcpPort },
        { transport: 'UDP', address: '127.0.0.1', port: holder.port },
      ],
    });
    const failed = await layer.start().then(
      () => null,
      (err: unknown) => err,
    );
    expect(failed).toMatchObject({ code: 'SLUICE_ERR_TRANSPORT', message: `cannot listen on UDP 127.0.0.1:${holder.port}: the address is in use (another process, or another Sluice, holds it)` });
    expect(layer.locals).toEqual([]);
    // The TCP listener it had opened is closed again: its port can be taken.
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(tcpPort, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((r) => again.close(() => r()));
  });
});
