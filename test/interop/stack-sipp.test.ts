/**
 * Sluice's SIP stack (transport, transactions, dialogs, UA core) against sipp, a real peer, on
 * loopback: sipp's own counters must show every call successful, none failed, nothing unexpected.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/clock.js';
import { TransportLayer, type TransportProtocol } from '../../src/transport/index.js';
import { UserAgent, type Session } from '../../src/ua/index.js';
import { requireOrSkip } from './harness/prereq.js';
import { freePort, runSipp, startSipp } from './harness/sipp.js';

const SDP = 'v=0\r\no=sluice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
const CALLS = 50;

const skip = requireOrSkip(['sipp']);
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function startUa(transport: TransportProtocol, port: number): Promise<{ ua: UserAgent; layer: TransportLayer; ended: () => number }> {
  const layer = new TransportLayer({ listeners: [{ transport, address: '127.0.0.1', port }] });
  const ua = new UserAgent({ clock: new SystemClock(), transport: layer });
  layer.setUser(ua);
  await layer.start();
  let ended = 0;
  ua.handler = {
    onInvite(call) {
      call.progress(180);
      call.accept({ body: SDP }).handler = { onTerminated: () => ended++ };
    },
  };
  stops.push(async () => {
    ua.dispose();
    await layer.stop();
  });
  return { ua, layer, ended: () => ended };
}

describe.skipIf(skip)('Sluice SIP stack against sipp', () => {
  for (const transport of ['UDP', 'TCP'] as const) {
    const t = transport === 'TCP' ? ['-t', 't1'] : [];

    it(`answers ${CALLS} calls of sipp -sn uac over ${transport}`, async () => {
      const port = await freePort(transport === 'TCP' ? 'tcp' : 'udp');
      const { ua, ended } = await startUa(transport, port);
      const r = await runSipp({ args: ['-sn', 'uac', `127.0.0.1:${port}`, '-m', String(CALLS), '-r', '25', '-d', '200', ...t], timeoutMs: 60_000 });
      expect(r, r.errors).toMatchObject({ successful: CALLS, failed: 0, unexpected: 0 });
      expect(ended()).toBe(CALLS);
      expect(ua.sessionCount).toBe(0);
      expect(ua.transactions.stats.errors).toBe(0);
    });

    it(`places ${CALLS} calls to sipp -sn uas over ${transport}`, async () => {
      const sippPort = await freePort(transport === 'TCP' ? 'tcp' : 'udp');
      const server = await startSipp({ args: ['-sn', 'uas', '-p', String(sippPort), '-m', String(CALLS), ...t], timeoutMs: 90_000 });
      const { ua } = await startUa(transport, await freePort(transport === 'TCP' ? 'tcp' : 'udp'));
      const target = `sip:service@127.0.0.1:${sippPort}${transport === 'TCP' ? ';transport=tcp' : ''}`;
      const results: number[] = [];
      const one = async (): Promise<void> => {
        const call = ua.invite({ uri: target, from: '<sip:sluice@127.0.0.1>', body: SDP });
        const session: Session = await call.answered;
        await new Promise((r) => setTimeout(r, 200));
        results.push((await session.bye())?.status ?? 0);
      };
      const all: Promise<void>[] = [];
      for (let i = 0; i < CALLS; i++) {
        all.push(one());
        await new Promise((r) => setTimeout(r, 40));
      }
      await Promise.all(all);
      expect(results).toEqual(Array(CALLS).fill(200));
      // sipp's uas ends each call with a 4 s pause that absorbs retransmissions; -m makes it exit then.
      const r = await server.done;
      expect(r, r.errors).toMatchObject({ successful: CALLS, failed: 0, unexpected: 0 });
    });
  }
});
