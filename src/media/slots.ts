/**
 * The shared block of each stream ("slot"): what the forwarding thread writes per packet
 * (counters, the sequence tracker's state, times) and on a latch (the latched source), and what
 * the main thread writes on setRemote. With worker threads it lives in a SharedArrayBuffer, so
 * stats(), idleMs() and setRemote() stay synchronous in the main thread with no message round
 * trip; in-thread it is a plain ArrayBuffer with the same layout (one code path for both).
 *
 * Counters are Float64 written without Atomics: one writer per slot, and aligned 8-byte stores do
 * not tear on the 64-bit platforms Node supports. Text (addresses) is guarded by a sequence lock.
 */
import { seqLost, seqReset } from './rtp.js';

export const SLOT_BYTES = 640;
const SLOT_F64 = SLOT_BYTES / 8;
const SLOT_I32 = SLOT_BYTES / 4;

/** Float64 fields of one side, from the side's base index (sideBase). */
export const PACKETS = 0;
export const BYTES = 1;
export const RTCP_PACKETS = 2;
export const DROPPED = 3;
/** NaN until the first packet. */
export const LAST_PACKET = 4;
/** SeqTracker state: SEQ_FIELDS (6) values from here. */
export const SEQ = 5;
const SIDE_F64 = 12;
/** Float64 index (in the slot) of the last packet from either side, or of the open. */
const ACTIVITY = 2 * SIDE_F64;

// Int32 indexes in the slot. REMOTE_LOCK counts setRemote writes (odd while one is being written).
const REMOTE_LOCK = 52;
// Remote of side s: 24 Int32 from REMOTE + 24*s: gen, hold, rtpPort, rtcpPort, text length, text.
const REMOTE = 54;
const REMOTE_TEXT_BYTES = 76;
// Latched RTP source of side s: 24 Int32 from LATCH + 24*s: lock, port, text length, text.
const LATCH = 102;
const LATCH_TEXT_BYTES = 84;
/** An address longer than this cannot be signalled (IPv6 with a long zone id). */
export const MAX_ADDRESS_CHARS = REMOTE_TEXT_BYTES;

export type SideIndex = 0 | 1;

export interface RemoteState {
  /** Bumped by every setRemote of the side: the forwarder applies each new generation once. */
  gen: number;
  hold: boolean;
  /** The last signalled address (kept while on hold: strict mode still matches it). */
  address: string | null;
  rtpPort: number;
  rtcpPort: number;
}

export class SlotTable {
  readonly f64: Float64Array;
  readonly i32: Int32Array;
  private readonly text: Buffer;

  constructor(
    readonly buffer: SharedArrayBuffer | ArrayBuffer,
    readonly capacity: number,
  ) {
    this.f64 = new Float64Array(buffer, 0, capacity * SLOT_F64);
    this.i32 = new Int32Array(buffer, 0, capacity * SLOT_I32);
    this.text = Buffer.from(buffer, 0, capacity * SLOT_BYTES);
  }

  static create(capacity: number, shared: boolean): SlotTable {
    const bytes = capacity * SLOT_BYTES;
    return new SlotTable(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes), capacity);
  }

  /** Float64 index of side `side`'s fields in slot `slot`. */
  sideBase(slot: number, side: SideIndex): number {
    return slot * SLOT_F64 + side * SIDE_F64;
  }

  activityIndex(slot: number): number {
    return slot * SLOT_F64 + ACTIVITY;
  }

  remoteLockIndex(slot: number): number {
    return slot * SLOT_I32 + REMOTE_LOCK;
  }

  /** Main thread, before the slot's stream starts: zero counters, nothing latched or signalled. */
  reset(slot: number, now: number): void {
    this.f64.fill(0, slot * SLOT_F64, (slot + 1) * SLOT_F64);
    for (const side of [0, 1] as const) {
      const b = this.sideBase(slot, side);
      this.f64[b + LAST_PACKET] = NaN;
      seqReset(this.f64, b + SEQ);
    }
    this.f64[this.activityIndex(slot)] = now;
  }

  lost(slot: number, side: SideIndex): number {
    return seqLost(this.f64, this.sideBase(slot, side) + SEQ);
  }

  // --- remote: written by the main thread (setRemote), read by the forwarder ---

  writeRemote(slot: number, side: SideIndex, hold: boolean, address: string | null, rtpPort: number, rtcpPort: number): void {
    const lock = this.remoteLockIndex(slot);
    const r = slot * SLOT_I32 + REMOTE + 24 * side;
    Atomics.add(this.i32, lock, 1);
    this.i32[r] = this.i32[r]! + 1;
    this.i32[r + 1] = hold ? 1 : 0;
    if (address !== null) {
      this.i32[r + 2] = rtpPort;
      this.i32[r + 3] = rtcpPort;
      this.i32[r + 4] = this.text.write(address, (r + 5) * 4, REMOTE_TEXT_BYTES, 'latin1');
    }
    Atomics.add(this.i32, lock, 1);
  }

  /** The forwarder's view of both sides, or null when a write is in progress (retry later). */
  readRemote(slot: number, out: [RemoteState, RemoteState]): number | null {
    const lock = this.remoteLockIndex(slot);
    const v = Atomics.load(this.i32, lock);
    if ((v & 1) === 1) return null;
    for (const side of [0, 1] as const) {
      const r = slot * SLOT_I32 + REMOTE + 24 * side;
      const o = out[side];
      o.gen = this.i32[r]!;
      o.hold = this.i32[r + 1] === 1;
      const len = this.i32[r + 4]!;
      o.address = len === 0 ? null : this.text.toString('latin1', (r + 5) * 4, (r + 5) * 4 + len);
      o.rtpPort = this.i32[r + 2]!;
      o.rtcpPort = this.i32[r + 3]!;
    }
    return Atomics.load(this.i32, lock) === v ? v : null;
  }

  // --- latched RTP source: written by the forwarder, read by the main thread (stats) ---

  writeLatch(slot: number, side: SideIndex, address: string | null, port: number): void {
    const l = slot * SLOT_I32 + LATCH + 24 * side;
    Atomics.add(this.i32, l, 1);
    this.i32[l + 1] = port;
    this.i32[l + 2] = address === null ? 0 : this.text.write(address, (l + 3) * 4, LATCH_TEXT_BYTES, 'latin1');
    Atomics.add(this.i32, l, 1);
  }

  readLatch(slot: number, side: SideIndex): { address: string; port: number } | null {
    const l = slot * SLOT_I32 + LATCH + 24 * side;
    // Bounded: a latch is rewritten at most a few times per call, so a retry or two suffices.
    for (let attempt = 0; attempt < 8; attempt++) {
      const v = Atomics.load(this.i32, l);
      if ((v & 1) === 1) continue;
      const len = this.i32[l + 2]!;
      const port = this.i32[l + 1]!;
      const address = len === 0 ? null : this.text.toString('latin1', (l + 3) * 4, (l + 3) * 4 + len);
      if (Atomics.load(this.i32, l) === v) return address === null ? null : { address, port };
    }
    return null;
  }
}

