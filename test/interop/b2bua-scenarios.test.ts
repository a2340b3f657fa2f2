/**
 * Offer/answer shapes through Sluice with sipp scenarios of the project's own (in scenarios/):
 * a late offer (the caller's INVITE has no SDP; the offer comes in the 200, the answer in the
 * ACK) and early media in a reliable 183 with PRACK (RFC 3262) on the callee's side.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/b2bua/index.js';
import { SystemClock } from '../../src/clock.js';
import { validateConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Dialplan } from '../../src/routing/index.js';
import { MemoryStore } from '../../src/state/index.js';
import { requireOrSkip } from './harness/prereq.js';
import { freePort, runSipp, startSipp } from './harness/sipp.js';

const CALLS = 3;
const scenario = (name: string): string => fileURLToPath(new URL(`scenarios/${name}`, import.meta.url));
const skip = requireOrSkip(['sipp']);

describe.skipIf(skip)('offer/answer shapes through Sluice (sipp scenarios)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-scenarios-'));
  let engine: Engine;
  let insidePort = 0;
  let trunkPort = 0;

  beforeAll(async () => {
    trunkPort = await freePort('udp');
    const base = 38000 + Math.floor(Math.random() * 40) * 100;
    const config = validateConfig({
      realms: {
        inside: { listen: [{ transport: 'udp', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1', portMin: base, portMax: base + 40 } },
        outside: { listen: [{ transport: 'udp', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1', portMin: base + 50, portMax: base + 90 } },
      },
      calls: { cdrFile: join(dir, 'cdr.jsonl'), mediaTimeoutSeconds: 0 },
    });
    const clock = new SystemClock();
    const dialplan = Dialplan.fromObject({
      trunks: [{ name: 'peer', realm: 'outside', host: '127.0.0.1', port: trunkPort, transport: 'udp' }],
      rules: [{ name: 'out', match: { realm: 'inside' }, trunk: 'peer' }],
    });
    engine = new Engine({ config, clock, log: silentLogger, store: new MemoryStore({ clock }), dialplan, registrars: new Map() });
    await engine.start();
    insidePort = engine.realms.get('inside')!.transport.locals[0]!.port;
  });

  afterAll(async () => {
    await engine?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function through(uacArgs: string[], uasArgs: string[], cwd?: string): Promise<void> {
    const uas = await startSipp({ args: [...uasArgs, '-p', String(trunkPort), '-m', String(CALLS), '-trace_msg', '-message_file', join(dir, 'uas.log')], timeoutMs: 60_000 });
    const uac = await runSipp({ args: [...uacArgs, `127.0.0.1:${insidePort}`, '-s', '0123', '-m', String(CALLS), '-r', '5', '-trace_msg', '-message_file', join(dir, 'uac.log')], timeoutMs: 60_000, ...(cwd ? { cwd } : {}) });
    const u = await uas.done;
    expect(uac, uac.errors).toMatchObject({ successful: CALLS, failed: 0, unexpected: 0 });
    expect(u, u.errors).toMatchObject({ successful: CALLS, failed: 0 });
  }

  it('bridges a late offer: SDP in the 200 toward the caller and in the ACK toward the callee', async () => {
    await through(['-sf', scenario('uac-late-offer.xml')], ['-sn', 'uas']);
    const atUas = readFileSync(join(dir, 'uas.log'), 'latin1');
    // The ACKs the callee got carry the caller's answer, regenerated toward the relay.
    const acks = atUas.split(/\n(?=[A-Z]+ sip:|SIP\/2\.0)/).filter((m) => m.startsWith('ACK '));
    expect(acks.length).toBeGreaterThanOrEqual(CALLS);
    for (const a of acks.slice(0, CALLS)) expect(a).toContain('o=sluice ');
  });

  it('bridges early media in a reliable 183: Sluice sends the PRACK, the caller gets the 183 with SDP toward the relay', async () => {
    await through(['-sn', 'uac'], ['-sf', scenario('uas-prack.xml')]);
    const atUac = readFileSync(join(dir, 'uac.log'), 'latin1');
    expect(atUac).toMatch(/SIP\/2\.0 183[^]*?o=sluice /);
    const atUas = readFileSync(join(dir, 'uas.log'), 'latin1');
    expect(atUas).toMatch(/PRACK sip:[^]*?RAck: 1 1 INVITE/);
  });

  it('passes each hold variant (sendonly, recvonly, inactive, c=0.0.0.0) and resumes with media both ways', async () => {
    const work = join(dir, 'hold');
    mkdirSync(join(work, 'pcap'), { recursive: true });
    for (const f of readdirSync('/usr/share/sip-tester').filter((n) => n.endsWith('.pcap'))) symlinkSync(join('/usr/share/sip-tester', f), join(work, 'pcap', f));
    await through(['-sf', scenario('uac-hold.xml'), '-mp', String(await freePort('udp'))], ['-sf', scenario('uas-reinvite.xml'), '-rtp_echo', '-mp', String(await freePort('udp'))], work);
    const atUas = readFileSync(join(dir, 'uas.log'), 'latin1');
    expect(atUas).toContain('a=sendonly');
    expect(atUas).toContain('a=recvonly');
    expect(atUas).toContain('a=inactive');
    expect(atUas).toContain('c=IN IP4 0.0.0.0');
    // After the resume the pcap audio went to the callee and its echo came back, per call.
    await engine.cdr!.flush();
    const cdrs = readFileSync(join(dir, 'cdr.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { route: { rule: string }; media: { fromCaller: { packets: number }; fromCallee: { packets: number } }[] });
    const last = cdrs.slice(-CALLS);
    for (const c of last) {
      expect(c.media[0]!.fromCaller.packets).toBeGreaterThan(50);
      expect(c.media[0]!.fromCallee.packets).toBeGreaterThan(50);
    }
  });

  it('carries a refusal: the callee\'s 486 reaches the caller as 486', async () => {
    await through(['-sf', scenario('uac-refused.xml')], ['-sf', scenario('uas-refuse.xml')]);
    await engine.cdr!.flush();
    const cdrs = readFileSync(join(dir, 'cdr.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { status: number; endReason: string });
    expect(cdrs.slice(-CALLS).every((c) => c.status === 486 && c.endReason === 'rejected')).toBe(true);
  });

  it('carries a BYE from the callee to the caller', async () => {
    await through(['-sf', scenario('uac-hungup.xml')], ['-sf', scenario('uas-hangup.xml')]);
    await engine.cdr!.flush();
    const cdrs = readFileSync(join(dir, 'cdr.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { endedBy: string; endReason: string });
    expect(cdrs.slice(-CALLS).every((c) => c.endedBy === 'callee' && c.endReason === 'bye')).toBe(true);
  });

  it('carries a CANCEL of a ringing call: 200 to the CANCEL, 487 to the caller, the callee cancelled too', async () => {
    await through(['-sf', scenario('uac-cancel.xml')], ['-sf', scenario('uas-ring.xml')]);
    await engine.cdr!.flush();
    const cdrs = readFileSync(join(dir, 'cdr.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { endedBy: string; endReason: string; status: number });
    expect(cdrs.slice(-CALLS).every((c) => c.endedBy === 'caller' && c.endReason === 'cancelled' && c.status === 487)).toBe(true);
    expect(Object.values(engine.relay!.poolStats()).every((p) => p.used === 0)).toBe(true);
  });

  it('resolves re-INVITE glare: both get 491, both retry, both succeed', async () => {
    await through(['-sf', scenario('uac-glare.xml')], ['-sf', scenario('uas-glare.xml')]);
    const atUac = readFileSync(join(dir, 'uac.log'), 'latin1');
    const atUas = readFileSync(join(dir, 'uas.log'), 'latin1');
    expect(atUac).toContain('SIP/2.0 491');
    expect(atUas).toContain('SIP/2.0 491');
  });

  it('carries an answer without media (a=inactive) to the caller', async () => {
    await through(['-sn', 'uac'], ['-sf', scenario('uas-inactive.xml')]);
    const atUac = readFileSync(join(dir, 'uac.log'), 'latin1');
    expect(atUac).toMatch(/SIP\/2\.0 200 OK[^]*?o=sluice [^]*?a=inactive/);
  });

  it('adds a video stream by re-INVITE: it gets relay ports on both legs', async () => {
    await through(['-sf', scenario('uac-video.xml')], ['-sf', scenario('uas-video.xml')]);
    const atUas = readFileSync(join(dir, 'uas.log'), 'latin1');
    const atUac = readFileSync(join(dir, 'uac.log'), 'latin1');
    expect(atUas).toMatch(/INVITE sip:[^]*?CSeq: 2 INVITE[^]*?m=video [1-9]\d* RTP\/AVP 96/);
    expect(atUac).toMatch(/CSeq: 2 INVITE[^]*?m=video [1-9]\d* RTP\/AVP 96/);
    await engine.cdr!.flush();
    const cdrs = readFileSync(join(dir, 'cdr.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { media: unknown[] });
    expect(cdrs.slice(-CALLS).every((c) => c.media.length === 2)).toBe(true);
    expect(Object.values(engine.relay!.poolStats()).every((p) => p.used === 0)).toBe(true);
  });
});
