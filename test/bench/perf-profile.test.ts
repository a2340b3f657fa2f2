import { describe, expect, it } from 'vitest';
import { latestPerfMap, summarizePerfScript } from '../../bench/lib/perf-profile.js';

const header = (n: number) => `node 100  ${n}.000001:     1001001 cpu-clock:ppp: `;
const js = (fn: string, file: string) => `\t    7f2e66abe546 JS:*${fn} file:///app/dist/${file}:25:30+0x886 (/tmp/perf-100.map)`;
const native = (sym: string, dso = '/usr/bin/node') => `\t          c493b1 ${sym}+0x1 (${dso})`;

/** perf script's text: samples separated by an empty line, innermost frame first. */
const script = [
  // the app's own code, innermost
  [header(1), js('parseUri', 'sip/uri.js'), js('parseMessage', 'sip/parser.js'), native('node::Start')],
  // a builtin the app called counts for the app, at its innermost app frame
  [header(2), native('Builtins_StringSubstring'), js('parseMessage', 'sip/parser.js'), js('receive', 'transport/layer.js')],
  [header(3), native('Builtins_FindOrderedHashMapEntry'), js('receive', 'transport/layer.js')],
  // the kernel (a context switch under sendmsg), whatever is above it
  [header(4), native('finish_task_switch.isra.0', '[kernel.kallsyms]'), native('__libc_sendmsg', '/usr/lib/x86_64-linux-gnu/libc.so.6'), js('send', 'transport/udp.js')],
  // the collector, on the main thread or a helper
  [header(5), native('v8::internal::Scavenger::ScavengeObject<v8::internal::FullHeapObjectSlot>'), js('receive', 'transport/layer.js')],
  [header(6), native('v8::internal::ConcurrentMarking::RunMajor'), native('start_thread', '/usr/lib/x86_64-linux-gnu/libc.so.6')],
  // Node's own JavaScript and a dependency's are the runtime's, not the app's
  [header(7), `\t    7f2e66ae1497 JS:*onMessage node:dgram:945:19+0x317 (/tmp/perf-100.map)`, native('uv__udp_io')],
  [header(8), `\t    7f2e66ae1497 JS:*write file:///app/dist/../node_modules/pino/lib/proto.js:1:1+0x10 (/tmp/perf-100.map)`],
  // an anonymous app function
  [header(9), `\t    7f2e66b198dd JS:* file:///app/dist/transport/udp.js:25:35+0x69d (/tmp/perf-100.map)`],
]
  .map((lines) => lines.join('\n'))
  .join('\n\n');

describe('summarizePerfScript', () => {
  const s = summarizePerfScript(`${script}\n`, '/app/dist/', 10);
  const pct = (n: number) => Math.round((1000 * n) / 9) / 10;

  it('puts each sample in one category by its innermost frame', () => {
    expect(s.samples).toBe(9);
    expect(s.categories).toEqual({ kernel: pct(1), gc: pct(2), runtime: pct(2), app: pct(4) });
  });

  it('charges an app sample to its innermost app frame, by file and by function', () => {
    const byName = (list: { name: string; percent: number }[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));
    expect(byName(s.files)).toEqual(['sip/parser.js', 'sip/uri.js', 'transport/layer.js', 'transport/udp.js'].map((name) => ({ name, percent: pct(1) })));
    expect(s.functions.map((f) => f.name).sort()).toEqual(['(anonymous) transport/udp.js', 'parseMessage sip/parser.js', 'parseUri sip/uri.js', 'receive transport/layer.js']);
  });

  it('counts a function once per sample for its inclusive share', () => {
    const inclusive = Object.fromEntries(s.inclusive.map((f) => [f.name, f.percent]));
    expect(inclusive['parseMessage sip/parser.js']).toBe(pct(2));
    expect(inclusive['receive transport/layer.js']).toBe(pct(2));
    expect(inclusive['send transport/udp.js']).toBeUndefined(); // its sample is the kernel's
  });

  it('gives an empty summary for no samples', () => {
    expect(summarizePerfScript('', '/app/dist/')).toEqual({ samples: 0, categories: { kernel: 0, gc: 0, runtime: 0, app: 0 }, files: [], functions: [], inclusive: [] });
  });
});

describe('latestPerfMap', () => {
  it('keeps, of entries that overlap, the one written last, in the order written', () => {
    const map = [
      '1000 100 JS:~old file:///a.js:1:1', // overlapped by the last entry
      '2000 10 Builtin:Stub', // untouched
      '1100 50 JS:*other file:///b.js:1:1', // overlaps nothing later
      '3000 20 JS:~gone file:///c.js:1:1', // overlapped by the next
      '3010 20 JS:*new file:///c.js:1:1',
      '1040 40 JS:*hot file:///a.js:1:1',
    ].join('\n');
    expect(latestPerfMap(`${map}\n`)).toBe(
      ['2000 10 Builtin:Stub', '1100 50 JS:*other file:///b.js:1:1', '3010 20 JS:*new file:///c.js:1:1', '1040 40 JS:*hot file:///a.js:1:1'].join('\n') + '\n',
    );
  });

  it('keeps ranges that only touch, and skips lines it cannot read', () => {
    expect(latestPerfMap('10 10 a\n20 10 b\nnonsense\n1f 0 empty\n')).toBe('10 10 a\n20 10 b\n');
    expect(latestPerfMap('')).toBe('');
  });
});
