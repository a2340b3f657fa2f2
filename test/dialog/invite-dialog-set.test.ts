import { describe, expect, it } from 'vitest';
import {
  createInviteDialogSet,
  DialogError,
  findDialog,
  keyOf,
  liveDialogs,
  onInviteResponse,
  replaceDialog,
  terminateEarlyDialogs,
  type InviteDialogSet,
} from '../../src/dialog/index.js';
import type { SipResponse } from '../../src/sip/index.js';
import { aliceInvite, aliceResponse, frozen } from './fixtures.js';

/** Two forks: Bob's desk phone (tag desk) and his mobile (tag mobile), each with its own Contact. */
const DESK = 'sip:bob@desk.biloxi.example.com';
const MOBILE = 'sip:bob@mobile.biloxi.example.com';
const ringing = (tag: string, contact: string) => aliceResponse(180, { toTag: tag, contact });
const ok = (tag: string, contact: string) => aliceResponse(200, { toTag: tag, contact });

function apply(set: InviteDialogSet, response: SipResponse) {
  const r = onInviteResponse(frozen(set), response);
  // The set is data: it survives JSON at every step.
  expect(JSON.parse(JSON.stringify(r.set))).toEqual(r.set);
  return r;
}

describe('InviteDialogSet: the dialogs of one forked INVITE', () => {
  it('takes our Contact URI as given, or else from the INVITE', () => {
    const invite = aliceInvite();
    const fromInvite = createInviteDialogSet(invite).localTarget;
    expect(fromInvite).toMatch(/^sip:/);
    expect(createInviteDialogSet(invite, { localTarget: fromInvite }).localTarget).toBe(fromInvite);
    expect(createInviteDialogSet(invite, { localTarget: 'sip:alice@192.0.2.9:5070' }).localTarget).toBe('sip:alice@192.0.2.9:5070');
  });

  it('makes one early dialog per To tag, confirms on 2xx, and reports a second fork 2xx', () => {
    const set = createInviteDialogSet(aliceInvite());
    expect(set).toMatchObject({ dialogs: [], finalStatus: null, answered: false, inviteSeq: 1, localTag: '9fxced76sl' });

    let r = apply(set, aliceResponse(100, { toTag: null }));
    expect(r.outcome).toEqual({ kind: 'none' });

    r = apply(r.set, ringing('desk', DESK));
    expect(r.outcome).toMatchObject({ kind: 'early', created: true, dialog: { remoteTag: 'desk', remoteTarget: DESK, state: 'early' } });
    r = apply(r.set, ringing('mobile', MOBILE));
    expect(r.outcome).toMatchObject({ kind: 'early', created: true, dialog: { remoteTag: 'mobile', remoteTarget: MOBILE } });
    expect(liveDialogs(r.set).map((d) => d.remoteTag)).toEqual(['desk', 'mobile']);

    // A second 18x of a known fork updates it in place.
    r = apply(r.set, aliceResponse(183, { toTag: 'desk', contact: 'sip:bob@desk2.biloxi.example.com' }));
    expect(r.outcome).toMatchObject({ kind: 'early', created: false, dialog: { remoteTag: 'desk', remoteTarget: 'sip:bob@desk2.biloxi.example.com' } });
    expect(r.set.dialogs).toHaveLength(2);

    // The desk phone answers: its early dialog is confirmed, the mobile's stays early.
    r = apply(r.set, ok('desk', DESK));
    expect(r.outcome).toMatchObject({ kind: 'confirmed', first: true, dialog: { remoteTag: 'desk', state: 'confirmed', remoteTarget: DESK } });
    expect(r.set.finalStatus).toBe(200);
    expect(r.set.answered).toBe(true);
    expect(findDialog(r.set, 'mobile')?.state).toBe('early');

    // Its 2xx retransmitted: ACK again, nothing new.
    const again = apply(r.set, ok('desk', DESK));
    expect(again.outcome).toMatchObject({ kind: 'retransmission', dialog: { remoteTag: 'desk' } });
    expect(again.set).toEqual(r.set);

    // The mobile answers too: a second confirmed dialog, flagged so the UA core ACKs and BYEs it.
    r = apply(r.set, ok('mobile', MOBILE));
    expect(r.outcome).toMatchObject({ kind: 'confirmed', first: false, dialog: { remoteTag: 'mobile', state: 'confirmed' } });
    expect(liveDialogs(r.set).map((d) => [d.remoteTag, d.state])).toEqual([
      ['desk', 'confirmed'],
      ['mobile', 'confirmed'],
    ]);
    const [desk, mobile] = r.set.dialogs;
    expect(keyOf(desk!)).not.toBe(keyOf(mobile!));
    expect(terminateEarlyDialogs(r.set).terminated).toEqual([]);
  });

  it('creates a confirmed dialog for a 2xx from a fork that sent no 1xx', () => {
    let set = createInviteDialogSet(aliceInvite());
    set = apply(set, ringing('desk', DESK)).set;
    const r = apply(set, ok('voicemail', 'sip:vm@biloxi.example.com'));
    expect(r.outcome).toMatchObject({ kind: 'confirmed', first: true, dialog: { remoteTag: 'voicemail', remoteTarget: 'sip:vm@biloxi.example.com' } });
    // The INVITE transaction ends (64*T1 after the 2xx): the forks that never answered go.
    const ended = terminateEarlyDialogs(r.set);
    expect(ended.terminated.map((d) => [d.remoteTag, d.state])).toEqual([['desk', 'terminated']]);
    expect(liveDialogs(ended.set).map((d) => d.remoteTag)).toEqual(['voicemail']);
  });

  it('terminates every early dialog on a non-2xx final response (12.3)', () => {
    let set = createInviteDialogSet(aliceInvite());
    set = apply(set, ringing('desk', DESK)).set;
    set = apply(set, ringing('mobile', MOBILE)).set;
    const r = apply(set, aliceResponse(486, { toTag: 'proxy', contact: null }));
    expect(r.outcome).toMatchObject({ kind: 'failed', status: 486 });
    if (r.outcome.kind !== 'failed') throw new Error('unreachable');
    expect(r.outcome.terminated.map((d) => d.remoteTag)).toEqual(['desk', 'mobile']);
    expect(r.set.dialogs.every((d) => d.state === 'terminated')).toBe(true);
    expect(liveDialogs(r.set)).toEqual([]);
    expect(r.set.finalStatus).toBe(486);
    // A late provisional response makes nothing.
    expect(apply(r.set, ringing('late', DESK)).outcome).toEqual({ kind: 'none' });
  });

  it('makes no dialog from a tagless 1xx, and a null-tag dialog from a tagless 2xx (RFC 2543)', () => {
    let set = createInviteDialogSet(aliceInvite());
    const r1 = apply(set, aliceResponse(180, { toTag: null }));
    expect(r1.outcome).toEqual({ kind: 'none' });
    set = r1.set;
    const r2 = apply(set, aliceResponse(200, { toTag: null }));
    expect(r2.outcome).toMatchObject({ kind: 'confirmed', first: true, dialog: { remoteTag: null } });
    expect(findDialog(r2.set, null)?.state).toBe('confirmed');
  });

  it('puts back a dialog updated elsewhere', () => {
    let set = createInviteDialogSet(aliceInvite());
    set = apply(set, ringing('desk', DESK)).set;
    const desk = findDialog(set, 'desk')!;
    set = replaceDialog(set, { ...desk, remoteSeq: 77 });
    expect(findDialog(set, 'desk')?.remoteSeq).toBe(77);
    expect(set.dialogs).toHaveLength(1);
  });

  it('refuses a response to another request', () => {
    const set = createInviteDialogSet(aliceInvite());
    expect(() => onInviteResponse(set, aliceResponse(180, { cseq: '2 INVITE' }))).toThrow(DialogError);
  });
});
