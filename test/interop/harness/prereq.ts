// Prerequisite checks for the interop tier: on a developer machine without root or the Debian
// packages the tests skip with one readable line; in CI the same gap is a failure, because a
// silently skipped tier would look green while testing nothing.
import { accessSync, constants } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { delimiter, join } from 'node:path';

/** 'netns' means: root may create a network namespace here (root alone is not enough in some containers). */
export type Requirement = 'root' | 'sipp' | 'nft' | 'ip' | 'netns' | (string & {});

// Debian package that provides each binary, so the skip line says what to install.
const PACKAGE_OF: Record<string, string> = {
  sipp: 'sip-tester',
  nft: 'nftables',
  ip: 'iproute2',
  iptables: 'iptables',
  conntrack: 'conntrack',
  baresip: 'baresip-core',
  sipsak: 'sipsak',
  'redis-server': 'redis-server',
  'redis-sentinel': 'redis-sentinel',
  tshark: 'tshark',
  sox: 'sox',
  kamailio: 'kamailio',
  rtpengine: 'rtpengine-daemon',
  nginx: 'nginx',
};

const warned = new Set<string>();
let netnsUsable: boolean | undefined;

/** True when `name` is an executable file on PATH (or in the sbin directories root usually has). */
export function hasBinary(name: string): boolean {
  // /usr/sbin and /sbin are added because `ip` and `nft` live there and a non-login PATH may lack them.
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory; try the next
    }
  }
  return false;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

// Creating and deleting one throwaway namespace is the only reliable proof (capabilities, seccomp).
function canCreateNetns(): boolean {
  if (netnsUsable !== undefined) return netnsUsable;
  netnsUsable = false;
  if (!isRoot() || !hasBinary('ip')) return netnsUsable;
  const name = `sl-probe-${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', name], { stdio: 'ignore', timeout: 5_000 });
    netnsUsable = true;
  } catch {
    netnsUsable = false;
  } finally {
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 5_000 });
    } catch {
      // it was never created
    }
  }
  return netnsUsable;
}

function isMet(req: string): boolean {
  if (req === 'root') return isRoot();
  if (req === 'netns') return canCreateNetns();
  return hasBinary(req);
}

function joinWords(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/**
 * Returns a one-line reason naming the unmet requirements, or null when all are met. The line is
 * printed once per distinct reason (console.warn), so a skipped file explains itself in the log.
 */
export function missing(requirements: Requirement[]): string | null {
  const unmet = [...new Set(requirements)].filter((r) => !isMet(r));
  if (unmet.length === 0) return null;
  const packages = unmet.map((r) => PACKAGE_OF[r]).filter((p): p is string => p !== undefined);
  const hint = packages.length > 0 ? ` (apt-get install ${[...new Set(packages)].join(' ')})` : '';
  const reason = `interop: needs ${joinWords(unmet)}${hint}; skipped`;
  if (!warned.has(reason)) {
    warned.add(reason);
    console.warn(reason);
  }
  return reason;
}

/** CI=true (or 1) marks a run where a missing prerequisite is a broken machine, not a choice. */
export function inCi(): boolean {
  const ci = (process.env.CI ?? '').toLowerCase();
  return ci === 'true' || ci === '1';
}

/**
 * For `describe.skipIf(requireOrSkip([...]))`: true (skip) when something is missing, false when
 * all is there; under CI it throws instead, so the file fails to collect and the run goes red.
 */
export function requireOrSkip(requirements: Requirement[]): boolean {
  const reason = missing(requirements);
  if (reason === null) return false;
  if (inCi()) throw new Error(reason.replace(/; skipped$/, '; CI=true, so this is a failure'));
  return true;
}
