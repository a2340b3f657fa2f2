import { describe, expect, it } from 'vitest';
import {
  advanceLocalSeq,
  checkRemoteSeq,
  confirmDialog,
  createUacDialog,
  createUasDialog,
  DialogError,
  isTargetRefresh,
  refreshRemoteTarget,
  responseEndsDialog,
  terminateDialog,
  updateEarlyDialog,
  withLocalTarget,
} from '../../src/dialog/index.js';
import { ALICE_CONTACT, ALICE_FROM, aliceInvite, aliceResponse, BOB_CONTACT, BOB_TO, bobInvite, bobResponse, CALL_ID, frozen, request } from './fixtures.js';

/** An in-dialog request from Alice to Bob. */
function fromAlice(method: string, seq: number, extra: string[] = []) {
  return request([
    `${method} sip:bob@client.biloxi.example.com SIP/2.0`,
    'Via: SIP/2.0/TCP ss2.biloxi.example.com:5060;branch=z9hG4bK' + method + seq,
    `From: ${ALICE_FROM}`,
    `To: ${BOB_TO};tag=314159`,
    `Call-ID: ${CALL_ID}`,
    `CSeq: ${seq} ${method}`,
    ...extra,
    '',
    '',
  ]);
}

const random = (v: number) => () => v;

describe('checkRemoteSeq (RFC 3261 12.2.2)', () => {
  const bob = frozen(createUasDialog(bobInvite(), bobResponse(200)));

  it('accepts a higher CSeq, gaps included, and records it', () => {
    const r = checkRemoteSeq(bob, fromAlice('BYE', 5), { random: random(0) });
    expect(r).toEqual({ ok: true, dialog: { ...bob, remoteSeq: 5 } });
    expect(bob.remoteSeq).toBe(1);
  });

  it('sets an empty remote CSeq from the first request', () => {
    const alice = createUacDialog(aliceInvite(), aliceResponse(200));
    expect(alice.remoteSeq).toBeNull();
    const bye = request(['BYE sip:a@b SIP/2.0', 'Via: SIP/2.0/TCP x;branch=z9hG4bKb', `From: ${BOB_TO};tag=314159`, `To: ${ALICE_FROM}`, `Call-ID: ${CALL_ID}`, 'CSeq: 3141 BYE', '', '']);
    const r = checkRemoteSeq(alice, bye, { random: random(0) });
    expect(r.ok && r.dialog.remoteSeq).toBe(3141);
  });

  it('refuses a lower CSeq with 500 and a Retry-After of 0..10 s from the injected random', () => {
    const later = { ...bob, remoteSeq: 10 };
    expect(checkRemoteSeq(later, fromAlice('INFO', 9), { random: random(0) })).toEqual({ ok: false, status: 500, retryAfter: 0 });
    expect(checkRemoteSeq(later, fromAlice('INFO', 9), { random: random(0.5) })).toEqual({ ok: false, status: 500, retryAfter: 5 });
    expect(checkRemoteSeq(later, fromAlice('INFO', 2), { random: random(0.9999) })).toEqual({ ok: false, status: 500, retryAfter: 10 });
  });

  it('refuses an equal CSeq (a new transaction that is no retransmission)', () => {
    expect(checkRemoteSeq(bob, fromAlice('INVITE', 1), { random: random(0.3) })).toEqual({ ok: false, status: 500, retryAfter: 3 });
  });

  it('lets ACK and CANCEL through untouched', () => {
    const later = { ...bob, remoteSeq: 10 };
    expect(checkRemoteSeq(later, fromAlice('ACK', 1), { random: random(0) })).toEqual({ ok: true, dialog: later });
    expect(checkRemoteSeq(later, fromAlice('CANCEL', 1), { random: random(0) })).toEqual({ ok: true, dialog: later });
  });
});

describe('target refresh (RFC 3261 12.2, RFC 3311, RFC 6665)', () => {
  it('replaces the remote target from a re-INVITE Contact but never the route set', () => {
    const bob = frozen(createUasDialog(bobInvite(), bobResponse(200)));
    const reinvite = fromAlice('INVITE', 2, ['Contact: <sip:alice@192.0.2.77:5080;transport=tcp>', 'Record-Route: <sip:evil.example.com;lr>']);
    const d = refreshRemoteTarget(bob, reinvite);
    expect(d.remoteTarget).toBe('sip:alice@192.0.2.77:5080;transport=tcp');
    expect(d.routeSet).toEqual(bob.routeSet);
    expect(bob.remoteTarget).toBe(ALICE_CONTACT);
  });

  it('keeps the target when the message has no Contact', () => {
    const bob = createUasDialog(bobInvite(), bobResponse(200));
    expect(refreshRemoteTarget(bob, fromAlice('UPDATE', 2))).toBe(bob);
  });

  it('takes the Contact of the 2xx to our own target refresh', () => {
    const alice = createUacDialog(aliceInvite(), aliceResponse(200));
    const ok = aliceResponse(200, { cseq: '2 UPDATE', contact: 'sip:bob@198.51.100.5', recordRoute: [] });
    const d = refreshRemoteTarget(alice, ok);
    expect(d.remoteTarget).toBe('sip:bob@198.51.100.5');
    expect(d.routeSet).toEqual(alice.routeSet);
  });

  it('knows the target refresh methods', () => {
    expect(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY'].every(isTargetRefresh)).toBe(true);
    expect(['BYE', 'INFO', 'PRACK', 'MESSAGE', 'REFER', 'ACK'].some(isTargetRefresh)).toBe(false);
  });

  it('changes our local target', () => {
    const bob = createUasDialog(bobInvite(), bobResponse(200));
    expect(withLocalTarget(bob, 'sip:bob@203.0.113.1').localTarget).toBe('sip:bob@203.0.113.1');
    expect(withLocalTarget(bob, BOB_CONTACT)).toBe(bob);
  });
});

describe('confirming (RFC 3261 13.2.2.4)', () => {
  it('recomputes a UAC route set and remote target from the 2xx', () => {
    const early = frozen(createUacDialog(aliceInvite(), aliceResponse(180, { recordRoute: ['<sip:ss1.atlanta.example.com;lr>'], contact: null })));
    expect(early.routeSet).toEqual(['<sip:ss1.atlanta.example.com;lr>']);
    const confirmed = confirmDialog(early, aliceResponse(200));
    expect(confirmed.state).toBe('confirmed');
    expect(confirmed.routeSet).toEqual(['<sip:ss1.atlanta.example.com;lr>', '<sip:ss2.biloxi.example.com;lr>']);
    expect(confirmed.remoteTarget).toBe(BOB_CONTACT);
    expect(early.state).toBe('early');
  });

  it('updates an early UAC dialog from a later provisional response', () => {
    const early = createUacDialog(aliceInvite(), aliceResponse(180, { contact: null, recordRoute: [] }));
    const d = updateEarlyDialog(early, aliceResponse(183));
    expect(d.remoteTarget).toBe(BOB_CONTACT);
    expect(d.routeSet).toEqual(['<sip:ss1.atlanta.example.com;lr>', '<sip:ss2.biloxi.example.com;lr>']);
    expect(d.state).toBe('early');
  });

  it('confirms a UAS dialog on the 2xx it sends', () => {
    const early = createUasDialog(bobInvite(), bobResponse(180));
    const d = confirmDialog(early, bobResponse(200, '314159', 'sip:bob@198.51.100.9'));
    expect(d.state).toBe('confirmed');
    expect(d.localTarget).toBe('sip:bob@198.51.100.9');
    expect(d.routeSet).toEqual(early.routeSet);
  });

  it('refuses a 2xx of another dialog and a non-2xx', () => {
    const early = createUacDialog(aliceInvite(), aliceResponse(180));
    expect(() => confirmDialog(early, aliceResponse(200, { toTag: 'other' }))).toThrow(DialogError);
    expect(() => confirmDialog(early, aliceResponse(404))).toThrow(DialogError);
  });
});

describe('records are frozen values', () => {
  it('every record made or updated is frozen, its route set too (a store shares it rather than copying)', () => {
    const isValue = (d: { routeSet: readonly string[] }): boolean => Object.isFrozen(d) && Object.isFrozen(d.routeSet);
    const uas = createUasDialog(bobInvite(), bobResponse(180));
    const uac = createUacDialog(aliceInvite(), aliceResponse(180));
    const made = [
      uas,
      uac,
      updateEarlyDialog(uac, aliceResponse(183)),
      confirmDialog(uac, aliceResponse(200)),
      confirmDialog(uas, bobResponse(200, '314159', 'sip:bob@198.51.100.9')),
      refreshRemoteTarget(uas, fromAlice('INVITE', 2, ['Contact: <sip:alice@192.0.2.99>'])),
      withLocalTarget(uas, 'sip:bob@198.51.100.10'),
      advanceLocalSeq(uas).dialog,
      terminateDialog(uas),
    ];
    const seq = checkRemoteSeq(uas, fromAlice('BYE', 2), { random: random(0) });
    expect(seq.ok).toBe(true);
    if (seq.ok) made.push(seq.dialog);
    for (const d of made) expect(isValue(d)).toBe(true);
  });
});

describe('termination', () => {
  it('marks the record terminated and refuses to refresh it', () => {
    const d = terminateDialog(createUasDialog(bobInvite(), bobResponse(200)));
    expect(d.state).toBe('terminated');
    expect(terminateDialog(d)).toBe(d);
    expect(() => refreshRemoteTarget(d, fromAlice('INVITE', 3, ['Contact: <sip:x@y>']))).toThrow(DialogError);
  });

  it('knows which responses end a dialog (12.2.1.2)', () => {
    expect([481, 408].every(responseEndsDialog)).toBe(true);
    expect([200, 404, 486, 500].some(responseEndsDialog)).toBe(false);
  });
});
