/**
 * Run by heap-trim.test.ts in a node of its own (--max-semi-space-size=64 --expose-gc, as npm
 * start runs Sluice): grows the young generation as a busy Sluice does, with objects that survive
 * a while, then goes quiet with the process's heap trim checking every second. Its log lines go
 * to stdout; it exits by itself after 30 s.
 */
import { createLogger } from '../../src/observability/logger.js';
import { startProcessHeapTrim, youngGenerationBytes } from '../../src/cli/start.js';

const log = createLogger({ level: 'info' });
startProcessHeapTrim(log, { checkMs: 1_000 });

// About 2 s of calls' worth of records, each kept for a while, as call state is.
let kept: object[] = [];
const t0 = Date.now();
while (Date.now() - t0 < 2_000) {
  for (let i = 0; i < 1_000; i++) kept.push({ id: `call-${i}`, legs: [i, i + 1], dialog: { cseq: i } });
  if (kept.length > 200_000) kept = kept.slice(100_000);
}
kept = [];
log.info({ youngMb: Math.round(youngGenerationBytes() / 1_048_576) }, 'load over');
setTimeout(() => process.exit(0), 30_000);
