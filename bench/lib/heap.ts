/**
 * A full garbage collection from a process not started with --expose-gc (benchmarks and tests
 * that read what the heap holds): the flag is set at run time and V8's gc taken from a fresh
 * context, where it then exists.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Heap in use, in bytes, after a full collection. */
export function heapAfterGc(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/**
 * Full collections after letting a few turns end: an object read through a WeakRef stays alive
 * until the turn that read it is over (tests that check something was let go).
 */
export async function collectAfterTurns(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) {
    await new Promise((r) => setTimeout(r, 5));
    collectGarbage();
  }
}
