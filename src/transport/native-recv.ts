/**
 * Batched reading for the UDP listeners (native/sip-recv.c, in the `sluice_sip` addon). dgram
 * reads one datagram per system call and makes one callback per datagram, each with a 64 KiB
 * buffer allocated and shrunk and an rinfo object built property by property; its main-thread work
 * per datagram outside Sluice's own code was about 7% of Sluice's CPU per call at 2,000 calls/s
 * (`npm run bench:perf`). This reads up to SLOTS datagrams with one recvmmsg into a slab, and
 * makes one callback for them; each datagram is then read from the slab as latin1 text (a code
 * unit per byte), the one copy the parser makes of it anyway, with no Buffer of its own (the slab
 * is read into again, so no view of it can be lent), and its source address comes from a small
 * table of the peers' addresses as strings, made once per peer.
 *
 * Optional like the send thread: without the addon, or with `sip.udpBatchReceive: false`, the
 * listener reads through dgram with the same behaviour.
 */
import type { Socket } from 'node:dgram';
import { latin1Slice } from '../sip/index.js';
import { loadNativeSip, type NativeReceiverHandle, type NativeSipModule } from './native-sip.js';

/** Datagrams one read takes at most. */
const SLOTS = 16;
/** Room for the largest UDP payload (65,507 bytes over IPv4, 65,527 over IPv6). */
const SLOT_BYTES = 65_536;
/** The table's words per slot (sip-recv.c): length, port, family, address x4, flags. */
const WORDS = 8;
const TRUNCATED = 1;
/** Peers' addresses kept as strings; a flood from many addresses costs no more than this. */
const ADDRESS_CAPACITY = 4096;

/** A datagram as latin1 text (a code unit per byte: parseMessage reads it so), its source address and port. */
export type DatagramHandler = (text: string, address: string, port: number) => void;

export interface ReceiveCounters {
  /** Reads that returned datagrams (one callback each). */
  batches: number;
  datagrams: number;
  /** Errors the socket reported (counted, then read on). */
  errors: number;
  /** Datagrams larger than a slot, dropped (none can be, with slots of 64 KiB). */
  truncated: number;
}

/**
 * A listener's batched reader. The listener must have stopped dgram's own reading of the socket
 * (stopDgramReceiving); this reads a duplicate of its descriptor until close().
 */
export class NativeUdpReceiver {
  private readonly slab = Buffer.allocUnsafeSlow(SLOTS * SLOT_BYTES);
  private readonly table = new Uint32Array(SLOTS * WORDS);
  private readonly v4 = new Map<number, string>();
  private readonly v6 = new Map<string, string>();
  private handle: NativeReceiverHandle | null;

  private constructor(
    private readonly m: NativeSipModule,
    fd: number,
    private readonly deliver: DatagramHandler,
  ) {
    this.handle = m.recvOpen(fd, this.slab, this.table, this.onBatch);
  }

  /** Why no reader can be had here (the addon is not built, or is older), or null. */
  static unavailable(): string | null {
    const m = readerModule();
    return m instanceof Error ? m.message : null;
  }

  /** A reader of the socket `fd`, or why there is none. */
  static open(fd: number, deliver: DatagramHandler): NativeUdpReceiver | Error {
    const m = readerModule();
    if (m instanceof Error) return m;
    try {
      return new NativeUdpReceiver(m, fd, deliver);
    } catch (err) {
      return err as Error;
    }
  }

  counters(): ReceiveCounters {
    if (this.handle === null) return { batches: 0, datagrams: 0, errors: 0, truncated: 0 };
    const [batches, datagrams, errors, truncated] = this.m.recvCounters(this.handle);
    return { batches, datagrams, errors, truncated };
  }

  /** Stops reading at once; the duplicate descriptor closes on the loop's next turn. */
  close(): void {
    if (this.handle === null) return;
    this.m.recvClose(this.handle);
    this.handle = null;
  }

  /**
   * One read's datagrams, in the order they came. What a handler throws is thrown again after the
   * rest of the batch was delivered, uncaught as a throw from a dgram listener would be: one
   * datagram's failure does not lose the ones read with it.
   */
  private readonly onBatch = (count: number): void => {
    const table = this.table;
    let thrown: { err: unknown } | null = null;
    for (let i = 0; i < count && this.handle !== null; i++) {
      const at = i * WORDS;
      if ((table[at + 7]! & TRUNCATED) !== 0) continue;
      const start = i * SLOT_BYTES;
      const text = latin1Slice(this.slab, start, start + table[at]!);
      try {
        this.deliver(text, this.addressAt(at), table[at + 1]!);
      } catch (err) {
        thrown ??= { err };
      }
    }
    if (thrown !== null) throw thrown.err;
  };

  /** The slot's source address, one string per peer. */
  private addressAt(at: number): string {
    const table = this.table;
    return table[at + 2] === 4
      ? this.known(this.v4, table[at + 3]!, at)
      : this.known(this.v6, `${table[at + 3]}.${table[at + 4]}.${table[at + 5]}.${table[at + 6]}.${table[at + 7]! >>> 1}`, at);
  }

  private known<K>(strings: Map<K, string>, key: K, at: number): string {
    let text = strings.get(key);
    if (text === undefined) {
      if (strings.size >= ADDRESS_CAPACITY) strings.clear();
      text = this.m.addressText(this.table, at);
      strings.set(key, text);
    }
    return text;
  }
}

/** The addon, where it has the reader (one built before the reader has the send thread only). */
function readerModule(): NativeSipModule | Error {
  const m = loadNativeSip();
  if (m instanceof Error || typeof m.recvOpen === 'function') return m;
  return new Error('the sluice_sip addon is from an older build (npm install rebuilds it)');
}

interface DgramState {
  handle?: { recvStart?: () => number; recvStop?: () => number };
  receiving?: boolean;
}

/** dgram's state object of a socket (found as socketFd finds it), or undefined. */
function dgramState(socket: Socket): DgramState | undefined {
  const symbol = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  return symbol === undefined ? undefined : (socket as unknown as Record<symbol, DgramState | undefined>)[symbol];
}

/**
 * Stops dgram's reading of a bound socket, so that another reader has its datagrams; false where
 * this Node keeps the socket's state out of reach. dgram has no public way: its state object holds
 * the handle whose recvStop() its own close() calls.
 */
function stopDgramReceiving(socket: Socket): boolean {
  const state = dgramState(socket);
  if (state === undefined || typeof state.handle?.recvStop !== 'function' || state.receiving !== true) return false;
  if (state.handle.recvStop() !== 0) return false;
  state.receiving = false;
  return true;
}

/**
 * Hands a bound dgram socket's reading (its descriptor `fd`, from socketFd) to a batched reader:
 * dgram's reading stops first, then the reader reads a duplicate of the descriptor. Where either
 * cannot be had, dgram keeps reading and the Error says why.
 */
export function readInBatches(socket: Socket, fd: number | null, deliver: DatagramHandler): NativeUdpReceiver | Error {
  if (fd === null) return new Error("this Node keeps the socket's descriptor out of reach");
  if (!stopDgramReceiving(socket)) return new Error("this Node keeps dgram's reading out of reach");
  const reader = NativeUdpReceiver.open(fd, deliver);
  // dgram reads again: its handle's recvStart() is what bind() called.
  if (reader instanceof Error) resumeDgramReceiving(socket);
  return reader;
}

/** Undoes stopDgramReceiving (where the other reader could not start). */
function resumeDgramReceiving(socket: Socket): void {
  const state = dgramState(socket);
  if (state === undefined || typeof state.handle?.recvStart !== 'function' || state.receiving === true) return;
  if (state.handle.recvStart() === 0) state.receiving = true;
}
