import { describe, expect, it } from 'vitest';
import { inviteCredentials, uacDialogBase } from '../../src/dialog/index.js';
import { latin1Bytes, parseMessage, serializeMessage, type SipRequest } from '../../src/sip/index.js';
import type { Destination } from '../../src/transaction/index.js';
import { buildInvite, writeInvite, type InviteAttempt } from '../../src/ua/invite-request.js';
import type { CallOptions } from '../../src/ua/outgoing-call.js';
import { ackBasisOf } from '../../src/ua/uac-ack.js';
import { Network, OFFER } from './wire.js';

const TO: Destination = { transport: 'UDP', address: '10.0.0.2', port: 5060, reliable: false };
const AUTH: InviteAttempt['auth'] = [['Proxy-Authorization', 'Digest username="a", realm="r", nonce="n", uri="sip:b@10.0.0.2", response="00"']];

/** What a receiver reads of a request: start line, every header's values in order (Via's branch aside), body. */
function seen(r: SipRequest): unknown {
  const keys = [...new Set(r.headers.map((f) => f.key))].sort();
  const values = (k: string) => r.headerValues(k).map((v) => (k === 'via' ? v.replace(/branch=[^;,]*/, 'branch=B') : v));
  return { start: r.startLine, headers: keys.map((k) => [k, values(k)]), body: r.body.toString('latin1') };
}

const cases: [string, CallOptions, Partial<InviteAttempt>][] = [
  ['an offer', { uri: 'sip:bob@10.0.0.2:5060', from: '"Alice" <sip:alice@example.com>', body: OFFER }, {}],
  ['no offer, a To and extra fields', { uri: 'sip:bob@10.0.0.2', from: '<sip:alice@example.com>', to: 'Bob <sip:bob@example.com>', headers: [['X-Leg', '7'], ['Supported', 'path']] }, {}],
  ['a UTF-8 body, 100rel required, credentials', { uri: 'sip:bob@10.0.0.2', from: '<sip:a@example.com>', body: 'v=0\r\ns=Grüße\r\n', contentType: 'application/sdp', reliableProvisional: 'required', headers: [['Authorization', 'Digest username="x"']] }, { auth: AUTH }],
  ['a session interval', { uri: 'sip:bob@10.0.0.2', from: '<sip:a@example.com>', body: Buffer.from(OFFER) }, { sessionExpires: 1800 }],
];

describe('writeInvite', () => {
  it.each(cases)('%s: the INVITE buildInvite makes, and what its call takes from it', (_name, options, more) => {
    const ua = new Network().ua('10.0.0.1', { sessionTimer: { interval: 1800 } });
    const attempt: InviteAttempt = { callId: 'c1@sluice', fromTag: 'ft1', seq: 3, contact: 'sip:7b@10.0.0.1:5060', sessionExpires: null, auth: [], ...more };
    const written = writeInvite(ua, TO, options, attempt);
    const built = buildInvite(ua, TO, options, attempt);
    const parsed = parseMessage(latin1Bytes(written.text)) as SipRequest;
    expect(seen(parsed)).toEqual(seen(parseMessage(serializeMessage(built)) as SipRequest));
    expect(parsed.topVia?.branch).toBe(written.branch);
    expect(written.offer).toBe(built.body.length === 0 ? null : built.body.toString('utf8'));
    expect(written.basis).toEqual(ackBasisOf(built));
    expect(written.basis.credentials).toEqual(inviteCredentials(built));
    expect(written.base).toEqual(uacDialogBase(built, { localTarget: attempt.contact }));
  });
});
