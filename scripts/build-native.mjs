#!/usr/bin/env node
// npm install runs this (the "install" script): builds native/ (binding.gyp), the media relay's native
// I/O and the SIP transport's UDP send thread, with node-gyp. It is optional: where it cannot build
// (no compiler, no headers) Sluice says so at start and uses node:dgram for both, so a failure here
// never fails the install.
// SLUICE_SKIP_NATIVE=1 skips it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const native = join(dirname(fileURLToPath(import.meta.url)), '..', 'native');
const say = (line) => console.log(`sluice: ${line}`);

if (process.env.SLUICE_SKIP_NATIVE === '1') {
  say('SLUICE_SKIP_NATIVE=1: native I/O not built; the media relay and SIP over UDP will use node:dgram');
  process.exit(0);
}

// npm names its own node-gyp to lifecycle scripts; run by hand, look beside npm.
const prefix = join(dirname(process.execPath), '..');
const gyp = [process.env.npm_config_node_gyp, join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')].find((p) => p !== undefined && existsSync(p));
if (gyp === undefined) {
  say('node-gyp not found: native I/O not built; the media relay and SIP over UDP will use node:dgram');
  process.exit(0);
}
const args = [gyp, 'rebuild'];
// Without a nodedir node-gyp downloads headers; Node's own, where installed, need no network.
if (process.env.npm_config_nodedir === undefined && existsSync(join(prefix, 'include/node/node_api.h'))) args.push(`--nodedir=${prefix}`);

const r = spawnSync(process.execPath, args, { cwd: native, encoding: 'utf8', timeout: 180_000 });
if (r.status === 0) {
  say('built native I/O (native/build/Release/sluice_relay.node, sluice_sip.node)');
} else {
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('gyp info'));
  for (const l of out.slice(-12)) console.log(`  ${l}`);
  say(`native I/O did not build (${r.error?.message ?? `node-gyp exited ${r.status}`}); the media relay and SIP over UDP will use node:dgram. It needs python3, make and a C compiler.`);
}
