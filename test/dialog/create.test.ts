import { describe, expect, it } from 'vitest';
import {
  createUacDialog,
  createUasDialog,
  dialogId,
  dialogKey,
  dialogKeyOfIncomingRequest,
  dialogKeyOfResponse,
  DialogError,
  isInDialog,
  keyOf,
  type DialogRecord,
} from '../../src/dialog/index.js';
import {
  ALICE_CONTACT,
  ALICE_FROM,
  aliceInvite,
  aliceResponse,
  BOB_CONTACT,
  BOB_TO,
  bobInvite,
  bobResponse,
  CALL_ID,
  request,
  response,
} from './fixtures.js';

function errorOf(fn: () => unknown): DialogError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DialogError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('UAS dialog (RFC 3261 12.1.1)', () => {
  it('is early from the INVITE and our 180, with every field of 12.1.1', () => {
    const d = createUasDialog(bobInvite(), bobResponse(180));
    expect(d).toEqual<DialogRecord>({
      role: 'uas',
      state: 'early',
      callId: CALL_ID,
      localTag: '314159',
      remoteTag: '9fxced76sl',
      localUri: `${BOB_TO};tag=314159`,
      remoteUri: ALICE_FROM,
      localTarget: BOB_CONTACT,
      remoteTarget: ALICE_CONTACT,
      // Record-Route of the request, in order.
      routeSet: ['<sip:ss2.biloxi.example.com;lr>', '<sip:ss1.atlanta.example.com;lr>'],
      localSeq: 0,
      remoteSeq: 1,
      secure: false,
      inviteSeq: 1,
      method: 'INVITE',
    });
  });

  it('is confirmed from a 200', () => {
    expect(createUasDialog(bobInvite(), bobResponse(200)).state).toBe('confirmed');
  });

  it('takes a chosen initial local CSeq', () => {
    expect(createUasDialog(bobInvite(), bobResponse(200), { localSeq: 7000 }).localSeq).toBe(7000);
  });

  it('is secure only for a sips Request-URI that came over TLS', () => {
    const sips = bobInvite('sips:bob@client.biloxi.example.com');
    expect(createUasDialog(sips, bobResponse(200), { overTls: true }).secure).toBe(true);
    expect(createUasDialog(sips, bobResponse(200), { overTls: false }).secure).toBe(false);
    expect(createUasDialog(bobInvite(), bobResponse(200), { overTls: true }).secure).toBe(false);
  });

  it('keeps a null remote tag for an RFC 2543 From without tag', () => {
    const inv = request([
      'INVITE sip:bob@b.example.com SIP/2.0',
      'Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1',
      'From: <sip:old@a.example.com>',
      'To: <sip:bob@b.example.com>',
      'Call-ID: old2543',
      'CSeq: 5 INVITE',
      'Contact: <sip:old@192.0.2.9>',
      '',
      '',
    ]);
    const res = response([
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1',
      'From: <sip:old@a.example.com>',
      'To: <sip:bob@b.example.com>;tag=bt',
      'Call-ID: old2543',
      'CSeq: 5 INVITE',
      'Contact: <sip:bob@192.0.2.2>',
      '',
      '',
    ]);
    const d = createUasDialog(inv, res);
    expect(d.remoteTag).toBeNull();
    expect(d.routeSet).toEqual([]);
    expect(keyOf(d)).toBe('old2543|bt|');
  });

  it('refuses what creates no dialog', () => {
    expect(errorOf(() => createUasDialog(bobInvite(), response(['SIP/2.0 486 Busy Here', 'Via: SIP/2.0/UDP x;branch=z9hG4bKx', `From: ${ALICE_FROM}`, `To: ${BOB_TO};tag=1`, `Call-ID: ${CALL_ID}`, 'CSeq: 1 INVITE', '', '']))).code).toBe(
      'SLUICE_ERR_DIALOG_INVALID',
    );
    const noContact = request(['INVITE sip:b@b SIP/2.0', 'Via: SIP/2.0/UDP x;branch=z9hG4bKx', `From: ${ALICE_FROM}`, `To: ${BOB_TO}`, `Call-ID: ${CALL_ID}`, 'CSeq: 1 INVITE', '', '']);
    const e = errorOf(() => createUasDialog(noContact, bobResponse(200)));
    expect(e.code).toBe('SLUICE_ERR_DIALOG_MISSING');
    expect(e.status).toBe(400);
    expect(errorOf(() => createUasDialog(bobInvite(), aliceResponse(200, { cseq: '2 INVITE' }))).code).toBe('SLUICE_ERR_DIALOG_MISMATCH');
  });
});

describe('UAC dialog (RFC 3261 12.1.2)', () => {
  it('is early from our INVITE and a 180 with a To tag; route set is Record-Route reversed', () => {
    const d = createUacDialog(aliceInvite(), aliceResponse(180));
    expect(d).toEqual<DialogRecord>({
      role: 'uac',
      state: 'early',
      callId: CALL_ID,
      localTag: '9fxced76sl',
      remoteTag: '314159',
      localUri: ALICE_FROM,
      remoteUri: `${BOB_TO};tag=314159`,
      localTarget: ALICE_CONTACT,
      remoteTarget: BOB_CONTACT,
      routeSet: ['<sip:ss1.atlanta.example.com;lr>', '<sip:ss2.biloxi.example.com;lr>'],
      localSeq: 1,
      remoteSeq: null,
      secure: false,
      inviteSeq: 1,
      method: 'INVITE',
    });
  });

  it('is confirmed from a 200', () => {
    expect(createUacDialog(aliceInvite(), aliceResponse(200)).state).toBe('confirmed');
  });

  it('reads Record-Route values from comma-separated fields in order, kept as written', () => {
    const res = aliceResponse(200, { recordRoute: ['<sip:c.example.com;lr>, <sip:b.example.com;lr;ftag=x>', '"P" <sip:a.example.com;lr>;foo=bar'] });
    expect(createUacDialog(aliceInvite(), res).routeSet).toEqual([
      '"P" <sip:a.example.com;lr>;foo=bar',
      '<sip:b.example.com;lr;ftag=x>',
      '<sip:c.example.com;lr>',
    ]);
  });

  it('has an empty route set without Record-Route', () => {
    expect(createUacDialog(aliceInvite(), aliceResponse(200, { recordRoute: [] })).routeSet).toEqual([]);
  });

  it('falls back to the Request-URI when an early response has no Contact', () => {
    expect(createUacDialog(aliceInvite(), aliceResponse(180, { contact: null })).remoteTarget).toBe('sip:bob@biloxi.example.com');
  });

  it('makes a dialog with a null remote tag from a tagless 2xx but none from a tagless 1xx', () => {
    expect(createUacDialog(aliceInvite(), aliceResponse(200, { toTag: null })).remoteTag).toBeNull();
    expect(errorOf(() => createUacDialog(aliceInvite(), aliceResponse(180, { toTag: null }))).code).toBe('SLUICE_ERR_DIALOG_MISSING');
  });

  it('refuses 100 and final failures', () => {
    expect(errorOf(() => createUacDialog(aliceInvite(), aliceResponse(100))).code).toBe('SLUICE_ERR_DIALOG_INVALID');
    expect(errorOf(() => createUacDialog(aliceInvite(), aliceResponse(404))).code).toBe('SLUICE_ERR_DIALOG_INVALID');
  });
});

describe('records are data', () => {
  it('go through JSON unchanged', () => {
    for (const d of [createUasDialog(bobInvite(), bobResponse(180)), createUacDialog(aliceInvite(), aliceResponse(200)), createUacDialog(aliceInvite(), aliceResponse(200, { toTag: null }))]) {
      expect(JSON.parse(JSON.stringify(d))).toEqual(d);
      expect(Object.getPrototypeOf(d)).toBe(Object.prototype);
    }
  });

  it('have an ID and a table key', () => {
    const d = createUacDialog(aliceInvite(), aliceResponse(200));
    expect(dialogId(d)).toEqual({ callId: CALL_ID, localTag: '9fxced76sl', remoteTag: '314159' });
    expect(keyOf(d)).toBe(dialogKey(CALL_ID, '9fxced76sl', '314159'));
    expect(dialogKey('a', 'b', null)).not.toBe(dialogKey('a', 'b', 'c'));
  });
});

describe('matching (12.2.2, 12.2.1.2)', () => {
  const bye = (from: string, to: string) =>
    request(['BYE sip:x@y SIP/2.0', 'Via: SIP/2.0/TCP z;branch=z9hG4bKq', `From: ${from}`, `To: ${to}`, `Call-ID: ${CALL_ID}`, 'CSeq: 2 BYE', '', '']);

  it('finds the UAS dialog of an incoming request by Call-ID, To tag (local) and From tag (remote)', () => {
    const bob = createUasDialog(bobInvite(), bobResponse(200));
    const r = bye(ALICE_FROM, `${BOB_TO};tag=314159`);
    expect(isInDialog(r)).toBe(true);
    expect(dialogKeyOfIncomingRequest(r)).toBe(keyOf(bob));
  });

  it('finds the UAC dialog of an incoming request and of a response', () => {
    const alice = createUacDialog(aliceInvite(), aliceResponse(200));
    expect(dialogKeyOfIncomingRequest(bye(`${BOB_TO};tag=314159`, ALICE_FROM))).toBe(keyOf(alice));
    expect(dialogKeyOfResponse(aliceResponse(200))).toBe(keyOf(alice));
  });

  it('gives no key to a request outside a dialog', () => {
    expect(isInDialog(aliceInvite())).toBe(false);
    expect(dialogKeyOfIncomingRequest(aliceInvite())).toBeNull();
  });
});
