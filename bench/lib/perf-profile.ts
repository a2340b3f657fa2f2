/**
 * Where a process's CPU goes, from `perf record -g` samples (the text of `perf script`), for a
 * Node process run with --perf-basic-prof (JIT frames named `JS:*name file:///...:line`).
 *
 * Why not V8's --cpu-prof alone: it samples on a wall-clock interval and charges whatever the
 * main thread is inside, running or not. On a 2-core host shared with sipp, Sluice is preempted
 * at the exit of most sendmsg calls (the receiver it woke runs on its core), and --cpu-prof then
 * put 25% of "busy" time in dgram's doSend where perf, which samples only while the thread runs,
 * found the kernel's context switches. perf also sees the kernel, V8's helper threads and the
 * collector, which a JS profile leaves out or lumps together.
 */

/**
 * A --perf-basic-prof symbol map (/tmp/perf-PID.map: `start size name` per line, in the order V8
 * wrote them) with every entry dropped that a later entry overlaps. V8 reuses the addresses of
 * code it has let go (the interpreter's and the first compiles' during warm-up), and perf, given
 * two names for one address, may take the old one: a run at 4,000 calls/s had 278 such overlaps
 * among 7,509 JS entries, and put dgram's send under a store function. Samples are taken after
 * the warm-up, so the later name is the one whose code is there.
 */
export function latestPerfMap(text: string): string {
  const lines = text.split('\n').filter((l) => l !== '');
  // From the last entry back; kept ranges as sorted, disjoint [start, end) pairs.
  const starts: number[] = [];
  const ends: number[] = [];
  const kept: string[] = [];
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    const sp1 = line.indexOf(' ');
    const sp2 = line.indexOf(' ', sp1 + 1);
    const start = parseInt(line.slice(0, sp1), 16);
    const end = start + parseInt(line.slice(sp1 + 1, sp2), 16);
    if (!(Number.isFinite(start) && end > start)) continue;
    // The first kept range that starts at or after `start`, and the one before it.
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    if (lo < starts.length && starts[lo]! < end) continue;
    if (lo > 0 && ends[lo - 1]! > start) continue;
    starts.splice(lo, 0, start);
    ends.splice(lo, 0, end);
    kept.push(line);
  }
  return kept.reverse().join('\n') + (kept.length > 0 ? '\n' : '');
}

/** What a sample was spent on, by its innermost frame. */
export type SampleCategory = 'kernel' | 'gc' | 'runtime' | 'app';

export interface ProfileShare {
  name: string;
  /** Percent of all samples. */
  percent: number;
}

export interface CpuProfileSummary {
  samples: number;
  /** Percent of samples in each category (see categorize). */
  categories: Record<SampleCategory, number>;
  /** The app's files, each with the samples whose innermost app frame is in it (native callees included). */
  files: ProfileShare[];
  /** The same by function (`name file`). */
  functions: ProfileShare[];
  /** App functions by the samples they are anywhere on the stack of. */
  inclusive: ProfileShare[];
}

/** V8's collector, on the main thread or its helpers. */
const GC = /Scaveng|MarkCompact|Marking|Sweep|Evacuat|MinorMC|ScavengerCollector|Heap::|MemoryAllocator|CppHeap/;
/** A JIT or interpreted JS frame of --perf-basic-prof (with --interpreted-frames-native-stack). */
const JS_FRAME = /JS:[*^~+]?(\S*) (\S+):(\d+):(\d+)/;

interface Frame {
  symbol: string;
  dso: string;
}

/** One stack of `perf script` output: its frames, innermost first. */
function framesOf(block: string): Frame[] {
  const out: Frame[] = [];
  const lines = block.split('\n');
  // The first line is the sample's header (comm pid time event); frames follow, one per line:
  // `addr symbol+off (dso)`.
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const open = line.lastIndexOf(' (');
    if (sp < 0 || open < sp) continue;
    out.push({ symbol: line.slice(sp + 1, open).replace(/\+0x[0-9a-f]+$/, ''), dso: line.slice(open + 2, -1) });
  }
  return out;
}

/** `name file` of an app JS frame (its URL under appRoot), or null. */
function appFrame(f: Frame, appRoot: string): { fn: string; file: string } | null {
  const m = JS_FRAME.exec(f.symbol);
  if (m === null) return null;
  const url = m[2]!;
  const at = url.indexOf(appRoot);
  if (at < 0 || url.includes('/node_modules/', at)) return null;
  return { fn: m[1] === '' ? '(anonymous)' : m[1]!, file: url.slice(at + appRoot.length) };
}

/**
 * kernel: the innermost frame is the kernel's (system calls, the network stack, context
 * switches); gc: V8's collector; app: the stack holds a frame of the app's own JavaScript (the
 * builtins and native code it calls count for it); runtime: the rest, Node and V8 outside any
 * app frame (libuv, dgram's and timers' JavaScript, the microtask queue, the compiler).
 */
export function categorize(frames: readonly Frame[], appRoot: string): SampleCategory {
  const inner = frames[0];
  if (inner === undefined) return 'runtime';
  if (inner.dso.includes('kernel')) return 'kernel';
  if (GC.test(inner.symbol)) return 'gc';
  return frames.some((f) => appFrame(f, appRoot) !== null) ? 'app' : 'runtime';
}

const top = (counts: Map<string, number>, samples: number, n: number): ProfileShare[] =>
  [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, c]) => ({ name, percent: Math.round((1000 * c) / samples) / 10 }));

const bump = (m: Map<string, number>, k: string): void => {
  m.set(k, (m.get(k) ?? 0) + 1);
};

/**
 * Summarises `perf script` text. appRoot: the part of a frame's URL before the app's own paths
 * (`/work/main/dist/` for a build, the project root for tsx); frames elsewhere are the runtime's.
 */
export function summarizePerfScript(text: string, appRoot: string, topN = 25): CpuProfileSummary {
  const categories: Record<SampleCategory, number> = { kernel: 0, gc: 0, runtime: 0, app: 0 };
  const files = new Map<string, number>();
  const functions = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let samples = 0;
  for (const block of text.split(/\n\s*\n/)) {
    const frames = framesOf(block);
    if (frames.length === 0) continue;
    samples++;
    const cat = categorize(frames, appRoot);
    categories[cat]++;
    if (cat !== 'app') continue;
    const seen = new Set<string>();
    let innermost = true;
    for (const f of frames) {
      const a = appFrame(f, appRoot);
      if (a === null) continue;
      const key = `${a.fn} ${a.file}`;
      if (innermost) {
        bump(files, a.file);
        bump(functions, key);
        innermost = false;
      }
      if (!seen.has(key)) {
        seen.add(key);
        bump(inclusive, key);
      }
    }
  }
  const pct = (c: number): number => (samples === 0 ? 0 : Math.round((1000 * c) / samples) / 10);
  return {
    samples,
    categories: { kernel: pct(categories.kernel), gc: pct(categories.gc), runtime: pct(categories.runtime), app: pct(categories.app) },
    files: top(files, samples, topN),
    functions: top(functions, samples, topN),
    inclusive: top(inclusive, samples, topN),
  };
}
