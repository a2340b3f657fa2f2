import { Engine } from '../b2bua/index.js';
import { SystemClock } from '../clock.js';
import type { SluiceConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import { Registrar } from '../registrar/index.js';
import { Dialplan } from '../routing/index.js';
import { OverloadGuard } from '../security/index.js';
import { MemoryStore } from '../state/index.js';

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
