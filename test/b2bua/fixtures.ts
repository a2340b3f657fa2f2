/** Phones (Sluice's own UA with an RTP socket) and small helpers for the B2BUA tests. */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect } from 'vitest';
import { Engine } from '../../src/b2bua/index.js';
import { SystemClock } from '../../src/clock.js';
import { validateConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Registrar } from '../../src/registrar/index.js';
import { Dialplan } from '../../src/routing/index.js';
import type { OverloadGuard } from '../../src/security/index.js';
import { MemoryStore } from '../../src/state/index.js';
import { effectiveConnection, getMediaLine, parseSdp } from '../../src/sdp/index.js';
import { TransportLayer } from '../../src/transport/index.js';
import { UserAgent, type IncomingInvite, type SessionEnd } from '../../src/ua/index.js';

export const stops: (() => Promise<void>)[] = [];

export interface Phone {
  ua: UserAgent;
  port: number;
  rtp: Socket;
  rtpPort: number;
  received: Buffer[];
  sdp(extra?: string): string;
}

export async function phone(user: string): Promise<Phone> {
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

/**
 * `p` answers every INVITE with 180 then 200 (its SDP); each answered session's end is pushed to
 * the array returned. `onInvite` sees the INVITE first, if given.
 */
export function answerCalls(p: Phone, onInvite?: (call: IncomingInvite) => void): SessionEnd[] {
  const ends: SessionEnd[] = [];
  p.ua.handler = {
    onInvite(call) {
      onInvite?.(call);
      call.progress(180);
      call.accept({ body: p.sdp() }).handler = { onTerminated: (e) => ends.push(e) };
    },
  };
  return ends;
}

export async function register(p: Phone, user: string, insidePort: number): Promise<void> {
  const res = await p.ua.request('REGISTER', { uri: `sip:127.0.0.1:${insidePort}`, from: `<sip:${user}@sluice.test>`, to: `<sip:${user}@sluice.test>`, headers: [['Expires', '300']] });
  expect(res.status).toBe(200);
}

export function rtpPacket(seq: number): Buffer {
  const b = Buffer.alloc(172);
  b[0] = 0x80;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(0x1234abcd, 8);
  return b;
}

export function mediaOf(sdp: string): { address: string; port: number } {
  const s = parseSdp(sdp);
  return { address: effectiveConnection(s, 0)!.address, port: getMediaLine(s, 0).port };
}

export async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}


/** An engine on loopback: `inside` (registrar) and `outside`, its dialplan, a CDR file in `dir`. */
export async function startEngine(
  dir: string,
  /** sharedStore: a memory store reporting itself shared, so that the engine writes its call records to it. */
  options: { calls?: Record<string, unknown>; sip?: Record<string, unknown>; dialplan?: unknown; insidePairs?: number; overload?: OverloadGuard; sharedStore?: boolean } = {},
): Promise<{ engine: Engine; insidePort: number; base: number; cdrFile: string }> {
  const base = 32000 + Math.floor(Math.random() * 300) * 100;
  const cdrFile = join(dir, `cdr-${base}.jsonl`);
  const config = validateConfig({
    realms: {
      inside: { listen: [{ transport: 'udp', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1', portMin: base, portMax: base + 2 * (options.insidePairs ?? 20) }, registrar: true },
      outside: { listen: [{ transport: 'udp', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1', portMin: base + 50, portMax: base + 90 } },
    },
    calls: { cdrFile, mediaTimeoutSeconds: 0, ...options.calls },
    ...(options.sip === undefined ? {} : { sip: options.sip }),
  });
  const clock = new SystemClock();
  const store = new MemoryStore({ clock, shared: options.sharedStore ?? false });
  const dialplan = Dialplan.fromObject(options.dialplan ?? { rules: [{ name: 'to-user', match: { registered: true }, to: 'registered' }, { name: 'nobody', reject: { status: 404 } }] });
  const registrars = new Map([['inside', new Registrar({ store, clock, realm: 'inside' })]]);
  const engine = new Engine({ config, clock, log: silentLogger, store, dialplan, registrars, ...(options.overload ? { overload: options.overload } : {}) });
  await engine.start();
  return { engine, insidePort: engine.realms.get('inside')!.transport.locals[0]!.port, base, cdrFile };
}

/**
 * For a test file: a temporary folder, phones stopped after each test, and engines started with
 * `start` stopped (and the folder removed) after the file.
 */
export function engineSuite(name: string): { dir: string; start: typeof startEngine extends (d: string, ...rest: infer R) => infer T ? (...rest: R) => T : never } {
  const dir = mkdtempSync(join(tmpdir(), `sluice-${name}-`));
  const engines: Engine[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
  });
  afterAll(async () => {
    for (const e of engines) await e.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    start: async (options = {}) => {
      const started = await startEngine(dir, options);
      engines.push(started.engine);
      return started;
    },
  };
}
