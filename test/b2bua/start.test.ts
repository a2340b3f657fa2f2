/** An engine that cannot open one of its realms' listeners starts nothing. */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/b2bua/index.js';
import { SystemClock } from '../../src/clock.js';
import { validateConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Dialplan } from '../../src/routing/index.js';
import { MemoryStore } from '../../src/state/index.js';

async function boundSocket(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve());
  });
  return { port: s.address().port, close: () => new Promise<void>((r) => s.close(() => r())) };
}

describe('Engine.start', () => {
  it('closes the realms it opened and rejects when a later realm cannot listen', async () => {
    const taken = await boundSocket();
    const probe = await boundSocket();
    const free = probe.port;
    await probe.close();
    const config = validateConfig({
      realms: {
        inside: { listen: [{ transport: 'udp', address: '127.0.0.1', port: free }], media: { address: '127.0.0.1', portMin: 39000, portMax: 39010 } },
        outside: { listen: [{ transport: 'udp', address: '127.0.0.1', port: taken.port }], media: { address: '127.0.0.1', portMin: 39010, portMax: 39020 } },
      },
      calls: { mediaTimeoutSeconds: 0 },
    });
    const clock = new SystemClock();
    const engine = new Engine({ config, clock, log: silentLogger, store: new MemoryStore({ clock }), dialplan: Dialplan.fromObject({ rules: [] }), registrars: new Map() });
    try {
      await expect(engine.start()).rejects.toMatchObject({ code: 'SLUICE_ERR_TRANSPORT', message: expect.stringContaining(`UDP 127.0.0.1:${taken.port}: the address is in use`) });
      // The inside realm's socket was closed again: its port binds.
      const again = await boundSocket(free);
      await again.close();
    } finally {
      await taken.close();
    }
  });
});
