import { getHeapSpaceStatistics } from 'node:v8';
import { Engine } from '../b2bua/index.js';
import { SystemClock } from '../clock.js';
import type { SluiceConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import { Registrar } from '../registrar/index.js';
import { Dialplan } from '../routing/index.js';
import { OverloadGuard } from '../security/index.js';
import { MemoryStore } from '../state/index.js';
import { startHeapTrim, type HeapTrimOptions } from './heap-trim.js';

/** The composition root of `sluice start`: store, dialplan, registrars and the call engine. */
export async function startSluice(config: SluiceConfig, log: Logger): Promise<Engine> {
  const clock = new SystemClock();
  const store = new MemoryStore({ clock });
  const dialplan = Dialplan.load(config.dialplan);
  const registrars = new Map<string, Registrar>();
  for (const [name, realm] of Object.entries(config.realms)) {
    if (realm.registrar) registrars.set(name, new Registrar({ store, clock, realm: name }));
  }
  const overload = config.sip.overloadControl ? new OverloadGuard({ clock, utilization: loopUtilization(), log: log.child({ module: 'overload' }) }) : undefined;
  const engine = new Engine({ config, clock, log, store, dialplan, registrars, ...(overload ? { overload } : {}) });
  await engine.start();
  return engine;
}

/**
 * Gives the young generation back once the process is quiet (see heap-trim.ts); returns its stop,
 * or null where Node runs without --expose-gc (npm start passes it), which it logs at debug.
 */
export function startProcessHeapTrim(log: Logger, options: HeapTrimOptions = {}): (() => void) | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') {
    log.debug('heap trim off: node runs without --expose-gc, so the young generation stays as large as load made it');
    return null;
  }
  const mb = (bytes: number): number => Math.round(bytes / 104_857.6) / 10;
  return startHeapTrim({
    utilization: loopUtilization(),
    youngBytes: youngGenerationBytes,
    collect: () => gc(),
    // A kept young generation is logged at debug: a lightly loaded node may see it every few minutes.
    trimmed: (before, after) => {
      if (after < before) log.info({ beforeMb: mb(before), afterMb: mb(after) }, 'quiet: young generation given back');
      else log.debug({ youngMb: mb(before) }, 'quiet: young generation kept (allocation not yet low)');
    },
  }, options);
}

/** The young generation's size (both semi-spaces), from V8's heap space statistics. */
export function youngGenerationBytes(): number {
  for (const s of getHeapSpaceStatistics()) if (s.space_name === 'new_space') return s.space_size;
  return 0;
}

/** The share of time the event loop was busy since the previous call (perf_hooks' ELU). */
function loopUtilization(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return u;
  };
}
