import { describe, expect, it } from 'vitest';
import { probeHost } from '../../bench/lib/host-probe.js';

describe('host probe', () => {
  it('measures a loop step in nanoseconds and a two-thread wake round trip in microseconds', async () => {
    const p = await probeHost();
    if ('error' in p) throw new Error(p.error);
    // Bounds any host this runs on stays within: a step is a few instructions, a wake at most milliseconds.
    expect(p.loopNsPerStep).toBeGreaterThan(0.05);
    expect(p.loopNsPerStep).toBeLessThan(100);
    expect(p.threadWakeUsPerRoundTrip).toBeGreaterThan(0.05);
    expect(p.threadWakeUsPerRoundTrip).toBeLessThan(10_000);
  });
});
