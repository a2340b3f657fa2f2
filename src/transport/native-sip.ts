/**
 * The `sluice_sip` addon (native/sip-send.c, native/sip-recv.c) that `npm install` builds beside
 * the media relay's: the UDP listeners' send thread (native-send.ts) and batched reader
 * (native-recv.ts). Both are optional: without the addon the listeners use node:dgram.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface NativeSenderHandle {
  readonly __nativeSipSender: never;
}

export interface NativeReceiverHandle {
  readonly __nativeSipReceiver: never;
}

/** The addon's functions (the C files say what each does). */
export interface NativeSipModule {
  open(onFailure: (seq: number, errno: number) => void, inlineMax?: number): NativeSenderHandle;
  /** The datagram's sequence number (1, 2, ...; wraps at 2^32), or -errno. */
  send(sender: NativeSenderHandle, fd: number, family: 4 | 6, bytes: Buffer | string, port: number, address: string): number;
  flush(sender: NativeSenderHandle): void;
  drain(sender: NativeSenderHandle): void;
  completed(sender: NativeSenderHandle): number;
  counters(sender: NativeSenderHandle): [number, number, number, number, number, number, number];
  close(sender: NativeSenderHandle): void;
  /** Reads a duplicate of `fd` on the main loop, a batch at a time into `slab`, described in `table`. */
  recvOpen(fd: number, slab: Buffer, table: Uint32Array, onBatch: (count: number) => void): NativeReceiverHandle;
  recvClose(receiver: NativeReceiverHandle): void;
  /** [batches, datagrams, errors, truncated, last error as -errno or 0] */
  recvCounters(receiver: NativeReceiverHandle): [number, number, number, number, number];
  /** The source address of the table's slot starting at `word`, as text. */
  addressText(table: Uint32Array, word: number): string;
}

export const NATIVE_SIP_ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/sluice_sip.node', import.meta.url));

let loaded: NativeSipModule | Error | undefined;

/** The addon, or why it cannot be used. Loaded once. */
export function loadNativeSip(): NativeSipModule | Error {
  if (loaded !== undefined) return loaded;
  if (!existsSync(NATIVE_SIP_ADDON_PATH)) {
    loaded = new Error(`${NATIVE_SIP_ADDON_PATH} is not built (npm install builds it where g++, make and python3 are present)`);
  } else {
    try {
      loaded = createRequire(import.meta.url)(NATIVE_SIP_ADDON_PATH) as NativeSipModule;
    } catch (err) {
      loaded = new Error(`${NATIVE_SIP_ADDON_PATH} does not load: ${String(err)}`);
    }
  }
  return loaded;
}
