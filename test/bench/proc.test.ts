import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { terminate } from '../../bench/lib/proc.js';

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
