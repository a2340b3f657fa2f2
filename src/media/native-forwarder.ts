import { constants } from 'node:os';
import { applySignalled, Forwarder, mayLatch, type ForwarderOptions, type PacketForwarder, type SignalledSide } from './forwarder.js';
import type { NativeRelay, NativeRelayModule } from './native.js';
import type { RemoteState, SideIndex } from './slots.js';

class NativeFlow {
  /** What each side signalled: to tell a changed SDP from a refresh, and for strict latching. */
  readonly sides: [SignalledSide, SignalledSide] = [signalled(), signalled()];
  constructor(
    readonly id: string,
    readonly slot: number,
  ) {}
}

const KIND_RTP = 0;
const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/**
 * The Forwarder's job done by the native addon (native/forward.c, streams.c): it owns the
 * sockets, polls them on this thread's loop, and forwards and counts latched packets with
 * recvmmsg/sendmmsg and no JavaScript. What stays here is every decision: applying setRemote to
 * a side (whether its latch survives) and whether a new source may latch (mayLatch), which the
 * addon asks through onApply and onLatch. Behaviour is the Forwarder's; test/media runs the same
 * relay tests over both.
 */
export class NativeForwarder implements PacketForwarder {
  private readonly relay: NativeRelay;
  private readonly flows = new Map<number, NativeFlow>();
  /** Socket ids (RTP, RTCP) bound for slots whose stream has not started yet. */
  private readonly bound = new Map<number, [[number, number] | null, [number, number] | null]>();
  private readonly scratch: [RemoteState, RemoteState] = [emptyRemote(), emptyRemote()];

  /** `offsetMs`: monotonic ms minus the stamp clock (the addon stamps packets with uv_hrtime - offset). */
  constructor(
    private readonly native: NativeRelayModule,
    private readonly o: ForwarderOptions,
    offsetMs: number,
  ) {
    this.relay = native.create(
      o.slots.f64,
      offsetMs,
      (slot) => this.onApply(slot),
      (slot, side, kind, address, port) => this.onLatch(slot, side as SideIndex, kind, address, port),
    );
  }

  get size(): number {
    return this.flows.size;
  }

  bindSide(slot: number, side: SideIndex, address: string, family: 4 | 6, port: number): Promise<Error | null> {
    const rtp = this.native.bind(this.relay, family, address, port);
    if (rtp < 0) return Promise.resolve(bindError(-rtp, address, port));
    const rtcp = this.native.bind(this.relay, family, address, port + 1);
    if (rtcp < 0) {
      this.native.closeSocket(this.relay, rtp);
      return Promise.resolve(bindError(-rtcp, address, port + 1));
    }
    let pending = this.bound.get(slot);
    if (pending === undefined) this.bound.set(slot, (pending = [null, null]));
    this.closeIds(pending[side]);
    pending[side] = [rtp, rtcp];
    return Promise.resolve(null);
  }

  start(slot: number, id: string, muxA: boolean, muxB: boolean): void {
    const pending = this.bound.get(slot);
    this.bound.delete(slot);
    const a = pending?.[0];
    const b = pending?.[1];
    if (a == null || b == null) {
      this.closeIds(a ?? null);
      this.closeIds(b ?? null);
      this.o.log('warn', { stream: id, slot }, 'media stream started without both sides bound');
      return;
    }
    const s = this.o.slots;
    const err = this.native.startFlow(this.relay, slot, a[0], a[1], b[0], b[1], muxA ? 1 : 0, muxB ? 1 : 0, s.sideBase(slot, 0), s.sideBase(slot, 1), s.remoteLockIndex(slot), s.activityIndex(slot));
    if (err < 0) {
      this.closeIds(a);
      this.closeIds(b);
      this.o.log('warn', { stream: id, slot, code: errnoNames.get(-err) ?? String(-err) }, 'media stream could not start');
      return;
    }
    const f = new NativeFlow(id, slot);
    this.flows.set(slot, f);
    this.apply(f);
  }

  wake(slot: number): void {
    const f = this.flows.get(slot);
    if (f !== undefined) this.apply(f);
  }

  close(slot: number): void {
    if (this.flows.delete(slot)) this.native.closeFlow(this.relay, slot);
    const pending = this.bound.get(slot);
    if (pending !== undefined) {
      this.bound.delete(slot);
      this.closeIds(pending[0]);
      this.closeIds(pending[1]);
    }
  }

  closeAll(): void {
    this.flows.clear();
    this.bound.clear();
    this.native.closeAll(this.relay);
  }

  /** [receive errors, send errors, calls from the addon into JS]. */
  counters(): [number, number, number] {
    return this.native.counters(this.relay);
  }

  private closeIds(ids: [number, number] | null): void {
    if (ids === null) return;
    this.native.closeSocket(this.relay, ids[0]);
    this.native.closeSocket(this.relay, ids[1]);
  }

  // --- asked by the addon, from this thread's loop: never throws back into it ---

  private onApply(slot: number): void {
    const f = this.flows.get(slot);
    try {
      if (f !== undefined) this.apply(f);
    } catch (err) {
      this.o.log('warn', { slot, err: String(err) }, 'media setRemote could not be applied');
    }
  }

  private onLatch(slot: number, side: SideIndex, kind: number, address: string, port: number): boolean {
    const f = this.flows.get(slot);
    if (f === undefined) return false;
    try {
      const x = f.sides[side];
      if (!mayLatch(this.o, x, address, port)) return false;
      if (kind === KIND_RTP) this.o.slots.writeLatch(slot, side, address, port);
      if (this.o.debug) this.o.log('debug', { stream: f.id, side: side === 0 ? 'a' : 'b', kind: kind === KIND_RTP ? 'rtp' : 'rtcp', address, port, signalled: x.remoteAddr }, 'media latched');
      return true;
    } catch (err) {
      this.o.log('warn', { slot, err: String(err) }, 'media latch refused after an error');
      return false;
    }
  }

  // --- setRemote, applied in this thread (as Forwarder.apply) ---

  private apply(f: NativeFlow): void {
    const v = this.o.slots.readRemote(f.slot, this.scratch);
    // Being written right now: the writer's wake (or the next packet) applies it.
    if (v === null) return;
    this.applySide(f, 0, this.scratch[0]);
    this.applySide(f, 1, this.scratch[1]);
    this.native.setSeen(this.relay, f.slot, v);
  }

  private applySide(f: NativeFlow, side: SideIndex, r: RemoteState): void {
    const x = f.sides[side];
    if (r.gen === x.gen) return;
    const clear = applySignalled(x, r);
    if (clear) this.o.slots.writeLatch(f.slot, side, null, 0);
    const err = this.native.applyLeg(this.relay, f.slot, side, x.hold, x.remoteAddr, x.remoteRtpPort, x.remoteRtcpPort, clear);
    if (err < 0) this.o.log('warn', { stream: f.id, side: side === 0 ? 'a' : 'b', address: x.remoteAddr }, 'media remote address not usable; nothing is sent there');
  }
}

/** The native forwarder when the addon is there (`native` loaded), else the node:dgram one. */
export function forwarderFor(native: NativeRelayModule | Error | null, options: ForwarderOptions, offsetMs: number): PacketForwarder {
  return native === null || native instanceof Error ? new Forwarder(options) : new NativeForwarder(native, options, offsetMs);
}

function signalled(): SignalledSide {
  return { gen: 0, hold: false, remoteAddr: null, remoteRtpPort: 0, remoteRtcpPort: 0 };
}

function emptyRemote(): RemoteState {
  return { gen: 0, hold: false, address: null, rtpPort: 0, rtcpPort: 0 };
}

/** As dgram reports a failed bind: `code` is the errno name (port-pool tells a taken port by it). */
function bindError(errno: number, address: string, port: number): Error {
  const code = errnoNames.get(errno) ?? `E${errno}`;
  return Object.assign(new Error(`bind ${code} ${address}:${port}`), { code, errno: -errno, syscall: 'bind', address, port });
}
