/**
 * Sluice's engine in the benchmark's own process (bench:held, bench:alloc): an inside realm the
 * load generator calls into and an outside realm whose dialplan sends every call to one trunk,
 * media direct, no relay workers, so that what the process holds and allocates is the
 * signalling's alone. Its configuration lives in a temp dir removed by stop().
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSluice } from '../../src/cli/start.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/observability/logger.js';
import { freePort } from '../../test/interop/harness/sipp.js';

export interface InProcessSluice {
  /** The inside realm's UDP port on 127.0.0.1, where the generator sends its INVITEs. */
  inside: number;
  stop(): Promise<void>;
}

export async function startInProcessSluice(trunk: number, sip?: Record<string, unknown>): Promise<InProcessSluice> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-in-process-'));
  const [inside, outside] = [await freePort('udp'), await freePort('udp')];
  mkdirSync(join(dir, 'dialplan'));
  writeFileSync(
    join(dir, 'dialplan', 'trunk.yaml'),
    `trunks:\n  - { name: bench, realm: outside, host: 127.0.0.1, port: ${trunk}, transport: udp }\nrules:\n  - { name: out, match: { realm: inside }, trunk: bench, media: direct }\n`,
  );
  writeFileSync(
    join(dir, 'sluice.yaml'),
    `log: { level: warn }\nrealms:\n` +
      `  inside:\n    listen: [{ transport: udp, address: 127.0.0.1, port: ${inside} }]\n    media: { address: 127.0.0.1, portMin: 10000, portMax: 21000 }\n` +
      `  outside:\n    listen: [{ transport: udp, address: 127.0.0.1, port: ${outside} }]\n    media: { address: 127.0.0.1, portMin: 21000, portMax: 32000 }\n` +
      `dialplan: ${join(dir, 'dialplan')}\ncalls: { mediaTimeoutSeconds: 0 }\nmedia: { workers: 0 }\n` +
      (sip === undefined ? '' : `sip: ${JSON.stringify(sip)}\n`),
  );
  try {
    const engine = await startSluice(loadConfig(join(dir, 'sluice.yaml')), createLogger({ level: 'warn' }));
    return {
      inside,
      async stop() {
        await engine.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
