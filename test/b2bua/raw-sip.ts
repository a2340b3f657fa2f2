/**
 * Raw UDP peers and hand-written SIP messages, for the tests that must see Sluice's exact bytes
 * (flat-wire.test.ts, flat-edges.test.ts): a node:dgram socket that records every datagram it
 * gets, a small parser (start line, headers, body; compact header names understood), requests and
 * responses written out by hand, a wait for the next message matching a predicate, and the two
 * parties of a call scripted on top of those: the caller as a UAC and the callee as a UAS.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { stops, until } from './fixtures.js';

export const token = (): string => randomBytes(6).toString('hex');

// ---- raw sockets ---------------------------------------------------------------------------------

export interface Peer {
  socket: Socket;
  port: number;
  /** Every datagram received, in order, with when it came (Date.now()). */
  got: { raw: string; at: number }[];
  /** Indexes of `got` a wait has already returned. */
  taken: Set<number>;
}

/** A socket on 127.0.0.1 recording what it gets; closed after the file's tests (fixtures.ts `stops`). */
export async function peer(): Promise<Peer> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const p: Peer = { socket, port: socket.address().port, got: [], taken: new Set() };
  socket.on('message', (b) => p.got.push({ raw: b.toString('latin1'), at: Date.now() }));
  stops.push(async () => {
    await new Promise<void>((r) => socket.close(() => r()));
  });
  return p;
}

export function send(from: Peer, text: string, port: number): void {
  from.socket.send(Buffer.from(text, 'latin1'), port, '127.0.0.1');
}

// ---- messages ------------------------------------------------------------------------------------

export interface Msg {
  raw: string;
  /** When it came (Date.now()); 0 if it was not received. */
  at: number;
  start: string;
  headers: [string, string][];
  body: string;
}

const COMPACT: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length', c: 'content-type', k: 'supported', x: 'session-expires' };

export function parse(raw: string, at = 0): Msg {
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

/** Every value of the header `name` (any case, long or compact form), in order. */
export function all(m: Msg, name: string): string[] {
  const wanted = canonical(name);
  return m.headers.filter(([n]) => canonical(n) === wanted).map(([, v]) => v);
}

/** The first value of the header `name`; throws if there is none. */
export function header(m: Msg, name: string): string {
  const v = all(m, name)[0];
  if (v === undefined) throw new Error(`no ${name} in ${m.start}`);
  return v;
}

/** The URI inside a name-addr (`<...>`) or the addr-spec itself. */
export function uriOf(nameAddr: string): string {
  const lt = nameAddr.indexOf('<');
  return lt < 0 ? nameAddr.split(';')[0]!.trim() : nameAddr.slice(lt + 1, nameAddr.indexOf('>'));
}

export function tagOf(nameAddr: string): string | null {
  return /;tag=([^;>\s,]+)/i.exec(nameAddr)?.[1] ?? null;
}

/** The branch of the (top) Via. */
export function branchOf(m: Msg): string {
  return /;branch=([^;\s,]+)/i.exec(header(m, 'via'))![1]!;
}

export const isRequest = (method: string) => (m: Msg) => m.start.startsWith(`${method} `);
export const isResponse = (status: number, method: string) => (m: Msg) => m.start.startsWith(`SIP/2.0 ${status} `) && header(m, 'cseq').endsWith(` ${method}`);

/** Everything `p` got that matches `pred`, whether a wait returned it or not. */
export function received(p: Peer, pred: (m: Msg) => boolean): Msg[] {
  return p.got.map((g) => parse(g.raw, g.at)).filter(pred);
}

/** The start line of everything `p` got, one a line. */
export function summary(p: Peer): string {
  return p.got.map((g) => g.raw.split('\r\n')[0]).join('\n');
}

/** The first message `p` got matching `pred` that no wait has returned yet, within `ms`. */
export async function next(p: Peer, pred: (m: Msg) => boolean, what: string, ms = 2000): Promise<Msg> {
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

/** A message's text: the start line, `headers` in order, then a Content-Length for `body`. */
export function message(start: string, headers: [string, string][], body = ''): string {
  const lines = [start, ...headers.map(([n, v]) => `${n}: ${v}`), `Content-Length: ${Buffer.byteLength(body, 'latin1')}`];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

export interface ReplyOptions {
  toTag?: string;
  contact?: string;
  /** An SDP body (with Content-Type application/sdp). */
  body?: string;
  /** More headers, after the CSeq. */
  headers?: [string, string][];
}

/** A UAS's response to `req` (8.2.6.2): its Vias, From, To (with `toTag` if it has none), Call-ID and CSeq. */
export function respond(req: Msg, status: number, reason: string, opts: ReplyOptions = {}): string {
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

/** An audio offer or answer (PCMU) from `user` at 127.0.0.1:`port`. */
export function sdp(user: string, port: number): string {
  return `v=0\r\no=${user} 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
}

// ---- the parties ---------------------------------------------------------------------------------

/**
 * The caller as a UAC: its INVITE (kept for its retransmission, CANCEL and non-2xx ACK) to
 * `callee` at Sluice, with an offer for media at `rtpPort`, and the dialog Sluice's 180 or 200 makes.
 */
export class Caller {
  readonly user = `caller${token()}`;
  /** The user part of the Request-URI (the callee's Contact uses it too). */
  readonly callee = `callee${token()}`;
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
    rtpPort: number,
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
      sdp(this.user, rtpPort),
    );
  }

  get from(): string {
    return `<sip:${this.user}@sluice.test>;tag=${this.tag}`;
  }

  via(branch: string): string {
    return `SIP/2.0/UDP 127.0.0.1:${this.p.port};branch=${branch};rport`;
  }

  /** The INVITE, or the same bytes again (a retransmission). */
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

  cancel(): void {
    send(this.p, message(`CANCEL ${this.uri} SIP/2.0`, [['Via', this.via(this.branch)], ['Max-Forwards', '70'], ['From', this.from], ['To', `<${this.uri}>`], ['Call-ID', this.callId], ['CSeq', '1 CANCEL']]), this.sluicePort);
  }

  /** A request in the dialog (the 2xx's ACK has the INVITE's CSeq); its text, for a retransmission. */
  inDialog(method: 'ACK' | 'BYE'): string {
    const text = this.dialogRequest(method, method === 'ACK' ? 1 : ++this.seq);
    send(this.p, text, this.sluicePort);
    return text;
  }

  /** A request in the dialog with CSeq `seq`, written and not sent; `extra` fields after the others. */
  dialogRequest(method: string, seq: number, extra: [string, string][] = []): string {
    return message(`${method} ${this.remoteTarget} SIP/2.0`, [
      ['Via', this.via(`z9hG4bK${token()}`)],
      ['Max-Forwards', '70'],
      ['From', this.from],
      ['To', `<${this.uri}>;tag=${this.remoteTag}`],
      ['Call-ID', this.callId],
      ['CSeq', `${seq} ${method}`],
      ...extra,
    ]);
  }

  reply(req: Msg, status: number, reason: string, opts: ReplyOptions = {}): void {
    send(this.p, respond(req, status, reason, opts), this.sluicePort);
  }
}

export interface AnswerOptions {
  /** Another fork's To tag, instead of ours. */
  tag?: string;
  contact?: string;
  /** Instead of our SDP. */
  body?: string;
}

/** The callee (the trunk) as a UAS, `user` with media at `rtpPort`: answers what Sluice sends it. */
export class Callee {
  readonly tag = token();
  readonly contact: string;
  /** Sluice's INVITE, once it came (the test sets it). */
  invite: Msg | null = null;

  constructor(
    readonly p: Peer,
    readonly sluicePort: number,
    readonly user: string,
    readonly rtpPort: number,
  ) {
    this.contact = `<sip:${user}@127.0.0.1:${p.port}>`;
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
  ok(opts: AnswerOptions = {}): string {
    return respond(this.invite!, 200, 'OK', { toTag: opts.tag ?? this.tag, contact: opts.contact ?? this.contact, body: opts.body ?? sdp(this.user, this.rtpPort) });
  }

  answer(opts: AnswerOptions = {}): void {
    send(this.p, this.ok(opts), this.sluicePort);
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
