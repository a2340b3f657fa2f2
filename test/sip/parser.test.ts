import { describe, expect, it } from 'vitest';
import {
  completeLimits,
  DEFAULT_LIMITS,
  parseMessage,
  serializeMessage,
  serializeUri,
  SipParseError,
  SipRequest,
  SipResponse,
  type NameAddr,
} from '../../src/sip/index.js';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'latin1');

const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\n',
];

function refused(bytes: Buffer, options?: Parameters<typeof parseMessage>[1]): SipParseError {
  try {
    parseMessage(bytes, options);
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('parseMessage', () => {
  it('parses a request with the headers routing needs', () => {
    const m = parseMessage(crlf(INVITE));
    expect(m).toBeInstanceOf(SipRequest);
    const r = m as SipRequest;
    expect(r.method).toBe('INVITE');
    expect(r.uriText).toBe('sip:bob@biloxi.example.com');
    expect(r.uri).toMatchObject({ scheme: 'sip', user: 'bob', host: 'biloxi.example.com', port: null });
    expect(r.topVia).toMatchObject({ transport: 'UDP', host: 'pc33.atlanta.example.com', branch: 'z9hG4bK776asdhds', rport: true });
    expect(r.maxForwards).toBe(70);
    expect(r.from.displayName).toBe('Alice');
    expect(r.fromTag).toBe('1928301774');
    expect(r.toTag).toBeNull();
    expect(r.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(r.cseq).toEqual({ seq: 314159, method: 'INVITE' });
    expect(r.contact).toHaveLength(1);
    expect(r.body.toString()).toBe('v=0\n');
    expect(r.contentType).toMatchObject({ type: 'application', subtype: 'sdp' });
  });

  it('parses a response, with an empty reason phrase too', () => {
    const lines = ['SIP/2.0 180 Ringing', ...INVITE.slice(1, 9), 'Content-Length: 0', '', ''];
    const m = parseMessage(crlf(lines)) as SipResponse;
    expect(m).toBeInstanceOf(SipResponse);
    expect([m.status, m.reason]).toEqual([180, 'Ringing']);
    const empty = parseMessage(crlf(['SIP/2.0 100 ', ...lines.slice(1)])) as SipResponse;
    expect([empty.status, empty.reason]).toEqual([100, '']);
    const bare = parseMessage(crlf(['SIP/2.0 100', ...lines.slice(1)])) as SipResponse;
    expect(bare.reason).toBe('');
  });

  it('finds headers by any case and by compact form', () => {
    const m = parseMessage(crlf(INVITE));
    expect(m.header('call-id')).toBe(m.header('i'));
    expect(m.header('CALL-ID')).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.header('v')).toContain('pc33');
    expect(m.has('subject')).toBe(false);
  });

  it('unfolds folded header lines and keeps their original text for output', () => {
    const lines = [...INVITE];
    lines.splice(3, 0, 'Subject: lunch', '  at noon');
    const bytes = crlf(lines);
    const m = parseMessage(bytes);
    expect(m.header('subject')).toBe('lunch  at noon');
    m.setHeader('X-Other', '1');
    const out = serializeMessage(m).toString('latin1');
    expect(out).toContain('Subject: lunch\r\n  at noon\r\n');
  });

  it('accepts bare LF line ends', () => {
    const m = parseMessage(Buffer.from(INVITE.join('\n'), 'latin1'));
    expect(m.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.body.toString()).toBe('v=0\n');
  });

  it('skips CRLFs before the start line (RFC 3261 7.5)', () => {
    const m = parseMessage(Buffer.concat([Buffer.from('\r\n\r\n'), crlf(INVITE)]));
    expect(m.kind).toBe('request');
    expect(serializeMessage(m).equals(crlf(INVITE))).toBe(true);
  });

  it('takes the body by Content-Length and ignores extra datagram bytes', () => {
    const bytes = Buffer.concat([crlf(INVITE), Buffer.from('garbage')]);
    const m = parseMessage(bytes);
    expect(m.body.toString()).toBe('v=0\n');
    expect(serializeMessage(m).equals(crlf(INVITE))).toBe(true);
  });

  it('takes the rest of a datagram as the body when Content-Length is absent', () => {
    const lines = INVITE.filter((l) => !l.startsWith('Content-Length'));
    expect(parseMessage(crlf(lines)).body.toString()).toBe('v=0\n');
    expect(refused(crlf(lines), { transport: 'stream' }).reason).toMatch(/Content-Length/);
  });

  it('keeps a binary body byte for byte', () => {
    const body = Buffer.from([0, 255, 13, 10, 13, 10, 0, 128, 1]);
    const head = crlf([...INVITE.slice(0, 9), `Content-Length: ${body.length}`, '', '']);
    const m = parseMessage(Buffer.concat([head, body]));
    expect(m.body.equals(body)).toBe(true);
  });

  it('refuses what is not a message, with a reason fit for a 400', () => {
    const cases: [string, Buffer, RegExp][] = [
      ['empty', Buffer.alloc(0), /Empty/],
      ['only CRLF', Buffer.from('\r\n\r\n'), /Empty/],
      ['no empty line', Buffer.from('INVITE sip:a@b SIP/2.0\r\nVia: x\r\n'), /not terminated/],
      ['no colon', crlf(['OPTIONS sip:a@b SIP/2.0', 'Via SIP/2.0/UDP h', '', '']), /colon/],
      ['folded start', crlf(['OPTIONS sip:a@b SIP/2.0', ' Via: SIP/2.0/UDP h', '', '']), /white space/],
      ['bad name', crlf(['OPTIONS sip:a@b SIP/2.0', 'V(a: SIP/2.0/UDP h', '', '']), /header name/],
      ['short CL', crlf([...INVITE.slice(0, 9), 'Content-Length: 99', '', 'v=0']), /Content-Length/],
      ['status 99', crlf(['SIP/2.0 099 Low', ...INVITE.slice(1)]), /status/],
      ['status 4 digits', crlf(['SIP/2.0 1000 Big', ...INVITE.slice(1)]), /status/],
      ['bad method', crlf(['INV@TE sip:a@b SIP/2.0', ...INVITE.slice(1)]), /method/],
      ['control in reason', crlf(['SIP/2.0 200 O\x01K', ...INVITE.slice(1)]), /reason/],
    ];
    for (const [what, bytes, reason] of cases) {
      const e = refused(bytes);
      expect(e.reason, what).toMatch(reason);
      expect(e.reason, what).toMatch(/^[\x20-\x7e]+$/);
      expect(e.code).toBe('SLUICE_ERR_SIP_PARSE');
    }
  });

  it('answers 505 for another SIP version and 400 for a malformed one', () => {
    expect(refused(crlf(['OPTIONS sip:a@b SIP/3.0', ...INVITE.slice(1)])).status).toBe(505);
    expect(refused(crlf(['OPTIONS sip:a@b HTTP/1.1', ...INVITE.slice(1)])).status).toBe(400);
    expect(refused(crlf(['SIP/2.x 200 OK', ...INVITE.slice(1)])).status).toBe(400);
  });

  it('enforces the limits', () => {
    const big = Buffer.alloc(70_000, 0x61);
    expect(refused(big).status).toBe(413);
    const many = crlf([...INVITE.slice(0, 9), ...Array.from({ length: 300 }, (_, i) => `X-${i}: y`), 'Content-Length: 0', '', '']);
    expect(refused(many).reason).toMatch(/More than 256 headers/);
    const long = crlf([...INVITE.slice(0, 9), `X-Long: ${'a'.repeat(20_000)}`, 'Content-Length: 0', '', '']);
    expect(refused(long).reason).toMatch(/too long/);
    expect(parseMessage(long, { limits: { maxLineBytes: 30_000 } }).header('x-long')).toHaveLength(20_000);
    expect(refused(crlf(INVITE), { limits: { maxMessageBytes: 100 } }).status).toBe(413);
  });

  it('takes limits made whole once (completeLimits) as they are, with the defaults for what they leave out', () => {
    const long = crlf([...INVITE.slice(0, 9), `X-Long: ${'a'.repeat(20_000)}`, 'Content-Length: 0', '', '']);
    const wide = completeLimits({ maxLineBytes: 30_000 });
    expect(wide).toEqual({ ...DEFAULT_LIMITS, maxLineBytes: 30_000 });
    expect(Object.isFrozen(wide)).toBe(true);
    expect(completeLimits(wide)).toBe(wide);
    expect(completeLimits()).toBe(DEFAULT_LIMITS);
    expect(parseMessage(long, { limits: wide }).header('x-long')).toHaveLength(20_000);
    const small = completeLimits({ maxMessageBytes: 100 });
    expect(refused(crlf(INVITE), { limits: small }).status).toBe(413);
    expect(refused(long, { limits: completeLimits({}) }).reason).toMatch(/too long/);
    // Whichever came last, a partial object is filled in and a complete one read as it is.
    for (let k = 0; k < 3; k++) {
      expect(parseMessage(long, { limits: wide }).header('x-long')).toHaveLength(20_000);
      expect(refused(crlf(INVITE), { limits: { maxMessageBytes: 100 } }).status).toBe(413);
      expect(refused(long, { limits: { maxMessageBytes: 65_535 } }).reason).toMatch(/too long/);
      expect(refused(crlf(INVITE), { limits: small }).status).toBe(413);
    }
  });

  it('requires Via, From, To, Call-ID and CSeq, except in framing mode', () => {
    const inDialog = INVITE.map((l) => (l.startsWith('To:') ? `${l};tag=5` : l));
    const response = ['SIP/2.0 200 OK', ...inDialog.slice(1)];
    for (const message of [INVITE, inDialog, response]) {
      for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
        const lines = message.filter((l) => !l.startsWith(`${name}:`));
        expect(refused(crlf(lines)).reason, name).toMatch(new RegExp(`Missing ${name}`));
        expect(refused(crlf(lines), { mode: 'all' }).reason, name).toMatch(new RegExp(`Missing ${name}`));
        expect(parseMessage(crlf(lines), { mode: 'framing' }).headers.length).toBe(message.length - 4); // start line, empty line, body and the one left out
      }
    }
  });

  it('parses nothing beyond framing in framing mode, and everything in all mode', () => {
    const lines = [...INVITE];
    lines.splice(3, 0, 'Expires: 99999999999999');
    const framing = parseMessage(crlf(lines), { mode: 'framing' });
    expect(framing.header('expires')).toBe('99999999999999');
    expect(parseMessage(crlf(lines)).header('expires')).toBe('99999999999999');
    expect(refused(crlf(lines), { mode: 'all' }).header).toBe('expires');
  });

  it('parses From and To whole outside a dialog, and only their tags in a response or an in-dialog request', () => {
    const badUri = (to: string, first: string) =>
      crlf([first, ...INVITE.slice(1, 8).map((l) => (l.startsWith('To:') ? to : l)), 'Content-Length: 0', '', '']);
    // Outside a dialog (no To tag) a To whose URI is malformed is refused at once.
    expect(refused(badUri('To: <sip:bob@bad host>', 'INVITE sip:bob@biloxi.example.com SIP/2.0')).header).toBe('to');
    // In a response: the tag is read and matching goes on; the URI is refused when read.
    const response = parseMessage(badUri('To: <sip:bob@bad host>;tag=8321234356', 'SIP/2.0 200 OK'));
    expect(response.toTag).toBe('8321234356');
    expect(response.fromTag).toBe('1928301774');
    expect(() => response.to).toThrow(SipParseError);
    expect(refused(badUri('To: <sip:bob@bad host>;tag=8321234356', 'SIP/2.0 200 OK'), { mode: 'all' }).header).toBe('to');
    // Header parameters, quotes and <> are checked here all the same.
    expect(refused(badUri('To: <sip:bob@biloxi.example.com>;tag=', 'SIP/2.0 200 OK')).header).toBe('to');
    expect(refused(badUri('To: "Bob <sip:bob@biloxi.example.com>;tag=1', 'SIP/2.0 200 OK')).header).toBe('to');
    expect(refused(badUri('To: <sip:bob@biloxi.example.com;tag=1', 'SIP/2.0 200 OK')).header).toBe('to');
  });

  it('refuses a single-valued header repeated under any of its names', () => {
    const pairs: [string, string][] = [['From', 'From'], ['From', 'f'], ['f', 'FROM'], ['frOM', 'From'], ['Priority', 'priority'], ['MIME-Version', 'mime-version']];
    for (const [a, b] of pairs) {
      const lines = [...INVITE];
      const value = a.toLowerCase().startsWith('f') ? '<sip:x@example.com>;tag=2' : '1.0';
      lines.splice(3, 0, `${a}: ${value}`, `${b}: ${value}`);
      if (a.toLowerCase().startsWith('f')) lines.splice(lines.findIndex((l) => l.startsWith('From:') && l.includes('1928301774')), 1);
      const e = refused(crlf(lines), { mode: 'framing' });
      expect(e.reason, `${a} ${b}`).toMatch(/More than one/);
    }
    // Headers that may repeat are kept, each field on its own.
    const lines = [...INVITE];
    lines.splice(3, 0, 'Supported: timer', 'k: 100rel', 'X-A: 1', 'x-a: 2');
    expect(parseMessage(crlf(lines)).headerValues('supported')).toEqual(['timer', '100rel']);
  });

  it('reads the start line in place: methods, versions and reason phrases as written', () => {
    const rest = INVITE.slice(1);
    const odd = parseMessage(crlf(['invite sip:bob@biloxi.example.com SIP/2.0', ...rest.map((l) => l.replace('314159 INVITE', '314159 invite'))])) as SipRequest;
    expect([odd.method, odd.cseq.method, odd.version]).toEqual(['invite', 'invite', 'SIP/2.0']);
    const ext = parseMessage(crlf(['FOO sip:bob@biloxi.example.com SIP/2.0', ...rest.map((l) => l.replace('314159 INVITE', '314159 FOO'))])) as SipRequest;
    expect([ext.method, ext.cseq.method]).toEqual(['FOO', 'FOO']);
    expect(refused(crlf(['INVITE sip:bob@biloxi.example.com SIP/2.0', ...rest.map((l) => l.replace('314159 INVITE', '314159 BYE'))])).header).toBe('cseq');
    const reason = (line: string): string => (parseMessage(crlf([line, ...rest])) as SipResponse).reason;
    expect(reason('SIP/2.0 200 OK')).toBe('OK');
    expect(reason('SIP/2.0 200 Okay then')).toBe('Okay then');
    expect(reason('SIP/2.0 180 Ringing')).toBe('Ringing');
    expect(reason('SIP/2.0 180 OK')).toBe('OK');
    expect(reason('SIP/2.0 200 OK ')).toBe('OK ');
    expect(reason('SIP/2.0 299 Whatever')).toBe('Whatever');
    expect(refused(crlf(['SIP/2.0 200 O\tK\x7f', ...rest])).reason).toMatch(/reason/);
    expect(refused(crlf(['SIP/2.0', ...rest])).reason).toMatch(/status line/);
    expect(refused(crlf(['INVITE', ...rest])).reason).toMatch(/request line/);
    expect(refused(crlf(['INVITE sip:bob@biloxi.example.com', ...rest])).reason).toMatch(/request line/);
    expect(refused(crlf(['INVITE sip:bob@biloxi.example.com SIP/2.00', ...rest])).status).toBe(505);
    expect(refused(crlf(['SIP/2.1 200 OK', ...rest])).status).toBe(505);
  });

  it('gives a message the received bytes and its body, whether or not the datagram holds more', () => {
    const bytes = crlf(INVITE);
    const m = parseMessage(bytes);
    expect(m.wireBytes!.equals(bytes)).toBe(true);
    expect(m.body.toString()).toBe('v=0\n');
    const padded = Buffer.concat([Buffer.from('\r\n'), bytes, Buffer.from('extra')]);
    const p = parseMessage(padded);
    expect(p.wireBytes!.equals(bytes)).toBe(true);
    expect(serializeMessage(p).equals(bytes)).toBe(true);
    const empty = parseMessage(crlf([...INVITE.slice(0, 9), 'Content-Length: 0', '', '']));
    expect(empty.body.length).toBe(0);
    expect(Buffer.isBuffer(empty.body)).toBe(true);
    const u8 = parseMessage(new Uint8Array(bytes));
    expect(u8.wireBytes!.equals(bytes)).toBe(true);
    expect(u8.body.toString()).toBe('v=0\n');
  });

  it('collects Via and Contact values across fields, in order, as the getters do', () => {
    const lines = [...INVITE];
    lines.splice(2, 0, 'v: SIP/2.0/TCP b.example.com;branch=z9hG4bK2, SIP/2.0/UDP c.example.com;branch=z9hG4bK3', 'Via: SIP/2.0/UDP d.example.com;branch=z9hG4bK4');
    lines.splice(9, 0, 'm: <sip:a@192.0.2.2>;q=0.5, sip:b@192.0.2.3', 'Contact: "C" <sip:c@192.0.2.4;transport=tcp>');
    const bytes = crlf(lines);
    const routed = parseMessage(bytes);
    const framed = parseMessage(bytes, { mode: 'framing' });
    expect(routed.via.map((v) => v.host)).toEqual(['pc33.atlanta.example.com', 'b.example.com', 'c.example.com', 'd.example.com']);
    expect(routed.via).toEqual(framed.via);
    const contacts = routed.contact as NameAddr[];
    expect(contacts.map((c) => serializeUri(c.uri))).toEqual([
      'sip:a@192.0.2.2',
      'sip:b@192.0.2.3',
      'sip:c@192.0.2.4;transport=tcp',
      'sip:alice@pc33.atlanta.example.com',
    ]);
    expect(routed.contact).toEqual(framed.contact);
    // '*' with other contacts, or a malformed one in any field, is refused at once in routing mode.
    const star = [...INVITE];
    star.splice(8, 0, 'Contact: *');
    expect(refused(crlf(star)).header).toBe('contact');
    expect(() => parseMessage(crlf(star), { mode: 'framing' }).contact).toThrow(SipParseError);
    const bad = [...INVITE];
    bad.splice(8, 0, 'Contact: <sip:a@b;q=1', 'Via: SIP/2.0/UDP e.example.com;branch=z9hG4bK5');
    expect(refused(crlf(bad)).header).toBe('contact');
    const badVia = [...INVITE];
    badVia.splice(8, 0, 'Via: SIP/2.0/UDP e.example.com;branch');
    expect(refused(crlf(badVia)).header).toBe('via');
  });

  it('reports a malformed header when it is first read', () => {
    const lines = [...INVITE];
    lines.splice(3, 0, 'Expires: soon');
    const m = parseMessage(crlf(lines));
    expect(() => m.parsed('expires')).toThrow(SipParseError);
  });
});

describe('changing a message', () => {
  it('returns the received bytes while nothing changed', () => {
    const bytes = crlf(INVITE);
    const m = parseMessage(bytes);
    expect(m.unchanged).toBe(true);
    expect(serializeMessage(m)).toBe(m.wireBytes);
  });

  it('regenerates changed headers and keeps the others as written', () => {
    const m = parseMessage(crlf(INVITE));
    m.prependHeader('Via', 'SIP/2.0/UDP sbc.example.net;branch=z9hG4bKsbc1');
    m.setHeader('Max-Forwards', '69');
    m.removeHeader('Contact');
    const again = parseMessage(serializeMessage(m));
    expect(again.via.map((v) => v.host)).toEqual(['sbc.example.net', 'pc33.atlanta.example.com']);
    expect(again.maxForwards).toBe(69);
    expect(again.contact).toEqual([]);
    expect(again.callId).toBe(m.callId);
    expect(serializeMessage(m).toString('latin1')).toContain('\r\nTo: Bob <sip:bob@biloxi.example.com>\r\n');
  });

  it('drops cached views when a header changes', () => {
    const m = parseMessage(crlf(INVITE));
    expect(m.cseq.seq).toBe(314159);
    m.setHeader('cseq', '2 INVITE');
    expect(m.cseq.seq).toBe(2);
    m.removeFirstValue('via');
    expect(m.via).toEqual([]);
  });

  it('keeps Content-Length true to the body', () => {
    const m = parseMessage(crlf(INVITE));
    m.body = Buffer.from('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n');
    const again = parseMessage(serializeMessage(m));
    expect(again.body.toString()).toBe('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n');
    expect(again.header('content-length')).toBe(String(again.body.length));
  });

  it('removes the first of several Via values in one field', () => {
    const lines = [...INVITE];
    lines[1] = 'Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com;branch=z9hG4bK2';
    const m = parseMessage(crlf(lines));
    m.removeFirstValue('v');
    expect(parseMessage(serializeMessage(m)).via.map((v) => v.host)).toEqual(['b.example.com']);
  });

  it('builds a request from nothing', () => {
    const r = new SipRequest('OPTIONS', 'sip:bob@192.0.2.4:5070');
    r.appendHeader('Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc');
    r.appendHeader('From', '<sip:sluice@192.0.2.1>;tag=x1');
    r.appendHeader('To', '<sip:bob@192.0.2.4>');
    r.appendHeader('Call-ID', 'c1@192.0.2.1');
    r.appendHeader('CSeq', '1 OPTIONS');
    r.appendHeader('Max-Forwards', '70');
    const text = serializeMessage(r).toString('latin1');
    expect(text.startsWith('OPTIONS sip:bob@192.0.2.4:5070 SIP/2.0\r\nVia: SIP/2.0/UDP')).toBe(true);
    expect(text.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
    const back = parseMessage(Buffer.from(text, 'latin1')) as SipRequest;
    expect(back.cseq).toEqual({ seq: 1, method: 'OPTIONS' });
    expect(back.uri).toMatchObject({ host: '192.0.2.4', port: 5070 });
  });

  it('changes the start line', () => {
    const lines = ['SIP/2.0 180 Ringing', ...INVITE.slice(1, 9), 'Content-Length: 0', '', ''];
    const m = parseMessage(crlf(lines)) as SipResponse;
    m.status = 183;
    m.reason = 'Session Progress';
    expect(serializeMessage(m).toString('latin1').startsWith('SIP/2.0 183 Session Progress\r\n')).toBe(true);
  });
});
