import { describe, expect, it } from 'vitest';
import { ackFor2xxText, createAckFor2xx, createCancel, createNon2xxAck, createUacDialog, inviteCredentials } from '../../src/dialog/index.js';
import { parseMessage, serializeMessage, SipRequest } from '../../src/sip/index.js';
import { ALICE_FROM, aliceInvite, aliceResponse, BOB_CONTACT, BOB_TO, CALL_ID, frozen, request, errorCode } from './fixtures.js';

function reparse(r: SipRequest): SipRequest {
  const m = parseMessage(serializeMessage(r), { mode: 'all' });
  expect(m).toBeInstanceOf(SipRequest);
  return m as SipRequest;
}

const TOP_VIA = 'SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9';

describe('createAckFor2xx (RFC 3261 13.2.2.4)', () => {
  it('is built like a request in the dialog, with the INVITE CSeq number and its own branch', () => {
    const invite = aliceInvite(['Proxy-Authorization: Digest username="alice", realm="atlanta.example.com", nonce="n", uri="sip:bob@biloxi.example.com", response="0123456789abcdef0123456789abcdef"']);
    const dialog = frozen(createUacDialog(invite, aliceResponse(200)));
    const ack = reparse(createAckFor2xx(dialog, 1, { branch: 'z9hG4bKack1', via: { transport: 'TCP', host: 'client.atlanta.example.com', port: 5060 }, credentials: inviteCredentials(invite) }));
    expect(ack.startLine).toBe(`ACK ${BOB_CONTACT} SIP/2.0`);
    expect(ack.headerValues('route')).toEqual(['<sip:ss1.atlanta.example.com;lr>', '<sip:ss2.biloxi.example.com;lr>']);
    expect(ack.via).toHaveLength(1);
    expect(ack.topVia?.branch).toBe('z9hG4bKack1');
    expect(ack.cseq).toEqual({ seq: 1, method: 'ACK' });
    expect(ack.header('from')).toBe(ALICE_FROM);
    expect(ack.header('to')).toBe(`${BOB_TO};tag=314159`);
    expect(ack.callId).toBe(CALL_ID);
    expect(ack.maxForwards).toBe(70);
    expect(ack.header('proxy-authorization')).toBe(invite.header('proxy-authorization'));
    expect(ack.has('contact')).toBe(false);
    expect(dialog.localSeq).toBe(1);
  });

  it('acknowledges a re-INVITE with its own CSeq and can carry the answer', () => {
    const dialog = { ...createUacDialog(aliceInvite(), aliceResponse(200)), localSeq: 4 };
    const ack = createAckFor2xx(dialog, 4, { branch: 'z9hG4bKack4', via: { transport: 'TCP', host: 'h', port: 5060 }, body: 'v=0\r\n', contentType: 'application/sdp' });
    expect(ack.cseq).toEqual({ seq: 4, method: 'ACK' });
    expect(ack.header('content-type')).toBe('application/sdp');
    expect(reparse(ack).body.toString()).toBe('v=0\r\n');
  });
});

describe('ackFor2xxText', () => {
  it('is the text createAckFor2xx serializes to, byte for byte, with and without routes, credentials and a body', () => {
    const invite = aliceInvite(['Proxy-Authorization: Digest username="alice", realm="atlanta.example.com", nonce="n", uri="sip:bob@biloxi.example.com", response="0123456789abcdef0123456789abcdef"']);
    const routed = frozen(createUacDialog(invite, aliceResponse(200)));
    const direct = { ...routed, routeSet: [] };
    const strict = { ...routed, routeSet: ['<sip:strict.example.com>', '<sip:ss2.biloxi.example.com;lr>'] };
    const via = { transport: 'UDP', host: '192.0.2.1', port: 5060, rport: true };
    for (const dialog of [routed, direct, strict]) {
      for (const extra of [{}, { credentials: inviteCredentials(invite) }, { body: 'v=0\r\ns=Grüße\r\n', contentType: 'application/sdp' }, { body: Buffer.from([0, 255, 128]), contentType: 'application/octet-stream', extraHeaders: [['X-A', '1']] as const }]) {
        const options = { branch: 'z9hG4bKack9', via, ...extra };
        expect(ackFor2xxText(dialog, 7, options)).toBe(serializeMessage(createAckFor2xx(dialog, 7, options)).toString('latin1'));
      }
    }
  });
});

describe('createCancel (RFC 3261 9.1)', () => {
  it('copies Request-URI, Call-ID, From, To, CSeq number, the top Via and Route', () => {
    const invite = aliceInvite();
    const cancel = reparse(createCancel(invite));
    expect(cancel.method).toBe('CANCEL');
    expect(cancel.uriText).toBe(invite.uriText);
    expect(cancel.headerValues('via')).toEqual([TOP_VIA]);
    expect(cancel.topVia?.branch).toBe(invite.topVia?.branch);
    expect(cancel.headerValues('route')).toEqual(['<sip:ss1.atlanta.example.com;lr>']);
    expect(cancel.header('from')).toBe(invite.header('from'));
    expect(cancel.header('to')).toBe(invite.header('to'));
    expect(cancel.toTag).toBeNull();
    expect(cancel.callId).toBe(invite.callId);
    expect(cancel.cseq).toEqual({ seq: 1, method: 'CANCEL' });
    expect(cancel.maxForwards).toBe(70);
    expect(cancel.has('contact')).toBe(false);
    expect(cancel.has('content-type')).toBe(false);
    expect(cancel.body.length).toBe(0);
  });

  it('keeps only the first value of a comma-separated Via field', () => {
    const invite = request([
      'INVITE sip:b@example.com SIP/2.0',
      'Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKtop, SIP/2.0/UDP b.example.com;branch=z9hG4bKlow',
      'From: <sip:a@example.com>;tag=1',
      'To: <sip:b@example.com>',
      'Call-ID: c1',
      'CSeq: 9 INVITE',
      'Contact: <sip:a@192.0.2.1>',
      '',
      '',
    ]);
    const cancel = reparse(createCancel(invite));
    expect(cancel.headerValues('via')).toEqual(['SIP/2.0/UDP a.example.com;branch=z9hG4bKtop']);
    expect(cancel.cseq).toEqual({ seq: 9, method: 'CANCEL' });
    expect(cancel.header('max-forwards')).toBe('70');
    expect(cancel.has('route')).toBe(false);
  });
});

describe('createNon2xxAck (RFC 3261 17.1.1.3)', () => {
  it('takes To from the response and the rest from the INVITE', () => {
    const invite = aliceInvite();
    const busy = aliceResponse(486, { toTag: 'busy1', contact: null });
    const ack = reparse(createNon2xxAck(invite, busy));
    expect(ack.startLine).toBe('ACK sip:bob@biloxi.example.com SIP/2.0');
    expect(ack.headerValues('via')).toEqual([TOP_VIA]);
    expect(ack.headerValues('route')).toEqual(['<sip:ss1.atlanta.example.com;lr>']);
    expect(ack.header('from')).toBe(ALICE_FROM);
    expect(ack.header('to')).toBe(`${BOB_TO};tag=busy1`);
    expect(ack.callId).toBe(CALL_ID);
    expect(ack.cseq).toEqual({ seq: 1, method: 'ACK' });
    expect(ack.maxForwards).toBe(70);
    expect(ack.body.length).toBe(0);
  });

  it('refuses a 2xx and a response to another request', () => {
    expect(errorCode(() => createNon2xxAck(aliceInvite(), aliceResponse(200)))).toBe('SLUICE_ERR_DIALOG_INVALID');
    expect(errorCode(() => createNon2xxAck(aliceInvite(), aliceResponse(486, { cseq: '2 INVITE' })))).toBe('SLUICE_ERR_DIALOG_MISMATCH');
  });
});
