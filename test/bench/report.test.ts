import { describe, expect, it } from 'vitest';
import { printTable, summarize, type BenchReport } from '../../bench/lib/report.js';
import type { MediaPartsResult } from '../../bench/lib/media-parts.js';

const best = (rate: number, cpu: number) => ({ steps: [], elapsedSeconds: 100, best: { rate, seconds: 20, cpuSeconds: (rate * 20 * cpu) / 1000, cpuSecondsPer1000Calls: cpu, otherCpuSecondsPer1000Calls: {} } });

function report(): BenchReport {
  return {
    bench: 'sluice-vs-peers',
    startedAt: '2026-11-30T00:00:00.000Z',
    machine: { cores: 2, cpu: 'test', node: 'v20', loadavg1mAtStart: 0.1, loadavg1mAtEnd: 1 },
    quick: false,
    install: { missing: [], installed: [], problem: null },
    sippCeiling: { sipp: '3.6.1', rate: best(9000, 0) },
    kamailio: {
      kamailio: '5.6.3',
      plain: { rate: best(4000, 0.2) },
      topos: { skipped: 'redis-server not installed' },
      concurrency: { calls: 10_000, established: 10_000, kbPerCallPss: 8, shmKbPerCall: 5 },
    },
    sluice: { rate: { rate: best(2000, 0.5) }, concurrency: { calls: 10_000, successful: 10_000, kbPerCallRss: 15.5 } },
  };
}

/** The table printTable writes for `r`, as one text. */
function tableText(r: BenchReport): string {
  const lines: string[] = [];
  printTable(r, (l) => lines.push(l));
  return lines.join('\n');
}

describe('bench report', () => {
  it('puts Sluice beside Kamailio as ratios and checks the goals', () => {
    const s = summarize(report());
    expect(s.callsPerSecond).toEqual({ sippCeiling: 9000, nodeFloor: null, b2buaFloor: null, b2buaFloorChecked: null, kamailioPlain: 4000, kamailioTopos: null, sluice: 2000 });
    expect(s.ratios.sluiceVsNodeFloorCpuPerCall).toBeNull();
    expect(s.ratios.sluiceVsB2buaFloorCpuPerCall).toBeNull();
    expect(s.ratios.sluiceVsKamailioPlainCps).toBe(0.5);
    expect(s.ratios.sluiceVsKamailioToposCps).toBeNull();
    expect(s.ratios.sluiceVsKamailioPlainCpuPerCall).toBe(2.5);
    expect(s.ratios.sluiceVsKamailioPlainMemoryPerCall).toBe(1.94);
    expect(s.goals.cpsAtLeastKamailioPlain).toBe(false);
    expect(s.goals.memoryAtMost16KbPerCall).toBe(true);
    expect(s.goals.relayAtLeastRtpengine).toBe('not measured');
  });

  it('states the relay goal one thread against one and all against all', () => {
    const ratio = (pps: number, cpu: number, capped: boolean) => ({ pps, cpuPerPacket: cpu, cpuPerPacketAtSameStreams: null, cpuPerPacketPooled: null, ppsCappedByGenerator: capped, ppsNote: 'only rtpengine ended on loss' });
    const media = { ratios: { sluiceVsRtpengine1Thread: ratio(1.2, 0.83, false), sluiceVsRtpengineAllThreads: ratio(1.66, 0.64, true) } } as unknown as MediaPartsResult;
    expect(summarize({ ...report(), media }).goals.relayAtLeastRtpengine).toBe(
      "one thread: pps 1.2x (only rtpengine ended on loss), CPU per packet 0.83x rtpengine's (lower is better); all threads: pps 1.66x (both at the generator's ceiling), CPU per packet 0.64x rtpengine's (lower is better)",
    );
  });

  it("splits each box's CPU into the kernel's part and user space, and sets Sluice's over Kamailio's", () => {
    const withKernel = (rate: number, cpu: number, kernel: number) => {
      const b = best(rate, cpu);
      return { ...b, best: { ...b.best, kernelCpuSecondsPer1000Calls: kernel } };
    };
    const r = report();
    r.kamailio = { ...r.kamailio, plain: { rate: withKernel(4000, 0.2, 0.1) } };
    r.sluice = { ...r.sluice, rate: { rate: withKernel(2000, 0.5, 0.1) } };
    const s = summarize(r);
    expect(s.kernelCpuSecondsPer1000Calls.kamailioPlain).toBe(0.1);
    expect(s.kernelCpuSecondsPer1000Calls.sluice).toBe(0.1);
    expect(s.kernelCpuSecondsPer1000Calls.nodeFloor).toBeNull();
    expect(s.ratios.sluiceVsKamailioPlainUserCpuPerCall).toBe(4);
    expect(s.ratios.sluiceVsKamailioPlainKernelCpuPerCall).toBe(1);
    const text = tableText(r);
    expect(text).toMatch(/middle box\s+calls\/s\s+CPU s\/1000\s+of it kernel/);
    expect(text).toMatch(/Kamailio 5\.6\.3 plain\s+4,000\s+0\.2\s+0\.1/);
    expect(text).toMatch(/Sluice \(B2BUA, media direct\)\s+2,000\s+0\.5\s+0\.1/);
    expect(text).toContain('Sluice / Kamailio plain: 0.5x calls/s, 2.5x CPU per call (4x in user space, 1x in the kernel)');
    // Without the split (a search that read no pids, or a report of before it): no ratio to show.
    expect(tableText(report())).toContain('Sluice / Kamailio plain: 0.5x calls/s, 2.5x CPU per call; / topos');
  });

  it("prints the host's state where the run probed it, and no line where it did not", () => {
    const r = report();
    expect(tableText(r)).not.toContain('Host state');
    r.machine.probe = { loopNsPerStep: 1.73, threadWakeUsPerRoundTrip: 26.5 };
    expect(tableText(r)).toContain('Host state: 1.73 ns per loop step, 26.5 µs per two-thread wake round trip');
    r.machine.probe = { error: 'the probe thread did not answer' };
    expect(tableText(r)).toContain('Host state: not probed (the probe thread did not answer)');
  });

  it('prints a table that says why a part has no figure', () => {
    const text = tableText(report());
    expect(text).toMatch(/Kamailio 5\.6\.3 plain\s+4,000\s+0\.2/);
    expect(text).toContain('skipped: redis-server not installed');
    expect(text).toMatch(/Sluice \/ Kamailio plain: 0\.5x calls\/s/);
  });

  it('shows the Node floor and Sluice over it when the floor part ran, and nothing of it otherwise', () => {
    const r = { ...report(), nodeFloor: { node: 'v20.1.0', rate: best(11_000, 0.05) } };
    expect(summarize(r).ratios.sluiceVsNodeFloorCpuPerCall).toBe(10);
    const text = tableText(r);
    expect(text).toMatch(/Node floor \(stateless proxy, Node v20\.1\.0\)\s+11,000\s+0\.05/);
    expect(text).toContain('Sluice / Node floor: 10x CPU per call');
    const plainText = tableText(report());
    expect(plainText).not.toContain('Node floor');
  });

  it('shows the minimal B2BUA beside Sluice and Kamailio when the floor part ran', () => {
    const r = { ...report(), b2buaFloor: { node: 'v20.1.0', rate: best(6_000, 0.1) } };
    const s = summarize(r);
    expect(s.callsPerSecond.b2buaFloor).toBe(6000);
    expect(s.ratios.sluiceVsB2buaFloorCpuPerCall).toBe(5);
    expect(s.ratios.b2buaFloorVsKamailioPlainCps).toBe(1.5);
    const text = tableText(r);
    expect(text).toMatch(/Node floor \(minimal B2BUA, as Sluice runs\)\s+6,000\s+0\.1/);
    expect(text).toContain('Sluice / minimal B2BUA: 5x CPU per call; minimal B2BUA / Kamailio plain: 1.5x calls/s');
  });

  it("shows the minimal B2BUA with Sluice's parser and SDP beside Kamailio when the floor part ran", () => {
    const r = { ...report(), b2buaFloor: { node: 'v20.1.0', rate: best(6_000, 0.1) }, b2buaFloorChecked: { node: 'v20.1.0', rate: best(3_000, 0.3) } };
    const s = summarize(r);
    expect(s.callsPerSecond.b2buaFloorChecked).toBe(3000);
    expect(s.cpuSecondsPer1000Calls.b2buaFloorChecked).toBe(0.3);
    expect(s.ratios.b2buaFloorCheckedVsKamailioPlainCps).toBe(0.75);
    expect(s.ratios.b2buaFloorCheckedVsKamailioPlainCpuPerCall).toBe(1.5);
    const text = tableText(r);
    expect(text).toMatch(/\+ Sluice's parser and SDP\s+3,000\s+0\.3/);
    expect(text).toContain("Minimal B2BUA with Sluice's parser and SDP / Kamailio plain: 0.75x calls/s, 1.5x CPU per call");
    const withoutText = tableText({ ...report(), b2buaFloor: { node: 'v20.1.0', rate: best(6_000, 0.1) } });
    expect(withoutText).not.toContain("Sluice's parser and SDP");
  });

  it('shows the paired part (both boxes at one rate, in turn) beside the searches, and says why it has no figure', () => {
    const paired = { rate: 900, roundRatios: [3.1, null, 2.9], ratio: 3, medians: { 'kamailio-plain': 0.22, sluice: 0.68 } };
    const r = { ...report(), paired };
    const s = summarize(r);
    expect(s.pairedCpuSecondsPer1000Calls).toEqual({ rate: 900, kamailioPlain: 0.22, sluice: 0.68 });
    expect(s.ratios.sluiceVsKamailioPlainCpuPerCallPaired).toBe(3);
    const text = tableText(r);
    expect(text).toContain('In turn at 900 calls/s: Kamailio plain 0.22, Sluice 0.68 CPU s/1000; Sluice / Kamailio plain 3x CPU per call (rounds: 3.1, -, 2.9)');
    const skippedText = tableText({ ...report(), paired: { skipped: 'kamailio not installed (apt-get install kamailio)' } });
    expect(skippedText).toContain('Sluice / Kamailio plain -x CPU per call (rounds: -) (skipped: kamailio not installed');
    expect(summarize(report()).ratios.sluiceVsKamailioPlainCpuPerCallPaired).toBeNull();
  });

  it("names Kamailio plain's worker count, and each count's search where several ran", () => {
    const r = report();
    r.kamailio = {
      ...r.kamailio,
      plain: { workers: 1, rate: best(4000, 0.2), byWorkers: [{ workers: 1, rate: best(4000, 0.2) }, { workers: 2, rate: best(3000, 0.3) }, { workers: 4, error: 'kamailio did not start' }] },
    };
    const text = tableText(r);
    expect(text).toMatch(/Kamailio 5\.6\.3 plain \(1 SIP worker\)\s+4,000/);
    expect(text).toContain('searched with each worker count, the best kept (calls/s at CPU s/1000): 1: 4,000 at 0.2; 2: 3,000 at 0.3; 4: error: kamailio did not start');
    const one = report();
    one.kamailio = { ...one.kamailio, plain: { workers: 2, rate: best(4000, 0.2), byWorkers: [{ workers: 2, rate: best(4000, 0.2) }] } };
    const oneText = tableText(one);
    expect(oneText).toContain('plain (2 SIP workers)');
    expect(oneText).not.toContain('searched with each worker count');
    expect(tableText(report())).not.toContain('SIP worker');
  });

  it('says where Kamailio plain and Sluice were searched in turns, with the steps of each', () => {
    const step = (kind: 'probe' | 'confirm', rate: number, passed: boolean) => ({ kind, rate, passed });
    const withSteps = (steps: ReturnType<typeof step>[], rate: number, cpu: number) => ({ ...best(rate, cpu), steps });
    const r = report();
    r.kamailio = {
      ...r.kamailio,
      plain: {
        workers: 1,
        rate: withSteps([step('probe', 3000, false), step('probe', 2000, true), step('confirm', 2000, true)], 2000, 0.2),
        byWorkers: [
          { workers: 1, rate: withSteps([step('probe', 3000, false), step('probe', 2000, true), step('confirm', 2000, true)], 2000, 0.2) },
          { workers: 2, error: 'kamailio did not start' },
        ],
      },
    };
    r.sluice = { rate: { rate: withSteps([step('probe', 3000, true), step('probe', 4500, false), step('confirm', 3000, true)], 3000, 0.3) } };
    r.signallingTurns = ['kamailio plain (1 SIP worker)', 'sluice (media direct)', 'kamailio plain (1 SIP worker)', 'sluice (media direct)'];
    const text = tableText(r as BenchReport);
    expect(text).toContain('searched in turns, one step each from the same rate (4 turns)');
    expect(text).toContain('Kamailio, 1 worker: p3000- p2000+ c2000+');
    expect(text).toContain('Kamailio, 2 workers: -');
    expect(text).toContain('Sluice: p3000+ p4500- c3000+');
    expect(text).not.toContain('Minimal B2BUA:');
    r.b2buaFloor = { rate: withSteps([step('probe', 3000, true), step('probe', 4500, true), step('confirm', 4500, true)], 4500, 0.15) };
    r.signallingTurns = [...r.signallingTurns, 'node floor (minimal B2BUA)'];
    const withFloors = tableText(r as BenchReport);
    expect(withFloors).toContain('Kamailio plain and Sluice (and the minimal B2BUAs) searched in turns');
    expect(withFloors).toContain('Minimal B2BUA: p3000+ p4500+ c4500+');
    expect(withFloors).toContain("Minimal B2BUA + Sluice's parser and SDP: -");
    expect(tableText(report())).not.toContain('in turns');
  });

  it("shows Sluice's main thread at its best rate where the search measured it, and no line where it did not", () => {
    const withMain = report();
    const b = best(2000, 0.5);
    withMain.sluice = { rate: { rate: { ...b, best: { ...b.best, mainThreadCpuSecondsPer1000Calls: 0.34 } } } };
    expect(summarize(withMain).sluiceMainThreadCpuSecondsPer1000Calls).toBe(0.34);
    const text = tableText(withMain);
    expect(text).toContain("Sluice's main thread: 0.34 CPU s/1000 of it");
    expect(summarize(report()).sluiceMainThreadCpuSecondsPer1000Calls).toBeNull();
    const withoutText = tableText(report());
    expect(withoutText).not.toContain('main thread');
  });
});
