/**
 * Bad input never crashes the SBC: thousands of mutated INVITEs, REGISTERs and in-dialog requests
 * (flipped bytes, cut messages, bodies that are no SDP) go to a running engine over UDP; every one
 * gets a SIP error or a counted drop, and a normal call still goes through afterwards.
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { engineSuite, phone, register, until } from './fixtures.js';

const suite = engineSuite('b2bua-bad-input');

function invite(n: number, body: string): string {
  return [
    `INVITE sip:fz${n % 3}@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKfz${n};rport`,
    'Max-Forwards: 70',
    `From: "Fuzz" <sip:fuzz@127.0.0.1>;tag=f${n}`,
    `To: <sip:fz${n % 3}@127.0.0.1>${n % 5 === 0 ? ';tag=nosuch' : ''}`,
    `Call-ID: fuzz-${n}@127.0.0.1`,
    'CSeq: 1 INVITE',
    'Contact: <sip:fuzz@127.0.0.1:9>',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

const SDP = 'v=0\r\no=f 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n';

describe('bad input', () => {
  it('takes 3,000 mutated messages without crashing, then carries a normal call', async () => {
    const { engine, insidePort } = await suite.start();
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    let replies = 0;
    s.on('message', () => replies++);
    let x = 12345;
    const rnd = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
      return x % n;
    };
    for (let i = 0; i < 3000; i++) {
      const base = Buffer.from(invite(i, i % 7 === 0 ? 'garbage that is no SDP\r\n' : SDP), 'latin1');
      const m = Buffer.from(base);
      const kind = rnd(4);
      if (kind === 0) for (let k = 0; k < 4; k++) m[rnd(m.length)] = rnd(256); // flipped bytes
      const out = kind === 1 ? m.subarray(0, rnd(m.length)) : kind === 2 ? Buffer.concat([m, m]) : m;
      s.send(out, insidePort, '127.0.0.1');
      if (i % 200 === 199) await new Promise((r) => setTimeout(r, 20)); // bounded pacing, no flood drops
    }
    // Until the answers stop coming (bounded: 10 s).
    for (let last = -1, i = 0; last !== replies && i < 50; i++) {
      last = replies;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(replies).toBeGreaterThan(1500);
    s.close();

    // Still serving: a real call goes through.
    const alice = await phone('fa');
    const bob = await phone('fb');
    await register(bob, 'fb', insidePort);
    bob.ua.handler = { onInvite: (c) => void c.accept({ body: bob.sdp() }) };
    const call = await alice.ua.invite({ uri: `sip:fb@127.0.0.1:${insidePort}`, from: '<sip:fa@sluice.test>', body: alice.sdp() }).answered;
    expect(call.state).toBe('confirmed');
    await call.bye();
    // The fuzzed calls to nobody were refused; none is left running.
    await until(() => engine.activeCalls === 0, 5000);
    const t = engine.realms.get('inside')!.transport.counters;
    expect(t.malformed).toBeGreaterThan(0);
    expect(engine.realms.get('inside')!.ua.transactions.stats.errors).toBe(0);
  }, 30_000);
});
