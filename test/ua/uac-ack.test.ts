import { describe, expect, it } from 'vitest';
import { frozenDialog, type DialogRecord } from '../../src/dialog/index.js';
import { parseMessage, type SipResponse } from '../../src/sip/index.js';
import type { Destination } from '../../src/transaction/index.js';
import { UacAcks } from '../../src/ua/uac-ack.js';
import type { UserAgent } from '../../src/ua/user-agent.js';

const dialog: DialogRecord = frozenDialog({
  role: 'uac',
  state: 'confirmed',
  callId: 'late@sluice',
  localTag: 'ours',
  remoteTag: 'theirs',
  localUri: '<sip:a@sluice.test>;tag=ours',
  remoteUri: '<sip:b@192.0.2.2>',
  localTarget: 'sip:a@192.0.2.1:5060',
  remoteTarget: 'sip:b@192.0.2.2:5060',
  routeSet: [],
  localSeq: 1,
  remoteSeq: null,
  secure: false,
  inviteSeq: 1,
  method: 'INVITE',
});
const SDP = 'v=0\r\no=b 1 1 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const ok = parseMessage(
  Buffer.from(
    'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKinv\r\nFrom: <sip:a@sluice.test>;tag=ours\r\nTo: <sip:b@192.0.2.2>;tag=theirs\r\n' +
      `Call-ID: late@sluice\r\nCSeq: 1 INVITE\r\nContact: <sip:b@192.0.2.2:5060>\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`,
    'latin1',
  ),
) as SipResponse;
const to: Destination = { transport: 'UDP', address: '192.0.2.2', port: 5060, reliable: false };

/** The three things UacAcks asks of its UA, the ACKs it sends kept as text. */
function uaSending(sent: string[]): UserAgent {
  let n = 0;
  return {
    sendAckText: (text: string) => sent.push(text),
    transactions: { newBranch: () => `z9hG4bKack${++n}` },
    viaFor: () => ({ transport: 'UDP', host: '192.0.2.1', port: 5060, rport: true }),
  } as unknown as UserAgent;
}

describe('UacAcks, a late offer (the offer in the 2xx, the answer in our ACK)', () => {
  it('sends nothing for a repeat of the 2xx while its ACK waits for the answer; then the one ACK, with it, for every repeat', () => {
    const sent: string[] = [];
    const acks = new UacAcks(uaSending(sent));
    const basis = { seq: 1, offer: false, credentials: [] };
    acks.ack(dialog, null, basis, ok, to, true);
    expect(acks.waiting).toBe(true);
    // The callee repeats its 2xx before our answer is known: no ACK without the answer.
    acks.ack(dialog, null, basis, ok, to, false);
    expect(sent).toEqual([]);
    expect(acks.acknowledge(dialog, { body: 'v=0 answer', contentType: 'application/sdp' })).toBe(true);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain('ACK sip:b@192.0.2.2:5060 SIP/2.0');
    expect(sent[0]!.endsWith('v=0 answer')).toBe(true);
    // Later repeats get that same ACK, answer and all.
    acks.ack(dialog, null, basis, ok, to, false);
    expect(sent).toEqual([sent[0], sent[0]]);
  });
});
