import { createSocket, type Socket } from 'node:dgram';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { hostPortOfUri, parseFloorMessage, responseTarget, tagOf, uriOf, withTag } from '../../bench/lib/b2bua-floor-messages.js';
import { parseUses, runB2buaFloor, type B2buaFloor } from '../../bench/lib/b2bua-floor.js';
import { NativeUdpSender } from '../../src/transport/native-send.js';
import { freePort } from '../interop/harness/sipp.js';

// The send thread is Sluice's addon: npm install builds it where a compiler is present (CI must).
const probe = NativeUdpSender.open();
const sendThreadBuilt = !(probe instanceof Error);
if (sendThreadBuilt) probe.close();

const msg = (...lines: string[]): string => `${lines.join('\r\n')}\r\n\r\n`;
const SDP = 'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

describe('B2BUA floor: messages', () => {
  it('reads the headers a B2BUA needs, in full and compact form, and the body', () => {
    const m = parseFloorMessage(`INVITE sip:a@h SIP/2.0\r\nv: SIP/2.0/UDP 1.2.3.4:5;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP 5.6.7.8\r\nf: <sip:x@h>;tag=1\r\nTo: <sip:a@h>\r\ni: cid\r\nCSeq: 1 INVITE\r\nm: <sip:x@1.2.3.4:5>\r\nc: application/sdp\r\nl: 4\r\n\r\nbody`)!;
    expect(m).toEqual({
      startLine: 'INVITE sip:a@h SIP/2.0',
      vias: ['SIP/2.0/UDP 1.2.3.4:5;branch=z9hG4bK1', 'SIP/2.0/UDP 5.6.7.8'],
      from: '<sip:x@h>;tag=1',
      to: '<sip:a@h>',
      callId: 'cid',
      cseq: '1 INVITE',
      contact: '<sip:x@1.2.3.4:5>',
      contentType: 'application/sdp',
      body: 'body',
    });
  });

  it('refuses a message without an end of its headers, a header line without a colon, or no Call-ID', () => {
    expect(parseFloorMessage('INVITE sip:a@h SIP/2.0\r\nCall-ID: x\r\n')).toBeNull();
    expect(parseFloorMessage(msg('INVITE sip:a@h SIP/2.0', 'Via: SIP/2.0/UDP h', 'From: a;tag=1', 'To: b', 'CSeq: 1 INVITE', 'no colon'))).toBeNull();
    expect(parseFloorMessage(msg('INVITE sip:a@h SIP/2.0', 'Via: SIP/2.0/UDP h', 'From: a;tag=1', 'To: b', 'CSeq: 1 INVITE'))).toBeNull();
  });

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        parseFloorMessage(s);
        parseFloorMessage(`INVITE sip:a@h SIP/2.0\r\n${s}\r\n\r\n`);
      }),
    );
  });

  it('reads and replaces tags, URIs and where a response goes', () => {
    expect(tagOf('<sip:a@h>;tag=abc')).toBe('abc');
    expect(tagOf('<sip:a@h>;tag=abc;x=1')).toBe('abc');
    expect(tagOf('<sip:a@h>')).toBeNull();
    expect(withTag('<sip:a@h>;tag=abc', 'new')).toBe('<sip:a@h>;tag=new');
    expect(withTag('<sip:a@h>', 'new')).toBe('<sip:a@h>;tag=new');
    expect(uriOf('"A" <sip:a@h:5;lr>;expires=5')).toBe('sip:a@h:5;lr');
    expect(uriOf('sip:a@h;transport=udp')).toBe('sip:a@h');
    expect(hostPortOfUri('sip:a@10.0.0.1:5070;lr')).toEqual({ host: '10.0.0.1', port: 5070 });
    expect(hostPortOfUri('sip:10.0.0.1')).toEqual({ host: '10.0.0.1', port: 5060 });
    const source = { host: '192.0.2.1', port: 4000 };
    expect(responseTarget('SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1', source)).toEqual({ host: '10.0.0.1', port: 5070 });
    expect(responseTarget('SIP/2.0/UDP 10.0.0.1:5070;rport;branch=z9hG4bK1', source)).toEqual(source);
  });

  it('takes parser, sdp, store, the send thread and the batched reader as parts of Sluice, and nothing else', () => {
    expect(parseUses('')).toEqual({});
    expect(parseUses('parser,sdp,store')).toEqual({ parser: true, sdp: true, store: true });
    expect(parseUses('sendThread')).toEqual({ sendThread: true });
    expect(parseUses('sendThread,batchReceive')).toEqual({ sendThread: true, batchReceive: true });
    expect(() => parseUses('dialogs')).toThrow(/unknown part 'dialogs'/);
  });
});

/** A UDP peer on 127.0.0.1 that keeps what it receives, in order. */
async function peer(): Promise<{ port: number; sock: Socket; next(): Promise<string>; send(text: string, port: number): void }> {
  const sock = createSocket('udp4');
  const queue: string[] = [];
  const waiting: ((m: string) => void)[] = [];
  sock.on('message', (b) => {
    const m = b.toString('latin1');
    const w = waiting.shift();
    if (w !== undefined) w(m);
    else queue.push(m);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return {
    port: sock.address().port,
    sock,
    next: () =>
      new Promise<string>((resolve, reject) => {
        const m = queue.shift();
        if (m !== undefined) return resolve(m);
        const timer = setTimeout(() => reject(new Error('no message within 2 s')), 2_000);
        waiting.push((x) => {
          clearTimeout(timer);
          resolve(x);
        });
      }),
    send: (text, port) => sock.send(Buffer.from(text, 'latin1'), port, '127.0.0.1'),
  };
}

const header = (m: string, name: string): string => {
  const line = m.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line === undefined ? '' : line.slice(line.indexOf(':') + 1).trim();
};

describe('B2BUA floor: a call over real sockets', () => {
  const open: (B2buaFloor | Socket)[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      if ('counts' in o) await o.close();
      else o.close();
    }
  });

  for (const uses of ['', 'parser,sdp,store', 'sendThread', 'sendThread,batchReceive']) {
    it.skipIf(uses.startsWith('sendThread') && !sendThreadBuilt && process.env.CI === undefined)(`places the second leg as a dialog of its own and relays the call through its end${uses === '' ? '' : ` (with Sluice's ${uses})`}`, async () => {
      const uac = await peer();
      const uas = await peer();
      const port = await freePort('udp');
      const floor = await runB2buaFloor(port, uas.port, parseUses(uses));
      open.push(floor, uac.sock, uas.sock);
      const invite = msg(
        `INVITE sip:service@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};branch=z9hG4bK-1`,
        `From: sipp <sip:sipp@127.0.0.1:${uac.port}>;tag=caller`,
        `To: service <sip:service@127.0.0.1:${port}>`,
        'Call-ID: call-a',
        'CSeq: 1 INVITE',
        `Contact: sip:sipp@127.0.0.1:${uac.port}`,
        'Content-Type: application/sdp',
        `Content-Length: ${SDP.length}`,
      ).slice(0, -2) + `\r\n${SDP}`;
      uac.send(invite, port);
      const trying = await uac.next();
      expect(trying.startsWith('SIP/2.0 100 Trying')).toBe(true);
      expect(header(trying, 'Call-ID')).toBe('call-a');

      const out = await uas.next();
      expect(out.startsWith(`INVITE sip:service@127.0.0.1:${port} SIP/2.0`)).toBe(true);
      const bCallId = header(out, 'Call-ID');
      expect(bCallId).not.toBe('call-a');
      expect(header(out, 'Via')).toMatch(new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${port};branch=z9hG4bK`));
      expect(tagOf(header(out, 'From'))).not.toBe('caller');
      expect(header(out, 'Contact')).toBe(`<sip:b2bua@127.0.0.1:${port}>`);
      const outSdp = out.slice(out.indexOf('\r\n\r\n') + 4);
      if (!uses.includes('sdp')) expect(outSdp).toBe(SDP);
      else expect(outSdp).toMatch(/^v=0\r\no=sluice /);

      // The caller retransmits its INVITE: it gets the 100 again, and the callee nothing new.
      uac.send(invite, port);
      expect((await uac.next()).startsWith('SIP/2.0 100 Trying')).toBe(true);

      const toUas = (status: string, extra: string[] = [], body = ''): string =>
        msg(`SIP/2.0 ${status}`, `Via: ${header(out, 'Via')}`, `From: ${header(out, 'From')}`, `To: ${header(out, 'To')};tag=callee`, `Call-ID: ${bCallId}`, 'CSeq: 1 INVITE', ...extra, `Content-Length: ${body.length}`).slice(0, -2) + `\r\n${body}`;
      uas.send(toUas('180 Ringing'), port);
      const ringing = await uac.next();
      expect(ringing.startsWith('SIP/2.0 180 Ringing')).toBe(true);
      const ourTag = tagOf(header(ringing, 'To'));
      expect(ourTag).not.toBeNull();
      expect(ourTag).not.toBe('callee');

      uas.send(toUas('200 OK', [`Contact: <sip:uas@127.0.0.1:${uas.port}>`, 'Content-Type: application/sdp'], SDP), port);
      const ok = await uac.next();
      expect(ok.startsWith('SIP/2.0 200 OK')).toBe(true);
      expect(tagOf(header(ok, 'To'))).toBe(ourTag);
      expect(header(ok, 'Contact')).toBe(`<sip:b2bua@127.0.0.1:${port}>`);
      expect(header(ok, 'Call-ID')).toBe('call-a');

      const inDialog = (method: string, seq: number): string =>
        msg(`${method} sip:b2bua@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};branch=z9hG4bK-${method}`, `From: sipp <sip:sipp@127.0.0.1:${uac.port}>;tag=caller`, `To: ${header(ok, 'To')}`, 'Call-ID: call-a', `CSeq: ${seq} ${method}`, 'Content-Length: 0');
      uac.send(inDialog('ACK', 1), port);
      const ack = await uas.next();
      expect(ack.startsWith(`ACK sip:uas@127.0.0.1:${uas.port} SIP/2.0`)).toBe(true);
      expect(tagOf(header(ack, 'To'))).toBe('callee');
      expect(header(ack, 'Call-ID')).toBe(bCallId);

      uac.send(inDialog('BYE', 2), port);
      const byeOk = await uac.next();
      expect(byeOk.startsWith('SIP/2.0 200 OK')).toBe(true);
      expect(header(byeOk, 'CSeq')).toBe('2 BYE');
      const bye = await uas.next();
      expect(bye.startsWith(`BYE sip:uas@127.0.0.1:${uas.port} SIP/2.0`)).toBe(true);
      expect(header(bye, 'CSeq')).toBe('2 BYE');
      uas.send(msg('SIP/2.0 200 OK', `Via: ${header(bye, 'Via')}`, `From: ${header(bye, 'From')}`, `To: ${header(bye, 'To')}`, `Call-ID: ${bCallId}`, 'CSeq: 2 BYE', 'Content-Length: 0'), port);
      await new Promise((r) => setTimeout(r, 50));
      expect(floor.counts).toMatchObject({ calls: 1, dropped: 0, timeouts: 0, sendErrors: 0 });
    });
  }

  it('counts and drops what it cannot read, and answers 481 to a BYE of no call', async () => {
    const uac = await peer();
    const port = await freePort('udp');
    const floor = await runB2buaFloor(port, 9);
    open.push(floor, uac.sock);
    uac.send('garbage', port);
    uac.send(msg('BYE sip:x@127.0.0.1 SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};branch=z9hG4bK-9`, 'From: <sip:a@h>;tag=1', 'To: <sip:b@h>;tag=2', 'Call-ID: none', 'CSeq: 2 BYE', 'Content-Length: 0'), port);
    const answer = await uac.next();
    expect(answer.startsWith('SIP/2.0 481 ')).toBe(true);
    expect(floor.counts.dropped).toBe(1);
  });
});
