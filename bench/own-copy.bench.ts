/**
 * `npm run bench:own-copy`: what it costs to give a session record its own characters (ownCopy,
 * done once per leg when a call is answered) against the JSON round trip it replaced, and what a
 * kept record then holds: with plain slices it holds the messages it was read from.
 * Options: --records N timed per way (default 300,000).
 */
import { ownCopy } from '../src/sip/index.js';
import { heapAfterGc } from './lib/heap.js';
import { OK_200 } from './messages.js';

const count = Number(process.argv[process.argv.indexOf('--records') + 1]) || 300_000;

/**
 * A session record as the UA keeps one before it is copied: the dialog's strings cut from the
 * texts of the messages that made it (the INVITE, a 180, the 200), as the parser cuts them, and
 * the SDP bodies decoded into strings of their own.
 */
function recordFromMessages(invite: string, ringing: string, ok: string): Record<string, unknown> {
  const cut = (text: string, name: string, length: number): string => {
    const at = text.indexOf(name) + name.length;
    return text.slice(at, at + length);
  };
  const sdp = (text: string): string => Buffer.from(text.slice(text.indexOf('v=0')), 'latin1').toString('utf8');
  return {
    dialog: {
      callId: cut(invite, 'Call-ID: ', 40),
      localTag: cut(invite, 'tag=', 10),
      remoteTag: cut(ringing, 'To: Bob <sip:bob@biloxi.example.com>;tag=', 10),
      localUri: cut(invite, 'From: ', 48),
      remoteUri: cut(ok, 'To: ', 48),
      localTarget: cut(invite, 'Via: SIP/2.0/UDP ', 30),
      remoteTarget: cut(ok, 'Contact: ', 30),
      routeSet: [cut(ok, 'Record-Route: ', 30)],
      localSeq: 1,
      remoteSeq: null,
      secure: false,
      state: 'confirmed',
      role: 'uac',
    },
    localSdp: sdp(invite),
    remoteSdp: sdp(ok),
    sessionTimer: null,
    createdAt: 1_796_013_322_043,
    answeredAt: 1_796_013_322_049,
  };
}

/** Each call's record from message texts of its own (each as a received datagram is decoded). */
function freshRecord(i: number): Record<string, unknown> {
  const text = (variant: string): string => Buffer.from(`${OK_200}; ${variant} ${i}`, 'latin1').toString('latin1');
  return recordFromMessages(text('invite'), text('180'), text('200'));
}

const jsonCopy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const ways: [string, (r: Record<string, unknown>) => unknown][] = [
  ['JSON round trip', jsonCopy],
  ['ownCopy', ownCopy],
];

function nsPerRecord(copy: (r: Record<string, unknown>) => unknown): number {
  const record = freshRecord(0);
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += (copy(record) as { createdAt: number }).createdAt; // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) sink += (copy(record) as { createdAt: number }).createdAt;
  const ns = Number(process.hrtime.bigint() - t0) / count;
  return sink === 42 ? 0 : ns;
}

/** Heap a kept record holds (KB), for 5,000 records each read from a message of its own. */
function keptKb(copy: (r: Record<string, unknown>) => unknown): number {
  const n = 5_000;
  const before = heapAfterGc();
  const kept: unknown[] = [];
  for (let i = 0; i < n; i++) kept.push(copy(freshRecord(i)));
  const held = heapAfterGc() - before;
  return kept.length === n ? held / n / 1024 : 0;
}

const results = [['slices kept as they are', (r: Record<string, unknown>) => r] as const, ...ways].map(([name, copy]) => ({
  way: name,
  nsPerRecord: name.startsWith('slices') ? null : Math.round(nsPerRecord(copy)),
  kbHeldPerRecord: Number(keptKb(copy).toFixed(2)),
}));

console.log(JSON.stringify({ bench: 'own-copy', node: process.version, records: count, results }, null, 2));
for (const r of results) {
  console.log(`${r.way.padEnd(24)} ${r.nsPerRecord === null ? '      -' : String(r.nsPerRecord).padStart(7)} ns per record  ${r.kbHeldPerRecord.toFixed(2).padStart(6)} KB held per record`);
}
