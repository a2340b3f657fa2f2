import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  branchEmbed,
  buildCancel,
  counterIdSource,
  createBranchFactory,
  isRfc3261Branch,
  newBranch,
  resolveTimerConfig,
  timerValues,
  TransactionError,
} from '../../src/transaction/index.js';
import { canonicalBranch, clientKey, legacyKey, serverKey } from '../../src/transaction/matching.js';
import { request } from './helpers.js';

describe('timer values (RFC 3261 table 4, RFC 6026)', () => {
  it('gives the defaults over UDP and TCP', () => {
    const config = resolveTimerConfig(undefined);
    expect(timerValues(config, false)).toEqual({
      t1: 500,
      t2: 4000,
      retransmit: 500,
      B: 32_000,
      F: 32_000,
      H: 32_000,
      D: 32_000,
      I: 5000,
      J: 32_000,
      K: 5000,
      L: 32_000,
      M: 32_000,
    });
    expect(timerValues(config, true)).toEqual({
      t1: 500,
      t2: 4000,
      retransmit: 0,
      B: 32_000,
      F: 32_000,
      H: 32_000,
      D: 0,
      I: 0,
      J: 0,
      K: 0,
      L: 32_000,
      M: 32_000,
    });
  });

  it('keeps Timer D at least 32 s and at least 64*T1', () => {
    expect(timerValues(resolveTimerConfig({ t1: 100 }), false).D).toBe(32_000);
    expect(timerValues(resolveTimerConfig({ t1: 2000, t2: 4000 }), false).D).toBe(128_000);
  });

  it('refuses impossible values with a typed error', () => {
    for (const bad of [{ t1: 0 }, { t1: Number.NaN }, { t2: 100 }, { t4: -5 }]) {
      let caught: unknown;
      try {
        resolveTimerConfig(bad);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(TransactionError);
      expect((caught as TransactionError).code).toBe('SLUICE_ERR_TRANSACTION_CONFIG');
    }
  });
});

describe('branches (RFC 3261 8.1.1.7)', () => {
  it('start with the magic cookie and do not repeat', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) seen.add(newBranch());
    expect(seen.size).toBe(10_000);
    for (const b of [...seen].slice(0, 5)) {
      expect(b).toMatch(/^z9hG4bK[0-9a-z]+$/);
      expect(isRfc3261Branch(b)).toBe(true);
    }
  });

  it('differ between two id sources (random prefix)', () => {
    const a = counterIdSource();
    const b = counterIdSource();
    expect(a()).not.toBe(b());
  });

  it('embed a key the cluster can read back, and refuse one that is not a token', () => {
    const make = createBranchFactory(() => 'n1');
    expect(make()).toBe('z9hG4bKn1');
    const branch = make('leg-7f3');
    expect(branch).toBe('z9hG4bKleg-7f3.n1');
    expect(branchEmbed(branch)).toBe('leg-7f3');
    expect(branchEmbed('z9hG4bKn1')).toBeNull();
    expect(branchEmbed('abc.def')).toBeNull();
    expect(() => make('a.b')).toThrow(TypeError);
    expect(() => make('a;b')).toThrow(TypeError);
  });
});

describe('matching keys (RFC 3261 17.1.3, 17.2.3)', () => {
  it('recognises RFC 3261 branches, not the bare cookie (RFC 4475 badbranch) nor RFC 2543 ones', () => {
    expect(isRfc3261Branch('z9hG4bK776asdhds')).toBe(true);
    expect(isRfc3261Branch('Z9HG4BK776asdhds')).toBe(true);
    expect(isRfc3261Branch('z9hG4bK')).toBe(false);
    expect(isRfc3261Branch('776asdhds')).toBe(false);
    expect(isRfc3261Branch(null)).toBe(false);
    expect(isRfc3261Branch(undefined)).toBe(false);
  });

  it('put ACK with INVITE and keep CANCEL apart', () => {
    const via = request('INVITE').topVia!;
    expect(serverKey(via, 'ACK')).toBe(serverKey(via, 'INVITE'));
    expect(serverKey(via, 'CANCEL')).not.toBe(serverKey(via, 'INVITE'));
    expect(clientKey('z9hG4bKX', 'INVITE')).toBe(clientKey('z9hg4bkx', 'INVITE'));
    expect(clientKey('z9hG4bKX', 'CANCEL')).not.toBe(clientKey('z9hG4bKX', 'INVITE'));
  });

  it('spell a branch one way whatever its case, keeping one already so spelt as it is', () => {
    const ours = 'z9hG4bK5f3a9c01d2e4b6a7';
    expect(canonicalBranch(ours)).toBe(ours);
    for (const variant of ['Z9HG4BK5F3A9C01D2E4B6A7', 'z9hg4bk5f3a9c01d2e4b6a7', 'z9hG4bK5F3a9c01d2e4b6a7']) expect(canonicalBranch(variant)).toBe(ours);
    expect(canonicalBranch('z9hG4bK')).toBe('z9hG4bK');
    // Not RFC 3261 (no cookie): lower case, as before.
    expect(canonicalBranch('776ASDhds')).toBe('776asdhds');
    expect(canonicalBranch('z9h')).toBe('z9h');
  });

  it('make two branches one key exactly when they are equal but for case', () => {
    // Branches from a small alphabet with the cookie's letters, so that equal-but-for-case pairs come up.
    const branch = fc.oneof(fc.constant(''), fc.constant('z9hG4bK'), fc.constant('Z9HG4BK')).chain((prefix) =>
      // Drawn character by character: fc.stringMatching took some 16 s for these 2,000 runs here.
      fc.array(fc.constantFrom(...'z9hgbkZHGBKabc4-'), { maxLength: 10 }).map((rest) => prefix + rest.join('')),
    );
    fc.assert(
      fc.property(branch, branch, (a, b) => {
        expect(canonicalBranch(a) === canonicalBranch(b)).toBe(a.toLowerCase() === b.toLowerCase());
        expect(canonicalBranch(a).toLowerCase()).toBe(a.toLowerCase());
      }),
      { numRuns: 2000 },
    );
  });

  it('give an RFC 2543 ACK the INVITE key, whatever its To tag', () => {
    const invite = request('INVITE', { branch: null });
    const ack = request('ACK', { branch: null, toTag: 'uas', cseqMethod: 'ACK' });
    expect(legacyKey(ack, ack.topVia!, 'ACK')).toBe(legacyKey(invite, invite.topVia!, 'INVITE'));
  });
});

describe('CANCEL builder (RFC 3261 9.1)', () => {
  it('copies Request-URI, Call-ID, From, To, CSeq number, the top Via only, and Routes', () => {
    const invite = request('INVITE', {
      branch: 'z9hG4bKcan',
      routes: ['<sip:p1.example.com;lr>'],
      extraVia: 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKupstream',
    });
    const cancel = buildCancel(invite);
    expect(cancel.method).toBe('CANCEL');
    expect(cancel.uriText).toBe(invite.uriText);
    expect(cancel.via).toHaveLength(1);
    expect(cancel.topVia!.branch).toBe('z9hG4bKcan');
    expect(cancel.callId).toBe(invite.callId);
    expect(cancel.header('from')).toBe(invite.header('from'));
    expect(cancel.header('to')).toBe(invite.header('to'));
    expect(cancel.cseq).toEqual({ seq: invite.cseq.seq, method: 'CANCEL' });
    expect(cancel.headerValues('route')).toEqual(['<sip:p1.example.com;lr>']);
    expect(cancel.maxForwards).toBe(70);
  });

  it('refuses to cancel an ACK or a CANCEL', () => {
    expect(() => buildCancel(request('ACK'))).toThrow(TransactionError);
    expect(() => buildCancel(request('CANCEL'))).toThrow(TransactionError);
  });
});
