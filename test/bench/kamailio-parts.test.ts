import { describe, expect, it } from 'vitest';
import { betterSearch, plainWorkerCounts } from '../../bench/lib/kamailio-parts.js';
import type { SearchResult } from '../../bench/lib/sipp-rate.js';

const search = (rate: number | null, cpu = 0.2): SearchResult =>
  ({ steps: [], elapsedSeconds: 60, best: rate === null ? null : { rate, seconds: 20, cpuSeconds: 1, cpuSecondsPer1000Calls: cpu, otherCpuSecondsPer1000Calls: {} } }) as unknown as SearchResult;

describe("Kamailio plain's worker counts", () => {
  it('searches one worker and one per core, once each', () => {
    expect(plainWorkerCounts(2)).toEqual([1, 2]);
    expect(plainWorkerCounts(16)).toEqual([1, 16]);
    expect(plainWorkerCounts(1)).toEqual([1]);
    expect(plainWorkerCounts(0)).toEqual([1]);
  });

  it('keeps the higher confirmed rate, then the lower CPU per call, and never a search without one', () => {
    const a = search(3000, 0.26);
    const b = search(2449, 0.2);
    expect(betterSearch(a, b)).toBe(a);
    expect(betterSearch(b, a)).toBe(a);
    const cheaper = search(3000, 0.24);
    expect(betterSearch(a, cheaper)).toBe(cheaper);
    expect(betterSearch(cheaper, a)).toBe(cheaper);
    const none = search(null);
    expect(betterSearch(none, b)).toBe(b);
    expect(betterSearch(b, none)).toBe(b);
  });
});
