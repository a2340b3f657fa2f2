import { describe, expect, it } from 'vitest';
import { createUacDialog, createUasDialog, ownDialog } from '../../src/dialog/index.js';
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
