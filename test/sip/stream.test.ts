import { describe, expect, it } from 'vitest';
import { parseMessage, SipParseError, StreamFramer, type StreamItem } from '../../src/sip/index.js';

const msg = (n: number, body = ''): string =>
  [
    `MESSAGE sip:bob@example.com SIP/2.0`,
    `Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK${n}`,
    `From: <sip:alice@example.com>;tag=${n}`,
    `To: <sip:bob@example.com>`,
    `Call-ID: stream-${n}`,
    `CSeq: ${n} MESSAGE`,
    `l: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');

const messages = (items: StreamItem[]): Buffer[] => items.flatMap((i) => (i.kind === 'message' ? [i.bytes] : []));

describe('StreamFramer', () => {
  it('yields whole messages by Content-Length, whatever the chunking', () => {
    const bodies = ['hello', '', 'a\r\n\r\nb', 'x'.repeat(3000)];
    const stream = Buffer.from(bodies.map((b, i) => msg(i, b)).join(''), 'latin1');
    for (const size of [1, 2, 7, 100, 1400, stream.length]) {
      const framer = new StreamFramer();
      const got: Buffer[] = [];
      for (let pos = 0; pos < stream.length; pos += size) got.push(...messages(framer.push(stream.subarray(pos, pos + size))));
      expect(got.map((b) => parseMessage(b, { transport: 'stream' }).body.toString())).toEqual(bodies);
      expect(framer.buffered).toBe(0);
    }
  });

  it('reports CRLF keepalives between messages: a double CRLF is a ping, a single one a pong', () => {
    const framer = new StreamFramer();
    const items = framer.push(Buffer.from(`\r\n\r\n${msg(1)}\r\n${msg(2)}\r\n\r\n`, 'latin1'));
    expect(items.map((i) => (i.kind === 'keepalive' ? i.type : 'message'))).toEqual(['ping', 'message', 'pong', 'message', 'ping']);
  });

  it('waits before calling a lone CRLF at the end of the buffer', () => {
    const framer = new StreamFramer();
    expect(framer.push(Buffer.from('\r\n'))).toEqual([]);
    expect(framer.push(Buffer.from('\r\n'))).toEqual([{ kind: 'keepalive', type: 'ping' }]);
  });

  it('refuses a stream it cannot frame', () => {
    const noLength = msg(1).replace(/l: 0\r\n/, '');
    expect(() => new StreamFramer().push(Buffer.from(noLength))).toThrow(/Missing Content-Length/);
    expect(messages(new StreamFramer({ missingContentLength: 'zero' }).push(Buffer.from(noLength)))).toHaveLength(1);
    expect(() => new StreamFramer().push(Buffer.from(msg(1).replace('l: 0', 'l: -999')))).toThrow(SipParseError);
    expect(() => new StreamFramer().push(Buffer.from(msg(1).replace('l: 0', 'l: 5\r\nContent-Length: 5')))).toThrow(/More than one/);
    const huge = msg(1).replace('l: 0', 'l: 999999');
    expect(() => new StreamFramer().push(Buffer.from(huge))).toThrow(/larger than/);
    const framer = new StreamFramer({ limits: { maxMessageBytes: 1000 } });
    expect(() => framer.push(Buffer.alloc(2000, 0x41))).toThrow(/larger than/);
  });

  it('holds a partial message until the rest arrives', () => {
    const framer = new StreamFramer();
    const whole = Buffer.from(msg(3, 'body!'));
    expect(framer.push(whole.subarray(0, whole.length - 2))).toEqual([]);
    expect(framer.buffered).toBe(whole.length - 2);
    expect(messages(framer.push(whole.subarray(whole.length - 2)))[0]!.equals(whole)).toBe(true);
  });
});
