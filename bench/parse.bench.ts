/**
 * `npm run bench:parse`: messages per second and MB/s of the SIP parser for four messages,
 * (a) parsing what routing needs (the default mode) and (b) parsing every header; and SDPs per
 * second regenerated as the B2BUA does for each offer and answer (parse, the streams read,
 * regenerate: b2bua/sdp-bridge.ts); and calls per second for the seven messages of one benchmark
 * call, read as the B2BUA reads them, parsed in routing mode and in the transport's deferred mode.
 * Options: --seconds N per case (default 2).
 */
import { performance } from 'node:perf_hooks';
import { regenerate, signalledStreams, type StreamTarget } from '../src/b2bua/sdp-bridge.js';
import { parseSdp } from '../src/sdp/index.js';
import { parseMessage } from '../src/sip/index.js';
import { CALL_MESSAGES, INVITE, NOTIFY_60K, OK_200, REGISTER } from './messages.js';

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

function run(bytes: Buffer, once: () => void): { perSecond: number; mbPerSecond: number } {
  for (let i = 0; i < 20_000; i++) once(); // warm-up: let the JIT settle
  const batch = 2_000;
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let now = t0;
  while (now < end) {
    for (let i = 0; i < batch; i++) once();
    n += batch;
    now = performance.now();
  }
  const perSecond = (n * 1000) / (now - t0);
  return { perSecond, mbPerSecond: (perSecond * bytes.length) / 1e6 };
}

/** What the B2BUA does with an SDP on a call with media direct (b2bua/call.ts bridge). */
function regenerateSdp(text: string): void {
  const sdp = parseSdp(text);
  const targets: StreamTarget[] = signalledStreams(sdp).map((s) => (s.port === null ? { kind: 'disabled' } : { kind: 'direct', address: s.address ?? '192.0.2.1', rtpPort: s.port, rtcpPort: s.rtcpPort }));
  sink += regenerate(sdp, { sessId: '1234567', version: 2 }, '198.51.100.1', targets, false).length;
}

const results = [];
for (const [name, text] of cases) {
  const bytes = Buffer.from(text, 'latin1');
  for (const mode of ['routing', 'all'] as const) {
    const r = run(bytes, () => touch(parseMessage(bytes, { mode })));
    results.push({ message: name, bytes: bytes.length, mode, messagesPerSecond: Math.round(r.perSecond), mbPerSecond: Number(r.mbPerSecond.toFixed(1)) });
  }
}

/**
 * One call's messages as the B2BUA reads them: matching (Via, tags, Call-ID, CSeq), a new call's
 * parties and targets. 'routing' parses every Contact and Request-URI as it frames; 'deferred'
 * (the transport's mode) parses them only where they are read: the INVITE's (completeParse, as
 * the flat calls do before starting a call) and the 200's Contact that makes the dialog.
 */
const call = CALL_MESSAGES.map((t) => Buffer.from(t, 'latin1'));
function parseCall(mode: 'routing' | 'deferred'): void {
  for (const bytes of call) {
    const m = parseMessage(bytes, { mode });
    sink += m.via.length + (m.topVia?.branch?.length ?? 0) + m.callId.length + m.cseq.seq + (m.fromTag?.length ?? 0) + (m.toTag?.length ?? 0);
    if (m.kind === 'request' && m.method === 'INVITE') m.completeParse();
    const c = m.kind === 'request' ? (m.method === 'INVITE' ? m.contact : null) : m.status === 200 && m.cseq.method === 'INVITE' ? m.contact : null;
    if (c !== null) sink += c === '*' ? 1 : c.length;
    if (m.kind === 'request' && m.method === 'INVITE') sink += m.uri.scheme.length + m.from.params.length + m.to.params.length;
  }
}
const callBytes = call.reduce((n, b) => n + b.length, 0);
for (const mode of ['routing', 'deferred'] as const) {
  const callRun = run(Buffer.alloc(callBytes), () => parseCall(mode));
  results.push({ message: `call (${call.length} messages)`, bytes: callBytes, mode, messagesPerSecond: Math.round(callRun.perSecond), mbPerSecond: Number(callRun.mbPerSecond.toFixed(1)) });
}

const sdp = INVITE.slice(INVITE.indexOf('\r\n\r\n') + 4);
const sdpRun = run(Buffer.from(sdp, 'latin1'), () => regenerateSdp(sdp));
results.push({ message: 'SDP of the INVITE', bytes: sdp.length, mode: 'regenerate', messagesPerSecond: Math.round(sdpRun.perSecond), mbPerSecond: Number(sdpRun.mbPerSecond.toFixed(1)) });

console.log(JSON.stringify({ bench: 'parse', node: process.version, secondsPerCase: seconds, results }, null, 2));
for (const r of results) {
  console.log(`${r.message.padEnd(16)} ${String(r.bytes).padStart(6)} B  ${r.mode.padEnd(10)}  ${r.messagesPerSecond.toLocaleString('en-US').padStart(10)} msg/s  ${String(r.mbPerSecond).padStart(7)} MB/s`);
}
if (sink === 42) console.log('');
