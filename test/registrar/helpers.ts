/** Drives a Registrar with hand-made REGISTERs and a fake server transaction that keeps the responses. */
import { FakeClock } from '../../src/clock.js';
import { Registrar, type RegistrarOptions } from '../../src/registrar/index.js';
import {
  answerChallenge,
  parseAuth,
  parseMessage,
  pickChallenge,
  type SipRequest,
  type SipResponse,
} from '../../src/sip/index.js';
import { MemoryStore } from '../../src/state/index.js';
import type { MessageSource, ServerTransaction } from '../../src/transaction/index.js';
import { IncomingRequest } from '../../src/ua/index.js';

export const PHONE: MessageSource = { transport: 'UDP', address: '198.51.100.7', port: 40_001, local: { address: '203.0.113.1', port: 5060 }, reliable: false };

export interface RegisterSpec {
  user?: string;
  /** Contact values as written; '*' for removal; [] for a query. */
  contacts?: string[] | '*';
  expires?: number;
  callId?: string;
  cseq?: number;
  source?: MessageSource;
  headers?: [string, string][];
  uri?: string;
}

export function registerRequest(spec: RegisterSpec = {}): SipRequest {
  const user = spec.user ?? 'alice';
  const uri = spec.uri ?? 'sip:example.com';
  const lines = [
    `REGISTER ${uri} SIP/2.0`,
    'Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK-reg;rport',
    'Max-Forwards: 70',
    `From: <sip:${user}@example.com>;tag=ft1`,
    `To: <sip:${user}@example.com>`,
    `Call-ID: ${spec.callId ?? 'reg-call-1'}`,
    `CSeq: ${spec.cseq ?? 1} REGISTER`,
    'User-Agent: TestPhone/1.0',
  ];
  lines.push('Content-Length: 0', '', '');
  const m = parseMessage(Buffer.from(lines.join('\r\n'), 'latin1'));
  if (m.kind !== 'request') throw new Error('not a request');
  // Added after parsing: a malformed Contact or Expires must reach the registrar, not stop the parser.
  const contacts = spec.contacts ?? [`<sip:${user}@192.168.1.10:5060>`];
  for (const c of contacts === '*' ? ['*'] : contacts) m.appendHeader('Contact', c);
  if (spec.expires !== undefined) m.appendHeader('Expires', String(spec.expires));
  for (const [n, v] of spec.headers ?? []) m.appendHeader(n, v);
  return m;
}

export class Harness {
  readonly clock = new FakeClock();
  readonly store = new MemoryStore({ clock: this.clock });
  readonly registrar: Registrar;
  cseq = 1;

  constructor(options: Partial<RegistrarOptions> = {}) {
    this.registrar = new Registrar({ store: this.store, clock: this.clock, realm: 'inside', ...options });
  }

  /** Sends one REGISTER (CSeq counting up unless given) and returns the final response. */
  async register(spec: RegisterSpec = {}): Promise<SipResponse> {
    return this.send(registerRequest({ cseq: this.cseq++, ...spec }), spec.source ?? PHONE);
  }

  async send(request: SipRequest, source: MessageSource = PHONE): Promise<SipResponse> {
    const sent: SipResponse[] = [];
    const tx = { source, respond: (r: SipResponse) => sent.push(r) } as unknown as ServerTransaction;
    await this.registrar.handle(new IncomingRequest(request, source, tx, 'regtag'));
    const final = sent.find((r) => r.status >= 200);
    if (final === undefined || sent.length !== 1) throw new Error(`expected one final response, got ${sent.map((r) => r.status).join(', ')}`);
    return final;
  }

  /** REGISTER, answer the 401 with these credentials, return both responses. */
  async registerWithAuth(username: string, password: string, spec: RegisterSpec = {}): Promise<[SipResponse, SipResponse]> {
    const first = await this.register(spec);
    const authorization = answerFor(first, username, password, spec.uri ?? 'sip:example.com');
    const second = await this.register({ ...spec, headers: [...(spec.headers ?? []), ['Authorization', authorization]] });
    return [first, second];
  }
}

export function answerFor(challenge: SipResponse, username: string, password: string, uri: string, nc = 1): string {
  const picked = pickChallenge(challenge.headerValues('www-authenticate').map((v) => parseAuth(v, 'www-authenticate')));
  if (picked === undefined) throw new Error('no usable challenge');
  return answerChallenge({ challenge: picked, method: 'REGISTER', uri, username, password, nc, cnonce: 'c0ffee' });
}

/** Contact values of a response, as written. */
export function contactsOf(r: SipResponse): string[] {
  return r.headerValues('contact');
}
