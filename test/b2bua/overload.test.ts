import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/clock.js';
import { OverloadGuard } from '../../src/security/index.js';
import { engineSuite, until } from './fixtures.js';

const suite = engineSuite('overload');

function request(port: number, local: number, branch: string, method = 'INVITE'): string {
  return [
    `${method} sip:nobody@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:caller@127.0.0.1>;tag=ovl${branch}`,
    'To: <sip:nobody@127.0.0.1>',
    `Call-ID: ${branch}@overload.test`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:caller@127.0.0.1:${local}>`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('overload control over real sockets', () => {
  it('drops a new INVITE unanswered while overloaded, answers other requests, and takes up the retransmission afterwards', async () => {
    // Overloaded from the first 20 ms window: the loop counts as busy, and no retransmission is needed.
    const guard = new OverloadGuard({ clock: new SystemClock(), utilization: () => 1, windowMs: 20, minRetransmissions: 0, retransmissionShare: 0 });
    const { insidePort } = await suite.start({ overload: guard });
    await until(() => guard.overloaded);
    const sock = createSocket('udp4');
    const replies: string[] = [];
    sock.on('message', (m) => replies.push(m.toString('latin1').split('\r\n')[0]!));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const local = sock.address().port;
    const send = (text: string) => new Promise<void>((r) => sock.send(text, insidePort, '127.0.0.1', () => r()));
    try {
      await send(request(insidePort, local, 'z9hG4bKovl1'));
      await send(request(insidePort, local, 'z9hG4bKovl2', 'OPTIONS'));
      await until(() => replies.length >= 1);
      await new Promise((r) => setTimeout(r, 200));
      expect(replies).toEqual(['SIP/2.0 200 OK']); // the OPTIONS only
      expect(guard.counts.shed).toBe(1);

      guard.stop();
      await send(request(insidePort, local, 'z9hG4bKovl1')); // the caller's Timer A retransmission
      await until(() => replies.some((l) => l.startsWith('SIP/2.0 404')));
      expect(replies.slice(1)).toContain('SIP/2.0 100 Trying');
    } finally {
      sock.close();
    }
  });
});
