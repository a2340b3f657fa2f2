/**
 * The flat path (sip.flatCalls, b2bua/flat-call.ts) puts the same bytes on the wire as the
 * general path (a Call over the UA core). Each scenario is played twice, once per path, between
 * two raw UDP sockets scripted by hand (the caller on the inside realm, the callee as the trunk on
 * the outside realm); every datagram each socket gets from Sluice is recorded, in order. The two
 * recordings are then normalized (Call-IDs, tags, branches, Contact user parts, SDP o= session id
 * and version, ports and the per-run user names become placeholders numbered by first appearance)
 * and must be equal, line by line.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/b2bua/index.js';
import { engineSuite, stops, until } from './fixtures.js';

const suite = engineSuite('flat-wire');

/** Media ports written in the parties' SDP (media direct: nothing is sent to them). */
const CALLER_RTP = 41000;
const CALLEE_RTP = 41002;
/** After the last message expected: long enough for an unexpected one, short of any retransmission timer (T1 = 500 ms). */
const SETTLE_MS = 200;

// ---- raw sockets and messages ------------------------------------------------------------------

interface Peer {
  socket: Socket;
  port: number;
  /** Every datagram received, in order. */
  got: string[];
  /** Indexes of `got` a wait has already returned. */
  taken: Set<number>;
}

async function peer(): Promise<Peer> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const p: Peer = { socket, port: socket.address().port, got: [], taken: new Set() };
  socket.on('message', (b) => p.got.push(b.toString('latin1')));
  stops.push(async () => {
    await new Promise<void>((r) => socket.close(() => r()));
  });
  return p;
}

function send(from: Peer, text: string, port: number): void {
  from.socket.send(Buffer.from(text, 'latin1'), port, '127.0.0.1');
}

interface Msg {
  start: string;
  headers: [string, string][];
  body: string;
}

const COMPACT: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length', c: 'content-type', k: 'supported', x: 'session-expires' };

function parse(raw: string): Msg {
  const cut = raw.indexOf('\r\n\r\n');
  const head = cut < 0 ? raw : raw.slice(0, cut);
  const body = cut < 0 ? '' : raw.slice(cut + 4);
  const [start = '', ...lines] = head.split('\r\n');
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { start, headers, body };
}

function canonical(name: string): string {
  const n = name.toLowerCase();
  return COMPACT[n] ?? n;
}

function all(m: Msg, name: string): string[] {
  const wanted = canonical(name);
  return m.headers.filter(([n]) => canonical(n) === wanted).map(([, v]) => v);
}

function header(m: Msg, name: string): string {
  const v = all(m, name)[0];
  if (v === undefined) throw new Error(`no ${name} in ${m.start}`);
  return v;
}

/** The URI inside a name-addr (`<...>`) or the addr-spec itself. */
function uriOf(nameAddr: string): string {
  const lt = nameAddr.indexOf('<');
  return lt < 0 ? nameAddr.split(';')[0]!.trim() : nameAddr.slice(lt + 1, nameAddr.indexOf('>'));
}

function tagOf(nameAddr: string): string | null {
  return /;tag=([^;>\s,]+)/i.exec(nameAddr)?.[1] ?? null;
}

const isRequest = (method: string) => (m: Msg) => m.start.startsWith(`${method} `);
const isResponse = (status: number, method: string) => (m: Msg) => m.start.startsWith(`SIP/2.0 ${status} `) && header(m, 'cseq').endsWith(` ${method}`);

/** The first message `p` got matching `pred` that no wait has returned yet. */
async function next(p: Peer, pred: (m: Msg) => boolean, what: string): Promise<Msg> {
  let found: Msg | undefined;
  try {
    await until(() => {
      for (let i = 0; i < p.got.length; i++) {
        if (p.taken.has(i)) continue;
        const m = parse(p.got[i]!);
        if (pred(m)) {
          p.taken.add(i);
          found = m;
          return true;
        }
      }
      return false;
    }, 2000);
  } catch {
    throw new Error(`timed out waiting for ${what}; got:\n${p.got.map((g) => g.split('\r\n')[0]).join('\n')}`);
  }
  return found!;
}

function message(start: string, headers: [string, string][], body = ''): string {
  const lines = [start, ...headers.map(([n, v]) => `${n}: ${v}`), `Content-Length: ${Buffer.byteLength(body, 'latin1')}`];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** A UAS's response to `req` (8.2.6.2): its Vias, From, To (with `toTag` if it has none), Call-ID and CSeq. */
function respond(req: Msg, status: number, reason: string, opts: { toTag?: string; contact?: string; body?: string } = {}): string {
  const to = header(req, 'to');
  const headers: [string, string][] = [
    ...all(req, 'via').map((v): [string, string] => ['Via', v]),
    ['From', header(req, 'from')],
    ['To', opts.toTag !== undefined && tagOf(to) === null ? `${to};tag=${opts.toTag}` : to],
    ['Call-ID', header(req, 'call-id')],
    ['CSeq', header(req, 'cseq')],
  ];
  if (opts.contact !== undefined) headers.push(['Contact', opts.contact]);
  if (opts.body !== undefined) headers.push(['Content-Type', 'application/sdp']);
  return message(`SIP/2.0 ${status} ${reason}`, headers, opts.body);
}

function sdp(user: string, port: number): string {
  return `v=0\r\no=${user} 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
}

const token = (): string => randomBytes(6).toString('hex');

// ---- one run: an engine, the two parties ---------------------------------------------------------

/** The caller as a UAC: its INVITE (kept for its retransmission, CANCEL and non-2xx ACK) and its dialog. */
class Caller {
  readonly user = `caller${token()}`;
  readonly callee = `callee${token()}`;
  readonly callId = `${token()}${token()}@127.0.0.1`;
  readonly tag = token();
  readonly branch = `z9hG4bK${token()}`;
  readonly uri: string;
  readonly invite: string;
  /** From the 2xx: Sluice's tag and Contact. */
  remoteTag = '';
  remoteTarget = '';
  private seq = 1;

  constructor(
    readonly p: Peer,
    readonly sluicePort: number,
  ) {
    this.uri = `sip:${this.callee}@127.0.0.1:${sluicePort}`;
    this.invite = message(
      `INVITE ${this.uri} SIP/2.0`,
      [
        ['Via', this.via(this.branch)],
        ['Max-Forwards', '70'],
        ['From', this.from],
        ['To', `<${this.uri}>`],
        ['Call-ID', this.callId],
        ['CSeq', '1 INVITE'],
        ['Contact', `<sip:${this.user}@127.0.0.1:${p.port}>`],
        ['Content-Type', 'application/sdp'],
      ],
      sdp(this.user, CALLER_RTP),
    );
  }

  get from(): string {
    return `<sip:${this.user}@sluice.test>;tag=${this.tag}`;
  }

  via(branch: string): string {
    return `SIP/2.0/UDP 127.0.0.1:${this.p.port};branch=${branch};rport`;
  }

  sendInvite(): void {
    send(this.p, this.invite, this.sluicePort);
  }

  answered(ok: Msg): void {
    this.remoteTag = tagOf(header(ok, 'to'))!;
    this.remoteTarget = uriOf(header(ok, 'contact'));
  }

  /** 17.1.1.3: the ACK of a non-2xx final, in the INVITE's transaction. */
  ackFailure(final: Msg): void {
    send(this.p, message(`ACK ${this.uri} SIP/2.0`, [['Via', this.via(this.branch)], ['Max-Forwards', '70'], ['From', this.from], ['To', header(final, 'to')], ['Call-ID', this.callId], ['CSeq', '1 ACK']]), this.sluicePort);
  }

  cancel(): void {
    send(this.p, message(`CANCEL ${this.uri} SIP/2.0`, [['Via', this.via(this.branch)], ['Max-Forwards', '70'], ['From', this.from], ['To', `<${this.uri}>`], ['Call-ID', this.callId], ['CSeq', '1 CANCEL']]), this.sluicePort);
  }

  /** A request in the dialog (the 2xx's ACK has the INVITE's CSeq); its text, for a retransmission. */
  inDialog(method: 'ACK' | 'BYE'): string {
    const seq = method === 'ACK' ? 1 : ++this.seq;
    const text = message(`${method} ${this.remoteTarget} SIP/2.0`, [
      ['Via', this.via(`z9hG4bK${token()}`)],
      ['Max-Forwards', '70'],
      ['From', this.from],
      ['To', `<${this.uri}>;tag=${this.remoteTag}`],
      ['Call-ID', this.callId],
      ['CSeq', `${seq} ${method}`],
    ]);
    send(this.p, text, this.sluicePort);
    return text;
  }
}

/** The callee as a UAS: answers what Sluice sends it. */
class Callee {
  readonly tag = token();
  readonly contact: string;
  invite: Msg | null = null;

  constructor(
    readonly p: Peer,
    readonly user: string,
    readonly sluicePort: number,
  ) {
    this.contact = `<sip:${user}@127.0.0.1:${p.port}>`;
  }

  reply(req: Msg, status: number, reason: string, opts: { toTag?: string; contact?: string; body?: string } = {}): void {
    send(this.p, respond(req, status, reason, opts), this.sluicePort);
  }

  /** 100, 180 (with a To tag and Contact) to the INVITE. */
  ring(): void {
    const invite = this.invite!;
    this.reply(invite, 100, 'Trying');
    this.reply(invite, 180, 'Ringing', { toTag: this.tag, contact: this.contact });
  }

  answer(): void {
    this.reply(this.invite!, 200, 'OK', { toTag: this.tag, contact: this.contact, body: sdp(this.user, CALLEE_RTP) });
  }

  /** BYE in the dialog the 200 made: to Sluice's Contact, From our To, To its From. */
  bye(): void {
    const invite = this.invite!;
    send(
      this.p,
      message(`BYE ${uriOf(header(invite, 'contact'))} SIP/2.0`, [
        ['Via', `SIP/2.0/UDP 127.0.0.1:${this.p.port};branch=z9hG4bK${token()};rport`],
        ['Max-Forwards', '70'],
        ['From', `${header(invite, 'to')};tag=${this.tag}`],
        ['To', header(invite, 'from')],
        ['Call-ID', header(invite, 'call-id')],
        ['CSeq', '1 BYE'],
      ]),
      this.sluicePort,
    );
  }
}

interface Run {
  engine: Engine;
  caller: Caller;
  callee: Callee;
  /** The names of the run's ports and users, for the normalization. */
  names: Map<string, string>;
}

async function startRun(flat: boolean): Promise<Run> {
  const a = await peer();
  const b = await peer();
  const { engine, insidePort } = await suite.start({
    sip: { flatCalls: flat },
    dialplan: { trunks: [{ name: 'pbx', realm: 'outside', host: '127.0.0.1', port: b.port, transport: 'udp' }], rules: [{ name: 'out', match: { realm: 'inside' }, trunk: 'pbx', media: 'direct' }] },
  });
  const outsidePort = engine.realms.get('outside')!.transport.locals[0]!.port;
  const caller = new Caller(a, insidePort);
  const callee = new Callee(b, caller.callee, outsidePort);
  const names = new Map([
    [String(insidePort), 'INSIDE_PORT'],
    [String(outsidePort), 'OUTSIDE_PORT'],
    [String(a.port), 'CALLER_PORT'],
    [String(b.port), 'CALLEE_PORT'],
    [caller.user, 'CALLER_USER'],
    [caller.callee, 'CALLEE_USER'],
  ]);
  return { engine, caller, callee, names };
}

/** The INVITE out: the caller's INVITE, Sluice's 100 to it, Sluice's INVITE to the callee. */
async function dial(run: Run): Promise<void> {
  run.caller.sendInvite();
  await next(run.caller.p, isResponse(100, 'INVITE'), 'the caller\'s 100');
  run.callee.invite = await next(run.callee.p, isRequest('INVITE'), 'the callee\'s INVITE');
}

async function ringAndAnswer(run: Run): Promise<void> {
  const { caller, callee } = run;
  callee.ring();
  await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
  callee.answer();
  caller.answered(await next(caller.p, isResponse(200, 'INVITE'), 'the caller\'s 200'));
  await next(callee.p, isRequest('ACK'), 'the callee\'s ACK');
  caller.inDialog('ACK');
}

/** Everything each socket got, normalized; after a moment for anything not expected. */
async function finish(run: Run, flat: boolean): Promise<{ caller: string[][]; callee: string[][] }> {
  await until(() => run.engine.activeCalls === 0);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  // The path asked for is the path taken.
  expect(run.engine.flatCallCount > 0).toBe(flat);
  return normalize(run.names, run.caller.p.got, run.callee.p.got);
}

// ---- normalization -------------------------------------------------------------------------------

/**
 * Each message as lines (start line, header lines, '', body lines), with what is random per call
 * replaced by placeholders numbered by first appearance over the run (the caller's messages, then
 * the callee's), and the run's ports and user names by their names. Content-Length is checked
 * against the body (the body itself is compared after normalization) rather than compared raw,
 * since the length of an SDP o= session id varies.
 */
function normalize(names: Map<string, string>, callerGot: string[], calleeGot: string[]): { caller: string[][]; callee: string[][] } {
  const seen = new Map<string, string>();
  const counts = new Map<string, number>();
  const ph = (kind: string, value: string): string => {
    const key = `${kind}\0${value}`;
    let p = seen.get(key);
    if (p === undefined) {
      const n = (counts.get(kind) ?? 0) + 1;
      counts.set(kind, n);
      p = `<${kind}-${n}>`;
      seen.set(key, p);
    }
    return p;
  };
  const users = [...names].filter(([k]) => !/^\d+$/.test(k));
  const line = (l: string): string => {
    for (const [user, name] of users) l = l.split(user).join(name);
    l = l.replace(/(127\.0\.0\.1:|rport=)(\d+)/g, (_, p: string, port: string) => p + (names.get(port) ?? ph('PORT', port)));
    // A Call-ID's host part and a branch's magic cookie are not random: kept.
    l = l.replace(/^((?:Call-ID|i)\s*:\s*)([^@\s]+)/i, (_, p: string, v: string) => p + ph('CALLID', v));
    l = l.replace(/(;tag=)([^;>\s,]+)/gi, (_, p: string, v: string) => p + ph('TAG', v));
    l = l.replace(/(;branch=(?:z9hG4bK)?)([^;>\s,]+)/gi, (_, p: string, v: string) => p + ph('BRANCH', v));
    l = l.replace(/^((?:Contact|m)\s*:.*?<?sips?:)([^@>;]+)@/i, (_, p: string, v: string) => `${p + ph('CONTACT_USER', v)}@`);
    l = l.replace(/^o=(\S+) (\d+) (\d+) /, (_, u: string, id: string, version: string) => `o=${u} ${ph('SESS_ID', id)} ${ph('SESS_VERSION', version)} `);
    return l;
  };
  const one = (raw: string): string[] => {
    const cut = raw.indexOf('\r\n\r\n');
    const head = (cut < 0 ? raw : raw.slice(0, cut)).split('\r\n');
    const body = cut < 0 ? '' : raw.slice(cut + 4);
    const out = head.map((h) => {
      const cl = /^(Content-Length|l)\s*:\s*(\d+)\s*$/i.exec(h);
      if (cl !== null) return Number(cl[2]) === Buffer.byteLength(body, 'latin1') ? `${cl[1]}: <the body's length>` : h;
      return line(h);
    });
    out.push('');
    if (body !== '') out.push(...body.split('\r\n').map(line));
    return out;
  };
  const caller = callerGot.map(one);
  const callee = calleeGot.map(one);
  return { caller, callee };
}

// ---- the scenarios -------------------------------------------------------------------------------

type Scenario = (run: Run) => Promise<void>;

async function both(scenario: Scenario): Promise<void> {
  const recorded: { caller: string[][]; callee: string[][] }[] = [];
  for (const flat of [true, false]) {
    const run = await startRun(flat);
    await scenario(run);
    recorded.push(await finish(run, flat));
  }
  const [flat, general] = recorded;
  expect(flat!.caller.length).toBeGreaterThan(0);
  expect(flat!.callee.length).toBeGreaterThan(0);
  expect(flat).toEqual(general);
}

describe('the flat path on the wire, against the general path', () => {
  it('answered, ended by the caller\'s BYE', async () => {
    await both(async (run) => {
      const { caller, callee } = run;
      await dial(run);
      await ringAndAnswer(run);
      caller.inDialog('BYE');
      await next(caller.p, isResponse(200, 'BYE'), 'the 200 to the caller\'s BYE');
      const bye = await next(callee.p, isRequest('BYE'), 'the callee\'s BYE');
      callee.reply(bye, 200, 'OK');
    });
  });

  it('answered, ended by the callee\'s BYE', async () => {
    await both(async (run) => {
      const { caller, callee } = run;
      await dial(run);
      await ringAndAnswer(run);
      callee.bye();
      await next(callee.p, isResponse(200, 'BYE'), 'the 200 to the callee\'s BYE');
      const bye = await next(caller.p, isRequest('BYE'), 'the caller\'s BYE');
      send(caller.p, respond(bye, 200, 'OK'), caller.sluicePort);
    });
  });

  it('rejected with 486 Busy Here', async () => {
    await both(async (run) => {
      const { caller, callee } = run;
      await dial(run);
      callee.reply(callee.invite!, 100, 'Trying');
      callee.reply(callee.invite!, 486, 'Busy Here', { toTag: callee.tag });
      await next(callee.p, isRequest('ACK'), 'the ACK of the callee\'s 486');
      caller.ackFailure(await next(caller.p, isResponse(486, 'INVITE'), 'the caller\'s 486'));
    });
  });

  it('cancelled by the caller while ringing', async () => {
    await both(async (run) => {
      const { caller, callee } = run;
      await dial(run);
      callee.ring();
      await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
      caller.cancel();
      await next(caller.p, isResponse(200, 'CANCEL'), 'the 200 to the caller\'s CANCEL');
      const cancel = await next(callee.p, isRequest('CANCEL'), 'the callee\'s CANCEL');
      callee.reply(cancel, 200, 'OK', { toTag: callee.tag });
      callee.reply(callee.invite!, 487, 'Request Terminated', { toTag: callee.tag });
      await next(callee.p, isRequest('ACK'), 'the ACK of the callee\'s 487');
      caller.ackFailure(await next(caller.p, isResponse(487, 'INVITE'), 'the caller\'s 487'));
    });
  });

  it('a retransmitted INVITE gets the 180 again, a retransmitted BYE the 200 again', async () => {
    await both(async (run) => {
      const { caller, callee } = run;
      await dial(run);
      callee.ring();
      await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
      caller.sendInvite();
      await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180 again');
      callee.answer();
      caller.answered(await next(caller.p, isResponse(200, 'INVITE'), 'the caller\'s 200'));
      await next(callee.p, isRequest('ACK'), 'the callee\'s ACK');
      caller.inDialog('ACK');
      const bye = caller.inDialog('BYE');
      await next(caller.p, isResponse(200, 'BYE'), 'the 200 to the caller\'s BYE');
      const calleeBye = await next(callee.p, isRequest('BYE'), 'the callee\'s BYE');
      send(caller.p, bye, caller.sluicePort);
      await next(caller.p, isResponse(200, 'BYE'), 'the 200 to the caller\'s BYE again');
      callee.reply(calleeBye, 200, 'OK');
    });
  });
});
