import { describe, expect, it } from 'vitest';
import { pairedRate } from '../../bench/lib/paired-part.js';
import { median, pairedFigures, type PairedStep } from '../../bench/lib/paired-rate.js';

const step = (round: number, box: string, cpu: number, failed = 0): PairedStep => ({ round, box, successful: 10_000 - failed, failed, retransmissions: 0, cpuSecondsPer1000Calls: cpu });

describe('paired CPU per call', () => {
  it('takes the ratio per round and the median of the rounds, so a slower moment for both cancels out', () => {
    // Round 2 ran on a host 1.5x slower: both boxes' figures rose, their ratio did not.
    const steps = [step(0, 'k', 0.2), step(0, 's', 0.6), step(1, 's', 0.9), step(1, 'k', 0.3), step(2, 'k', 0.2), step(2, 's', 0.64)];
    const f = pairedFigures(['k', 's'], steps, 3);
    expect(f.roundRatios).toEqual([3, 3, 3.2]);
    expect(f.ratio).toBe(3);
    expect(f.medians).toEqual({ k: 0.2, s: 0.64 });
  });

  it('leaves out a round where either box lost a call, and says none counts when every round did', () => {
    const steps = [step(0, 'k', 0.2), step(0, 's', 0.6, 3), step(1, 'k', 0.2), step(1, 's', 0.5)];
    const f = pairedFigures(['k', 's'], steps, 2);
    expect(f.roundRatios).toEqual([null, 2.5]);
    expect(f.ratio).toBe(2.5);
    expect(f.medians).toEqual({ k: 0.2, s: 0.5 });
    const none = pairedFigures(['k', 's'], [step(0, 'k', 0.2, 1), step(0, 's', 0.6)], 1);
    expect(none.ratio).toBeNull();
    expect(none.medians).toEqual({ k: null, s: 0.6 });
  });

  it('medians odd and even counts', () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('runs at half the lower confirmed rate, in steps of 50, between 200 and 1,000 calls/s', () => {
    expect(pairedRate(undefined)).toBe(1_000);
    expect(pairedRate({ kamailioPlain: 5_511, sluice: null })).toBe(1_000);
    expect(pairedRate({ kamailioPlain: 5_511, sluice: 1_929 })).toBe(950);
    expect(pairedRate({ kamailioPlain: 5_511, sluice: 4_400 })).toBe(1_000);
    expect(pairedRate({ kamailioPlain: 300, sluice: 250 })).toBe(200);
  });
});
