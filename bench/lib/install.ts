/**
 * The benchmark's peers from Debian, installed where this machine allows it (root, apt-get):
 * sipp (sip-tester), Kamailio with its Redis modules, rtpengine, Redis, and jemalloc (libjemalloc2),
 * which Sluice runs on where it is installed (scripts/sluice-node.sh). Packaged daemons must
 * not start as services (they would take ports and CPU from the measurement), so a policy-rc.d
 * that refuses every start is put in place for the install when none exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hasBinary } from '../../test/interop/harness/prereq.js';

/** What each part needs: a program on PATH (or a file) and the package that brings it. */
const NEEDS: { what: string; present: () => boolean; pkg: string }[] = [
  { what: 'sipp', present: () => hasBinary('sipp'), pkg: 'sip-tester' },
  { what: 'kamailio', present: () => hasBinary('kamailio'), pkg: 'kamailio' },
  { what: 'kamailio topos_redis module', present: () => existsSync('/usr/lib/x86_64-linux-gnu/kamailio/modules/topos_redis.so') || existsSync('/usr/lib/kamailio/modules/topos_redis.so'), pkg: 'kamailio-redis-modules' },
  { what: 'rtpengine', present: () => hasBinary('rtpengine'), pkg: 'rtpengine-daemon' },
  { what: 'redis-server', present: () => hasBinary('redis-server'), pkg: 'redis-server' },
  { what: 'jemalloc', present: () => jemallocPath() !== '', pkg: 'libjemalloc2' },
];

/** The library the launcher would preload, as its own lookup finds it ('' where absent). */
function jemallocPath(): string {
  const script = fileURLToPath(new URL('../../scripts/jemalloc-path.sh', import.meta.url));
  return execFileSync('sh', [script], { encoding: 'utf8' }).trim();
}

export interface InstallReport {
  /** Packages that were missing. */
  missing: string[];
  installed: string[];
  /** Why nothing (or not everything) could be installed; the parts that need it say so too. */
  problem: string | null;
}

const POLICY = '/usr/sbin/policy-rc.d';

function apt(args: string[], timeoutMs: number): void {
  execFileSync('apt-get', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** Installs the missing packages (bounded: 10 minutes at most); never throws. */
export function installPeers(log: (line: string) => void = () => {}): InstallReport {
  const missing = [...new Set(NEEDS.filter((n) => !n.present()).map((n) => n.pkg))];
  if (missing.length === 0) return { missing, installed: [], problem: null };
  if (process.getuid?.() !== 0) return { missing, installed: [], problem: `not root: cannot apt-get install ${missing.join(' ')}` };
  if (!hasBinary('apt-get')) return { missing, installed: [], problem: `no apt-get: install ${missing.join(' ')} by hand` };
  const ownPolicy = !existsSync(POLICY);
  if (ownPolicy) writeFileSync(POLICY, '#!/bin/sh\n# written by Sluice\'s benchmark for the time of its apt-get install\nexit 101\n', { mode: 0o755 });
  try {
    log(`installing ${missing.join(' ')} (apt-get)`);
    try {
      apt(['install', '-y', '--no-install-recommends', ...missing], 300_000);
    } catch {
      // A fresh machine has no package lists yet.
      apt(['update'], 120_000);
      apt(['install', '-y', '--no-install-recommends', ...missing], 300_000);
    }
    const still = NEEDS.filter((n) => !n.present()).map((n) => n.what);
    return { missing, installed: missing, problem: still.length === 0 ? null : `still missing after apt-get: ${still.join(', ')}` };
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim().split('\n').slice(-2).join(' ');
    return { missing, installed: [], problem: `apt-get install ${missing.join(' ')} failed: ${stderr || (err as Error).message}` };
  } finally {
    if (ownPolicy) rmSync(POLICY, { force: true });
  }
}
