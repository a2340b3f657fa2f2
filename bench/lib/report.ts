/**
 * The result of `npm run bench` and its table: each figure beside its peer's, and the ratios
 * Sluice / Kamailio and Sluice / rtpengine that the project's goals are written in.
 */
import type { HostProbe } from './host-probe.js';
import type { InstallReport } from './install.js';
import type { MediaPartsResult, MediaRatio } from './media-parts.js';
import type { SearchResult } from './sipp-rate.js';

type Part = Record<string, unknown>;

export interface BenchReport {
  bench: 'sluice-vs-peers';
  startedAt: string;
  machine: { cores: number; cpu: string; node: string; loadavg1mAtStart: number; loadavg1mAtEnd?: number; probe?: HostProbe | { error: string } };
  quick: boolean;
  install: InstallReport;
  sippCeiling?: Part;
  /** Opt-in part `floor`: a stateless proxy in Node (bench/lib/node-floor-part.ts). */
  nodeFloor?: Part;
  /** Opt-in part `floor` too: a minimal B2BUA in Node (bench/lib/b2bua-floor.ts). */
  b2buaFloor?: Part;
  /** Opt-in part `floor` too: the minimal B2BUA with Sluice's parser and SDP regeneration (B2BUA_FLOOR_CHECKED_SETUP). */
  b2buaFloorChecked?: Part;
  kamailio?: Part;
  /** Part `paired`: CPU per call of Kamailio plain and Sluice at one rate, in turn (bench/lib/paired-part.ts). */
  paired?: Part;
  sluice?: { rate?: Part; concurrency?: Part };
  /** The turns Kamailio plain's and Sluice's searches took, in order, where they ran in turns (bench/lib/turns.ts). */
  signallingTurns?: string[];
  media?: MediaPartsResult;
  wallSeconds?: number;
  summary?: Summary;
}

/** One figure per middle box of the signalling search (null where it did not run or give one). */
export interface BoxFigures {
  nodeFloor: number | null;
  b2buaFloor: number | null;
  b2buaFloorChecked: number | null;
  kamailioPlain: number | null;
  kamailioTopos: number | null;
  sluice: number | null;
}

/** The headline figures and ratios (null where a part did not give its figure). */
export interface Summary {
  callsPerSecond: { sippCeiling: number | null; nodeFloor: number | null; b2buaFloor: number | null; b2buaFloorChecked: number | null; kamailioPlain: number | null; kamailioTopos: number | null; sluice: number | null };
  cpuSecondsPer1000Calls: BoxFigures;
  /** The kernel's part of cpuSecondsPer1000Calls (system calls, network stack, context switches); the rest is user space. */
  kernelCpuSecondsPer1000Calls: BoxFigures;
  /** Sluice's main thread alone at its best rate: what one process's call rate is bound by. */
  sluiceMainThreadCpuSecondsPer1000Calls: number | null;
  kbPerEstablishedCall: { kamailioPlain: number | null; kamailioPlainShm: number | null; sluice: number | null };
  /** Part `paired`: both at one rate, measured in turn; the ratio is the median of the rounds' own. */
  pairedCpuSecondsPer1000Calls: { rate: number | null; kamailioPlain: number | null; sluice: number | null };
  ratios: {
    sluiceVsKamailioPlainCps: number | null;
    sluiceVsKamailioToposCps: number | null;
    sluiceVsKamailioPlainCpuPerCall: number | null;
    /**
     * The same split: Sluice's code against Kamailio's in user space, and the kernel's work for
     * each (the datagrams, the same for both: the gap lies in user space when this is near 1).
     */
    sluiceVsKamailioPlainUserCpuPerCall: number | null;
    sluiceVsKamailioPlainKernelCpuPerCall: number | null;
    /** The same from part `paired`: at one rate, in turn, drift between the searches cancelled. */
    sluiceVsKamailioPlainCpuPerCallPaired: number | null;
    sluiceVsKamailioPlainMemoryPerCall: number | null;
    /** Sluice's CPU per call over the least any Node middle box spends here (null unless `floor` ran). */
    sluiceVsNodeFloorCpuPerCall: number | null;
    /** The same over a minimal B2BUA in Node: what Sluice's design costs above the least a B2BUA does. */
    sluiceVsB2buaFloorCpuPerCall: number | null;
    /** Whether a B2BUA in Node can reach Kamailio plain's rate here at all (null unless `floor` ran). */
    b2buaFloorVsKamailioPlainCps: number | null;
    /**
     * The same for the minimal B2BUA with Sluice's parser and SDP regeneration, by rate and by CPU
     * per call: whether a Node B2BUA that checks what it receives and regenerates SDP, as the goal
     * asks, can reach Kamailio plain before it keeps any state of its own (null unless `floor` ran).
     */
    b2buaFloorCheckedVsKamailioPlainCps: number | null;
    b2buaFloorCheckedVsKamailioPlainCpuPerCall: number | null;
  };
  goals: { cpsAtLeastKamailioPlain: boolean | null; memoryAtMost16KbPerCall: boolean | null; relayAtLeastRtpengine: string };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const ratio = (a: number | null, b: number | null): number | null => (a === null || b === null || b === 0 ? null : Math.round((a / b) * 100) / 100);

function search(part: Part | undefined): SearchResult | null {
  const r = part?.rate as SearchResult | undefined;
  return r !== undefined && typeof r === 'object' && 'steps' in r ? r : null;
}

/** Why a part gave no figure: skipped, error, or the search's own note. */
function why(part: Part | undefined): string {
  if (part === undefined) return 'not run';
  if (typeof part.skipped === 'string') return `skipped: ${part.skipped}`;
  if (typeof part.error === 'string') return `error: ${part.error}`;
  return search(part)?.note ?? 'no figure';
}

export function summarize(r: BenchReport): Summary {
  const k = r.kamailio ?? {};
  const plain = k.plain as Part | undefined;
  const topos = k.topos as Part | undefined;
  const kc = k.concurrency as Part | undefined;
  const sc = r.sluice?.concurrency;
  const cps = {
    sippCeiling: search(r.sippCeiling)?.best?.rate ?? null,
    nodeFloor: search(r.nodeFloor)?.best?.rate ?? null,
    b2buaFloor: search(r.b2buaFloor)?.best?.rate ?? null,
    b2buaFloorChecked: search(r.b2buaFloorChecked)?.best?.rate ?? null,
    kamailioPlain: search(plain)?.best?.rate ?? null,
    kamailioTopos: search(topos)?.best?.rate ?? null,
    sluice: search(r.sluice?.rate)?.best?.rate ?? null,
  };
  const figure = (read: (best: NonNullable<SearchResult['best']>) => number | null | undefined): BoxFigures => {
    const of = (p: Part | undefined): number | null => {
      const best = search(p)?.best;
      return best ? (read(best) ?? null) : null;
    };
    return {
      nodeFloor: of(r.nodeFloor),
      b2buaFloor: of(r.b2buaFloor),
      b2buaFloorChecked: of(r.b2buaFloorChecked),
      kamailioPlain: of(plain),
      kamailioTopos: of(topos),
      sluice: of(r.sluice?.rate),
    };
  };
  const cpu = figure((b) => b.cpuSecondsPer1000Calls);
  const kernel = figure((b) => b.kernelCpuSecondsPer1000Calls);
  const user = (box: keyof BoxFigures): number | null => (cpu[box] === null || kernel[box] === null ? null : cpu[box] - kernel[box]);
  const mem = { kamailioPlain: num(kc?.kbPerCallPss), kamailioPlainShm: num(kc?.shmKbPerCall), sluice: num(sc?.kbPerCallRss) };
  const pm = r.paired?.medians as Record<string, unknown> | undefined;
  const paired = { rate: num(r.paired?.rate), kamailioPlain: num(pm?.['kamailio-plain']), sluice: num(pm?.sluice) };
  const media = r.media?.ratios;
  return {
    callsPerSecond: cps,
    cpuSecondsPer1000Calls: cpu,
    kernelCpuSecondsPer1000Calls: kernel,
    sluiceMainThreadCpuSecondsPer1000Calls: num(search(r.sluice?.rate)?.best?.mainThreadCpuSecondsPer1000Calls),
    kbPerEstablishedCall: mem,
    pairedCpuSecondsPer1000Calls: paired,
    ratios: {
      sluiceVsKamailioPlainCps: ratio(cps.sluice, cps.kamailioPlain),
      sluiceVsKamailioToposCps: ratio(cps.sluice, cps.kamailioTopos),
      sluiceVsKamailioPlainCpuPerCall: ratio(cpu.sluice, cpu.kamailioPlain),
      sluiceVsKamailioPlainUserCpuPerCall: ratio(user('sluice'), user('kamailioPlain')),
      sluiceVsKamailioPlainKernelCpuPerCall: ratio(kernel.sluice, kernel.kamailioPlain),
      sluiceVsKamailioPlainCpuPerCallPaired: num(r.paired?.ratio),
      sluiceVsKamailioPlainMemoryPerCall: ratio(mem.sluice, mem.kamailioPlain),
      sluiceVsNodeFloorCpuPerCall: ratio(cpu.sluice, cpu.nodeFloor),
      sluiceVsB2buaFloorCpuPerCall: ratio(cpu.sluice, cpu.b2buaFloor),
      b2buaFloorVsKamailioPlainCps: ratio(cps.b2buaFloor, cps.kamailioPlain),
      b2buaFloorCheckedVsKamailioPlainCps: ratio(cps.b2buaFloorChecked, cps.kamailioPlain),
      b2buaFloorCheckedVsKamailioPlainCpuPerCall: ratio(cpu.b2buaFloorChecked, cpu.kamailioPlain),
    },
    goals: {
      cpsAtLeastKamailioPlain: cps.sluice === null || cps.kamailioPlain === null ? null : cps.sluice >= cps.kamailioPlain,
      memoryAtMost16KbPerCall: mem.sluice === null ? null : mem.sluice <= 16,
      relayAtLeastRtpengine: relayGoal(media),
    },
  };
}

/** The relay goal, one thread against one and all against all: pps (with what ended each search) and CPU per packet. */
function relayGoal(media: MediaPartsResult['ratios'] | undefined): string {
  const one = (label: string, m: MediaRatio | null | undefined): string | null =>
    m == null ? null : `${label}: pps ${m.pps}x (${m.ppsCappedByGenerator ? 'both at the generator\'s ceiling' : m.ppsNote}), CPU per packet ${m.cpuPerPacket}x rtpengine's (lower is better)`;
  const parts = [one('one thread', media?.sluiceVsRtpengine1Thread), one('all threads', media?.sluiceVsRtpengineAllThreads)].filter((x): x is string => x !== null);
  return parts.length === 0 ? 'not measured' : parts.join('; ');
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const show = (v: number | null | undefined, unit = ''): string => (v === null || v === undefined ? '-' : `${v.toLocaleString('en-US')}${unit}`);

/** Whether the minimal B2BUAs took turns with Kamailio and Sluice (the floor part ran with the signalling one). */
function floorsInTurnsOf(r: BenchReport): boolean {
  return r.signallingTurns?.some((t) => t.startsWith('node floor')) === true;
}

/** A search's steps in order, as "p3000+ p4500- c3000+". */
export function stepsText(r: SearchResult | null | undefined): string {
  const steps = r?.steps ?? [];
  return steps.length === 0 ? '-' : steps.map((st) => `${st.kind === 'probe' ? 'p' : 'c'}${st.rate}${st.passed ? '+' : '-'}`).join(' ');
}

export function printTable(r: BenchReport, out: (line: string) => void): void {
  const s = r.summary ?? summarize(r);
  const k = r.kamailio ?? {};
  // No version when the Kamailio parts did not run (e.g. --parts paired), rather than "not installed".
  const kv = r.kamailio === undefined ? '' : ` ${(k.kamailio as string | null | undefined) ?? 'not installed'}`;
  const row = (name: string, a: string, b: string, c: string, note = ''): void => out(`  ${pad(name, 44)}${lpad(a, 10)}${lpad(b, 14)}${lpad(c, 14)}  ${note}`);
  // A summary stored by a run from before the kernel's column has none: '-' then.
  const cpuOf = (box: keyof BoxFigures): [string, string] => [show(s.cpuSecondsPer1000Calls[box]), show(s.kernelCpuSecondsPer1000Calls?.[box])];
  out('');
  out(`Sluice vs peers, ${r.startedAt.slice(0, 19)}Z, ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}, load ${r.machine.loadavg1mAtStart} -> ${r.machine.loadavg1mAtEnd ?? '-'}, ${r.wallSeconds ?? '-'} s${r.quick ? ', QUICK (not figures)' : ''}`);
  const probe = r.machine.probe;
  if (probe !== undefined) {
    out(
      'error' in probe
        ? `Host state: not probed (${probe.error})`
        : `Host state: ${probe.loopNsPerStep} ns per loop step, ${probe.threadWakeUsPerRoundTrip} µs per two-thread wake round trip (bench/lib/host-probe.ts: compare these before comparing two runs' ratios)`,
    );
  }
  out('Signalling: sipp uac-rr -> middle box -> sipp uas-rr, 2 s calls, UDP loopback; best rate held 20 s with zero failed calls and under 1% retransmitted');
  row('middle box', 'calls/s', 'CPU s/1000', 'of it kernel', '');
  const noteOf = (p: Part | undefined): string => (search(p)?.best ? '' : why(p));
  row(`none (sipp${typeof r.sippCeiling?.sipp === 'string' ? ` ${r.sippCeiling.sipp}` : ''} -> sipp)`, show(s.callsPerSecond.sippCeiling), '-', '-', noteOf(r.sippCeiling));
  if (r.nodeFloor !== undefined) {
    const nv = typeof r.nodeFloor.node === 'string' ? ` ${r.nodeFloor.node}` : '';
    row(`Node floor (stateless proxy, Node${nv})`, show(s.callsPerSecond.nodeFloor), ...cpuOf('nodeFloor'), noteOf(r.nodeFloor));
  }
  if (r.b2buaFloor !== undefined) row('Node floor (minimal B2BUA, as Sluice runs)', show(s.callsPerSecond.b2buaFloor), ...cpuOf('b2buaFloor'), noteOf(r.b2buaFloor));
  if (r.b2buaFloorChecked !== undefined) row("  + Sluice's parser and SDP", show(s.callsPerSecond.b2buaFloorChecked), ...cpuOf('b2buaFloorChecked'), noteOf(r.b2buaFloorChecked));
  const plain = k.plain as Part | undefined;
  const workers = num(plain?.workers);
  row(`Kamailio${kv} plain${workers === null ? '' : ` (${workers} SIP worker${workers === 1 ? '' : 's'})`}`, show(s.callsPerSecond.kamailioPlain), ...cpuOf('kamailioPlain'), noteOf(plain));
  const byWorkers = Array.isArray(plain?.byWorkers) ? (plain.byWorkers as Part[]) : [];
  if (byWorkers.length > 1) {
    const each = byWorkers.map((w) => {
      const best = search(w)?.best;
      return `${show(num(w.workers))}: ${best ? `${show(best.rate)} at ${show(best.cpuSecondsPer1000Calls)}` : why(w)}`;
    });
    out(`    searched with each worker count, the best kept (calls/s at CPU s/1000): ${each.join('; ')}`);
  }
  const redisCpu = search(k.topos as Part | undefined)?.best?.otherCpuSecondsPer1000Calls?.redis;
  row(`Kamailio${kv} topos (Redis)`, show(s.callsPerSecond.kamailioTopos), ...cpuOf('kamailioTopos'), redisCpu === undefined ? noteOf(k.topos as Part | undefined) : `+ Redis ${redisCpu} CPU s/1000`);
  row('Sluice (B2BUA, media direct)', show(s.callsPerSecond.sluice), ...cpuOf('sluice'), noteOf(r.sluice?.rate));
  if (r.signallingTurns !== undefined) {
    out(`  Kamailio plain and Sluice${floorsInTurnsOf(r) ? ' (and the minimal B2BUAs)' : ''} searched in turns, one step each from the same rate (${r.signallingTurns.length} turns), so the ratio is of the same minutes. Steps (p probe, c confirm; + held, - not):`);
    const kamailios = byWorkers.length > 0 ? byWorkers : plain === undefined ? [] : [plain];
    const floors = floorsInTurnsOf(r) ? ([['Minimal B2BUA', r.b2buaFloor], ["Minimal B2BUA + Sluice's parser and SDP", r.b2buaFloorChecked]] as const) : [];
    for (const [name, p] of [...kamailios.map((w) => [`Kamailio, ${show(num(w.workers))} worker${num(w.workers) === 1 ? '' : 's'}`, w] as const), ['Sluice', r.sluice?.rate] as const, ...floors]) {
      out(`    ${name}: ${stepsText(search(p as Part | undefined))}`);
    }
  }
  if (s.sluiceMainThreadCpuSecondsPer1000Calls !== null) out(`  Sluice's main thread: ${show(s.sluiceMainThreadCpuSecondsPer1000Calls)} CPU s/1000 of it (one process's call rate ends where this thread reaches a core)`);
  const split = s.ratios.sluiceVsKamailioPlainUserCpuPerCall == null ? '' : ` (${show(s.ratios.sluiceVsKamailioPlainUserCpuPerCall)}x in user space, ${show(s.ratios.sluiceVsKamailioPlainKernelCpuPerCall)}x in the kernel)`;
  out(`  Sluice / Kamailio plain: ${show(s.ratios.sluiceVsKamailioPlainCps)}x calls/s, ${show(s.ratios.sluiceVsKamailioPlainCpuPerCall)}x CPU per call${split}; / topos: ${show(s.ratios.sluiceVsKamailioToposCps)}x calls/s`);
  if (r.paired !== undefined) {
    const rr = Array.isArray(r.paired.roundRatios) ? (r.paired.roundRatios as unknown[]).map((x) => show(num(x))).join(', ') : '-';
    const p = s.pairedCpuSecondsPer1000Calls;
    const note = typeof r.paired.skipped === 'string' ? ` (skipped: ${r.paired.skipped})` : typeof r.paired.error === 'string' ? ` (error: ${r.paired.error})` : typeof r.paired.note === 'string' ? ` (${r.paired.note})` : '';
    out(`  In turn at ${show(p.rate)} calls/s: Kamailio plain ${show(p.kamailioPlain)}, Sluice ${show(p.sluice)} CPU s/1000; Sluice / Kamailio plain ${show(s.ratios.sluiceVsKamailioPlainCpuPerCallPaired)}x CPU per call (rounds: ${rr})${note}`);
  }
  if (r.nodeFloor !== undefined) out(`  Sluice / Node floor: ${show(s.ratios.sluiceVsNodeFloorCpuPerCall)}x CPU per call`);
  if (r.b2buaFloor !== undefined) {
    out(`  Sluice / minimal B2BUA: ${show(s.ratios.sluiceVsB2buaFloorCpuPerCall)}x CPU per call; minimal B2BUA / Kamailio plain: ${show(s.ratios.b2buaFloorVsKamailioPlainCps)}x calls/s`);
  }
  if (r.b2buaFloorChecked !== undefined) {
    out(
      `  Minimal B2BUA with Sluice's parser and SDP / Kamailio plain: ${show(s.ratios.b2buaFloorCheckedVsKamailioPlainCps)}x calls/s, ${show(s.ratios.b2buaFloorCheckedVsKamailioPlainCpuPerCall)}x CPU per call (before any transaction, dialog or call state of Sluice's)`,
    );
  }
  out('Concurrency: established calls held, memory growth per call');
  const kc = k.concurrency as Part | undefined;
  const sc = r.sluice?.concurrency;
  out(`  Kamailio plain: ${show(num(kc?.established))} of ${show(num(kc?.calls))} calls, ${show(s.kbPerEstablishedCall.kamailioPlain, ' KB')} PSS (all processes), ${show(s.kbPerEstablishedCall.kamailioPlainShm, ' KB')} shm per call${kc?.error ? ` (${String(kc.error)})` : kc?.skipped ? ` (skipped: ${String(kc.skipped)})` : ''}`);
  out(`  Sluice:         ${show(num(sc?.successful))} of ${show(num(sc?.calls))} calls, ${show(s.kbPerEstablishedCall.sluice, ' KB')} RSS per call settled (${show(num(sc?.kbPerCallRssWhenTransactionsOver), ' KB')} as the transactions ended)${sc?.error ? ` (${String(sc.error)})` : sc?.skipped ? ` (skipped: ${String(sc.skipped)})` : ''}`);
  out(`  Sluice / Kamailio: ${show(s.ratios.sluiceVsKamailioPlainMemoryPerCall)}x memory per call`);
  const m = r.media;
  out(m === undefined ? 'Media: not run' : `Media: 20 ms G.711 both ways, best step with < ${m.maxLossPct}% loss (rtpengine ${m.versions.rtpengine ?? 'not installed'})`);
  for (const p of m?.parts ?? []) {
    const b = p.best;
    out(`  ${pad(`${p.name}`, 24)}${lpad(b ? `${b.streams} streams` : '-', 13)}${lpad(b ? `${show(b.forwardedPps)} pps` : '-', 13)}${lpad(b ? `${b.cpuUsPerPacket} us/pkt` : '-', 14)}  ${p.stoppedBy}`);
  }
  out(`Goals: cps >= Kamailio plain: ${show(s.ratios.sluiceVsKamailioPlainCps)}x (${String(s.goals.cpsAtLeastKamailioPlain)}); <= 16 KB per call: ${show(s.kbPerEstablishedCall.sluice, ' KB')} (${String(s.goals.memoryAtMost16KbPerCall)}); relay vs rtpengine: ${s.goals.relayAtLeastRtpengine}`);
  if (r.install.problem !== null) out(`Install: ${r.install.problem}`);
}
