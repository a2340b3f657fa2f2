import type { SluiceConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import { createResponse } from '../sip/index.js';
import { TransportLayer, type TransportCounters } from '../transport/index.js';

/**
 * What `sluice start` runs until the call engine lands: the realms' listeners with the parser
 * at the edge, answering statelessly. OPTIONS (a trunk's keepalive probe) gets 200; any other
 * request 503 with Retry-After, since no call engine is there to take it. The transport layer
 * answers a malformed request 400 with the parser's reason and counts what it drops.
 */
export async function startStatelessEdge(config: SluiceConfig, log: Logger): Promise<{ counters: TransportCounters; close(): Promise<void> }> {
  const listeners = Object.values(config.realms).flatMap((r) =>
    r.listen.filter((l) => l.transport === 'udp').map((l) => ({ transport: 'UDP' as const, address: l.address, port: l.port })),
  );
  const transport = new TransportLayer({ listeners, limits: { maxMessageBytes: config.sip.maxMessageBytes }, logger: log });
  transport.setUser({
    onMessage(message, source) {
      if (message.kind !== 'request' || message.method === 'ACK') return;
      const tag = Math.random().toString(36).slice(2, 10);
      const res = createResponse(message, message.method === 'OPTIONS' ? 200 : 503, undefined, tag);
      if (res.status === 503) res.appendHeader('Retry-After', '60');
      res.appendHeader('Server', 'Sluice');
      transport.sendResponse(res, source, (err) => err && log.warn({ err: err.message }, 'response not sent'));
    },
  });
  await transport.start();
  return { counters: transport.counters, close: () => transport.stop() };
}
