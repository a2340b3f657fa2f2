/**
 * `npm run bench:parse`: messages per second and MB/s of the SIP parser for four messages,
 * (a) parsing what routing needs (the default mode) and (b) parsing every header.
 * Options: --seconds N per case (default 2).
 */
import { performance } from 'node:perf_hooks';
import { parseMessage, type ParseMode } from '../src/sip/index.js';
import { INVITE, NOTIFY_60K, OK_200, REGISTER } from './messages.js';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 2;
const cases: [string, string][] = [
  ['INVITE with SDP', INVITE],
  ['200 OK with SDP', OK_200],
  ['REGISTER', REGISTER],
  ['NOTIFY 60 KB', NOTIFY_60K],
];

let sink = 0;

/** Reads what routing reads: the parse has done it already in 'routing' mode, so this is cheap. */
function touch(m: ReturnType<typeof parseMessage>): void {
  sink += m.via.length + m.cseq.seq + m.callId.length + (m.maxForwards ?? 0) + m.body.length;
  if (m.kind === 'request') sink += m.uri.scheme.length;
  sink += m.from.params.length + m.to.params.length;
}

function run(bytes: Buffer, mode: ParseMode): { perSecond: number; mbPerSecond: number } {
  for (let i = 0; i < 20_000; i++) touch(parseMessage(bytes, { mode })); // warm-up: let the JIT settle
  const batch = 2_000;
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let now = t0;
  while (now < end) {
    for (let i = 0; i < batch; i++) touch(parseMessage(bytes, { mode }));
    n += batch;
    now = performance.now();
  }
  const perSecond = (n * 1000) / (now - t0);
  return { perSecond, mbPerSecond: (perSecond * bytes.length) / 1e6 };
}

const results = [];
for (const [name, text] of cases) {
  const bytes = Buffer.from(text, 'latin1');
  for (const mode of ['routing', 'all'] as const) {
    const r = run(bytes, mode);
    results.push({ message: name, bytes: bytes.length, mode, messagesPerSecond: Math.round(r.perSecond), mbPerSecond: Number(r.mbPerSecond.toFixed(1)) });
  }
}

console.log(JSON.stringify({ bench: 'parse', node: process.version, secondsPerCase: seconds, results }, null, 2));
for (const r of results) {
  console.log(`${r.message.padEnd(16)} ${String(r.bytes).padStart(6)} B  ${r.mode.padEnd(7)}  ${r.messagesPerSecond.toLocaleString('en-US').padStart(10)} msg/s  ${String(r.mbPerSecond).padStart(7)} MB/s`);
}
if (sink === 42) console.log('');
