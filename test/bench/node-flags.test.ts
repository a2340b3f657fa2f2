/**
 * The benchmark runs Sluice as `npm start` does: the same Node flags and allocator setting, so
 * that its figures are those of the command an operator runs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from '../../bench/lib/sluice.js';

describe('Sluice under benchmark', () => {
  it('gets the Node flags and MALLOC_ARENA_MAX that npm start gives it', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    const start = pkg.scripts['start']!;
    expect(start).toMatch(/^MALLOC_ARENA_MAX=2 node /);
    const flags = start.slice(start.indexOf(' node ') + 6, start.indexOf(' dist/cli/main.js')).split(' ').filter(Boolean);
    expect(flags).toEqual([...NODE_FLAGS]);
  });
});
