/**
 * Entry of a media worker thread (started by worker-host.ts): a Forwarder owning the sockets of
 * the streams placed here, counting into the shared slot table. Requests come in order from the
 * main thread; nothing here can take the process down: a failed request is logged, and an
 * uncaught error ends only this thread, which the main thread reports.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ForwarderOptions } from './forwarder.js';
import { loadNativeRelay } from './native.js';
import { forwarderFor } from './native-forwarder.js';
import { SlotTable } from './slots.js';
import { monotonicOffsetMs, type WorkerInit, type WorkerReply, type WorkerRequest } from './worker-host.js';

const port = parentPort;
if (port === null) throw new Error('media worker: not started as a worker thread');
const init = workerData as WorkerInit;
const post = (m: WorkerReply): void => port.postMessage(m);

// Packets are stamped on the main thread's performance.now() scale (each thread has its own
// origin; the monotonic clock is common to both).
const delta = monotonicOffsetMs() - init.mainOffsetMs;

const options: ForwarderOptions = {
  slots: new SlotTable(init.slots, init.capacity),
  pools: init.pools.map((p) => ({ first: p.first, pairs: p.pairs, address: p.address, wildcard: p.wildcard, taken: new Uint8Array(p.taken) })),
  strict: init.strict,
  debug: init.debug,
  now: () => performance.now() + delta,
  log: (level, fields, msg) => post({ t: 'log', level, fields, msg }),
};

// The main thread loaded the addon already (MediaRelay), so a failure here is unexpected: say so
// and forward through dgram rather than not at all.
const native = init.native ? loadNativeRelay() : null;
if (native instanceof Error) post({ t: 'log', level: 'warn', fields: { err: native.message }, msg: 'media worker: native I/O unavailable, using node:dgram' });
const forwarder = forwarderFor(native, options, init.mainOffsetMs);

async function handle(m: WorkerRequest): Promise<void> {
  switch (m.t) {
    case 'bind': {
      const err = await forwarder.bindSide(m.slot, m.side, m.address, m.family, m.port);
      post({ t: 'bound', req: m.req, err: err === null ? null : { code: (err as NodeJS.ErrnoException).code, message: err.message } });
      return;
    }
    case 'start':
      forwarder.start(m.slot, m.id, m.muxA, m.muxB);
      return;
    case 'wake':
      forwarder.wake(m.slot);
      return;
    case 'close':
      forwarder.close(m.slot);
      post({ t: 'done', req: m.req });
      return;
    case 'ping':
      post({ t: 'done', req: m.req });
      return;
    case 'stop':
      forwarder.closeAll();
      post({ t: 'done', req: m.req });
      return;
  }
}

port.on('message', (m: WorkerRequest) => {
  handle(m).catch((err: unknown) => {
    post({ t: 'log', level: 'error', fields: { request: m.t, err: String(err) }, msg: 'media worker request failed' });
    // The main thread waits for an answer to these: a failure is one too.
    if (m.t === 'bind') post({ t: 'bound', req: m.req, err: { code: 'SLUICE_ERR_MEDIA_WORKER', message: String(err) } });
    else if (m.t === 'close' || m.t === 'stop' || m.t === 'ping') post({ t: 'done', req: m.req });
  });
});
post({ t: 'ready' });
