/**
 * Edge cases of the flat path (sip.flatCalls, b2bua/flat-call.ts and flat-callee.ts), each
 * played between two raw UDP sockets scripted by hand: the caller on the inside realm, the callee
 * as the trunk on the outside realm. Every datagram each socket gets from Sluice is recorded with
 * the time it came, and the tests wait for what they expect (and check that nothing else came
 * where that matters).
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/b2bua/index.js';
import { SystemClock } from '../../src/clock.js';
import { validateConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Registrar } from '../../src/registrar/index.js';
import { Dialplan } from '../../src/routing/index.js';
import { MemoryStore } from '../../src/state/index.js';
import { engineSuite, startEngine, stops, until } from './fixtures.js';

const suite = engineSuite('flat-edges');

/** Media ports written in the parties' SDP (media direct: nothing is sent to them). */
const CALLER_RTP = 41100;
const CALLEE_RTP = 41102;
/** After the last message expected: long enough for an unexpected one, short of a retransmission (T1 = 500 ms). */
const SETTLE_MS = 250;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const token = (): string => randomBytes(6).toString('hex');

// ---- raw sockets and messages ------------------------------------------------------------------

interface Peer {
  socket: Socket;
  port: number;
  /** Every datagram received, in order, with when it came (Date.now()). */
  got: { raw: string; at: number }[];
  /** Indexes of `got` a wait has already returned. */
  taken: Set<number>;
}

async function peer(): Promise<Peer> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const p: Peer = { socket, port: socket.address().port, got: [], taken: new Set() };
  socket.on('message', (b) => p.got.push({ raw: b.toString('latin1'), at: Date.now() }));
  stops.push(async () => {
    await new Promise<void>((r) => socket.close(() => r()));
  });
  return p;
}

function send(from: Peer, text: string, port: number): void {
  from.socket.send(Buffer.from(text, 'latin1'), port, '127.0.0.1');
}

interface Msg {
  raw: string;
  at: number;
  start: string;
  headers: [string, string][];
  body: string;
}

const COMPACT: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length', c: 'content-type', k: 'supported', x: 'session-expires' };

function parse(raw: string, at = 0): Msg {
  const cut = raw.indexOf('\r\n\r\n');
  const head = cut < 0 ? raw : raw.slice(0, cut);
  const body = cut < 0 ? '' : raw.slice(cut + 4);
  const [start = '', ...lines] = head.split('\r\n');
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { raw, at, start, headers, body };
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

function branchOf(m: Msg): string {
  return /;branch=([^;\s,]+)/i.exec(header(m, 'via'))![1]!;
}

const isRequest = (method: string) => (m: Msg) => m.start.startsWith(`${method} `);
const isResponse = (status: number, method: string) => (m: Msg) => m.start.startsWith(`SIP/2.0 ${status} `) && header(m, 'cseq').endsWith(` ${method}`);

/** Everything `p` got that matches `pred`, whether a wait returned it or not. */
function received(p: Peer, pred: (m: Msg) => boolean): Msg[] {
  return p.got.map((g) => parse(g.raw, g.at)).filter(pred);
}

function summary(p: Peer): string {
  return p.got.map((g) => g.raw.split('\r\n')[0]).join('\n');
}

/** The first message `p` got matching `pred` that no wait has returned yet. */
async function next(p: Peer, pred: (m: Msg) => boolean, what: string, ms = 2000): Promise<Msg> {
  let found: Msg | undefined;
  try {
    await until(() => {
      for (let i = 0; i < p.got.length; i++) {
        if (p.taken.has(i)) continue;
        const m = parse(p.got[i]!.raw, p.got[i]!.at);
        if (pred(m)) {
          p.taken.add(i);
          found = m;
          return true;
        }
      }
      return false;
    }, ms);
  } catch {
    throw new Error(`timed out waiting for ${what}; got:\n${summary(p)}`);
  }
  return found!;
}

function message(start: string, headers: [string, string][], body = ''): string {
  const lines = [start, ...headers.map(([n, v]) => `${n}: ${v}`), `Content-Length: ${Buffer.byteLength(body, 'latin1')}`];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

interface ReplyOptions {
  toTag?: string;
  contact?: string;
  body?: string;
  headers?: [string, string][];
}

/** A UAS's response to `req` (8.2.6.2): its Vias, From, To (with `toTag` if it has none), Call-ID and CSeq. */
function respond(req: Msg, status: number, reason: string, opts: ReplyOptions = {}): string {
  const to = header(req, 'to');
  const headers: [string, string][] = [
    ...all(req, 'via').map((v): [string, string] => ['Via', v]),
    ['From', header(req, 'from')],
    ['To', opts.toTag !== undefined && tagOf(to) === null ? `${to};tag=${opts.toTag}` : to],
    ['Call-ID', header(req, 'call-id')],
    ['CSeq', header(req, 'cseq')],
    ...(opts.headers ?? []),
  ];
  if (opts.contact !== undefined) headers.push(['Contact', opts.contact]);
  if (opts.body !== undefined) headers.push(['Content-Type', 'application/sdp']);
  return message(`SIP/2.0 ${status} ${reason}`, headers, opts.body);
}

function sdp(user: string, port: number): string {
  return `v=0\r\no=${user} 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
}

// ---- the parties ---------------------------------------------------------------------------------

/** The caller as a UAC: its INVITE (for its CANCEL and non-2xx ACK) and the dialog Sluice's response makes. */
class Caller {
  readonly user = `caller${token()}`;
  readonly callId = `${token()}${token()}@127.0.0.1`;
  readonly tag = token();
  readonly branch = `z9hG4bK${token()}`;
  readonly uri: string;
  readonly invite: string;
  /** From Sluice's 180 or 200: its tag and Contact. */
  remoteTag = '';
  remoteTarget = '';
  private seq = 1;

  constructor(
    readonly p: Peer,
    readonly sluicePort: number,
  ) {
    this.uri = `sip:callee${token()}@127.0.0.1:${sluicePort}`;
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

  /** Sluice's tag and Contact, from its 180 (an early dialog) or its 200. */
  learn(r: Msg): void {
    this.remoteTag = tagOf(header(r, 'to'))!;
    this.remoteTarget = uriOf(header(r, 'contact'));
  }

  /** 17.1.1.3: the ACK of a non-2xx final, in the INVITE's transaction. */
  ackFailure(final: Msg): void {
    send(this.p, message(`ACK ${this.uri} SIP/2.0`, [['Via', this.via(this.branch)], ['Max-Forwards', '70'], ['From', this.from], ['To', header(final, 'to')], ['Call-ID', this.callId], ['CSeq', '1 ACK']]), this.sluicePort);
  }

  /** A request in the dialog (the 2xx's ACK has the INVITE's CSeq). */
  inDialog(method: 'ACK' | 'BYE'): void {
    const seq = method === 'ACK' ? 1 : ++this.seq;
    send(
      this.p,
      message(`${method} ${this.remoteTarget} SIP/2.0`, [
        ['Via', this.via(`z9hG4bK${token()}`)],
        ['Max-Forwards', '70'],
        ['From', this.from],
        ['To', `<${this.uri}>;tag=${this.remoteTag}`],
        ['Call-ID', this.callId],
        ['CSeq', `${seq} ${method}`],
      ]),
      this.sluicePort,
    );
  }

  reply(req: Msg, status: number, reason: string, opts: ReplyOptions = {}): void {
    send(this.p, respond(req, status, reason, opts), this.sluicePort);
  }
}

/** The callee (the trunk) as a UAS: answers what Sluice sends it. */
class Callee {
  readonly tag = token();
  readonly contact: string;
  readonly user = `callee${token()}`;
  invite: Msg | null = null;

  constructor(
    readonly p: Peer,
    readonly sluicePort: number,
  ) {
    this.contact = `<sip:${this.user}@127.0.0.1:${p.port}>`;
  }

  reply(req: Msg, status: number, reason: string, opts: ReplyOptions = {}): void {
    send(this.p, respond(req, status, reason, opts), this.sluicePort);
  }

  /** 100, 180 (with our To tag and Contact) to the INVITE. */
  ring(): void {
    this.reply(this.invite!, 100, 'Trying');
    this.reply(this.invite!, 180, 'Ringing', { toTag: this.tag, contact: this.contact });
  }

  /** The 200's text, with our SDP (or `body`), for our tag (or another fork's). */
  ok(opts: { tag?: string; contact?: string; body?: string } = {}): string {
    return respond(this.invite!, 200, 'OK', { toTag: opts.tag ?? this.tag, contact: opts.contact ?? this.contact, body: opts.body ?? sdp(this.user, CALLEE_RTP) });
  }

  answer(opts: { tag?: string; contact?: string; body?: string } = {}): void {
    send(this.p, this.ok(opts), this.sluicePort);
  }
}

interface Run {
  engine: Engine;
  caller: Caller;
  callee: Callee;
}

function dialplanTo(calleePort: number): unknown {
  return { trunks: [{ name: 'pbx', realm: 'outside', host: '127.0.0.1', port: calleePort, transport: 'udp' }], rules: [{ name: 'out', match: { realm: 'inside' }, trunk: 'pbx', media: 'direct' }] };
}

/** The two parties and an engine (the suite's, unless `engine` makes one) routing the caller's calls to the callee. */
async function startRun(make?: (calleePort: number) => Promise<{ engine: Engine; insidePort: number }>): Promise<Run> {
  const a = await peer();
  const b = await peer();
  const { engine, insidePort } = make !== undefined ? await make(b.port) : await suite.start({ sip: { flatCalls: true }, dialplan: dialplanTo(b.port) });
  const outsidePort = engine.realms.get('outside')!.transport.locals[0]!.port;
  return { engine, caller: new Caller(a, insidePort), callee: new Callee(b, outsidePort) };
}

/** The caller's INVITE, Sluice's 100 to it, Sluice's INVITE to the callee; the flat path took it. */
async function dial(run: Run): Promise<void> {
  run.caller.sendInvite();
  await next(run.caller.p, isResponse(100, 'INVITE'), 'the caller\'s 100');
  run.callee.invite = await next(run.callee.p, isRequest('INVITE'), 'the callee\'s INVITE');
  expect(run.engine.flatCallCount).toBeGreaterThan(0);
}

/** 180 and 200 from the callee, across to the caller; Sluice's ACK to the callee; the caller's ACK. */
async function ringAndAnswer(run: Run): Promise<Msg> {
  const { caller, callee } = run;
  callee.ring();
  await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
  callee.answer();
  const ok = await next(caller.p, isResponse(200, 'INVITE'), 'the caller\'s 200');
  caller.learn(ok);
  await next(callee.p, isRequest('ACK'), 'the callee\'s ACK');
  caller.inDialog('ACK');
  return ok;
}

/** The caller's BYE: 200 to it, and BYE to the callee (answered 200) in the dialog with `tag`. */
async function hangUp(run: Run, tag = run.callee.tag): Promise<void> {
  const { caller, callee } = run;
  caller.inDialog('BYE');
  await next(caller.p, isResponse(200, 'BYE'), 'the 200 to the caller\'s BYE');
  const bye = await next(callee.p, isRequest('BYE'), 'the callee\'s BYE');
  expect(tagOf(header(bye, 'to'))).toBe(tag);
  callee.reply(bye, 200, 'OK');
  await until(() => run.engine.activeCalls === 0);
}

// ---- the cases -----------------------------------------------------------------------------------

describe('the flat path at its edges', () => {
  it('retries after 422 with the Min-SE asked for, then completes the call', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    await dial(run);
    const first = callee.invite!;
    expect(header(first, 'cseq')).toBe('1 INVITE');
    expect(header(first, 'session-expires')).toBe('1800');
    callee.reply(first, 422, 'Session Interval Too Small', { toTag: callee.tag, headers: [['Min-SE', '3600']] });
    // 17.1.1.3: the 422 ACKed in its transaction (the INVITE's branch and CSeq number).
    const ack = await next(callee.p, isRequest('ACK'), 'the ACK of the 422');
    expect(branchOf(ack)).toBe(branchOf(first));
    expect(header(ack, 'cseq')).toBe('1 ACK');
    expect(tagOf(header(ack, 'to'))).toBe(callee.tag);
    // RFC 4028 7.4: the INVITE again, a new transaction, with the interval asked for.
    const second = await next(callee.p, isRequest('INVITE'), 'the second INVITE');
    expect(branchOf(second)).not.toBe(branchOf(first));
    expect(header(second, 'cseq')).toBe('2 INVITE');
    expect(header(second, 'session-expires')).toBe('3600');
    expect(header(second, 'call-id')).toBe(header(first, 'call-id'));
    expect(tagOf(header(second, 'from'))).toBe(tagOf(header(first, 'from')));
    expect(tagOf(header(second, 'to'))).toBeNull();
    // The caller heard nothing of the 422.
    expect(received(caller.p, (m) => m.start.startsWith('SIP/2.0 4'))).toEqual([]);
    callee.invite = second;
    const ok = await ringAndAnswer(run);
    expect(ok.body).toContain(`m=audio ${CALLEE_RTP} `);
    const ack2 = received(callee.p, isRequest('ACK')).at(-1)!;
    expect(header(ack2, 'cseq')).toBe('2 ACK');
    await hangUp(run);
    // The BYE goes on from the second INVITE's CSeq.
    expect(header(received(callee.p, isRequest('BYE'))[0]!, 'cseq')).toBe('3 BYE');
  });

  it('ACKs and ends a second fork\'s 2xx, keeping the call with the first', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    await dial(run);
    await ringAndAnswer(run);
    const forkTag = token();
    const forkContact = `<sip:fork@127.0.0.1:${callee.p.port}>`;
    callee.answer({ tag: forkTag, contact: forkContact });
    const ack = await next(callee.p, isRequest('ACK'), 'the ACK of the second fork\'s 200');
    expect(tagOf(header(ack, 'to'))).toBe(forkTag);
    expect(ack.start).toBe('ACK sip:fork@127.0.0.1:' + callee.p.port + ' SIP/2.0');
    expect(header(ack, 'cseq')).toBe('1 ACK');
    const bye = await next(callee.p, isRequest('BYE'), 'the BYE of the second fork\'s dialog');
    expect(tagOf(header(bye, 'to'))).toBe(forkTag);
    expect(bye.start).toBe('BYE sip:fork@127.0.0.1:' + callee.p.port + ' SIP/2.0');
    expect(header(bye, 'call-id')).toBe(header(callee.invite!, 'call-id'));
    callee.reply(bye, 200, 'OK');
    await sleep(SETTLE_MS);
    // The caller heard of neither; the call with the first fork is up.
    expect(received(caller.p, (m) => !isResponse(100, 'INVITE')(m) && !isResponse(180, 'INVITE')(m) && !isResponse(200, 'INVITE')(m))).toEqual([]);
    expect(received(caller.p, isResponse(200, 'INVITE'))).toHaveLength(1);
    expect(run.engine.activeCalls).toBe(1);
    await hangUp(run, callee.tag);
    // One BYE in each of the callee's dialogs, and nothing more.
    expect(received(callee.p, isRequest('BYE')).map((m) => tagOf(header(m, 'to')))).toEqual([forkTag, callee.tag]);
  });

  it('resends its BYE to the second fork until that BYE is answered', async () => {
    const run = await startRun();
    const { callee } = run;
    await dial(run);
    await ringAndAnswer(run);
    const forkTag = token();
    callee.answer({ tag: forkTag, contact: `<sip:fork@127.0.0.1:${callee.p.port}>` });
    await next(callee.p, isRequest('ACK'), 'the ACK of the second fork\'s 200');
    const bye = await next(callee.p, isRequest('BYE'), 'the BYE of the second fork\'s dialog');
    // Unanswered: Timer E (RFC 3261 17.1.2.2) resends it, T1 later, as the general path does.
    const again = await next(callee.p, isRequest('BYE'), 'the second fork\'s BYE again', 1500);
    expect(again.raw).toBe(bye.raw);
    callee.reply(again, 200, 'OK');
    const count = received(callee.p, isRequest('BYE')).length;
    // Answered: not resent any more (the next copy would come 1 s after the last).
    await sleep(1200);
    expect(received(callee.p, isRequest('BYE'))).toHaveLength(count);
    expect(run.engine.activeCalls).toBe(1);
    await hangUp(run);
  });

  it('ACKs a repeated 2xx of the second fork with the same ACK, and ends that dialog only once', async () => {
    const run = await startRun();
    const { callee } = run;
    await dial(run);
    await ringAndAnswer(run);
    const forkTag = token();
    const fork = { tag: forkTag, contact: `<sip:fork@127.0.0.1:${callee.p.port}>` };
    callee.answer(fork);
    const ack = await next(callee.p, isRequest('ACK'), 'the ACK of the second fork\'s 200');
    const bye = await next(callee.p, isRequest('BYE'), 'the BYE of the second fork\'s dialog');
    callee.reply(bye, 200, 'OK');
    await sleep(SETTLE_MS);
    // The fork's 200 again (its UAS had not seen our ACK): 13.2.2.4, the same ACK again, as the general path does.
    callee.answer(fork);
    const again = await next(callee.p, isRequest('ACK'), 'the ACK of the second fork\'s 200 again');
    expect(again.raw).toBe(ack.raw);
    await sleep(SETTLE_MS);
    // That dialog is over already: no second BYE in it.
    expect(received(callee.p, isRequest('BYE'))).toHaveLength(1);
    expect(run.engine.activeCalls).toBe(1);
    await hangUp(run);
  });

  it('ACKs a repeated 2xx with the same ACK, and does nothing else', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    await dial(run);
    await ringAndAnswer(run);
    const ack = received(callee.p, isRequest('ACK'))[0]!;
    await sleep(SETTLE_MS);
    const before = { caller: caller.p.got.length, callee: callee.p.got.length };
    send(callee.p, callee.ok(), callee.sluicePort);
    const again = await next(callee.p, isRequest('ACK'), 'the ACK again');
    expect(again.raw).toBe(ack.raw);
    await sleep(SETTLE_MS);
    expect(callee.p.got.length).toBe(before.callee + 1);
    expect(caller.p.got.length).toBe(before.caller);
    expect(run.engine.activeCalls).toBe(1);
    await hangUp(run);
  });

  it('resends its 200 to a caller that does not ACK it, until the ACK', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    await dial(run);
    callee.ring();
    await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
    callee.answer();
    const ok = await next(caller.p, isResponse(200, 'INVITE'), 'the caller\'s 200');
    caller.learn(ok);
    // 13.3.1.4: at T1, then 2*T1 later (0.5 s, 1.5 s after the first).
    const copy1 = await next(caller.p, isResponse(200, 'INVITE'), 'the 200 again', 1500);
    const copy2 = await next(caller.p, isResponse(200, 'INVITE'), 'the 200 a third time', 2000);
    expect(copy1.raw).toBe(ok.raw);
    expect(copy2.raw).toBe(ok.raw);
    expect(copy1.at - ok.at).toBeGreaterThanOrEqual(400);
    expect(copy1.at - ok.at).toBeLessThan(1000);
    expect(copy2.at - copy1.at).toBeGreaterThanOrEqual(900);
    expect(copy2.at - copy1.at).toBeLessThan(1900);
    caller.inDialog('ACK');
    const after = received(caller.p, isResponse(200, 'INVITE')).length;
    // The next copy would have come 2 s after the last.
    await sleep(2500);
    expect(received(caller.p, isResponse(200, 'INVITE'))).toHaveLength(after);
    // No BYE either way: the call is up.
    expect(received(caller.p, isRequest('BYE'))).toEqual([]);
    expect(received(callee.p, isRequest('BYE'))).toEqual([]);
    expect(run.engine.activeCalls).toBe(1);
    await hangUp(run);
  });

  it('answers 488 to the caller and ends the callee\'s dialog when the callee\'s 200 has unreadable SDP', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    await dial(run);
    callee.ring();
    await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
    callee.answer({ body: 'garbage' });
    const ack = await next(callee.p, isRequest('ACK'), 'the ACK of the callee\'s 200');
    expect(tagOf(header(ack, 'to'))).toBe(callee.tag);
    expect(header(ack, 'cseq')).toBe('1 ACK');
    const bye = await next(callee.p, isRequest('BYE'), 'the callee\'s BYE');
    expect(tagOf(header(bye, 'to'))).toBe(callee.tag);
    expect(header(bye, 'cseq')).toBe('2 BYE');
    callee.reply(bye, 200, 'OK');
    const rejected = await next(caller.p, isResponse(488, 'INVITE'), 'the caller\'s 488');
    // The same To tag as the 180's.
    expect(tagOf(header(rejected, 'to'))).toBe(tagOf(header(received(caller.p, isResponse(180, 'INVITE'))[0]!, 'to')));
    caller.ackFailure(rejected);
    await until(() => run.engine.activeCalls === 0);
    // ACKed: the 488 is not resent (it would be at 0.5 s), nor the BYE answered.
    const count488 = received(caller.p, isResponse(488, 'INVITE')).length;
    await sleep(700);
    expect(received(caller.p, isResponse(488, 'INVITE'))).toHaveLength(count488);
    expect(received(caller.p, isResponse(200, 'INVITE'))).toEqual([]);
    expect(received(callee.p, isRequest('BYE'))).toHaveLength(1);
  });

  it('ends a ringing call on the caller\'s BYE in the early dialog: 200, 487, CANCEL', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    await dial(run);
    callee.ring();
    const ringing = await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
    caller.learn(ringing);
    caller.inDialog('BYE');
    const ok = await next(caller.p, isResponse(200, 'BYE'), 'the 200 to the caller\'s BYE');
    expect(tagOf(header(ok, 'to'))).toBe(caller.remoteTag);
    const terminated = await next(caller.p, isResponse(487, 'INVITE'), 'the caller\'s 487');
    expect(tagOf(header(terminated, 'to'))).toBe(caller.remoteTag);
    const cancel = await next(callee.p, isRequest('CANCEL'), 'the callee\'s CANCEL');
    expect(branchOf(cancel)).toBe(branchOf(callee.invite!));
    expect(header(cancel, 'cseq')).toBe('1 CANCEL');
    callee.reply(cancel, 200, 'OK', { toTag: callee.tag });
    callee.reply(callee.invite!, 487, 'Request Terminated', { toTag: callee.tag });
    await next(callee.p, isRequest('ACK'), 'the ACK of the callee\'s 487');
    caller.ackFailure(terminated);
    await until(() => run.engine.activeCalls === 0);
    expect(received(caller.p, isResponse(200, 'INVITE'))).toEqual([]);
  });

  it('answers 503 to the caller and CANCELs the callee when the engine stops while a call rings', async () => {
    // Its own engine, stopped here (not in the suite's afterAll), in a folder of its own.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-flat-edges-stop-'));
    let started: Engine | null = null;
    try {
      const run = await startRun(async (calleePort) => {
        const s = await startEngine(dir, { sip: { flatCalls: true }, dialplan: dialplanTo(calleePort) });
        started = s.engine;
        return s;
      });
      const { caller, callee, engine } = run;
      await dial(run);
      callee.ring();
      const ringing = await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
      await engine.stop();
      const unavailable = await next(caller.p, isResponse(503, 'INVITE'), 'the caller\'s 503');
      expect(tagOf(header(unavailable, 'to'))).toBe(tagOf(header(ringing, 'to')));
      const cancel = await next(callee.p, isRequest('CANCEL'), 'the callee\'s CANCEL');
      expect(branchOf(cancel)).toBe(branchOf(callee.invite!));
      expect(engine.activeCalls).toBe(0);
      // A second stop (as a suite's afterAll would do) is harmless.
      await expect(engine.stop()).resolves.toBeUndefined();
    } finally {
      await (started as Engine | null)?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is promoted to a Call at its session timer\'s deadline, which refreshes the caller\'s leg', async () => {
    const clock = new MovableClock();
    const run = await startRun(async (calleePort) => {
      const started = await engineWith(clock, suite.dir, dialplanTo(calleePort));
      stops.push(() => started.engine.stop());
      return started;
    });
    const { caller, callee, engine } = run;
    await dial(run);
    const ok = await ringAndAnswer(run);
    // Sluice is the caller's UAS and took the refresh on itself (RFC 4028 9): at half the interval.
    expect(header(ok, 'session-expires')).toBe('1800;refresher=uas');
    await sleep(SETTLE_MS);
    expect(received(caller.p, isRequest('INVITE'))).toEqual([]);
    clock.offset = 901_000;
    // The sweep (once a second) finds the deadline passed: the Call's session refreshes at once.
    const refresh = await next(caller.p, isRequest('INVITE'), 'the refreshing re-INVITE', 3000);
    expect(header(refresh, 'call-id')).toBe(caller.callId);
    expect(tagOf(header(refresh, 'from'))).toBe(caller.remoteTag);
    expect(tagOf(header(refresh, 'to'))).toBe(caller.tag);
    expect(uriOf(refresh.start.split(' ')[1]!)).toBe(`sip:${caller.user}@127.0.0.1:${caller.p.port}`);
    expect(header(refresh, 'session-expires')).toBe('1800;refresher=uac');
    // The same SDP as our 200's (a refresh changes nothing).
    expect(refresh.body).toBe(ok.body);
    caller.reply(refresh, 200, 'OK', { contact: `<sip:${caller.user}@127.0.0.1:${caller.p.port}>`, body: sdp(caller.user, CALLER_RTP), headers: [['Session-Expires', '1800;refresher=uac'], ['Require', 'timer']] });
    const ack = await next(caller.p, isRequest('ACK'), 'the ACK of the refresh\'s 200');
    expect(header(ack, 'cseq')).toBe(header(refresh, 'cseq').replace('INVITE', 'ACK'));
    expect(tagOf(header(ack, 'to'))).toBe(caller.tag);
    expect(engine.activeCalls).toBe(1);
    // The callee heard nothing of it.
    expect(received(callee.p, isRequest('INVITE'))).toHaveLength(1);
    // The Call ends as any: the caller's BYE crosses.
    await hangUp(run);
  });
});

// ---- an engine on a clock that can be moved on ---------------------------------------------------

/** The system clock, both wall and monotonic time moved on by `offset` ms. */
class MovableClock extends SystemClock {
  offset = 0;

  override now(): number {
    return super.now() + this.offset;
  }

  override wallNow(): number {
    return super.wallNow() + this.offset;
  }
}

/** As fixtures.ts startEngine does, with a clock of our own and flat calls on. */
async function engineWith(clock: MovableClock, dir: string, dialplan: unknown): Promise<{ engine: Engine; insidePort: number }> {
  const base = 32000 + Math.floor(Math.random() * 300) * 100;
  const config = validateConfig({
    realms: {
      inside: { listen: [{ transport: 'udp', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1', portMin: base, portMax: base + 40 }, registrar: true },
      outside: { listen: [{ transport: 'udp', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1', portMin: base + 50, portMax: base + 90 } },
    },
    calls: { cdrFile: join(dir, `cdr-${base}.jsonl`), mediaTimeoutSeconds: 0 },
    sip: { flatCalls: true },
  });
  const store = new MemoryStore({ clock, shared: false });
  const registrars = new Map([['inside', new Registrar({ store, clock, realm: 'inside' })]]);
  const engine = new Engine({ config, clock, log: silentLogger, store, dialplan: Dialplan.fromObject(dialplan), registrars });
  await engine.start();
  return { engine, insidePort: engine.realms.get('inside')!.transport.locals[0]!.port };
}
