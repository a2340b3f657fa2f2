import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attributeValues,
  effectiveConnection,
  getCandidates,
  getCryptos,
  getDirection,
  getFmtps,
  getMediaLine,
  getOrigin,
  getPtime,
  getRtcp,
  getRtpmaps,
  getSessionConnection,
  holdState,
  isDirection,
  parseSdp,
  SdpParseError,
  serializeSdp,
  serializeSdpBuffer,
  type AddrType,
  type Direction,
  type Sdp,
  type SdpLine,
} from '../../src/sdp/index.js';
import { BASIC, manyStreams } from './helpers.js';

// ---- generators over safe alphabets -------------------------------------------------------

const chars = (alphabet: string, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });

const TOKEN = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+/';
const TEXT = TOKEN + ' :=;,*#@!?()[]~|^\t';
const token = chars(TOKEN, 1, 12);
const digits = fc.tuple(fc.constantFrom(...'123456789'), chars('0123456789', 0, 24)).map(([a, b]) => a + b);

interface GenConn {
  addrtype: AddrType;
  address: string;
}
const conn: fc.Arbitrary<GenConn> = fc.oneof(
  fc.ipV4().map((address) => ({ addrtype: 'IP4' as const, address })),
  fc.ipV6().map((address) => ({ addrtype: 'IP6' as const, address })),
);

interface GenAttr {
  name: string;
  value: string | null;
}
const attrName = chars('abcdefghijklmnopqrstuvwxyz-0123456789', 1, 12).filter((n) => !isDirection(n));
const attr: fc.Arbitrary<GenAttr> = fc.record({ name: attrName, value: fc.option(chars(TEXT, 0, 40), { nil: null }) });
const direction = fc.option(fc.constantFrom<Direction>('sendrecv', 'sendonly', 'recvonly', 'inactive'), { nil: null });

interface GenStream {
  media: string;
  port: number;
  portCount: number | null;
  proto: string;
  formats: string[];
  info: string | null;
  conn: GenConn | null;
  direction: Direction | null;
  attrs: GenAttr[];
}
const stream: fc.Arbitrary<GenStream> = fc.record({
  media: fc.constantFrom('audio', 'video', 'application', 'image', 'text'),
  port: fc.integer({ min: 0, max: 65535 }),
  portCount: fc.option(fc.integer({ min: 1, max: 8 }), { nil: null }),
  proto: fc.constantFrom('RTP/AVP', 'RTP/SAVP', 'UDP/TLS/RTP/SAVPF', 'udptl', 'TCP/BFCP'),
  formats: fc.array(fc.oneof(fc.integer({ min: 0, max: 127 }).map(String), token), { minLength: 1, maxLength: 6 }),
  info: fc.option(chars(TEXT, 0, 20), { nil: null }),
  conn: fc.option(conn, { nil: null }),
  direction,
  attrs: fc.array(attr, { maxLength: 8 }),
});

interface GenSdp {
  username: string;
  sessId: string;
  sessVersion: string;
  origin: GenConn;
  name: string;
  conn: GenConn | null;
  direction: Direction | null;
  attrs: GenAttr[];
  streams: GenStream[];
  eol: '\r\n' | '\n';
  finalEol: boolean;
}
const genSdp: fc.Arbitrary<GenSdp> = fc.record({
  username: token,
  sessId: digits,
  sessVersion: digits,
  origin: conn,
  name: chars(TEXT, 0, 30),
  conn: fc.option(conn, { nil: null }),
  direction,
  attrs: fc.array(attr, { maxLength: 6 }),
  streams: fc.array(stream, { maxLength: 16 }),
  eol: fc.constantFrom<'\r\n' | '\n'>('\r\n', '\n'),
  finalEol: fc.boolean(),
});

/** Builds the model directly, in RFC order, from the generated fields. */
function toModel(g: GenSdp): Sdp {
  const line = (type: string, value: string): SdpLine => ({ type, value });
  const attrLine = (a: GenAttr): SdpLine => line('a', a.value === null ? a.name : `${a.name}:${a.value}`);
  const session = [
    line('v', '0'),
    line('o', `${g.username} ${g.sessId} ${g.sessVersion} IN ${g.origin.addrtype} ${g.origin.address}`),
    line('s', g.name),
  ];
  if (g.conn) session.push(line('c', `IN ${g.conn.addrtype} ${g.conn.address}`));
  session.push(line('t', '0 0'));
  if (g.direction) session.push(line('a', g.direction));
  session.push(...g.attrs.map(attrLine));
  const media = g.streams.map((s) => {
    const port = s.portCount === null ? String(s.port) : `${s.port}/${s.portCount}`;
    const lines = [line('m', `${s.media} ${port} ${s.proto} ${s.formats.join(' ')}`)];
    if (s.info !== null) lines.push(line('i', s.info));
    if (s.conn) lines.push(line('c', `IN ${s.conn.addrtype} ${s.conn.address}`));
    lines.push(...s.attrs.map(attrLine));
    if (s.direction) lines.push(line('a', s.direction));
    return { lines };
  });
  return { session, media, eol: g.eol, finalEol: g.finalEol, trailer: '' };
}

// ---- properties ---------------------------------------------------------------------------

describe('property: generated SDPs round-trip', () => {
  it('serialize(parse(serialize(x))) === serialize(x), and parsed fields equal the generated ones', () => {
    fc.assert(
      fc.property(genSdp, (g) => {
        const model = toModel(g);
        const text = serializeSdp(model);
        const sdp = parseSdp(text);
        expect(serializeSdp(sdp)).toBe(text);
        expect(serializeSdpBuffer(parseSdp(Buffer.from(text, 'latin1'))).toString('latin1')).toBe(text);
        expect(sdp).toEqual(model);

        expect(getOrigin(sdp)).toEqual({
          username: g.username,
          sessId: g.sessId,
          sessVersion: g.sessVersion,
          nettype: 'IN',
          addrtype: g.origin.addrtype,
          address: g.origin.address,
        });
        expect(getSessionConnection(sdp)?.address ?? null).toBe(g.conn?.address ?? null);
        expect(sdp.media).toHaveLength(g.streams.length);
        g.streams.forEach((s, i) => {
          expect(getMediaLine(sdp, i)).toEqual({
            media: s.media,
            port: s.port,
            portCount: s.portCount ?? 1,
            proto: s.proto,
            formats: s.formats,
          });
          const eff = s.conn ?? g.conn;
          const c = effectiveConnection(sdp, i);
          expect(c === null ? null : { addrtype: c.addrtype, address: c.address }).toEqual(eff);
          if (c !== null) expect(c.literal).toBe(true);
          expect(getDirection(sdp, i)).toBe(s.direction ?? g.direction ?? 'sendrecv');
          for (const a of s.attrs) {
            const want = s.attrs.filter((b) => b.name === a.name).map((b) => b.value ?? '');
            expect(attributeValues(sdp.media[i]?.lines ?? [], a.name)).toEqual(want);
          }
        });
      }),
      { numRuns: 400 },
    );
  });
});

// ---- mutations ----------------------------------------------------------------------------

type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'line'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({
    kind: fc.constant('line' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.constantFrom('v=0', 'o=- 1 1 IN IP4 1.2.3.4', 'm=audio 1 RTP/AVP 0', 'c=IN IP4 0.0.0.0', 'c=IN IP6 ::', 'a=inactive', 'a=rtcp:1 IN IP7 X', '', 'm=', 'c='),
      fc.tuple(fc.constantFrom(...'vosicbtmaxz'), chars(TEXT + '\r\n\u0000\u00ff', 0, 30)).map(([t, v]) => `${t}=${v}`),
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
);

function mutate(base: Buffer, ms: Mutation[]): Buffer {
  let b = base;
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.kind) {
      case 'flip':
        if (b.length > 0) {
          b = Buffer.from(b);
          b[at % b.length] = m.byte;
        }
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
        break;
      case 'line': {
        // Insert at the start of the line holding `at`.
        const start = b.lastIndexOf(0x0a, at - 1) + 1;
        b = Buffer.concat([b.subarray(0, start), Buffer.from(m.text + '\r\n', 'latin1'), b.subarray(start)]);
        break;
      }
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
        break;
    }
  }
  return b;
}

/** Every view must work on whatever parseSdp accepted. */
function readEverything(sdp: Sdp): void {
  getOrigin(sdp);
  getSessionConnection(sdp);
  for (let i = 0; i < sdp.media.length; i++) {
    getMediaLine(sdp, i);
    effectiveConnection(sdp, i);
    holdState(sdp, i);
    getRtcp(sdp, i);
    getRtpmaps(sdp, i);
    getFmtps(sdp, i);
    getPtime(sdp, i);
    getCryptos(sdp, i);
    getCandidates(sdp, i);
  }
}

describe('property: mutated SDPs', () => {
  const bases = [BASIC, manyStreams(12), 'v=0\no=- 1 1 IN IP4 192.0.2.1\nm=audio 1 RTP/AVP 0\nc=IN IP6 ::\na=rtcp:9 IN IP6 ::1'].map((t) =>
    Buffer.from(t, 'latin1'),
  );

  it('throw nothing but SdpParseError, and what parses round-trips and can be read', () => {
    fc.assert(
      fc.property(fc.constantFrom(...bases), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (base, ms, asString) => {
        const bytes = mutate(base, ms);
        let sdp: Sdp;
        try {
          sdp = asString ? parseSdp(bytes.toString('latin1')) : parseSdp(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(SdpParseError);
          const err = e as SdpParseError;
          expect(err.line).toBeGreaterThanOrEqual(1);
          expect(/^[\x20-\x7e]*$/.test(err.message)).toBe(true);
          return;
        }
        expect(serializeSdpBuffer(sdp).equals(bytes)).toBe(true);
        readEverything(sdp);
      }),
      { numRuns: 1000 },
    );
  });

  it('throw nothing but SdpParseError on arbitrary bytes and strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), fc.string({ maxLength: 300 })), (input) => {
        try {
          const sdp = parseSdp(input);
          readEverything(sdp);
        } catch (e) {
          expect(e).toBeInstanceOf(SdpParseError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
