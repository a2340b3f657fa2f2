/**
 * The call engine end to end over loopback sockets: two of Sluice's own UAs as phones REGISTER
 * to the `inside` realm, one calls the other through the B2BUA, RTP crosses the relay both ways,
 * nothing of one leg's topology reaches the other, and when the call ends every port is back.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/b2bua/index.js';
import { SystemClock } from '../../src/clock.js';
import { validateConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Registrar } from '../../src/registrar/index.js';
import { Dialplan } from '../../src/routing/index.js';
import { parseSdp, getMediaLine, effectiveConnection } from '../../src/sdp/index.js';
import { serializeMessage } from '../../src/sip/index.js';
import { MemoryStore } from '../../src/state/index.js';
import { TransportLayer } from '../../src/transport/index.js';
import { CallFailed, UserAgent, type IncomingCall, type Session, type SessionEnd } from '../../src/ua/index.js';

const base = 32000 + Math.floor(Math.random() * 50) * 100;
const dir = mkdtempSync(join(tmpdir(), 'sluice-b2bua-'));
const cdrFile = join(dir, 'cdr.jsonl');
let engine: Engine;
let insidePort = 0;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const config = validateConfig({
    realms: {
      inside: { listen: [{ transport: 'udp', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1', portMin: base, portMax: base + 40 }, registrar: true },
      outside: { listen: [{ transport: 'udp', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1', portMin: base + 50, portMax: base + 90 } },
    },
    calls: { cdrFile, mediaTimeoutSeconds: 0 },
  });
  const clock = new SystemClock();
  const store = new MemoryStore({ clock });
  const dialplan = Dialplan.fromObject({ rules: [{ name: 'to-user', match: { registered: true }, to: 'registered' }, { name: 'nobody', reject: { status: 404 } }] });
  const registrars = new Map([['inside', new Registrar({ store, clock, realm: 'inside' })]]);
  engine = new Engine({ config, clock, log: silentLogger, store, dialplan, registrars });
  await engine.start();
  insidePort = engine.realms.get('inside')!.transport.locals[0]!.port;
});

afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

afterAll(async () => {
  await engine.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Phone {
  ua: UserAgent;
  port: number;
  rtp: Socket;
  rtpPort: number;
  received: Buffer[];
  sdp(extra?: string): string;
}

async function phone(user: string): Promise<Phone> {
  const transport = new TransportLayer({ listeners: [{ transport: 'UDP', address: '127.0.0.1', port: 0 }] });
  const ua = new UserAgent({ clock: new SystemClock(), transport, contactUser: user });
  transport.setUser(ua);
  await transport.start();
  const rtp = createSocket('udp4');
  await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
  const received: Buffer[] = [];
  rtp.on('message', (b) => received.push(b));
  const rtpPort = rtp.address().port;
  stops.push(async () => {
    ua.dispose();
    await transport.stop();
    rtp.close();
  });
  return {
    ua,
    port: transport.locals[0]!.port,
    rtp,
    rtpPort,
    received,
    sdp: (extra = '') => `v=0\r\no=${user} 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${rtpPort} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n${extra}`,
  };
}

async function register(p: Phone, user: string): Promise<void> {
  const res = await p.ua.request('REGISTER', { uri: `sip:127.0.0.1:${insidePort}`, from: `<sip:${user}@sluice.test>`, to: `<sip:${user}@sluice.test>`, headers: [['Expires', '300']] });
  expect(res.status).toBe(200);
}

function rtpPacket(seq: number): Buffer {
  const b = Buffer.alloc(172);
  b[0] = 0x80;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(0x1234abcd, 8);
  return b;
}

function mediaOf(sdp: string): { address: string; port: number } {
  const s = parseSdp(sdp);
  return { address: effectiveConnection(s, 0)!.address, port: getMediaLine(s, 0).port };
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('B2BUA call engine', () => {
  it('bridges a call between registered phones with media through the relay, topology hidden', async () => {
    const alice = await phone('alice');
    const bob = await phone('bob');
    await register(bob, 'bob');
    let incoming: IncomingCall | undefined;
    const bobEnds: SessionEnd[] = [];
    bob.ua.handler = {
      onInvite(call) {
        incoming = call;
        call.progress(180);
        call.accept({ body: bob.sdp() }).handler = { onTerminated: (e) => bobEnds.push(e) };
      },
    };
    const call = alice.ua.invite({ uri: `sip:bob@127.0.0.1:${insidePort}`, from: '<sip:alice@sluice.test>', body: alice.sdp() });
    const session: Session = await call.answered;

    // The callee's INVITE is Sluice's own: new Call-ID, one Via, no trace of alice's ports.
    const inv = incoming!.request;
    expect(inv.callId).not.toBe(call.callId);
    expect(inv.via).toHaveLength(1);
    expect(inv.via[0]!.port).toBe(insidePort);
    const text = serializeMessage(inv).toString('latin1');
    expect(text).not.toContain(String(alice.port));
    expect(text).not.toContain(String(alice.rtpPort));
    expect(inv.header('contact')).toMatch(/^<sip:[0-9a-f]{16}b@127\.0\.0\.1:/);
    const toBob = mediaOf(incoming!.offer!);
    const toAlice = mediaOf(session.record.remoteSdp!);
    expect(toBob.port).toBeGreaterThanOrEqual(base);
    expect(toAlice.port).toBeGreaterThanOrEqual(base);
    expect(toBob.port % 2).toBe(0);
    expect(session.record.remoteSdp).not.toContain(String(bob.rtpPort));

    // RTP both ways through the relay.
    for (let i = 0; i < 5; i++) alice.rtp.send(rtpPacket(i), toAlice.port, '127.0.0.1');
    await until(() => bob.received.length >= 5);
    for (let i = 0; i < 5; i++) bob.rtp.send(rtpPacket(100 + i), toBob.port, '127.0.0.1');
    await until(() => alice.received.length >= 5);
    expect(alice.received[0]!.readUInt16BE(2)).toBe(100);

    // Hang up: both legs end, the ports go back, a CDR is written.
    expect((await session.bye())?.status).toBe(200);
    await until(() => bobEnds.length === 1 && engine.activeCalls === 0);
    expect(bobEnds[0]).toEqual({ by: 'remote', cause: 'bye' });
    await until(() => Object.values(engine.relay!.poolStats()).every((p) => p.used === 0));
    await engine.cdr!.flush();
    const cdr = JSON.parse(readFileSync(cdrFile, 'utf8').trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(cdr).toMatchObject({ callIds: { caller: call.callId, callee: inv.callId }, endReason: 'bye', endedBy: 'caller' });
  });

  it('passes a refusal (486) and a hold re-INVITE, and cancels a ringing call', async () => {
    const alice = await phone('alice2');
    const bob = await phone('bob2');
    await register(bob, 'bob2');
    bob.ua.handler = { onInvite: (c) => c.reject(486) };
    const refused = alice.ua.invite({ uri: `sip:bob2@127.0.0.1:${insidePort}`, from: '<sip:alice2@sluice.test>', body: alice.sdp() });
    await expect(refused.answered).rejects.toMatchObject({ status: 486 });

    let held = '';
    bob.ua.handler = {
      onInvite(c) {
        c.accept({ body: bob.sdp() }).handler = {
          onOffer(o) {
            held = o.sdp ?? '';
            o.accept({ body: bob.sdp('a=recvonly\r\n') });
          },
        };
      },
    };
    const s = await alice.ua.invite({ uri: `sip:bob2@127.0.0.1:${insidePort}`, from: '<sip:alice2@sluice.test>', body: alice.sdp() }).answered;
    const r = await s.reinvite({ body: alice.sdp('a=sendonly\r\n') });
    expect(r.status).toBe(200);
    expect(held).toContain('a=sendonly');
    expect(s.record.remoteSdp).toContain('a=recvonly');
    await s.bye();

    let ringing = 0;
    bob.ua.handler = { onInvite: (c) => (c.progress(180), ringing++) };
    const ring = alice.ua.invite({ uri: `sip:bob2@127.0.0.1:${insidePort}`, from: '<sip:alice2@sluice.test>', body: alice.sdp() });
    await until(() => ringing === 1);
    await new Promise((res) => setTimeout(res, 50));
    ring.cancel();
    await expect(ring.answered).rejects.toBeInstanceOf(CallFailed);
    await expect(ring.answered).rejects.toMatchObject({ status: 487 });
    await until(() => engine.activeCalls === 0);
  });

  it('bridges a late offer: the callee offers in its 200, the caller answers in its ACK, and media flows', async () => {
    const alice = await phone('alice4');
    const bob = await phone('bob4');
    await register(bob, 'bob4');
    let acked: string | null = null;
    bob.ua.handler = {
      onInvite(c) {
        expect(c.offer).toBeNull();
        c.accept({ body: bob.sdp() }).handler = { onAck: (ack) => (acked = ack.body.toString('utf8')) };
      },
    };
    const call = alice.ua.invite({ uri: `sip:bob4@127.0.0.1:${insidePort}`, from: '<sip:alice4@sluice.test>', deferAck: true });
    const s = await call.answered;
    const offerToAlice = mediaOf(s.record.remoteSdp!);
    expect(offerToAlice.port).toBeGreaterThanOrEqual(base);
    s.acknowledge({ body: alice.sdp() });
    await until(() => acked !== null);
    const answerToBob = mediaOf(acked!);
    expect(answerToBob.port).toBeGreaterThanOrEqual(base);
    expect(acked).not.toContain(String(alice.rtpPort));
    alice.rtp.send(rtpPacket(7), offerToAlice.port, '127.0.0.1');
    await until(() => bob.received.length >= 1);
    bob.rtp.send(rtpPacket(8), answerToBob.port, '127.0.0.1');
    await until(() => alice.received.length >= 1);
    await s.bye();
    await until(() => engine.activeCalls === 0);
  });

  it('answers 404 for an unknown user, by the dialplan', async () => {
    const alice = await phone('alice3');
    await expect(alice.ua.invite({ uri: `sip:nobody@127.0.0.1:${insidePort}`, from: '<sip:alice3@sluice.test>', body: alice.sdp() }).answered).rejects.toMatchObject({ status: 404 });
  });
});
