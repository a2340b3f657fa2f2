/**
 * Test bench for the transaction layer: a fake clock, a fake transport that records every send
 * with its time, recording users and core, and message builders that go through the parser
 * (so what reaches the layer looks like what the transport hands it).
 */
import { FakeClock } from '../../src/clock.js';
import { createResponse, parseMessage, serializeMessage, SipRequest, SipResponse } from '../../src/sip/index.js';
import {
  TransactionLayer,
  type ClientTransaction,
  type ClientTransactionUser,
  type Destination,
  type InviteServerTransaction,
  type MessageSource,
  type NonInviteServerTransaction,
  type SendCallback,
  type ServerTransaction,
  type ServerTransactionUser,
  type TimerConfig,
  type TransactionCore,
  type TransportPort,
  type TryingPolicy,
} from '../../src/transaction/index.js';

export interface Sent {
  at: number;
  message: SipRequest | SipResponse;
  /** Method of a request, or "<status> <CSeq method>" of a response. */
  what: string;
  to: Destination | MessageSource;
}

/** sync: inside the send call; async: on the next clock tick; held: when the test calls release(). */
type FailMode = 'sync' | 'async' | 'held';

/** Records sends; can fail them synchronously or on the next clock tick. */
export class FakeTransport implements TransportPort {
  readonly sent: Sent[] = [];
  private failures: { mode: FailMode; error: Error; count: number } | null = null;
  private held: (() => void)[] = [];

  constructor(private readonly clock: FakeClock) {}

  /** The next `count` sends fail (Infinity: all of them). */
  fail(mode: FailMode, error = new Error('unreachable'), count = 1): void {
    this.failures = { mode, error, count };
  }

  sendRequest(request: SipRequest, destination: Destination, done: SendCallback): void {
    this.record(request, request.method, destination, done);
  }

  sendResponse(response: SipResponse, source: MessageSource, done: SendCallback): void {
    this.record(response, `${response.status} ${response.cseq.method}`, source, done);
  }

  /** Back where the request came from: the fake has no Via rules of its own. */
  responseDestination(_response: SipResponse, source: MessageSource): Destination {
    return source;
  }

  /** Bytes (a final kept for Timer J) are recorded as the message they hold. */
  sendBytes(bytes: Buffer, destination: Destination, done: SendCallback): void {
    const message = parseMessage(bytes);
    this.record(message, message.kind === 'request' ? message.method : `${message.status} ${message.cseq.method}`, destination, done);
  }

  /** Times (ms) at which messages described by `what` were sent. */
  times(what: string): number[] {
    return this.sent.filter((s) => s.what === what).map((s) => s.at);
  }

  last(): Sent {
    const s = this.sent[this.sent.length - 1];
    if (s === undefined) throw new Error('nothing sent');
    return s;
  }

  private record(message: SipRequest | SipResponse, what: string, to: Destination | MessageSource, done: SendCallback): void {
    this.sent.push({ at: this.clock.now(), message, what, to });
    const f = this.failures;
    if (f === null) {
      done(null); // success is reported too, as the real transport does; it must be ignored
      return;
    }
    if (--f.count <= 0) this.failures = null;
    if (f.mode === 'sync') done(f.error);
    else if (f.mode === 'async') this.clock.setTimer(0, () => done(f.error));
    else this.held.push(() => done(f.error));
  }

  /** Delivers the failures held back so far. */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const fn of held) fn();
  }
}

export type Event = [string, ...unknown[]];

/** A ClientTransactionUser that records its callbacks in order. */
export class RecordingClientUser implements ClientTransactionUser {
  readonly events: Event[] = [];
  readonly finals: SipResponse[] = [];
  constructor(private readonly clock: FakeClock) {}
  onProvisional(response: SipResponse): void {
    this.events.push(['provisional', response.status, this.clock.now()]);
  }
  onFinal(response: SipResponse): void {
    this.finals.push(response);
    this.events.push(['final', response.status, this.clock.now()]);
  }
  onTimeout(_tx: ClientTransaction): void {
    this.events.push(['timeout', this.clock.now()]);
  }
  onTransportError(error: Error): void {
    this.events.push(['transportError', error.message, this.clock.now()]);
  }
  onTerminated(): void {
    this.events.push(['terminated', this.clock.now()]);
  }
  names(): string[] {
    return this.events.map((e) => e[0]);
  }
}

/** A ServerTransactionUser that records its callbacks in order. */
export class RecordingServerUser implements ServerTransactionUser {
  readonly events: Event[] = [];
  constructor(private readonly clock: FakeClock) {}
  onAck(ack: SipRequest): void {
    this.events.push(['ack', ack.method, this.clock.now()]);
  }
  onTimeoutH(): void {
    this.events.push(['timeoutH', this.clock.now()]);
  }
  onTransportError(error: Error): void {
    this.events.push(['transportError', error.message, this.clock.now()]);
  }
  onTerminated(): void {
    this.events.push(['terminated', this.clock.now()]);
  }
  names(): string[] {
    return this.events.map((e) => e[0]);
  }
}

/** A core that records everything handed up and gives each server transaction a recording user. */
export class RecordingCore implements TransactionCore {
  readonly requests: { request: SipRequest; tx: ServerTransaction; sentBefore: number }[] = [];
  readonly acks: { ack: SipRequest; source: MessageSource; tx: InviteServerTransaction | undefined }[] = [];
  readonly cancels: { cancel: SipRequest; tx: NonInviteServerTransaction; invite: InviteServerTransaction | undefined }[] = [];
  readonly strays: { response: SipResponse; source: MessageSource }[] = [];
  readonly users = new Map<ServerTransaction, RecordingServerUser>();
  constructor(
    private readonly clock: FakeClock,
    private readonly transport: FakeTransport,
  ) {}
  onRequest(request: SipRequest, tx: ServerTransaction): void {
    this.requests.push({ request, tx, sentBefore: this.transport.sent.length });
    const user = new RecordingServerUser(this.clock);
    this.users.set(tx, user);
    tx.user = user;
  }
  onAck(ack: SipRequest, source: MessageSource, tx?: InviteServerTransaction): void {
    this.acks.push({ ack, source, tx });
  }
  onCancel(cancel: SipRequest, tx: NonInviteServerTransaction, invite: InviteServerTransaction | undefined): void {
    this.cancels.push({ cancel, tx, invite });
  }
  onStrayResponse(response: SipResponse, source: MessageSource): void {
    this.strays.push({ response, source });
  }
  user(tx: ServerTransaction): RecordingServerUser {
    const u = this.users.get(tx);
    if (u === undefined) throw new Error('no user for that transaction');
    return u;
  }
}

export interface Bench {
  clock: FakeClock;
  transport: FakeTransport;
  core: RecordingCore;
  layer: TransactionLayer;
}

export function bench(options: { timers?: Partial<TimerConfig>; trying?: TryingPolicy; core?: TransactionCore } = {}): Bench {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const core = new RecordingCore(clock, transport);
  let n = 0;
  const layer = new TransactionLayer({
    clock,
    transport,
    core: options.core ?? core,
    timers: options.timers,
    trying: options.trying,
    branchIds: () => `id${++n}`,
  });
  return { clock, transport, core, layer };
}

// ---- messages ------------------------------------------------------------------------------

export const UDP_PEER: Destination = { transport: 'UDP', address: '192.0.2.10', port: 5060, reliable: false };
export const TCP_PEER: Destination = { transport: 'TCP', address: '192.0.2.10', port: 5060, reliable: true, connectionId: 'c1' };
export const UDP_SOURCE: MessageSource = {
  transport: 'UDP',
  address: '198.51.100.7',
  port: 5060,
  local: { address: '203.0.113.1', port: 5060 },
  reliable: false,
};
export const TCP_SOURCE: MessageSource = { transport: 'TCP', address: '198.51.100.7', port: 40123, connectionId: 'c9', reliable: true };

export interface RequestSpec {
  uri?: string;
  /** Branch of the top Via; null for none (RFC 2543). */
  branch?: string | null;
  sentBy?: string;
  viaTransport?: string;
  callId?: string;
  cseq?: number;
  cseqMethod?: string;
  fromTag?: string;
  toTag?: string | null;
  routes?: string[];
  extraVia?: string;
}

/** A request as it would arrive from the wire (serialized, then parsed). */
export function request(method: string, spec: RequestSpec = {}): SipRequest {
  const branch = spec.branch === undefined ? 'z9hG4bKclient1' : spec.branch;
  const via = `SIP/2.0/${spec.viaTransport ?? 'UDP'} ${spec.sentBy ?? 'pc33.atlanta.example.com:5060'}${branch === null ? '' : `;branch=${branch}`}`;
  const lines = [
    `${method} ${spec.uri ?? 'sip:bob@biloxi.example.com'} SIP/2.0`,
    `Via: ${via}`,
    ...(spec.extraVia ? [`Via: ${spec.extraVia}`] : []),
    'Max-Forwards: 70',
    `From: Alice <sip:alice@atlanta.example.com>;tag=${spec.fromTag ?? '1928301774'}`,
    `To: Bob <sip:bob@biloxi.example.com>${spec.toTag ? `;tag=${spec.toTag}` : ''}`,
    `Call-ID: ${spec.callId ?? 'a84b4c76e66710@pc33.atlanta.example.com'}`,
    `CSeq: ${spec.cseq ?? 314159} ${spec.cseqMethod ?? method}`,
    ...(spec.routes ?? []).map((r) => `Route: ${r}`),
    'Contact: <sip:alice@pc33.atlanta.example.com>',
    'Content-Length: 0',
    '',
    '',
  ];
  return wire(lines.join('\r\n')) as SipRequest;
}

/** A response to `req` as it would arrive from the wire. */
export function response(req: SipRequest, status: number, toTag?: string): SipResponse {
  return wire(serializeMessage(createResponse(req, status, undefined, toTag)).toString('latin1')) as SipResponse;
}

/** A response the TU builds (not parsed). */
export function answer(req: SipRequest, status: number, toTag = 'uas-tag'): SipResponse {
  return createResponse(req, status, undefined, toTag);
}

/** The ACK a UAC sends for a non-2xx final (17.1.1.3), as it would arrive from the wire. */
export function ackFor(invite: SipRequest, final: SipResponse, spec: RequestSpec = {}): SipRequest {
  return request('ACK', {
    branch: invite.topVia!.branch,
    sentBy: `${invite.topVia!.host}${invite.topVia!.port === null ? '' : `:${invite.topVia!.port}`}`,
    uri: invite.uriText,
    callId: invite.callId,
    cseq: invite.cseq.seq,
    fromTag: invite.fromTag ?? undefined,
    toTag: final.toTag,
    ...spec,
  });
}

export function wire(text: string): SipRequest | SipResponse {
  return parseMessage(Buffer.from(text, 'latin1'));
}
