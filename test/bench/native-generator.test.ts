import { afterEach, describe, expect, it } from 'vitest';
import { buildNativeGenerator, NativeGenerator } from '../../bench/lib/native-generator.js';

const binary = buildNativeGenerator();
if (binary instanceof Error) console.log(`native generator tests skipped: ${binary.message}`);

describe.skipIf(binary instanceof Error)('the C RTP load generator (bench/native/rtp-gen.c)', () => {
  let gen: NativeGenerator | null = null;
  afterEach(async () => {
    await gen?.stop();
    gen = null;
  });

  it('plays both parties of N calls; pointed at itself (no relay), it gets back all it sent', async () => {
    gen = new NativeGenerator(binary as string);
    const { ports } = await gen.ask({ type: 'prepare', streams: 3 }, 'ready', 10_000);
    expect(ports).toHaveLength(3);
    // Party A's packets go straight to party B's socket and back: a relay that forwards all.
    const r = await gen.ask({ type: 'run', targets: ports.map(([a, b]) => [b, a]), seconds: 0.2, drainMs: 100 }, 'result', 10_000);
    expect(r).toMatchObject({ streams: 3, planned: 3 * 2 * 10, sent: 60, received: 60, slots: 100 });
    expect(r.cpuSeconds).toBeGreaterThanOrEqual(0);
    expect(r.latencyMs.max).toBeLessThan(1_000);
    await gen.ask({ type: 'release' }, 'released', 10_000);
  });

  it('answers a malformed request with an error, and goes on', async () => {
    gen = new NativeGenerator(binary as string);
    await gen.ask({ type: 'prepare', streams: 2 }, 'ready', 10_000);
    await expect(gen.ask({ type: 'run', targets: [[1, 2]], seconds: 0.1, drainMs: 0 }, 'result', 10_000)).rejects.toThrow(/N as prepared/);
    await expect(gen.ask({ type: 'release' }, 'released', 10_000)).resolves.toEqual({ type: 'released' });
  });
});
