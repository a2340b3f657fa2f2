/**
 * One fixed-rate run of the benchmark's calls (sipp uac-rr -> middle box -> sipp uas-rr, 2 s
 * calls, UDP on 127.0.0.1): the middle box's CPU seconds per 1,000 calls, sipp's retransmissions
 * and failed calls, what the generator (both sipp processes) spent per 1,000 calls, and the
 * datagrams dropped at each side's full receive buffers. Used by `npm run bench:at-rate` and
 * `npm run bench:build-up`.
 */
import { freePort, runSipp, startSipp, type SippServer } from '../../test/interop/harness/sipp.js';
import { startUas, uacRrArgs } from './kamailio-parts.js';
import { cpuSecondsOf, cpuSplitOf, mainThreadCpuSecondsOf, udpDropsOf, type CpuSplit } from './proc.js';
import { startSluice } from './sluice.js';

/** A middle box in a process of its own, taking calls on 127.0.0.1:port. */
export interface MiddleBox {
  pid: number;
  port: number;
  /** Every process of the box (Kamailio's children) when it has more than `pid`. */
  pids?(): number[];
  stop(): Promise<unknown>;
}

const pidsOf = (b: MiddleBox): number[] => b.pids?.() ?? [b.pid];
// Read strictly (a process gone mid-run throws, as a box that died must not read as idle).
const boxCpu = (b: MiddleBox): CpuSplit =>
  pidsOf(b).reduce(
    (n, pid) => {
      const s = cpuSplitOf(pid);
      return { user: n.user + s.user, system: n.system + s.system };
    },
    { user: 0, system: 0 },
  );
/** Each process's first thread: a Node box's event loop, or every Kamailio process (each has one thread). */
const boxMainCpu = (b: MiddleBox): number => pidsOf(b).reduce((n, pid) => n + mainThreadCpuSecondsOf(pid), 0);

/** Starts Sluice (B2BUA, media direct unless asked to anchor it), with extra node flags, as a middle box; `onStdout` gets its stdout once started. */
export function sluiceBox(nodeArgs: string[] = [], sip?: Record<string, unknown>, cdrs = false, onStdout?: (chunk: string) => void, media: 'direct' | 'anchor' = 'direct'): (trunk: number) => Promise<MiddleBox> {
  return async (trunk) => {
    const s = await startSluice({ inside: await freePort('udp'), outside: await freePort('udp'), trunk, media, nodeArgs, sip, cdrs, onStdout });
    return { pid: s.pid, port: s.inside, stop: () => s.stop() };
  };
}

export interface FixedRateOptions {
  rate: number;
  seconds: number;
  /** Middle boxes side by side, each with its own sipp uac at rate/boxes (default 1). */
  boxes?: number;
  /** Starts one middle box whose calls go on to the sipp uas at 127.0.0.1:trunk. */
  start(trunk: number): Promise<MiddleBox>;
  /**
   * Seconds of calls at the run's rate placed through each new box before it is measured
   * (default 3; 0 for none). A fresh Node process runs in V8's interpreter and compiles its hot
   * paths on helper threads in its first seconds: at 1,000 calls/s for 10 s from cold, Sluice's
   * four V8 helper threads used 1.6-2.5 s of CPU beside the main thread's 6.5, and 396 functions
   * were compiled by TurboFan. The figure is then of the box, not of its warm-up.
   */
  warmUpSeconds?: number;
  /**
   * Called once the measured calls have started (after the warm-up), with the boxes: a profiler
   * attached here sees only warm code. The run's figures are returned once it resolves too.
   */
  onMeasure?(boxes: readonly MiddleBox[]): Promise<void>;
  /** Length of each call, sipp -d (default 2000 ms, the benchmark's). */
  callMs?: number;
}

export interface FixedRateRun {
  successful: number;
  failed: number;
  retransmissions: number;
  /** Every middle box together. */
  cpuSecondsPer1000Calls: number;
  /** The boxes' main threads only (see mainThreadCpuSecondsOf): what bounds one process's rate. */
  mainThreadCpuSecondsPer1000Calls: number;
  /**
   * cpuSecondsPer1000Calls split: the boxes' own code in user space (for Node: JavaScript, the
   * collector, V8 and libuv), and the kernel on their behalf (system calls, the loopback network
   * stack, context switches), which every box pays per datagram.
   */
  userCpuSecondsPer1000Calls: number;
  systemCpuSecondsPer1000Calls: number;
  /** Each middle box, per 1,000 of the calls it took. */
  perBox: number[];
  /** Both sipp processes (uac and uas) together: CPU the machine gives the generator. */
  generatorCpuSecondsPer1000Calls: number;
  /**
   * Datagrams the kernel dropped at full receive buffers during the run: at the middle boxes'
   * sockets (they fell behind) and at sipp's (the generator did). A run that fails with
   * retransmissions says here where the messages were lost.
   */
  udpDrops: { middleBoxes: number; generator: number };
}

const dropsOf = (pid: number): (() => number) => () => udpDropsOf([pid]);
const cpuOf = (pid: number): (() => number) => () => cpuSecondsOf(pid);
const per1000 = (cpu: number, calls: number): number => Math.round((cpu / calls) * 1e6) / 1e3;
const total = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/**
 * A counter of a process that only grows (CPU seconds, UDP drops), since the watch began, read
 * every 250 ms and once more at stop: a sipp uac exits when its calls are done, and /proc forgets
 * it then (its sockets close first), so the highest reading before its exit stands for it.
 */
function watch(counter: () => number): { read(): number; stop(): void } {
  const from = counter();
  let last = from;
  const sample = (): boolean => {
    try {
      last = Math.max(last, counter());
      return true;
    } catch {
      return false;
    }
  };
  const timer = setInterval(() => {
    if (!sample()) clearInterval(timer);
  }, 250);
  return {
    read: () => last - from,
    stop: () => {
      clearInterval(timer);
      sample();
    },
  };
}

/** sipp uac-rr placing `seconds` of calls (2 s by default) at `rate` through the box at 127.0.0.1:port. */
const uacArgs = (port: number, rate: number, seconds: number, callMs = 2_000): string[] => uacRrArgs(port, { rate, calls: Math.round(rate * seconds), callMs });

/** One run on fresh middle boxes (warmed up, see warmUpSeconds) and a fresh sipp uas; everything started is stopped. */
export async function runAtFixedRate(o: FixedRateOptions): Promise<FixedRateRun> {
  const boxCount = o.boxes ?? 1;
  const share = o.rate / boxCount;
  const { uas, port: trunk } = await startUas(o.seconds + 120);
  const boxes: MiddleBox[] = [];
  const uacs: SippServer[] = [];
  try {
    for (let i = 0; i < boxCount; i++) boxes.push(await o.start(trunk));
    const warmUp = o.warmUpSeconds ?? 3;
    if (warmUp > 0) await Promise.all(boxes.map((b) => runSipp({ args: uacArgs(b.port, share, warmUp, o.callMs), timeoutMs: (warmUp + 30) * 1_000 + (o.callMs ?? 2_000) })));
    const before = boxes.map(boxCpu);
    const mainBefore = boxes.map(boxMainCpu);
    const boxDrops = boxes.map((b) => watch(() => udpDropsOf(pidsOf(b))));
    const uasCpu = watch(cpuOf(uas.pid));
    const uasDrops = watch(dropsOf(uas.pid));
    for (const b of boxes) {
      uacs.push(
        await startSipp({
          args: uacArgs(b.port, share, o.seconds, o.callMs),
          timeoutMs: (o.seconds + 60) * 1_000 + (o.callMs ?? 2_000),
        }),
      );
    }
    const uacCpu = uacs.map((u) => watch(cpuOf(u.pid)));
    const uacDrops = uacs.map((u) => watch(dropsOf(u.pid)));
    // Its failure is held (not left unhandled while the calls run) and thrown once they are done.
    const measuring = o.onMeasure?.(boxes).then(
      () => null,
      (err: unknown) => ({ err }),
    );
    const results = await Promise.all(uacs.map((u) => u.done));
    const measured = await measuring;
    if (measured) throw measured.err;
    const after = boxes.map(boxCpu);
    const userCpu = after.map((a, i) => a.user - before[i]!.user);
    const systemCpu = after.map((a, i) => a.system - before[i]!.system);
    const cpu = userCpu.map((u, i) => u + systemCpu[i]!);
    const mainCpu = boxes.map((b, i) => boxMainCpu(b) - mainBefore[i]!);
    const watches = [uasCpu, uasDrops, ...uacCpu, ...uacDrops, ...boxDrops];
    for (const w of watches) w.stop();
    const sum = (ws: { read(): number }[]): number => ws.reduce((n, w) => n + w.read(), 0);
    const calls = Math.round(share * o.seconds);
    const generator = uasCpu.read() + sum(uacCpu);
    return {
      successful: results.reduce((n, r) => n + r.successful, 0),
      failed: results.reduce((n, r) => n + r.failed, 0),
      retransmissions: results.reduce((n, r) => n + r.retransmissions, 0),
      cpuSecondsPer1000Calls: per1000(total(cpu), calls * boxCount),
      mainThreadCpuSecondsPer1000Calls: per1000(mainCpu.reduce((a, b) => a + b, 0), calls * boxCount),
      userCpuSecondsPer1000Calls: per1000(total(userCpu), calls * boxCount),
      systemCpuSecondsPer1000Calls: per1000(total(systemCpu), calls * boxCount),
      perBox: cpu.map((c) => per1000(c, calls)),
      generatorCpuSecondsPer1000Calls: per1000(generator, calls * boxCount),
      udpDrops: { middleBoxes: sum(boxDrops), generator: uasDrops.read() + sum(uacDrops) },
    };
  } finally {
    for (const u of uacs) await u.stop(1_000);
    await uas.stop(1_000);
    for (const b of boxes) await b.stop();
  }
}
