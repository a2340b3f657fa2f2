/**
 * A private, throwaway Redis for benchmarks: loopback only, no persistence, ended by its pid.
 */
import { execFileSync, spawn } from 'node:child_process';
import { hasBinary } from '../../test/interop/harness/prereq.js';
import { terminate } from './proc.js';

export interface RedisInstance {
  pid: number;
  port: number;
  /** Empties every database (FLUSHALL): what a middle box kept in it is gone. */
  flush(): void;
  stop(): Promise<void>;
}

/** "7.0.15" from `redis-server --version`, or null when it is not installed. */
export function redisVersion(): string | null {
  if (!hasBinary('redis-server')) return null;
  try {
    const out = execFileSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 5_000 });
    return /v=(\S+)/.exec(out)?.[1] ?? null;
  } catch {
    return null;
  }
}

function pingOk(port: number): boolean {
  try {
    const out = execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], {
      encoding: 'utf8',
      timeout: 2_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.trim() === 'PONG';
  } catch {
    return false;
  }
}

/** Starts redis-server on 127.0.0.1:port; resolves once it answers PING (at most 5 s). */
export async function startRedis(port: number): Promise<RedisInstance> {
  if (!hasBinary('redis-server') || !hasBinary('redis-cli')) throw new Error('redis-server/redis-cli not installed (apt-get install redis-server)');
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    if (stderr.length < 4_096) stderr += c.toString();
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const pid = child.pid;

  const stop = async (): Promise<void> => {
    if (gone || pid === undefined) return;
    await terminate(pid, exited);
  };

  const deadline = Date.now() + 5_000;
  // Bounded: 5 s at 50 ms steps.
  while (!gone && Date.now() < deadline) {
    if (pingOk(port)) {
      const flush = (): void => {
        execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'flushall'], { timeout: 10_000, stdio: 'ignore' });
      };
      return { pid: pid as number, port, flush, stop };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`redis-server did not answer PING on 127.0.0.1:${port} within 5 s${stderr ? `: ${stderr.trim()}` : ''}`);
}
