import type { PacketForwarder } from './forwarder.js';
import type { SideIndex } from './slots.js';

/**
 * Where a stream's sockets live and its packets are forwarded: this thread (LocalBackend) or a
 * worker thread (WorkerBackend in worker-host.ts). The main thread drives both the same way;
 * counters, latches and remotes go through the shared slot table, not through this interface.
 */
export interface Backend {
  /** False once a worker has died: no new stream goes there. */
  readonly alive: boolean;
  /** Streams the backend forwards (for round-robin placement and tests). */
  readonly load: number;
  /** Binds side `side`'s pair of `slot` at exactly `port`; resolves the bind error, if any; rejects if the backend died. */
  bindSide(slot: number, side: SideIndex, address: string, family: 4 | 6, port: number): Promise<Error | null>;
  /** Starts forwarding for a slot whose sides are bound. */
  start(slot: number, id: string, muxA: boolean, muxB: boolean): void;
  /** setRemote wrote to the slot. */
  wake(slot: number): void;
  /** Closes the slot's sockets (bound or started); resolves once they are closed (or the backend is gone). */
  close(slot: number): Promise<void>;
  /** Resolves once the backend has handled everything asked of it before (wakes included). */
  sync(): Promise<void>;
  /** Closes everything; a worker is terminated. */
  terminate(): Promise<void>;
}

/** Forwarding in the thread that owns the relay (workers: 0): what tests with a FakeClock use. */
export class LocalBackend implements Backend {
  readonly alive = true;

  constructor(private readonly forwarder: PacketForwarder) {}

  get load(): number {
    return this.forwarder.size;
  }

  bindSide(slot: number, side: SideIndex, address: string, family: 4 | 6, port: number): Promise<Error | null> {
    return this.forwarder.bindSide(slot, side, address, family, port);
  }

  start(slot: number, id: string, muxA: boolean, muxB: boolean): void {
    this.forwarder.start(slot, id, muxA, muxB);
  }

  wake(slot: number): void {
    this.forwarder.wake(slot);
  }

  close(slot: number): Promise<void> {
    // dgram closes the file descriptors synchronously: the ports are free on return.
    this.forwarder.close(slot);
    return Promise.resolve();
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  terminate(): Promise<void> {
    this.forwarder.closeAll();
    return Promise.resolve();
  }
}
