/**
 * rtpengine (Sipwise) as a benchmark peer: started in the foreground in userspace only (no
 * kernel forwarding table), on 127.0.0.1, controlled over its ng protocol (UDP: a cookie, a
 * space, a bencoded dictionary; the reply echoes the cookie).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decode, encode, type BValue } from './bencode.js';

const HOST = '127.0.0.1';
const INSTALL_HINT = 'apt-get install rtpengine-daemon';

/** Why rtpengine cannot run here, or null. */
export function rtpengineMissing(): string | null {
  if (process.platform !== 'linux') return `rtpengine runs on Linux only (this is ${process.platform})`;
  const r = spawnSync('rtpengine', ['--version'], { encoding: 'utf8', timeout: 5_000 });
  if (r.error) return `rtpengine not found (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); install it: ${INSTALL_HINT}`;
  if (r.status !== 0) return `rtpengine --version failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().slice(0, 200)}`;
  return null;
}

/** "10.5.3.5-1+deb12u1" from `rtpengine --version`, or null. */
export function rtpengineVersion(): string | null {
  const r = spawnSync('rtpengine', ['--version'], { encoding: 'utf8', timeout: 5_000 });
  if (r.error || r.status !== 0) return null;
  const m = /Version:\s*(\S+)/.exec(`${r.stdout}${r.stderr}`);
  return m ? m[1]! : `${r.stdout}`.trim().slice(0, 80) || null;
}

export type NgDict = { [key: string]: BValue };

/** An ng client: one UDP socket, requests matched to replies by cookie, each bounded by a timeout. */
export class NgClient {
  private readonly socket: Socket;
  private readonly pending = new Map<string, (reply: NgDict) => void>();
  private seq = 0;
  private readonly prefix = `${process.pid}-${Date.now().toString(36)}-`;

  private constructor(
    socket: Socket,
    readonly port: number,
  ) {
    this.socket = socket;
    socket.on('message', (msg) => {
      const sp = msg.indexOf(0x20);
      if (sp <= 0) return;
      const resolve = this.pending.get(msg.toString('latin1', 0, sp));
      if (resolve === undefined) return; // late or duplicate reply
      try {
        const v = decode(msg.subarray(sp + 1));
        if (typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v)) resolve(v);
      } catch {
        // A reply that does not decode is left to time out, with its cookie in the error.
      }
    });
  }

  static async connect(port: number): Promise<NgClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, HOST, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => undefined);
    return new NgClient(socket, port);
  }

  /**
   * Sends one command; resolves the reply dictionary, or rejects on timeout, an "error" result
   * or the socket closing. Retransmits once halfway: rtpengine answers a repeated cookie from its
   * cache, so a repeat never runs a command twice.
   */
  request(dict: NgDict, timeoutMs = 5_000): Promise<NgDict> {
    const cookie = `${this.prefix}${this.seq++}`;
    const packet = Buffer.concat([Buffer.from(`${cookie} `), encode(dict)]);
    return new Promise((resolve, reject) => {
      const retry = setTimeout(() => this.socket.send(packet, this.port, HOST), timeoutMs / 2);
      const timer = setTimeout(() => finish(new Error(`rtpengine: no reply to ${String(dict.command)} within ${timeoutMs} ms`)), timeoutMs);
      const finish = (err: Error | null, reply?: NgDict): void => {
        clearTimeout(retry);
        clearTimeout(timer);
        this.pending.delete(cookie);
        if (err) reject(err);
        else resolve(reply!);
      };
      this.pending.set(cookie, (reply) => {
        if (reply.result === 'error') finish(new Error(`rtpengine ${String(dict.command)}: ${String(reply['error-reason'] ?? 'error')}`));
        else finish(null, reply);
      });
      this.socket.send(packet, this.port, HOST);
    });
  }

  close(): void {
    this.socket.close();
  }
}

export interface Rtpengine {
  pid: number;
  ngPort: number;
  ng: NgClient;
  /** The command line it was started with (for the report). */
  args: string[];
  /** Ends it by its PID (SIGTERM, then SIGKILL after 3 s). */
  stop(): Promise<void>;
}

export interface RtpengineOptions {
  threads: number;
  portMin: number;
  portMax: number;
  /** An existing directory for the pid file (the caller removes it). */
  workDir: string;
  /** 1 (alert) .. 7 (debug); default 3 (errors): per-call notices cost CPU at thousands of calls. */
  logLevel?: number;
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, HOST, () => resolve());
  });
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts rtpengine and resolves once it answers an ng ping; rejects (and ends it) otherwise. */
export async function startRtpengine(opts: RtpengineOptions): Promise<Rtpengine> {
  const ngPort = await freeUdpPort();
  const args = [
    '--config-file=none', // the Debian default (/etc/rtpengine/rtpengine.conf) asks for kernel table 0 and fixed ports
    '--foreground',
    '--log-stderr',
    `--log-level=${opts.logLevel ?? 3}`,
    '--table=-1', // userspace forwarding only: no kernel module here, and the comparison is userspace to userspace
    `--interface=${HOST}`,
    `--listen-ng=${HOST}:${ngPort}`,
    `--port-min=${opts.portMin}`,
    `--port-max=${opts.portMax}`,
    `--num-threads=${opts.threads}`,
    '--media-num-threads=0', // playback threads: nothing is played here
    '--delete-delay=0', // a deleted call frees its ports at once, for the next step
    '--endpoint-learning=immediate', // latch on the first packet, as Sluice does (default waits 3 s)
    `--pidfile=${join(opts.workDir, 'rtpengine.pid')}`,
  ];
  const proc = spawn('rtpengine', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4_000);
  });
  let exited: number | string | null = null;
  const gone = new Promise<void>((r) =>
    proc.once('exit', (code, signal) => {
      exited = code ?? signal ?? 'exit';
      r();
    }),
  );
  // If this process dies first, rtpengine must not outlive it (it would hold its ports).
  const onExit = (): void => {
    if (exited === null && proc.pid !== undefined) proc.kill('SIGKILL');
  };
  process.once('exit', onExit);
  let ng: NgClient | undefined;
  const stop = async (): Promise<void> => {
    process.off('exit', onExit);
    ng?.close();
    if (exited !== null || proc.pid === undefined) return;
    proc.kill('SIGTERM');
    const late = await Promise.race([gone.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 3_000).unref())]);
    if (late) {
      proc.kill('SIGKILL');
      await gone;
    }
  };
  try {
    if (proc.pid === undefined) throw new Error('rtpengine did not start');
    ng = await NgClient.connect(ngPort);
    // Bounded wait for the control socket: 50 pings, 100 ms apart.
    for (let i = 0; ; i++) {
      if (exited !== null) throw new Error(`rtpengine exited (${exited}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      try {
        const r = await ng.request({ command: 'ping' }, 200);
        if (r.result === 'pong') break;
      } catch (err) {
        if (i >= 50) throw err;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!existsSync(join(opts.workDir, 'rtpengine.pid'))) throw new Error('rtpengine wrote no pid file');
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: proc.pid, ngPort, ng, args, stop };
}

function sdp(port: number, session: string): string {
  return ['v=0', `o=- ${session} 1 IN IP4 ${HOST}`, 's=-', `c=IN IP4 ${HOST}`, 't=0 0', `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', ''].join('\r\n');
}

function mediaPort(reply: NgDict): number {
  const m = typeof reply.sdp === 'string' ? /^m=audio (\d+) /m.exec(reply.sdp) : null;
  if (m === null) throw new Error('rtpengine: reply without an audio m= line');
  return Number(m[1]);
}

/**
 * Plain RTP/AVP relay, nothing else: ICE stripped, the origin and session c= rewritten (each party
 * sees rtpengine as the other side). Symmetric RTP and no transcoding are rtpengine's defaults.
 */
const FLAGS: NgDict = { ICE: 'remove', replace: ['origin', 'session-connection'] };

export interface NgCalls {
  callIds: string[];
  /** Where each party sends: [port for party A, port for party B]. */
  targets: [number, number][];
}

/**
 * Sets up one call per pair of party ports, `concurrency` offer/answer exchanges in flight: the
 * offer carries A's port and rtpengine's reply names the port B must send to; the answer carries
 * B's port and the reply names A's. On a failure, the calls made so far are deleted and the
 * error is thrown.
 */
export async function setupCalls(ng: NgClient, ports: [number, number][], idPrefix: string, concurrency = 100): Promise<NgCalls> {
  const targets: [number, number][] = new Array<[number, number]>(ports.length);
  const callIds = ports.map((_, i) => `${idPrefix}-${i}`);
  let next = 0;
  let failure: unknown = null;
  const worker = async (): Promise<void> => {
    // Bounded: each pass takes one index, and there are ports.length of them; a failure stops all.
    while (failure === null && next < ports.length) {
      const i = next++;
      const [a, b] = ports[i]!;
      const callId = callIds[i]!;
      try {
        const offer = await ng.request({ command: 'offer', 'call-id': callId, 'from-tag': 'a', sdp: sdp(a, `${i}`), ...FLAGS });
        const answer = await ng.request({ command: 'answer', 'call-id': callId, 'from-tag': 'a', 'to-tag': 'b', sdp: sdp(b, `${i}`), ...FLAGS });
        targets[i] = [mediaPort(answer), mediaPort(offer)];
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, ports.length)) }, worker));
  if (failure !== null) {
    await deleteCalls(ng, callIds.slice(0, next), concurrency).catch(() => undefined);
    throw failure;
  }
  return { callIds, targets };
}

/** Deletes calls, `concurrency` at a time; an unknown call (already gone) is not an error. */
export async function deleteCalls(ng: NgClient, callIds: string[], concurrency = 100): Promise<void> {
  let next = 0;
  const failures: string[] = [];
  const worker = async (): Promise<void> => {
    while (next < callIds.length) {
      const callId = callIds[next++]!;
      try {
        await ng.request({ command: 'delete', 'call-id': callId });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (!/unknown call/i.test(message)) failures.push(message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, callIds.length)) }, worker));
  if (failures.length > 0) throw new Error(`rtpengine: ${failures.length} deletes failed, e.g. ${failures[0]}`);
}

/** Packets rtpengine has relayed in userspace since it started (ng "statistics"). */
export async function relayedPackets(ng: NgClient): Promise<number | null> {
  const r = await ng.request({ command: 'statistics' });
  const totals = (r.statistics as NgDict | undefined)?.totalstatistics as NgDict | undefined;
  const n = totals?.relayedpackets_user ?? totals?.relayedpackets;
  return typeof n === 'number' ? n : null;
}
