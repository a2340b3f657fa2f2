import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { OverloadGuard } from '../../src/security/index.js';
import type { TransactionStats } from '../../src/transaction/index.js';
import { request, TCP_SOURCE, UDP_SOURCE } from '../transaction/helpers.js';

function stats(): TransactionStats {
  return { retransmissions: 0, absorbed: 0, strayResponses: 0, strayAcks: 0, timeouts: 0, transportErrors: 0, dropped: 0, errors: 0, requests: 0, shed: 0 };
}

/** A guard over two layers, with the loop's utilization and the traffic set per window by hand. */
function rig() {
  const clock = new FakeClock();
  const layers = [stats(), stats()];
  let utilization = 0.5;
  const warnings: { obj: object; msg?: string }[] = [];
  const guard = new OverloadGuard({ clock, utilization: () => utilization, log: { warn: (obj, msg) => warnings.push({ obj, ...(msg ? { msg } : {}) }) } });
  for (const l of layers) guard.watch(l);
  guard.start();
  /** One 100 ms window with this utilization, new requests and absorbed retransmissions (split over the layers). */
  const window = (u: number, requests: number, absorbed: number): void => {
    utilization = u;
    layers[0]!.requests += Math.ceil(requests / 2);
    layers[1]!.requests += Math.floor(requests / 2);
    layers[0]!.absorbed += Math.ceil(absorbed / 2);
    layers[1]!.absorbed += Math.floor(absorbed / 2);
    clock.advance(100);
  };
  return { clock, layers, guard, window, warnings };
}

const newInvite = request('INVITE', { branch: 'z9hG4bKnew' });
const reInvite = request('INVITE', { branch: 'z9hG4bKre', toTag: 'b2' });
const bye = request('BYE', { branch: 'z9hG4bKbye', toTag: 'b2' });
const options = request('OPTIONS', { branch: 'z9hG4bKopt' });

describe('OverloadGuard', () => {
  it('admits everything while not overloaded', () => {
    const r = rig();
    r.window(0.95, 400, 0); // busy, but no peer retransmits
    r.window(0.3, 400, 50); // retransmissions on an idle loop: a lossy network
    expect(r.guard.overloaded).toBe(false);
    for (const m of [newInvite, reInvite, bye, options]) expect(r.guard.admission(m, UDP_SOURCE)).toBe('accept');
  });

  it('needs both signs in one window: the loop busy, and retransmissions above the share and the floor', () => {
    const r = rig();
    r.window(0.99, 400, 5); // under the floor of 10
    r.window(0.99, 1_000, 15); // 1.5% of new requests: under the 2% share
    r.window(0.89, 400, 100); // loop not busy enough
    expect(r.guard.overloaded).toBe(false);
    r.window(0.9, 400, 10);
    expect(r.guard.overloaded).toBe(true);
  });

  it('while overloaded drops new INVITEs over UDP, refuses them over TCP (busy), and accepts the rest', () => {
    const r = rig();
    r.window(1, 400, 200);
    expect(r.guard.overloaded).toBe(true);
    expect(r.guard.admission(newInvite, UDP_SOURCE)).toBe('drop');
    expect(r.guard.admission(newInvite, TCP_SOURCE)).toBe('busy'); // no retransmission would bring it back
    expect(r.guard.admission(reInvite, UDP_SOURCE)).toBe('accept'); // in a dialog
    expect(r.guard.admission(bye, UDP_SOURCE)).toBe('accept');
    expect(r.guard.admission(options, UDP_SOURCE)).toBe('accept');
    expect(r.guard.admission(request('CANCEL', { branch: 'z9hG4bKnew' }), UDP_SOURCE)).toBe('accept');
  });

  it('sheds for at least 500 ms, then stops in the first window without both signs, and logs both ends', () => {
    const r = rig();
    r.window(1, 400, 200);
    expect(r.warnings[0]).toMatchObject({ obj: { utilization: 1, retransmissions: 200, requests: 400, windowMs: 100 } });
    for (let i = 0; i < 4; i++) {
      r.window(0.5, 10, 0); // calm already, but within the 500 ms
      expect(r.guard.overloaded).toBe(true);
    }
    r.layers[0]!.shed += 7;
    expect(r.guard.admission(newInvite, TCP_SOURCE)).toBe('busy');
    expect(r.guard.admission(newInvite, TCP_SOURCE)).toBe('busy');
    r.window(0.5, 10, 0); // 500 ms since it started
    expect(r.guard.overloaded).toBe(false);
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[1]).toMatchObject({ obj: { shed: 7, refused: 2, ms: 500 } });
    expect(r.guard.counts).toEqual({ episodes: 1, shed: 7, refused: 2 });
    // Not overloaded: accepted, and not counted.
    expect(r.guard.admission(newInvite, TCP_SOURCE)).toBe('accept');
    expect(r.guard.counts.refused).toBe(2);
  });

  it('goes on shedding while both signs stay, and starts a new episode later', () => {
    const r = rig();
    for (let i = 0; i < 10; i++) r.window(1, 300, 100);
    expect(r.guard.overloaded).toBe(true);
    expect(r.warnings).toHaveLength(1);
    r.window(0.6, 300, 100);
    expect(r.guard.overloaded).toBe(false);
    r.window(1, 300, 100);
    expect(r.guard.overloaded).toBe(true);
    expect(r.guard.counts.episodes).toBe(2);
  });

  it('counts only what happened since it started watching a layer', () => {
    const clock = new FakeClock();
    const old = { ...stats(), absorbed: 5_000, requests: 10_000 };
    const guard = new OverloadGuard({ clock, utilization: () => 1 });
    guard.watch(old);
    guard.start();
    clock.advance(100);
    expect(guard.overloaded).toBe(false);
  });

  it('stops sampling and shedding when stopped', () => {
    const r = rig();
    r.window(1, 400, 200);
    r.guard.stop();
    expect(r.guard.overloaded).toBe(false);
    r.window(1, 400, 200);
    expect(r.guard.overloaded).toBe(false);
    expect(r.clock.pending).toEqual([]);
  });
});
