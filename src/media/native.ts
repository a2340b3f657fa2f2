/**
 * The native media I/O addon (native/: relay.h, forward.c, streams.c, addon.c), built by `npm install` where a C compiler and
 * Node's headers are present (scripts/build-native.mjs). It is optional: without it the relay
 * forwards through node:dgram, with the same behaviour and more CPU per packet.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { SEQ_FIELDS } from './rtp.js';
import { BYTES, DROPPED, LAST_PACKET, PACKETS, RTCP_PACKETS, SEQ } from './slots.js';

/** One forwarding context (an opaque handle): the sockets and streams of one thread. */
export interface NativeRelay {
  readonly __nativeRelay: never;
}

/** The addon's functions; ids are socket ids, negative results are -errno. */
export interface NativeRelayModule {
  create(slots: Float64Array, offsetMs: number, onApply: (slot: number) => void, onLatch: (slot: number, side: number, kind: number, address: string, port: number) => boolean): NativeRelay;
  bind(relay: NativeRelay, family: 4 | 6, address: string, port: number): number;
  closeSocket(relay: NativeRelay, id: number): void;
  startFlow(relay: NativeRelay, slot: number, aRtp: number, aRtcp: number, bRtp: number, bRtcp: number, muxA: number, muxB: number, baseA: number, baseB: number, lockIndex: number, activityIndex: number): number;
  applyLeg(relay: NativeRelay, slot: number, side: number, hold: boolean, address: string | null, rtpPort: number, rtcpPort: number, clearLatch: boolean): number;
  setSeen(relay: NativeRelay, slot: number, seen: number): void;
  closeFlow(relay: NativeRelay, slot: number): void;
  closeAll(relay: NativeRelay): void;
  /** [receive errors, send errors, calls into JS] since create. */
  counters(relay: NativeRelay): [number, number, number];
  readonly layout: readonly number[];
}

/** Where the build puts it: native/ beside src/ and dist/ (this file is in either's media/). */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/sluice_relay.node', import.meta.url));

let loaded: NativeRelayModule | Error | undefined;

/** The addon, or why it cannot be used (not built, or built for another slot layout). Loaded once per thread. */
export function loadNativeRelay(): NativeRelayModule | Error {
  if (loaded !== undefined) return loaded;
  loaded = load();
  return loaded;
}

function load(): NativeRelayModule | Error {
  if (!existsSync(NATIVE_ADDON_PATH)) return new Error(`${NATIVE_ADDON_PATH} is not built (npm install builds it where g++, make and python3 are present)`);
  let m: NativeRelayModule;
  try {
    m = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeRelayModule;
  } catch (err) {
    return new Error(`${NATIVE_ADDON_PATH} does not load: ${String(err)}`);
  }
  const expected = [PACKETS, BYTES, RTCP_PACKETS, DROPPED, LAST_PACKET, SEQ, SEQ_FIELDS];
  if (!Array.isArray(m.layout) || m.layout.join() !== expected.join()) {
    return new Error(`${NATIVE_ADDON_PATH} was built for another slot layout (${String(m.layout)}, expected ${expected.join()}): run npm install again`);
  }
  return m;
}
