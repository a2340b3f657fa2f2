import { createSocket, type Socket } from 'node:dgram';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forwardRequest, forwardResponse, proxyRequest, trying } from '../../bench/lib/stateless-proxy-rewrite.js';
import { runStatelessProxy } from '../../bench/lib/stateless-proxy.js';
import { freePort } from '../interop/harness/sipp.js';

const self = { host: '127.0.0.1', port: 5070 };
const OUR_VIA = 'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKsl-1-0';
const UAC_VIA = 'Via: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bK-1-0';

const msg = (...lines: string[]): string => `${lines.join('\r\n')}\r\n\r\n`;

const invite = (extra: string[] = []): string =>
  msg(
    'INVITE sip:service@127.0.0.1:5070 SIP/2.0',
    UAC_VIA,
    ...extra,
    'From: sipp <sip:sipp@127.0.0.1:6000>;tag=1',
    'To: service <sip:service@127.0.0.1:5070>',
    'Call-ID: 1-42@127.0.0.1',
    'CSeq: 1 INVITE',
    'Max-Forwards: 70',
    'Content-Length: 0',
  );

const bye = (route: string[]): string =>
  msg(
    'BYE sip:uas@127.0.0.1:7000 SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bK-1-5',
    ...route,
    'From: sipp <sip:sipp@127.0.0.1:6000>;tag=1',
    'To: service <sip:service@127.0.0.1:5070>;tag=2',
    'Call-ID: 1-42@127.0.0.1',
    'CSeq: 2 BYE',
    'Max-Forwards: 70',
    'Content-Length: 0',
  );

const ok = (vias: string[]): string =>
  msg('SIP/2.0 200 OK', ...vias, 'From: sipp <sip:sipp@127.0.0.1:6000>;tag=1', 'To: service <sip:service@127.0.0.1:5070>;tag=2', 'Call-ID: 1-42@127.0.0.1', 'CSeq: 1 INVITE', 'Content-Length: 0');

describe('stateless proxy: requests', () => {
  it('inserts its Via right after the request line, with a branch derived from the incoming one', () => {
    const out = forwardRequest(invite(), self)!;
    const lines = out.split('\r\n');
    expect(lines[0]).toBe('INVITE sip:service@127.0.0.1:5070 SIP/2.0');
    expect(lines[1]).toBe(OUR_VIA);
    // The same branch for a retransmission: the function is pure.
    expect(forwardRequest(invite(), self)).toBe(out);
  });

  it('record-routes an INVITE only', () => {
    const inv = forwardRequest(invite(), self)!;
    expect(inv.split('\r\n')[2]).toBe('Record-Route: <sip:127.0.0.1:5070;lr>');
    const b = forwardRequest(bye([]), self)!;
    expect(b).not.toContain('Record-Route');
    expect(b.split('\r\n').slice(0, 3)).toEqual(['BYE sip:uas@127.0.0.1:7000 SIP/2.0', 'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKsl-1-5', 'Via: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bK-1-5']);
  });

  it('decrements Max-Forwards, adds it when missing and drops a request out of hops', () => {
    expect(forwardRequest(invite(), self)).toContain('\r\nMax-Forwards: 69\r\n');
    const without = invite().replace('Max-Forwards: 70\r\n', '');
    expect(forwardRequest(without, self)).toContain('\r\nMax-Forwards: 70\r\n');
    expect(forwardRequest(invite().replace('Max-Forwards: 70', 'Max-Forwards: 0'), self)).toBeNull();
    expect(forwardRequest(invite().replace('Max-Forwards: 70', 'Max-Forwards: many'), self)).toBeNull();
  });

  it('removes its own Route entry, on a line of its own or first of several, and keeps anyone else', () => {
    const own = forwardRequest(bye(['Route: <sip:127.0.0.1:5070;lr>']), self)!;
    expect(own).not.toContain('Route:');
    const joined = forwardRequest(bye(['Route: <sip:127.0.0.1:5070;lr>, <sip:10.0.0.9;lr>']), self)!;
    expect(joined).toContain('\r\nRoute: <sip:10.0.0.9;lr>\r\n');
    const other = forwardRequest(bye(['Route: <sip:10.0.0.9:5070;lr>']), self)!;
    expect(other).toContain('\r\nRoute: <sip:10.0.0.9:5070;lr>\r\n');
  });

  it('keeps the body and everything else byte for byte', () => {
    const body = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n';
    const req = invite().replace('Content-Length: 0\r\n\r\n', `Content-Length: ${body.length}\r\n\r\n${body}`);
    const out = forwardRequest(req, self)!;
    expect(out.endsWith(`\r\n\r\n${body}`)).toBe(true);
    expect(out.replace(`${OUR_VIA}\r\nRecord-Route: <sip:127.0.0.1:5070;lr>\r\n`, '').replace('Max-Forwards: 69', 'Max-Forwards: 70')).toBe(req);
  });

  it('answers an INVITE 100 Trying with its Via, From, To, Call-ID and CSeq, and nothing else', () => {
    const t = trying(invite())!;
    expect(t).toBe(
      msg('SIP/2.0 100 Trying', UAC_VIA, 'From: sipp <sip:sipp@127.0.0.1:6000>;tag=1', 'To: service <sip:service@127.0.0.1:5070>', 'Call-ID: 1-42@127.0.0.1', 'CSeq: 1 INVITE', 'Content-Length: 0'),
    );
    expect(trying(bye([]))).toBeNull();
    // Every Via of the request, compact forms kept as they came.
    const two = invite(['v: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa']);
    expect(trying(two)).toContain(`\r\n${UAC_VIA}\r\nv: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa\r\n`);
    expect(proxyRequest(invite(), self)).toEqual({ forward: forwardRequest(invite(), self), trying: t });
  });

  it('reads header names in any case', () => {
    const shouting = invite().replace('From:', 'FROM :').replace('Call-ID:', 'call-id:').replace('CSeq:', 'CSEQ:').replace('Max-Forwards: 70', 'max-forwards: 3');
    expect(forwardRequest(shouting, self)).toContain('\r\nmax-forwards: 2\r\n');
    expect(trying(shouting)).toContain('\r\nFROM : sipp');
  });

  it('reads compact header names', () => {
    const compact = msg('OPTIONS sip:x@127.0.0.1 SIP/2.0', 'v: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bKc', 'f: <sip:a@b>;tag=1', 't: <sip:x@127.0.0.1>', 'i: c1', 'CSeq: 5 OPTIONS');
    expect(forwardRequest(compact, self)?.split('\r\n')[1]).toBe('Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKslc');
  });
});

describe('stateless proxy: responses', () => {
  it('strips its Via line and sends to the next Via', () => {
    const r = forwardResponse(ok([OUR_VIA, UAC_VIA]), self)!;
    expect(r.text).toBe(ok([UAC_VIA]));
    expect({ host: r.host, port: r.port }).toEqual({ host: '127.0.0.1', port: 6000 });
  });

  it('strips the first value of a comma-joined Via line (as sipp echoes it)', () => {
    const r = forwardResponse(ok([`${OUR_VIA}, SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bK-1-0`]), self)!;
    expect(r.text).toBe(ok([UAC_VIA]));
    expect(r.port).toBe(6000);
    const spaced = forwardResponse(ok([`Via: SIP / 2.0 / UDP 127.0.0.1:5070 ; branch=z9hG4bKsl-1 ,SIP/2.0/UDP [::1]`]), self)!;
    expect(spaced.text).toBe(ok(['Via: SIP/2.0/UDP [::1]']));
    expect({ host: spaced.host, port: spaced.port }).toEqual({ host: '::1', port: 5060 });
  });

  it('honours received and rport of the next Via', () => {
    const r = forwardResponse(ok([OUR_VIA, 'Via: SIP/2.0/UDP uac.example;received=192.0.2.4;rport=7001;branch=z9hG4bKx']), self)!;
    expect({ host: r.host, port: r.port }).toEqual({ host: '192.0.2.4', port: 7001 });
  });

  it('drops a response whose top Via is not ours, or that has no next Via', () => {
    expect(forwardResponse(ok([UAC_VIA, OUR_VIA]), self)).toBeNull();
    expect(forwardResponse(ok([OUR_VIA]), self)).toBeNull();
    expect(forwardResponse(ok([`${OUR_VIA},`]), self)).toBeNull();
    expect(forwardResponse(ok([OUR_VIA.replace('5070', '5071'), UAC_VIA]), self)).toBeNull();
  });
});

describe('stateless proxy: garbage', () => {
  it.each([
    ['empty', ''],
    ['a keepalive', '\r\n\r\n'],
    ['no end of headers', 'INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\r\n'],
    ['bare LF', invite().replaceAll('\r\n', '\n')],
    ['no Via', invite().replace(`${UAC_VIA}\r\n`, '')],
    ['no Call-ID', invite().replace('Call-ID: 1-42@127.0.0.1\r\n', '')],
    ['a line without a colon', invite().replace('CSeq: 1 INVITE', 'CSeq 1 INVITE')],
    ['CSeq of another method', invite().replace('CSeq: 1 INVITE', 'CSeq: 1 BYE')],
    ['an RFC 2543 branch', invite().replace('branch=z9hG4bK-1-0', 'branch=1')],
    ['a bad version', invite().replace('SIP/2.0\r\n', 'SIP/3.0\r\n')],
    ['a bad Via', invite().replace(UAC_VIA, 'Via: nonsense')],
    ['a bad Via port', invite().replace('127.0.0.1:6000', '127.0.0.1:70000')],
  ])('drops a request with %s', (_, text) => {
    expect(forwardRequest(text, self)).toBeNull();
    expect(trying(text)).toBeNull();
    expect(proxyRequest(text, self)).toBeNull();
  });

  it.each([
    ['a bad status code', ok([OUR_VIA, UAC_VIA]).replace('200 OK', '20x OK')],
    ['a status out of range', ok([OUR_VIA, UAC_VIA]).replace('200 OK', '999 OK')],
    ['no end of headers', ok([OUR_VIA, UAC_VIA]).slice(0, -2)],
    ['a next Via without sent-by', ok([OUR_VIA, 'Via: SIP/2.0/UDP ;branch=z9hG4bK1'])],
    ['a bad rport', ok([OUR_VIA, `${UAC_VIA};rport=x`])],
  ])('drops a response with %s', (_, text) => {
    expect(forwardResponse(text, self)).toBeNull();
  });

  it('never throws, whatever the input', () => {
    const sipish = fc.array(fc.constantFrom('INVITE ', 'SIP/2.0', ' ', '\r\n', ':', ';', ',', '<', '>', '"', '[', ']', 'Via', 'v', 'Route', 'CSeq', 'Max-Forwards', 'branch=z9hG4bK', '127.0.0.1', '5070', 'x'), { maxLength: 60 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), sipish), (text) => {
        forwardRequest(text, self);
        trying(text);
        forwardResponse(text, self);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('stateless proxy: on loopback', () => {
  const bound = (): Promise<Socket> =>
    new Promise((resolve) => {
      const s = createSocket('udp4');
      s.bind(0, '127.0.0.1', () => resolve(s));
    });
  const next = (s: Socket): Promise<string> => new Promise((resolve) => s.once('message', (b) => resolve(b.toString('latin1'))));

  it('forwards a request to the next hop and its response back to the sender', async () => {
    const hop = await bound();
    const uac = await bound();
    const port = await freePort('udp');
    const proxy = await runStatelessProxy(port, hop.address().port);
    try {
      const uacPort = uac.address().port;
      const req = bye([]).replaceAll('127.0.0.1:6000', `127.0.0.1:${uacPort}`);
      const arrived = next(hop);
      uac.send(Buffer.from(req, 'latin1'), port, '127.0.0.1');
      const forwarded = await arrived;
      expect(forwarded).toBe(forwardRequest(req, { host: '127.0.0.1', port }));

      // The next hop answers the proxy, echoing the Vias as it got them.
      const vias = forwarded.split('\r\n').filter((l) => l.startsWith('Via:'));
      expect(vias).toHaveLength(2);
      const answer = msg('SIP/2.0 200 OK', ...vias, 'From: x;tag=1', 'To: y;tag=2', 'Call-ID: 1-42@127.0.0.1', 'CSeq: 2 BYE', 'Content-Length: 0');
      const back = next(uac);
      hop.send(Buffer.from(answer, 'latin1'), port, '127.0.0.1');
      expect(await back).toBe(msg('SIP/2.0 200 OK', vias[1]!, 'From: x;tag=1', 'To: y;tag=2', 'Call-ID: 1-42@127.0.0.1', 'CSeq: 2 BYE', 'Content-Length: 0'));
      expect(proxy.counts).toMatchObject({ requests: 1, responses: 1, trying: 0, dropped: 0 });

      // Garbage is counted and dropped; the proxy still works after it.
      uac.send(Buffer.from('garbage\r\n\r\n'), port, '127.0.0.1');
      const again = next(hop);
      uac.send(Buffer.from(req, 'latin1'), port, '127.0.0.1');
      await again;
      expect(proxy.counts).toMatchObject({ requests: 2, dropped: 1 });
    } finally {
      await proxy.close();
      await new Promise<void>((r) => hop.close(() => r()));
      await new Promise<void>((r) => uac.close(() => r()));
    }
  });
});
