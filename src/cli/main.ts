#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { SluiceError } from '../errors.js';
import { createLogger } from '../observability/logger.js';
import { parseMessage, SipParseError } from '../sip/index.js';
import { logAllocator } from './allocator.js';
import { startProcessHeapTrim, startSluice } from './start.js';
import { runUaTool } from './ua-tool.js';

const USAGE = `usage:
  sluice start [--config FILE]     start Sluice (default config: config/sluice.yaml)
  sluice check-config FILE         validate a configuration file and exit
  sluice parse FILE                parse a SIP message file and print what the parser sees
  sluice ua answer|call ...        Sluice's SIP stack as a bare user agent (see src/cli/ua-tool.ts)`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start': {
      const config = loadConfig(option(args, '--config') ?? 'config/sluice.yaml');
      const log = createLogger({ level: config.log.level }).child({ node: config.node.id });
      // Last line of defence: no input may take the process down (the brief's promise). Every
      // path is meant to handle its own errors; anything that slips through is logged here.
      process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
      const engine = await startSluice(config, log);
      startProcessHeapTrim(log.child({ module: 'heap' }));
      logAllocator(log);
      log.info({ realms: [...engine.realms.values()].map((r) => ({ realm: r.name, listen: r.transport.locals })) }, 'Sluice started');
      const stop = (signal: string): void => {
        log.info({ signal, activeCalls: engine.activeCalls }, 'stopping');
        void engine.stop().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return -1; // keep running
    }
    case 'ua':
      return runUaTool(args, createLogger({ level: process.env.SLUICE_LOG_LEVEL ?? 'warn', destination: process.stderr }).child({ module: 'ua' }));
    case 'check-config': {
      const file = args[0];
      if (!file) break;
      loadConfig(file);
      console.log(`${file}: ok`);
      return 0;
    }
    case 'parse': {
      const file = args[0];
      if (!file) break;
      try {
        const m = parseMessage(readFileSync(file), { mode: 'all' });
        const head = m.kind === 'request' ? { method: m.method, uri: m.uriText } : { status: m.status, reason: m.reason };
        console.log(JSON.stringify({ ...head, headers: m.headers.map((h) => [h.name, h.value]), bodyBytes: m.body.length }, null, 2));
        return 0;
      } catch (e) {
        if (e instanceof SipParseError) {
          console.error(`${file}: ${e.status} ${e.reason}`);
          return 1;
        }
        throw e;
      }
    }
    default:
      break;
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    // Never rethrown: `start` has an unhandled-rejection handler by now, and a rejection it only
    // logged would leave a process that failed to start running, half set up.
    if (e instanceof SluiceError) console.error(`sluice: ${e.message} [${e.code}]`);
    else console.error(`sluice: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
