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
