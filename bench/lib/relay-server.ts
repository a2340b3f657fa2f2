/**
 * Sluice's media relay (src/media MediaRelay) alone in a child process, as rtpengine is, so its
 * CPU is read from /proc/PID/stat (every thread, worker threads included) and the orchestrator's
 * own work is not counted. Driven over IPC: init (construct MediaRelay with the caller's options)
 * → open (one stream per pair of generator ports, those as the remotes) → stats → close.
 *
 * This file is both the child (run as a script) and the parent's handle (startRelayServer).
 */
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MediaRelay, MediaRelayOptions, RealmMedia, RelayStream } from '../../src/media/index.js';
import { IpcChild, type RelayAdapter } from './media-steps.js';
import { cpuSecondsOf } from './proc.js';

/**
 * Options passed to MediaRelay as they are (spread after the realms), e.g. a worker count. Only
 * what survives IPC (JSON-like values): no clock or logger.
 */
export type RelayOptions = Partial<Omit<MediaRelayOptions, 'realms' | 'clock' | 'logger'>>;

export type RelayServerRequest =
  | { type: 'init'; realms: Record<string, RealmMedia>; relayOptions: RelayOptions }
  | { type: 'open'; ports: [number, number][] }
  | { type: 'stats' }
  | { type: 'close' };

export type RelayServerReply =
  | { type: 'ready' }
  | { type: 'opened'; targets: [number, number][] }
  | { type: 'stats'; packetsIn: number | null }
  | { type: 'closed' }
  | { type: 'error'; message: string };

// ---- child side ----

async function serve(): Promise<void> {
  // Imported here, so the parent importing this file does not load the relay.
  const { MediaRelay: Relay } = await import('../../src/media/index.js');
  let relay: MediaRelay | null = null;
  let streams: RelayStream[] = [];
  let opened = 0;
  const reply = (m: RelayServerReply): void => {
    process.send?.(m);
  };

  const handle = async (m: RelayServerRequest): Promise<RelayServerReply> => {
    if (m.type === 'init') {
      await relay?.close();
      relay = new Relay({ ...m.relayOptions, realms: m.realms });
      return { type: 'ready' };
    }
    if (relay === null) throw new Error('relay server: init first');
    if (m.type === 'open') {
      const r = relay;
      // Opened in batches: binds are asynchronous, and 4 sockets per stream add up at thousands.
      for (let i = 0; i < m.ports.length; i += 200) {
        const batch = await Promise.all(m.ports.slice(i, i + 200).map(() => r.open(`bench:${opened++}`, { realm: 'a', rtcpMux: false }, { realm: 'b', rtcpMux: false })));
        for (const s of batch) {
          if (s === null) throw new Error('relay ran out of ports');
          streams.push(s);
        }
      }
      const targets = m.ports.map(([pa, pb], i): [number, number] => {
        const s = streams[streams.length - m.ports.length + i]!;
        s.setRemote('a', { address: '127.0.0.1', rtpPort: pa, rtcpPort: null });
        s.setRemote('b', { address: '127.0.0.1', rtpPort: pb, rtcpPort: null });
        return [s.local('a').rtpPort, s.local('b').rtpPort];
      });
      return { type: 'opened', targets };
    }
    if (m.type === 'stats') {
      let n = 0;
      try {
        for (const s of streams) n += s.stats('a').packets + s.stats('b').packets;
      } catch {
        return { type: 'stats', packetsIn: null };
      }
      return { type: 'stats', packetsIn: n };
    }
    for (const s of streams) s.close();
    streams = [];
    return { type: 'closed' };
  };

  // One request at a time, in order: the parent never has two outstanding, but a queue costs nothing.
  let queue = Promise.resolve();
  process.on('message', (m: RelayServerRequest) => {
    queue = queue.then(async () => {
      try {
        reply(await handle(m));
      } catch (err) {
        reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
      }
    });
  });
  // The parent going away ends the relay (no orphan holds the ports).
  process.on('disconnect', () => {
    void relay?.close().finally(() => process.exit(0));
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) void serve();

// ---- parent side ----

export interface RelayServerOptions {
  /** Both realms (side a, side b) share [portMin, portMax]; keep it below 32768 (the generator's ephemeral ports). */
  portMin: number;
  portMax: number;
  relayOptions?: RelayOptions;
  name?: string;
}

export interface RelayServer extends RelayAdapter {
  pid: number;
  stop(): Promise<void>;
}

/** Starts the child and constructs the relay in it; the result is a step-runner adapter. */
export async function startRelayServer(opts: RelayServerOptions): Promise<RelayServer> {
  // RealmMedia.portMax is exclusive for RTP ports and each pairs with p + 1, so the last pair ends at portMax.
  const mid = opts.portMin + 2 * Math.floor((opts.portMax + 1 - opts.portMin) / 4);
  const realms: Record<string, RealmMedia> = {
    a: { address: '127.0.0.1', portMin: opts.portMin, portMax: mid },
    b: { address: '127.0.0.1', portMin: mid, portMax: opts.portMax + 1 },
  };
  const child = new IpcChild<RelayServerRequest, RelayServerReply>('relay server', fileURLToPath(import.meta.url));
  try {
    await child.ask({ type: 'init', realms, relayOptions: opts.relayOptions ?? {} }, 'ready', 30_000);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return {
    name: opts.name ?? 'sluice',
    pid: child.pid,
    async setup(ports) {
      return (await child.ask({ type: 'open', ports }, 'opened', 60_000)).targets;
    },
    async teardown() {
      await child.ask({ type: 'close' }, 'closed', 30_000);
    },
    cpuSeconds: () => cpuSecondsOf(child.pid),
    async packetsIn() {
      return (await child.ask({ type: 'stats' }, 'stats', 10_000)).packetsIn;
    },
    stop: () => child.stop(),
  };
}
