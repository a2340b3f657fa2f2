/**
 * A send thread for the UDP listeners (native/sip-send.c, the `sluice_sip` addon that `npm install`
 * builds beside the media relay's). Each datagram is copied into the thread's queue; the queue is
 * handed over once per event-loop turn and sent with sendmmsg on another core (a turn of few
 * datagrams while the thread sleeps is sent by the main thread itself: see open). One thread serves
 * every listener of the process (see acquire): a B2BUA's turn usually sends on two realms' sockets,
 * and one wake-up then serves both. What that moves off
 * the main thread is dgram's work per send and, on loopback or to a receiver on this host, the
 * receiver's delivery, which the kernel does inside the sender's sendmsg.
 *
 * It is optional, like the relay's addon: without it (or with `sip.udpSendThread: false`) the
 * listener sends through node:dgram, with the same behaviour.
 */
import type { Socket } from 'node:dgram';
import { getSystemErrorName } from 'node:util';
import { UDP_SEND_INLINE } from '../config/types.js';
import { loadNativeSip, type NativeSenderHandle, type NativeSipModule } from './native-sip.js';

export { NATIVE_SIP_ADDON_PATH } from './native-sip.js';

/**
 * The file descriptor of a bound dgram socket, or null where this Node keeps it elsewhere. dgram
 * publishes no accessor (its `_handle` is deprecated and warns); its state object carries the
 * handle, whose `fd` getter is public on Unix.
 */
export function socketFd(socket: Socket): number | null {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  if (state === undefined) return null;
  const handle = (socket as unknown as Record<symbol, { handle?: { fd?: unknown } } | undefined>)[state]?.handle;
  const fd = handle?.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : null;
}

type Done = (err: Error | null) => void;

/** What the thread did since it started (NativeUdpSender.counters). */
export interface SendThreadCounters {
  sent: number;
  failed: number;
  /** Failures the main thread was told of too late to fail their callback (they settled as sent). */
  unreported: number;
  batches: number;
  /** Sends that waited for room in the socket's buffer. */
  bufferWaits: number;
  /** Times the main thread woke the sleeping thread. */
  wakes: number;
  /** Turns whose datagrams the main thread sent itself, the thread asleep (inlineMax). */
  inlineBatches: number;
}

/** Sequence numbers are uint32 and wrap: a is at or before b when b - a is less than half the range. */
const atOrBefore = (a: number, b: number): boolean => ((b - a) >>> 0) < 0x8000_0000;

/**
 * The listeners' send thread. `send` queues, and the queue is handed over at the end of the turn. Each
 * datagram's callback is called once: with its error when the thread reports one (the main loop
 * is woken for that only), else with null once the thread has finished it, which the main thread
 * reads at its next flush, or within SETTLE_MS when it sends no more.
 */
export class NativeUdpSender {
  private readonly m: NativeSipModule;
  private readonly handle: NativeSenderHandle;
  /** Callbacks of the datagrams the thread has not finished, oldest at `head`, whose seq is `headSeq`. */
  private dones: (Done | null)[] = [];
  private head = 0;
  private headSeq = 1;
  private settleTimer: NodeJS.Timeout | null = null;
  private flushing = false;
  private closed = false;

  private constructor(m: NativeSipModule, inlineMax: number) {
    this.m = m;
    this.handle = m.open((seq, errno) => this.failed(seq, errno), inlineMax);
  }

  /**
   * A send thread of its own, or why there is none (the addon is not built or does not load). A
   * turn of at most `inlineMax` datagrams while the thread sleeps is sent by the main thread
   * itself (native/sip-send.c says why); 0 hands every turn over.
   */
  static open(inlineMax: number = UDP_SEND_INLINE.default): NativeUdpSender | Error {
    if (!(Number.isInteger(inlineMax) && inlineMax >= 0 && inlineMax <= UDP_SEND_INLINE.max)) return new RangeError(`inlineMax must be an integer from 0 to ${UDP_SEND_INLINE.max}, not ${inlineMax}`);
    const m = loadNativeSip();
    if (m instanceof Error) return m;
    try {
      return new NativeUdpSender(m, inlineMax);
    } catch (err) {
      // An addon built before inline sends takes one argument and refuses two: npm install rebuilds it.
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  /**
   * The process's shared send thread, started by the first user; each acquire() is matched by a
   * release(), and the last one stops it. Every realm's transport takes its listeners' sends there;
   * the first one's `inlineMax` holds for all (they are built from one configuration).
   */
  static acquire(inlineMax: number = UDP_SEND_INLINE.default): NativeUdpSender | Error {
    if (shared !== null) {
      shared.users++;
      return shared.sender;
    }
    const sender = NativeUdpSender.open(inlineMax);
    if (sender instanceof Error) return sender;
    shared = { sender, users: 1 };
    return sender;
  }

  /** Ends one acquire() (a sender from open() is closed at once). */
  release(): void {
    if (shared === null || shared.sender !== this) return this.close();
    if (--shared.users > 0) return;
    shared = null;
    this.close();
  }

  /**
   * Queues a copy of `bytes` (a Buffer, or latin1 text written straight into the queue) for the
   * socket `fd` (socketFd); it leaves at the end of this turn, with the turn's other datagrams.
   * `done` is called once, never before this returns. Returns false, and leaves `done` alone,
   * where `address` is no IP literal of the family (a name to resolve, a typo): the caller sends
   * that one another way.
   */
  send(fd: number, family: 4 | 6, bytes: Buffer | string, port: number, address: string, done: Done): boolean {
    const seq = this.closed ? -9 /* EBADF */ : this.m.send(this.handle, fd, family, bytes, port, address);
    if (seq === -22 /* EINVAL */) return false;
    if (seq < 0) {
      const code = getSystemErrorName(seq);
      const err = Object.assign(new Error(`send ${code}`), { code, errno: seq });
      queueMicrotask(() => done(err));
      return true;
    }
    this.dones.push(done);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(this.flush);
    }
    return true;
  }

  /** Hands this turn's datagrams to the thread, and settles the callbacks of those it finished. */
  readonly flush = (): void => {
    this.flushing = false;
    if (this.closed) return;
    this.m.flush(this.handle);
    this.settle(this.m.completed(this.handle));
  };

  /**
   * Returns once every datagram queued so far has left (or failed): a listener calls it before
   * its socket closes, so that the thread never sends on a descriptor that was closed or reused.
   */
  drain(): void {
    if (this.closed) return;
    this.m.drain(this.handle);
  }

  counters(): SendThreadCounters {
    const [sent, failed, unreported, batches, bufferWaits, wakes, inlineBatches] = this.m.counters(this.handle);
    return { sent, failed, unreported, batches, bufferWaits, wakes, inlineBatches };
  }

  /** Sends what is queued, stops the thread and settles every callback. */
  close(): void {
    if (this.closed) return;
    this.m.close(this.handle);
    this.closed = true;
    if (this.settleTimer !== null) clearTimeout(this.settleTimer);
    this.settleTimer = null;
    // Everything queued was sent or failed (failures were reported by close): the rest went out.
    this.settle((this.headSeq + this.dones.length - this.head - 1) >>> 0);
  }

  private settle(completed: number): void {
    const dones = this.dones;
    let head = this.head;
    let seq = this.headSeq;
    while (head < dones.length && atOrBefore(seq, completed)) {
      const done = dones[head];
      dones[head] = null;
      head++;
      seq = (seq + 1) >>> 0;
      if (done !== null && done !== undefined) done(null);
    }
    this.headSeq = seq;
    if (head === dones.length) {
      dones.length = 0;
      head = 0;
    } else if (head > 1024 && head * 2 > dones.length) {
      this.dones = dones.slice(head);
      head = 0;
    }
    this.head = head;
    if (head < this.dones.length && this.settleTimer === null && !this.closed) {
      this.settleTimer = setTimeout(this.settleLater, SETTLE_MS);
      this.settleTimer.unref();
    }
  }

  private readonly settleLater = (): void => {
    this.settleTimer = null;
    if (!this.closed) this.settle(this.m.completed(this.handle));
  };

  private failed(seq: number, errno: number): void {
    const at = this.head + ((seq - this.headSeq) >>> 0);
    if (at >= this.dones.length) return;
    const done = this.dones[at];
    if (done === null || done === undefined) return;
    this.dones[at] = null;
    const code = getSystemErrorName(-errno);
    done(Object.assign(new Error(`send ${code}`), { code, errno: -errno }));
  }
}

/** How soon callbacks settle when the listener sends nothing more (only errors are ever waited on). */
const SETTLE_MS = 50;

/** The send thread acquire() shares, and how many users hold it. */
let shared: { sender: NativeUdpSender; users: number } | null = null;
