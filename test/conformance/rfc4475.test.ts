import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getParam, parseMessage, serializeMessage, SipParseError, type SipRequest, type SipResponse } from '../../src/sip/index.js';
import type { NameAddr, SipUri, Uri } from '../../src/sip/types.js';
import { unescape } from '../../src/sip/uri.js';
import { corpusPath, corpusPresent, corpusRequired } from './corpus.js';

// RFC 4475 torture tests: the expectation of each message comes from the corpus's INDEX.md.

const read = (kind: 'valid' | 'invalid', name: string): Buffer => readFileSync(corpusPath('rfc4475', kind, `${name}.dat`));
const req = (m: SipRequest | SipResponse): SipRequest => {
  expect(m.kind).toBe('request');
  return m as SipRequest;
};
const res = (m: SipRequest | SipResponse): SipResponse => {
  expect(m.kind).toBe('response');
  return m as SipResponse;
};
const sip = (u: Uri): SipUri => {
  expect(u.scheme === 'sip' || u.scheme === 'sips').toBe(true);
  return u as SipUri;
};
const contacts = (m: SipRequest | SipResponse): NameAddr[] => {
  const c = m.contact;
  expect(c).not.toBe('*');
  return c as NameAddr[];
};

/** Field values each valid message must parse to (RFC 4475 section 3, as INDEX.md states them). */
const VALID: Record<string, (m: SipRequest | SipResponse, bytes: Buffer) => void> = {
  wsinv(m) {
    const r = req(m);
    expect(r.method).toBe('INVITE');
    expect(r.maxForwards).toBe(68);
    expect(r.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(r.toTag).toBe('1918181833n');
    expect(r.fromTag).toBe('98asjd8');
    expect(r.from.displayName).toBe('J Rosenberg \\"');
    expect(r.via.map((v) => [v.transport, v.host, v.branch])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(r.header('Subject')).toBe('');
    expect(r.header('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    expect(r.header('NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(r.body.length).toBe(150);
    const [c] = contacts(r);
    expect(c!.displayName).toBe('Quoted string ""');
    expect(getParam(c!.params, 'newparam')).toBe('newvalue');
    expect(getParam(c!.params, 'secondparam')).toBeNull();
    expect(getParam(c!.params, 'q')).toBe('0.33');
  },
  intmeth(m) {
    const r = req(m);
    const method = "!interesting-Method0123456789_*+`.%indeed'~";
    expect(r.method).toBe(method);
    expect(r.cseq.method).toBe(method);
    expect(r.callId).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(r.to.displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    const u = sip(r.uri);
    expect(u.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(u.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(u.host).toBe('example.com');
    expect(r.fromTag).toBe("_token~1'+`*%!-.");
    // The extension header's value is raw UTF-8, kept byte for byte.
    expect(Buffer.from(r.header("extensionHeader-!.%*+_`'~")!, 'latin1').toString('utf8')).toBe('\ufeff\u5927\u505c\u96fb');
  },
  esc01(m) {
    const r = req(m);
    expect(sip(r.uri).user).toBe('sips:user@example.com');
    expect(sip(r.uri).host).toBe('example.net');
    expect(sip(r.to.uri).user).toBe('user');
    expect(sip(r.from.uri).user).toBe('I have spaces');
    const u = sip(contacts(r)[0]!.uri);
    expect(u.user).toBe('caller');
    const name = u.params.find((p) => unescape(p.name) === 'name');
    expect(unescape(name!.value!)).toBe('value%41');
    expect(u.params.some((p) => unescape(p.name) === 'lr')).toBe(true);
    expect(r.contentType).toMatchObject({ type: 'application', subtype: 'sdp' });
  },
  escnull(m) {
    const r = req(m);
    expect(sip(r.to.uri).user).toBe('null-\x00-null');
    expect(contacts(r).map((c) => sip(c.uri).user)).toEqual(['\x00', '\x00\x00']);
    expect(r.body.length).toBe(0);
  },
  esc02(m) {
    const r = req(m);
    expect(r.method).toBe('RE%47IST%45R');
    expect(r.to.displayName).toBe('%Z%45');
    expect(r.via[0]!.branch).toBe('z9hG4bK209%fzsnel234');
    expect(contacts(r).map((c) => sip(c.uri).user)).toEqual(['alias1', 'alias3']);
    expect(r.header('C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
  },
  lwsdisp(m) {
    expect(m.from.displayName).toBe('caller');
    expect(m.fromTag).toBe('323');
  },
  longreq(m) {
    const r = req(m);
    expect(r.via.length).toBe(34);
    expect(r.via[0]!.host).toBe('sip33.example.com');
    expect(r.callId.length).toBeGreaterThan(100);
    expect(r.to.displayName!.length).toBeGreaterThan(100);
  },
  dblreq(m, bytes) {
    const r = req(m);
    expect(r.method).toBe('REGISTER');
    expect(r.body.length).toBe(0);
    expect(r.wireBytes!.length).toBeLessThan(bytes.length);
  },
  semiuri(m) {
    const u = sip(req(m).uri);
    expect(u.user).toBe('user;par=u@example.net');
    expect(u.host).toBe('example.com');
    expect(m.parsed<string[]>('accept')?.length ?? m.header('accept')!.split(',').length).toBe(6);
  },
  transports(m) {
    expect(m.via.map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
  },
  mpart01(m, bytes) {
    expect(m.contentType).toMatchObject({ type: 'multipart', subtype: 'mixed' });
    expect(m.body.length).toBe(553);
    expect(m.body.includes(0)).toBe(true);
    expect(bytes.subarray(bytes.length - 553).equals(m.body)).toBe(true);
  },
  unreason(m, bytes) {
    const r = res(m);
    expect(r.status).toBe(200);
    const line = bytes.subarray(0, bytes.indexOf('\r\n'));
    expect(Buffer.from(r.reason, 'latin1').equals(line.subarray('SIP/2.0 200 '.length))).toBe(true);
    expect(r.reason.startsWith('= 2**3 * 5**2 ')).toBe(true);
  },
  noreason(m) {
    const r = res(m);
    expect(r.status).toBe(100);
    expect(r.reason).toBe('');
  },
  badbranch(m) {
    expect(m.via[0]!.branch).toBe('z9hG4bK');
  },
  unkscm(m) {
    expect(req(m).uri).toEqual({ scheme: 'nobodyknowsthisscheme', opaque: 'totallyopaquecontent' });
  },
  novelsc(m) {
    expect(req(m).uri.scheme).toBe('soap.beep');
  },
  unksm2(m) {
    expect(m.to.uri.scheme).toBe('isbn');
    expect(m.from.uri.scheme).toBe('http');
    expect(contacts(m)[0]!.uri.scheme).toBe('name');
  },
  bext01(m) {
    expect(m.parsed('require')).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']);
    expect(m.parsed('proxy-require')).toEqual(['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
  },
  invut(m) {
    expect(m.contentType).toMatchObject({ type: 'application', subtype: 'unknownformat' });
    expect(m.body.length).toBe(40);
  },
  regaut01(m) {
    expect(m.parsed('authorization')).toMatchObject([{ scheme: 'NoOneKnowsThisScheme' }]);
    expect(m.header('authorization')).toBe('NoOneKnowsThisScheme opaque-data=here');
  },
  cparam01(m) {
    const [c] = contacts(m);
    expect(getParam(c!.params, 'unknownparam')).toBeNull();
    expect(sip(c!.uri).params).toEqual([]);
  },
  cparam02(m) {
    const [c] = contacts(m);
    expect(c!.params).toEqual([]);
    expect(getParam(sip(c!.uri).params, 'unknownparam')).toBeNull();
  },
  regescrt(m) {
    const [c] = contacts(m);
    expect(sip(c!.uri).headers).toEqual([{ name: 'Route', value: '%3Csip:sip.example.com%3E' }]);
  },
  sdp01(m) {
    expect(m.header('accept')).toBe('text/nobodyKnowsThis');
    expect(m.contentType).toMatchObject({ type: 'application', subtype: 'sdp' });
  },
  inv2543(m, bytes) {
    const r = req(m);
    expect(r.maxForwards).toBeNull();
    expect(r.via[0]!.branch).toBeNull();
    expect(r.fromTag).toBeNull();
    // The original has no Content-Length; a regenerated copy states the body's length.
    if (r.wireBytes?.equals(bytes)) expect(r.has('content-length')).toBe(false);
    else expect(r.header('content-length')).toBe(String(r.body.length));
    expect(r.body.length).toBe(bytes.length - (bytes.indexOf('\r\n\r\n') + 4));
  },
  bcast(m) {
    expect(res(m).status).toBe(200);
    expect(m.via[1]!.host).toBe('255.255.255.255');
  },
  zeromf(m) {
    expect(m.maxForwards).toBe(0);
  },
};

/**
 * Invalid messages: all are refused when every header is parsed ('all'); `routing` says whether
 * the default parse (what routing needs) refuses it too, and `status` the response it maps to.
 */
const INVALID: Record<string, { routing: boolean; status: number; why: string }> = {
  badinv01: { routing: true, status: 400, why: 'empty Via and Contact parameters' },
  clerr: { routing: true, status: 400, why: 'Content-Length larger than the message' },
  ncl: { routing: true, status: 400, why: 'negative Content-Length' },
  scalar02: { routing: true, status: 400, why: 'CSeq beyond 2^32-1' },
  scalarlg: { routing: true, status: 400, why: 'CSeq beyond 2^32-1 in a response' },
  quotbal: { routing: true, status: 400, why: 'unterminated quoted display name' },
  ltgtruri: { routing: true, status: 400, why: 'Request-URI in <>' },
  lwsruri: { routing: true, status: 400, why: 'space inside the Request-URI' },
  lwsstart: { routing: true, status: 400, why: 'double SP in the request line' },
  trws: { routing: true, status: 400, why: 'trailing SP on the request line' },
  escruri: { routing: true, status: 400, why: 'headers in the Request-URI' },
  baddate: { routing: false, status: 400, why: 'Date not in GMT (only the full parse reads Date)' },
  regbadct: { routing: true, status: 400, why: 'addr-spec Contact with URI headers' },
  badaspec: { routing: true, status: 400, why: 'spaces inside <>' },
  baddn: { routing: true, status: 400, why: 'unquoted display name with a comma' },
  badvers: { routing: true, status: 505, why: 'SIP/7.0' },
  mismatch01: { routing: true, status: 400, why: 'CSeq method differs from the request method' },
  mismatch02: { routing: true, status: 400, why: 'CSeq method differs from the unknown method' },
  bigcode: { routing: true, status: 400, why: 'status code 4294967301' },
  insuf: { routing: true, status: 400, why: 'no Call-ID, From or To' },
  multi01: { routing: true, status: 400, why: 'repeated single-valued headers' },
  mcl01: { routing: true, status: 400, why: 'two Content-Length values' },
};

function rejects(bytes: Buffer, mode: 'routing' | 'all'): SipParseError {
  try {
    parseMessage(bytes, { mode });
  } catch (e) {
    expect(e).toBeInstanceOf(SipParseError);
    return e as SipParseError;
  }
  throw new Error('accepted');
}

describe.skipIf(!corpusPresent)('RFC 4475 torture tests', () => {
  it('the corpus holds exactly the messages listed here', () => {
    const names = (kind: string) => readdirSync(corpusPath('rfc4475', kind)).map((f) => f.replace(/\.dat$/, '')).sort();
    expect(names('valid')).toEqual(Object.keys(VALID).sort());
    expect(names('invalid')).toEqual(Object.keys(INVALID).sort());
  });

  describe('valid messages are accepted with the stated values', () => {
    for (const [name, check] of Object.entries(VALID)) {
      it(name, () => {
        const bytes = read('valid', name);
        for (const mode of ['routing', 'all'] as const) check(parseMessage(bytes, { mode }), bytes);
        // Unchanged, a message serializes to its own bytes (dblreq: the first message only).
        const m = parseMessage(bytes);
        expect(serializeMessage(m).equals(name === 'dblreq' ? m.wireBytes! : bytes)).toBe(true);
        // Changed, it is regenerated and parses back to the same values.
        m.setHeader('X-Sluice-Touched', '1');
        const again = parseMessage(serializeMessage(m), { mode: 'all' });
        expect(again.header('x-sluice-touched')).toBe('1');
        check(again, name === 'dblreq' || name === 'inv2543' ? bytes : serializeMessage(m));
      });
    }
  });

  describe('invalid messages are refused', () => {
    for (const [name, want] of Object.entries(INVALID)) {
      it(`${name}: ${want.why}`, () => {
        const bytes = read('invalid', name);
        const e = rejects(bytes, 'all');
        expect(e.status).toBe(want.status);
        expect(e.reason).toMatch(/^[\x20-\x7e]+$/);
        if (want.routing) expect(rejects(bytes, 'routing').status).toBe(want.status);
        else expect(() => parseMessage(bytes, { mode: 'routing' })).not.toThrow();
      });
    }
  });
});

it.runIf(corpusRequired)('the conformance corpus is present in CI', () => {
  expect(corpusPresent).toBe(true);
});
