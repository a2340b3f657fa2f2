/**
 * The media benchmarks' load generator in Node, the fallback of the C one (bench/native/rtp-gen.c)
 * where there is no compiler, run as a child process (node --import tsx) so the relay's process
 * measures only the relay. It plays both parties of N calls: per call, party A
 * and party B each send 20 ms G.711 RTP (172-byte packets, 50/s, seq +1, timestamp +160, one
 * SSRC per direction) to the relay and count what the relay delivers from the other party.
 *
 * Driven over IPC by the parent: prepare (bind sockets) → run (send for N seconds, drain, report)
 * → release (close sockets). It also reports how far it fell behind its own schedule, so a
 * saturated generator is not mistaken for a slow relay.
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';

export type GeneratorRequest =
  | { type: 'prepare'; streams: number }
  | { type: 'run'; targets: [number, number][]; seconds: number; drainMs: number }
  | { type: 'release' };

export interface GeneratorResult {
  type: 'result';
  streams: number;
  seconds: number;
  /** Packets sent (both directions) and received back on the far sides. */
  sent: number;
  received: number;
  /** Packets scheduled: streams * 2 * 50 * seconds. */
  planned: number;
  /** How late the generator's send slots ran (ms): p50, p99, max; slots more than one packet interval late. */
  lagMs: { p50: number; p99: number; max: number };
  lateSlots: number;
  slots: number;
  /** One-way time through the relay as the generator saw it (ms, same clock at both ends). */
  latencyMs: { p50: number; p99: number; max: number };
  /** The generator's own CPU seconds during the run, and wall seconds. */
  cpuSeconds: number;
  wallSeconds: number;
}

export type GeneratorReply = { type: 'ready'; ports: [number, number][] } | GeneratorResult | { type: 'released' } | { type: 'error'; message: string };

const HOST = '127.0.0.1';
const PACKET = 172;
const PERIOD_MS = 20;
/** Calls are spread over this many send slots per 20 ms, as real phones are not in phase. */
const SLOTS = 10;
/** Buffers per direction: a packet the kernel has queued is never rewritten before it leaves. */
const RING = 4;
const HIST = 2_001;

interface Party {
  socket: Socket;
  ssrc: number;
  seq: number;
  ts: number;
  bufs: Buffer[];
  next: number;
}

let parties: Party[] = [];
let received = 0;
const latency = new Uint32Array(HIST);

function reply(m: GeneratorReply): void {
  process.send?.(m);
}

function makeParty(): Promise<Party> {
  const socket = createSocket({ type: 'udp4' });
  const ssrc = (Math.random() * 0x1_0000_0000) >>> 0;
  const bufs: Buffer[] = [];
  for (let i = 0; i < RING; i++) {
    const b = Buffer.alloc(PACKET, 0xff); // μ-law silence
    b[0] = 0x80; // V=2
    b[1] = 0; // PT 0 (PCMU)
    b.writeUInt32BE(ssrc, 8);
    bufs.push(b);
  }
  const p: Party = { socket, ssrc, seq: (Math.random() * 0x10000) | 0, ts: (Math.random() * 0x1_0000_0000) >>> 0, bufs, next: 0 };
  socket.on('message', (msg) => {
    received++;
    // The far party wrote its send time into the payload; the relay does not touch payloads.
    if (msg.length === PACKET) {
      const ms = Math.round(performance.now() - msg.readDoubleLE(12));
      latency[ms < 0 ? 0 : ms >= HIST ? HIST - 1 : ms]!++;
    }
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, HOST, () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      try {
        socket.setRecvBufferSize(2 << 20);
        socket.setSendBufferSize(1 << 20);
      } catch {
        // clamped: defaults still work
      }
      resolve(p);
    });
  });
}

function sendOne(p: Party, first: boolean): void {
  const b = p.bufs[p.next]!;
  p.next = (p.next + 1) % RING;
  b[1] = first ? 0x80 : 0; // marker on the first packet of a talk spurt
  b.writeUInt16BE(p.seq, 2);
  b.writeUInt32BE(p.ts, 4);
  b.writeDoubleLE(performance.now(), 12);
  p.seq = (p.seq + 1) & 0xffff;
  p.ts = (p.ts + 160) >>> 0;
  p.socket.send(b);
}

function percentile(hist: Uint32Array, q: number): number {
  let total = 0;
  for (let i = 0; i < hist.length; i++) total += hist[i]!;
  if (total === 0) return 0;
  let acc = 0;
  for (let i = 0; i < hist.length; i++) {
    acc += hist[i]!;
    if (acc >= q * total) return i;
  }
  return hist.length - 1;
}

function maxOf(hist: Uint32Array): number {
  for (let i = hist.length - 1; i >= 0; i--) if (hist[i]! > 0) return i;
  return 0;
}

async function run(targets: [number, number][], seconds: number, drainMs: number): Promise<GeneratorResult> {
  const n = targets.length;
  // Connected sockets: send() skips the address lookup, and only the relay's port is heard.
  await Promise.all(
    targets.flatMap(([aPort, bPort], i) => [
      new Promise<void>((r) => parties[2 * i]!.socket.connect(aPort, HOST, () => r())),
      new Promise<void>((r) => parties[2 * i + 1]!.socket.connect(bPort, HOST, () => r())),
    ]),
  );
  received = 0;
  latency.fill(0);
  const lag = new Uint32Array(HIST);
  const ticks = Math.round(seconds * (1000 / PERIOD_MS));
  const totalSlots = ticks * SLOTS;
  const slotMs = PERIOD_MS / SLOTS;
  let sent = 0;
  let slot = 0;
  let lateSlots = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now() + 5;
  await new Promise<void>((done) => {
    const step = (): void => {
      const now = performance.now();
      // Catch up on every slot that is due (a late slot still sends: the offered load stays honest).
      while (slot < totalSlots && t0 + slot * slotMs <= now) {
        const late = now - (t0 + slot * slotMs);
        lag[Math.min(HIST - 1, Math.round(late))]!++;
        if (late > PERIOD_MS) lateSlots++;
        const phase = slot % SLOTS;
        const first = slot < SLOTS;
        for (let i = phase; i < n; i += SLOTS) {
          sendOne(parties[2 * i]!, first);
          sendOne(parties[2 * i + 1]!, first);
          sent += 2;
        }
        slot++;
      }
      if (slot >= totalSlots) {
        done();
        return;
      }
      setTimeout(step, Math.max(0, t0 + slot * slotMs - performance.now()));
    };
    setTimeout(step, 5);
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await new Promise((r) => setTimeout(r, drainMs));
  return {
    type: 'result',
    streams: n,
    seconds,
    sent,
    received,
    planned: n * 2 * ticks,
    lagMs: { p50: percentile(lag, 0.5), p99: percentile(lag, 0.99), max: maxOf(lag) },
    lateSlots,
    slots: totalSlots,
    latencyMs: { p50: percentile(latency, 0.5), p99: percentile(latency, 0.99), max: maxOf(latency) },
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    wallSeconds,
  };
}

function release(): void {
  for (const p of parties) p.socket.close();
  parties = [];
}

process.on('message', (m: GeneratorRequest) => {
  void (async () => {
    try {
      if (m.type === 'prepare') {
        release();
        parties = await Promise.all(Array.from({ length: 2 * m.streams }, makeParty));
        const ports: [number, number][] = [];
        for (let i = 0; i < m.streams; i++) ports.push([parties[2 * i]!.socket.address().port, parties[2 * i + 1]!.socket.address().port]);
        reply({ type: 'ready', ports });
      } else if (m.type === 'run') {
        reply(await run(m.targets, m.seconds, m.drainMs));
      } else {
        release();
        reply({ type: 'released' });
      }
    } catch (err) {
      reply({ type: 'error', message: String(err) });
    }
  })();
});
// The parent going away ends the generator (no orphan keeps sending).
process.on('disconnect', () => process.exit(0));
