/**
 * `npm run bench:stack`: the SIP stack's UAS (`sluice ua answer`: 200 to every INVITE, 200 to
 * BYE) driven by `sipp -sn uac` over UDP on loopback at rising call rates. Prints the highest
 * rate sustained for --seconds (default 20) with zero failed calls, and the CPU seconds the
 * Sluice process used at each step. Needs sipp (Debian sip-tester) and a built dist/.
 * Options: --seconds N, --rates a,b,c, --call-ms N.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/interop/harness/sipp.js';
import { hasBinary } from '../test/interop/harness/prereq.js';
import { findMaxRate } from './lib/sipp-rate.js';
import { arg } from './lib/args.js';

const seconds = Number(arg('--seconds', '20'));
const rates = arg('--rates', '500,1000,2000,3000,4000,5000,6000,7000,8000').split(',').map(Number);
const callMs = Number(arg('--call-ms', '100'));

if (!hasBinary('sipp')) {
  console.log(JSON.stringify({ bench: 'stack', skipped: 'sipp not installed (apt-get install sip-tester)' }));
  process.exit(0);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const port = await freePort('udp');
const sluice = spawn(process.execPath, ['dist/cli/main.js', 'ua', 'answer', '--listen', `udp:127.0.0.1:${port}`, '--max-seconds', String(rates.length * (seconds + 40))], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
});
let summary = '';
sluice.stdout.on('data', (c: Buffer) => (summary += c.toString()));
await new Promise((r) => setTimeout(r, 1000));

try {
  const result = await findMaxRate({ target: { host: '127.0.0.1', port, transport: 'udp' }, pid: sluice.pid!, rates, seconds, callLengthMs: callMs });
  const steps = result.steps.map((s) => ({ ...s, cpuPerCallMs: s.cpuSeconds === null || s.successful === 0 ? null : Math.round((s.cpuSeconds / s.successful) * 1e6) / 1e3 }));
  const best = result.best;
  console.log(JSON.stringify({ bench: 'stack', node: process.version, transport: 'UDP', secondsPerStep: seconds, callLengthMs: callMs, steps, best }, null, 2));
  for (const s of steps) {
    console.log(`${String(s.rate).padStart(5)} calls/s  ${String(s.successful).padStart(7)} ok  ${String(s.failed).padStart(4)} failed  cpu ${s.cpuSeconds ?? '-'} s (${s.cpuPerCallMs ?? '-'} ms/call)`);
  }
  console.log(
    best === null
      ? 'stack: no rate sustained without failures'
      : `stack: ${best.rate} calls/s sustained for ${seconds} s with zero failed calls; Sluice used ${best.cpuSeconds} CPU s at that rate (${((best.cpuSeconds ?? 0) / seconds * 100).toFixed(0)}% of a core)`,
  );
} finally {
  sluice.kill('SIGTERM');
  await new Promise((r) => sluice.once('exit', r));
}
