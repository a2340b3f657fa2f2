/**
 * Which malloc this process runs on, read from the libraries it has mapped (Linux's
 * /proc/self/maps). scripts/sluice-node.sh (npm start, the Procfile) preloads jemalloc where it
 * is installed; a node started otherwise says at start what it runs on and what jemalloc would
 * save, so that an operator sees it in the log rather than in a CPU graph.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../observability/logger.js';

export type Allocator = 'jemalloc' | 'system' | 'unknown';

/** The allocator named by a process's memory map (null: no map to read, as off Linux). */
export function allocatorOf(maps: string | null): Allocator {
  if (maps === null) return 'unknown';
  return maps.includes('/libjemalloc') ? 'jemalloc' : 'system';
}

export function processAllocator(): Allocator {
  let maps: string | null;
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    maps = null;
  }
  return allocatorOf(maps);
}

/** Logs the allocator once at start: info, with the remedy where it is the system's malloc. */
export function logAllocator(log: Logger, allocator: Allocator = processAllocator()): void {
  if (allocator === 'system') {
    log.info(
      { allocator },
      "malloc is the C library's: with jemalloc (Debian: apt-get install libjemalloc2), which npm start preloads where it is installed, Sluice spends 1-2% less CPU per call",
    );
  } else {
    log.info({ allocator }, `malloc: ${allocator}`);
  }
}
