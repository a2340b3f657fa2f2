/**
 * The script side of the Node floors (stateless-proxy.ts, b2bua-floor.ts), as node-floor-part.ts
 * runs them: `node --import tsx FILE PORT NEXT_HOP_PORT [...]` binds 127.0.0.1:PORT, prints
 * `ready`, and on SIGTERM or SIGINT (or its parent's IPC channel closing) prints its counts as
 * one JSON line and exits.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ScriptFloor {
  counts: object;
  close(): Promise<void>;
}

/** Runs the floor when `moduleUrl` (the caller's import.meta.url) is the script node was started with. */
export function runFloorScript(moduleUrl: string, usage: string, start: (port: number, nextHop: number, extra: string[]) => Promise<ScriptFloor>): void {
  if (process.argv[1] === undefined || moduleUrl !== pathToFileURL(resolve(process.argv[1])).href) return;
  main(usage, start).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}

async function main(usage: string, start: (port: number, nextHop: number, extra: string[]) => Promise<ScriptFloor>): Promise<void> {
  const [port, nextHop] = process.argv.slice(2, 4).map(Number);
  const valid = (p: number | undefined): p is number => p !== undefined && Number.isInteger(p) && p >= 1 && p <= 65_535;
  if (!valid(port) || !valid(nextHop)) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  const floor = await start(port, nextHop, process.argv.slice(4));
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    // A pipe is written synchronously on Linux: the line is out before the exit.
    process.stdout.write(`${JSON.stringify(floor.counts)}\n`);
    void floor.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Started with an IPC channel (node-floor-part.ts): the parent going away ends the floor.
  process.once('disconnect', stop);
  console.log('ready');
}
