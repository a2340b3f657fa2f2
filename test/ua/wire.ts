/**
 * Two (or more) user agents joined by an in-memory datagram network on a fake clock: every
 * message is serialized and parsed again (as on a wire), sources are true, received/rport are
 * stamped as the transport layer does, and a test may drop or watch messages.
 */
import { FakeClock } from '../../src/clock.js';
import { parseMessage, serializeMessage, type SipRequest, type SipResponse } from '../../src/sip/index.js';
import type { Destination, MessageSource } from '../../src/transaction/index.js';
import { responseDestination, stampReceived } from '../../src/transport/via.js';
import { UserAgent, type UaOptions } from '../../src/ua/index.js';

export interface Sent {
  from: string;
  to: string;
  message: SipRequest | SipResponse;
  at: number;
}

export class Network {
  readonly clock = new FakeClock();
  readonly log: Sent[] = [];
  /** Return true to drop a message (after it is logged). */
  drop: (s: Sent) => boolean = () => false;
  private readonly nodes = new Map<string, UserAgent>();
  private readonly queue: { to: string; bytes: Buffer; source: MessageSource; sent: Sent }[] = [];
  private counter = 0;

  /** `defaults`: options every UA of this network gets unless a test gives its own. */
  constructor(private readonly defaults: Partial<UaOptions> = {}) {}

  /** A UA at 10.0.0.N:5060. */
  ua(address: string, options: Partial<UaOptions> = {}): UserAgent {
    const local = { address, port: 5060 };
    const send = (message: SipRequest | SipResponse, d: Destination, done: (e: Error | null) => void): void => sendBytes(serializeMessage(message), d, done);
    const sendBytes = (bytes: Buffer, d: Destination, done: (e: Error | null) => void): void => {
      const sent: Sent = { from: address, to: d.address, message: parseMessage(bytes), at: this.clock.now() };
      this.log.push(sent);
      if (!this.drop(sent)) {
        this.queue.push({ to: `${d.address}:${d.port}`, bytes, source: { transport: 'UDP', address, port: 5060, local: { address: d.address, port: d.port }, reliable: false }, sent });
      }
      done(null);
    };
    let n = 0;
    const ua = new UserAgent({
      clock: this.clock,
      transport: {
        sendRequest: (r, d, done) => send(r, d, done),
        sendResponse: (r, source, done) => send(r, responseDestination(r, source), done),
        sendBytes,
        sendText: (text, d, done) => sendBytes(Buffer.from(text, 'latin1'), d, done),
        responseDestination,
        localFor: () => local,
      },
      ids: () => `${address.replace(/\./g, '')}x${++n}x${this.counter++}`,
      random: () => 0.5,
      ...this.defaults,
      ...options,
    });
    this.nodes.set(`${address}:5060`, ua);
    return ua;
  }

  /** Delivers queued messages (and what they cause) and lets promises run, until quiet. */
  async settle(): Promise<void> {
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 5; i++) await Promise.resolve();
      const item = this.queue.shift();
      if (item === undefined) {
        await new Promise((r) => setImmediate(r));
        if (this.queue.length === 0) return;
        continue;
      }
      const ua = this.nodes.get(item.to);
      if (ua === undefined) continue;
      const message = parseMessage(item.bytes);
      if (message.kind === 'request') stampReceived(message, item.source);
      ua.onMessage(message, item.source);
    }
  }

  /** Advances the clock by `ms` in steps of `step`, settling after each. */
  async run(ms: number, step = 50): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      this.clock.advance(Math.min(step, ms - t));
      await this.settle();
    }
  }

  /** Messages sent so far matching a start line prefix ('INVITE', '200 INVITE' for responses by status and CSeq method). */
  sent(what: string, from?: string): Sent[] {
    return this.log.filter((s) => (from === undefined || s.from === from) && describe(s.message).startsWith(what));
  }
}

export function describe(m: SipRequest | SipResponse): string {
  return m.kind === 'request' ? `${m.method} ${m.cseq.seq}` : `${m.status} ${m.cseq.method} ${m.cseq.seq}`;
}

export const OFFER = 'v=0\r\no=a 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
export const ANSWER = 'v=0\r\no=b 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n';
