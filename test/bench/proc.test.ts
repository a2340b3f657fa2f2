import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpuSecondsOf, cpuSplitOf, mainThreadCpuSecondsOf, terminate } from '../../bench/lib/proc.js';

function start(script: string): { pid: number; exited: Promise<NodeJS.Signals | null> } {
  const child = spawn('sh', ['-c', script], { stdio: 'ignore' });
  return { pid: child.pid!, exited: new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal))) };
}

describe('terminate', () => {
  it('ends a process with SIGTERM', async () => {
    const p = start('exec sleep 30');
    await terminate(p.pid, p.exited, 5_000);
    expect(await p.exited).toBe('SIGTERM');
  });

  it('kills one that ignores SIGTERM once the grace period is over', async () => {
    // A shell that ignores SIGTERM (its sleeps are 0.1 s, so nothing outlives it for long).
    const p = start("trap '' TERM; while :; do sleep 0.1; done");
    await new Promise((r) => setTimeout(r, 200)); // the trap is set
    const t0 = Date.now();
    await terminate(p.pid, p.exited, 200);
    expect(await p.exited).toBe('SIGKILL');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
  });

  it('is no error for a process already gone', async () => {
    const p = start('exit 0');
    await p.exited;
    await expect(terminate(p.pid, p.exited, 200)).resolves.toBeUndefined();
  });
});

describe('mainThreadCpuSecondsOf', () => {
  it("reads the main thread's CPU apart from the process's, which counts every thread", async () => {
    // Fixed work, not fixed time, on each thread: the CPU spent does not depend on how busy the host is.
    const work = (n: number): number => {
      let x = 0;
      for (let i = 0; i < n; i++) x = (x + i * 7) % 1_000_003;
      return x;
    };
    const m0 = mainThreadCpuSecondsOf(process.pid);
    const p0 = cpuSecondsOf(process.pid);
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(`let x = 0; for (let i = 0; i < 100e6; i++) x = (x + i * 7) % 1_000_003; require('node:worker_threads').parentPort.postMessage(x);`, { eval: true });
    const fromWorker = new Promise((r) => w.once('message', r));
    const here = work(25e6);
    expect(await fromWorker).toEqual(expect.any(Number));
    await new Promise((r) => w.once('exit', r));
    const main = mainThreadCpuSecondsOf(process.pid) - m0;
    const all = cpuSecondsOf(process.pid) - p0;
    expect(here).toEqual(expect.any(Number));
    expect(main).toBeGreaterThan(0.02);
    expect(all - main).toBeGreaterThan(2 * main);
  });
});

describe('cpuSplitOf', () => {
  it("splits a process's CPU into user space and the kernel, which add up to cpuSecondsOf", async () => {
    // A shell's empty loop makes no system calls, so its CPU is user space's on any host; which
    // side wins for a syscall-heavy process (dd bs=1) depends on the host and was flaky here.
    const child = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    try {
      // Until it has used 0.2 s (20 clock ticks) of CPU, however busy the host is.
      const deadline = Date.now() + 10_000;
      while (cpuSecondsOf(child.pid!) < 0.2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const split = cpuSplitOf(child.pid!);
      const all = cpuSecondsOf(child.pid!);
      expect(split.user).toBeGreaterThan(3 * split.system);
      expect(split.user + split.system).toBeGreaterThanOrEqual(0.2);
      expect(Math.abs(all - (split.user + split.system))).toBeLessThanOrEqual(0.05);
    } finally {
      await terminate(child.pid!, exited, 2_000);
    }
  });

  it('throws for a process that is gone', async () => {
    const p = start('exit 0');
    await p.exited;
    await new Promise((r) => setTimeout(r, 50));
    expect(() => cpuSplitOf(p.pid)).toThrow();
  });
});
