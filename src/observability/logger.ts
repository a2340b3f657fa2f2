import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * The one logger factory: every module takes a child of the root (`{ module: 'transport' }`),
 * every call a child of that (`{ call: id }`), so a line always says where it came from.
 */
export function createLogger(options: { level?: string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  const opts: LoggerOptions = {
    name: options.name ?? 'sluice',
    level: options.level ?? process.env.SLUICE_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/** A child logger for one module. */
export function moduleLogger(root: Logger, module: string): Logger {
  return root.child({ module });
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
