/**
 * Sluice as an SBC between two sipp instances on loopback: `sipp uac_pcap` (plays G.711 RTP from
 * a pcap) calls into the `inside` realm, the dialplan sends it to a trunk in the `outside` realm
 * where `sipp -sn uas -rtp_echo` answers and echoes the media. sipp's counters, the relay's
 * statistics in the CDR and sipp's own message trace prove the call, the media both ways and the
 * topology hiding.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/b2bua/index.js';
import { SystemClock } from '../../src/clock.js';
import { validateConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Dialplan } from '../../src/routing/index.js';
import { MemoryStore } from '../../src/state/index.js';
import { requireOrSkip } from './harness/prereq.js';
import { freePort, runSipp, startSipp, type SippServer } from './harness/sipp.js';

const CALLS = 3;
const skip = requireOrSkip(['sipp']);

describe.skipIf(skip)('Sluice between sipp UAC (pcap audio) and sipp UAS (RTP echo)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-b2bua-sipp-'));
  const cdrFile = join(dir, 'cdr.jsonl');
  let engine: Engine;
  let uas: SippServer;
  let insidePort = 0;
  let uasPort = 0;
  const base = 36000 + Math.floor(Math.random() * 40) * 100;

  beforeAll(async () => {
    uasPort = await freePort('udp');
    const config = validateConfig({
      realms: {
        inside: { listen: [{ transport: 'udp', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1', portMin: base, portMax: base + 40 } },
        outside: { listen: [{ transport: 'udp', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1', portMin: base + 50, portMax: base + 90 } },
      },
      calls: { cdrFile, mediaTimeoutSeconds: 0 },
    });
    const clock = new SystemClock();
    const dialplan = Dialplan.fromObject({
      trunks: [{ name: 'sipp', realm: 'outside', host: '127.0.0.1', port: uasPort, transport: 'udp' }],
      rules: [{ name: 'out', match: { realm: 'inside' }, trunk: 'sipp' }],
    });
    engine = new Engine({ config, clock, log: silentLogger, store: new MemoryStore({ clock }), dialplan, registrars: new Map() });
    await engine.start();
    insidePort = engine.realms.get('inside')!.transport.locals[0]!.port;
    uas = await startSipp({
      args: ['-sn', 'uas', '-rtp_echo', '-p', String(uasPort), '-mp', String(await freePort('udp')), '-m', String(CALLS), '-trace_msg', '-message_file', join(dir, 'uas-messages.log')],
      timeoutMs: 90_000,
    });
  });

  afterAll(async () => {
    await engine?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`carries ${CALLS} calls with RTP both ways, and neither side sees the other's addresses`, async () => {
    // uac_pcap plays pcap/g711a.pcap relative to its working directory.
    const work = join(dir, 'uac');
    mkdirSync(join(work, 'pcap'), { recursive: true });
    for (const f of readdirSync('/usr/share/sip-tester').filter((n) => n.endsWith('.pcap'))) symlinkSync(join('/usr/share/sip-tester', f), join(work, 'pcap', f));
    const uacPort = await freePort('udp');
    const uacMedia = await freePort('udp');
    const r = await runSipp({
      args: ['-sn', 'uac_pcap', `127.0.0.1:${insidePort}`, '-s', '0123456', '-p', String(uacPort), '-mp', String(uacMedia), '-m', String(CALLS), '-r', '1', '-l', '2',
        '-trace_msg', '-message_file', join(dir, 'uac-messages.log')],
      cwd: work,
      timeoutMs: 90_000,
    });
    expect(r, r.errors).toMatchObject({ successful: CALLS, failed: 0, unexpected: 0 });
    const u = await uas.done;
    expect(u, u.errors).toMatchObject({ successful: CALLS, failed: 0 });

    // Media crossed the relay in both directions for every call (the echo came back).
    await engine.cdr!.flush();
    const cdrs = readFileSync(cdrFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { endReason: string; media: { fromCaller: { packets: number }; fromCallee: { packets: number } }[] });
    expect(cdrs).toHaveLength(CALLS);
    for (const c of cdrs) {
      expect(c.endReason).toBe('bye');
      expect(c.media[0]!.fromCaller.packets).toBeGreaterThan(100);
      expect(c.media[0]!.fromCallee.packets).toBeGreaterThan(100);
    }
    expect(Object.values(engine.relay!.poolStats()).every((p) => p.used === 0)).toBe(true);

    // Topology hiding: what the UAS received names no port of the UAC, and the reverse.
    const atUas = readFileSync(join(dir, 'uas-messages.log'), 'latin1');
    const atUac = readFileSync(join(dir, 'uac-messages.log'), 'latin1');
    expect(atUas).not.toContain(`:${uacPort}`);
    expect(atUas).not.toMatch(new RegExp(`\\b${uacMedia}\\b`));
    expect(atUac).not.toContain(`:${uasPort}`);
    expect(atUas).toContain('INVITE sip:0123456@127.0.0.1');
  });
});
