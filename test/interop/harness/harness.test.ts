// Proves the interop harness against real peers with no Sluice code in the path: if sipp to sipp
// fails here, a failing Sluice interop test means nothing.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { missing, requireOrSkip } from './prereq.js';
import { createLossyPath, killAll, liveNamespaces, trackedPids, type LossyPath } from './netns.js';
import { UAS_LOSS_TOLERANT, freePort, runSipp, startSipp, type SippResult } from './sipp.js';

/** Compact context for a failed expectation: the numbers plus sipp's own explanation. */
function why(r: SippResult): string {
  return JSON.stringify({ code: r.code, timedOut: r.timedOut, failures: r.failures, stderr: r.stderr.slice(-500), errors: r.errors.slice(0, 1_000) });
}

describe('interop harness: prerequisites', () => {
  it('names what is missing, with the package to install', () => {
    expect(missing(['sluice-no-such-binary'])).toBe('interop: needs sluice-no-such-binary; skipped');
    expect(missing(['sipp', 'sluice-no-such-binary'])).toMatch(/^interop: needs .*sluice-no-such-binary.*; skipped$/);
  });
});

describe.skipIf(requireOrSkip(['root', 'sipp']))('interop harness: sipp uac to sipp uas on loopback', () => {
  afterAll(() => killAll());

  for (const transport of ['udp', 'tcp'] as const) {
    it(`completes 20 calls over ${transport}`, async () => {
      const t = transport === 'tcp' ? ['-t', 't1'] : [];
      const port = await freePort(transport);
      const uas = await startSipp({ args: ['-sn', 'uas', ...t, '-p', String(port)], timeoutMs: 60_000 });
      let uac: SippResult;
      try {
        uac = await runSipp({
          args: ['-sn', 'uac', `127.0.0.1:${port}`, ...t, '-m', '20', '-r', '50'],
          timeoutMs: 30_000,
        });
      } finally {
        // 6 s covers the uas's 4 s timewait after the last BYE.
        await uas.stop(6_000);
      }
      expect(uac.successful, why(uac)).toBe(20);
      expect(uac.failed, why(uac)).toBe(0);
      expect(uac.outgoing).toBe(20);
      expect(uac.code).toBe(0);
      expect(uac.timedOut).toBe(false);
      const server = await uas.done;
      expect(server.incoming, why(server)).toBe(20);
    });
  }

  it('stops a run when stopWhen says so, as it reads the statistics each second', async () => {
    const port = await freePort('udp');
    const uas = await startSipp({ args: ['-sn', 'uas', '-p', String(port)], timeoutMs: 60_000 });
    const seen: number[] = [];
    let uac: SippResult;
    let uacMs: number;
    try {
      const t0 = Date.now();
      // 1,000 calls at 50 calls/s would take 20 s; stopped once 50 have completed.
      uac = await runSipp({
        args: ['-sn', 'uac', `127.0.0.1:${port}`, '-m', '1000', '-r', '50', '-d', '0'],
        timeoutMs: 30_000,
        stopWhen: (sofar) => {
          seen.push(sofar.successful);
          return sofar.successful >= 50;
        },
      });
      uacMs = Date.now() - t0;
    } finally {
      await uas.stop(6_000);
    }
    expect(uac.stoppedEarly, why(uac)).toBe(true);
    expect(uac.timedOut).toBe(false);
    expect(uacMs).toBeLessThan(10_000);
    // Counts only grow from row to row, and the final row has at least what stopped the run.
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(uac.successful).toBeGreaterThanOrEqual(50);
    expect(uac.successful).toBeLessThan(1_000);
  });
});

describe.skipIf(requireOrSkip(['root', 'sipp', 'ip', 'nft', 'netns']))('interop harness: UDP loss between namespaces', () => {
  let path: LossyPath | undefined;

  afterAll(async () => {
    await killAll();
    path?.destroy();
  });

  // 5%, not the 10% of Sluice's own loss tests: this checks the harness with sipp at both ends,
  // and at 10% sipp's uac gave up on a call (FailedMaxUDPRetrans) about one run in ten: a loss in
  // sipp against sipp, not in anything under test.
  it('completes 50 calls at 10/s through a router that drops 5% of UDP', async () => {
    path = createLossyPath({ lossPercent: 5, tag: 'harness' });
    const { a, b } = path;
    // Not -sn uas: its 180 makes it abort on some INVITE retransmissions under loss (sipp.ts).
    const uas = await startSipp({
      ns: b.ns,
      args: ['-sf', UAS_LOSS_TOLERANT, '-i', b.address, '-p', '5060'],
      timeoutMs: 60_000,
    });
    let uac: SippResult;
    try {
      uac = await runSipp({
        ns: a.ns,
        args: ['-sn', 'uac', `${b.address}:5060`, '-i', a.address, '-p', '5060', '-m', '50', '-r', '10'],
        timeoutMs: 45_000,
      });
    } finally {
      await uas.stop(6_000);
    }
    expect(uac.successful, why(uac)).toBe(50);
    expect(uac.failed, why(uac)).toBe(0);
    // Loss was real: the router dropped packets and sipp had to retransmit.
    expect(path.dropped()).toBeGreaterThan(0);
    expect(uac.retransmissions + (await uas.done).retransmissions).toBeGreaterThan(0);
  });

  it('destroy() removes the namespaces, twice without error', () => {
    expect(path).toBeDefined();
    const p = path as LossyPath;
    const names = [p.a.ns, p.router, p.b.ns];
    const droppedBefore = p.dropped();
    p.destroy();
    p.destroy();
    const list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const ns of names) {
      expect(list).not.toContain(ns);
      expect(liveNamespaces()).not.toContain(ns);
    }
    // The counter survives destroy as its last reading.
    expect(p.dropped()).toBe(droppedBefore);
    expect(trackedPids()).toEqual([]);
  });
});
