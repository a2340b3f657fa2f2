import { describe, expect, it } from 'vitest';
import { createUacDialog, createUasDialog, dialogWith, ownDialog } from '../../src/dialog/index.js';
import { aliceInvite, aliceResponse, bobInvite, bobResponse } from './fixtures.js';

describe('ownDialog', () => {
  it('is the same record, frozen with its route set, for a UAS and a UAC dialog', () => {
    const records = [
      createUasDialog(bobInvite(), bobResponse(200)),
      createUacDialog(aliceInvite(['Record-Route: <sip:p1.example.com;lr>', 'Record-Route: <sip:p2.example.com;lr>']), aliceResponse(200, { toTag: 'bob1' })),
    ];
    for (const d of records) {
      const own = ownDialog(d);
      expect(own).not.toBe(d);
      expect(own).toEqual(d);
      expect(Object.isFrozen(own) && Object.isFrozen(own.routeSet)).toBe(true);
    }
    expect(ownDialog(records[1]!).routeSet).toHaveLength(2);
  });
});

describe('dialogWith', () => {
  it('applies what changes (null included), keeps the rest, and gives a frozen record of the one shape', () => {
    const d = createUacDialog(aliceInvite(['Record-Route: <sip:p1.example.com;lr>']), aliceResponse(200, { toTag: 'bob1' }));
    const seq = dialogWith(d, { localSeq: d.localSeq + 1, remoteSeq: 7 });
    expect(seq).toEqual({ ...d, localSeq: d.localSeq + 1, remoteSeq: 7 });
    expect(dialogWith(seq, { remoteSeq: null, remoteTag: null, state: 'terminated' })).toEqual({ ...seq, remoteSeq: null, remoteTag: null, state: 'terminated' });
    expect(dialogWith(d, {})).toEqual(d);
    expect(dialogWith(d, {})).not.toBe(d);
    expect(Object.keys(seq)).toEqual(Object.keys(ownDialog(d)));
    expect(Object.isFrozen(seq) && Object.isFrozen(seq.routeSet)).toBe(true);
    // The change replaces the route set whole.
    expect(dialogWith(d, { routeSet: [] }).routeSet).toEqual([]);
  });
});
