/**
 * scripts/sluice-node.sh starts Node for `npm start`, the Procfile and the benchmarks: Node's flags
 * for Sluice, MALLOC_ARENA_MAX for glibc's malloc, and jemalloc preloaded where it is installed.
 * The allocator a process runs on is what src/cli/allocator.ts reads back at start.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAUNCHER } from '../../bench/lib/sluice.js';
import { allocatorOf, logAllocator, processAllocator } from '../../src/cli/allocator.js';
import { createLogger } from '../../src/observability/logger.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const jemalloc = execFileSync('sh', ['scripts/jemalloc-path.sh'], { cwd: root, encoding: 'utf8' }).trim();

/** What a node started by the launcher sees: its flags, MALLOC_ARENA_MAX and its allocator. */
function launched(env: Record<string, string> = {}): { argv: string[]; arenas: string | undefined; allocator: string } {
  // Off Linux there is no map to read, and no jemalloc for the launcher to find either.
  const probe = `let m='';try{m=require('fs').readFileSync('/proc/self/maps','utf8')}catch{};console.log(JSON.stringify({argv:process.execArgv.slice(0,-2),arenas:process.env.MALLOC_ARENA_MAX,allocator:m.includes('/libjemalloc')?'jemalloc':'system'}))`;
  const { LD_PRELOAD: _inherited, ...base } = process.env;
  const out = execFileSync('sh', [LAUNCHER, '-e', probe], { cwd: root, encoding: 'utf8', env: { ...base, SLUICE_NODE: process.execPath, ...env } });
  return JSON.parse(out) as { argv: string[]; arenas: string | undefined; allocator: string };
}

describe('the launcher', () => {
  it('is what npm start, the Procfile and the benchmark run', () => {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start']).toBe(`sh ${LAUNCHER} dist/cli/main.js start --config config/sluice.yaml`);
    expect(readFileSync(`${root}/Procfile`, 'utf8').trim()).toBe(`sluice: ${pkg.scripts['start']}`);
  });

  it("gives Node Sluice's flags, two glibc arenas, and jemalloc where it is installed", () => {
    const r = launched();
    expect(r.argv).toEqual(['--max-semi-space-size=64', '--expose-gc', '--no-allocation-site-pretenuring']);
    expect(r.arenas).toBe('2');
    expect(r.allocator).toBe(jemalloc === '' ? 'system' : 'jemalloc');
  });

  it('keeps the C library malloc with SLUICE_ALLOCATOR=system, and adds SLUICE_NODE_FLAGS after its own', () => {
    const r = launched({ SLUICE_ALLOCATOR: 'system', SLUICE_NODE_FLAGS: '--max-semi-space-size=16 --stack-size=900', MALLOC_ARENA_MAX: '4' });
    expect(r.argv).toEqual(['--max-semi-space-size=64', '--expose-gc', '--no-allocation-site-pretenuring', '--max-semi-space-size=16', '--stack-size=900']);
    expect(r.arenas).toBe('4');
    expect(r.allocator).toBe('system');
  });
});

describe('the allocator read back', () => {
  it('is jemalloc when its library is mapped, the system one otherwise, unknown without a map', () => {
    expect(allocatorOf('7f00-7f01 r-xp 00000000 08:01 42 /usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n')).toBe('jemalloc');
    expect(allocatorOf('7f00-7f01 r-xp 00000000 08:01 42 /usr/lib/x86_64-linux-gnu/libc.so.6\n')).toBe('system');
    expect(allocatorOf(null)).toBe('unknown');
  });

  it('names what this process runs on', () => {
    expect(processAllocator()).toBe(process.platform === 'linux' ? (process.env.LD_PRELOAD?.includes('libjemalloc') ? 'jemalloc' : 'system') : 'unknown');
  });

  it('is logged at start, with the remedy where it is the C library malloc', () => {
    const lines: { msg: string; allocator: string }[] = [];
    const log = createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(JSON.parse(l) as { msg: string; allocator: string }) } });
    logAllocator(log, 'jemalloc');
    logAllocator(log, 'system');
    expect(lines.map((l) => l.allocator)).toEqual(['jemalloc', 'system']);
    expect(lines[0]!.msg).toBe('malloc: jemalloc');
    expect(lines[1]!.msg).toMatch(/apt-get install libjemalloc2/);
  });
});
