/**
 * Turns for rate searches that run side by side: each middle box's search takes one step (a
 * probe or a confirm, with its restart and warm-up after a failure) when its turn comes, and the
 * turn passes round in the order the searches joined. Kamailio and Sluice searched this way meet
 * the host in the same minutes, rung for rung, so that a host whose speed drifts over a run (this
 * one's CPU per call moved by a third between sittings) drifts for both: searched one after
 * the other, the same two boxes read from 0.82x to 1.45x of one another.
 *
 * Only one turn runs at a time, so no step shares the cores with another box's load. A joined
 * search that is between two of its turns (reading a file, stopping a sipp) is waited for: the
 * order is kept strictly, and a search leaves the rotation when it ends (leave, in a finally).
 *
 * Between its turns a member's processes can be held still (join's `processes`: SIGSTOP after
 * its turn, SIGCONT before the next and when it leaves). An idle box is not idle: each sipp uas
 * polls (3-4% of a core here) and Kamailio's timer processes tick, and with five members up the
 * wake-ups of the four waiting ones cost the running one (Kamailio with one worker, which held
 * 3,000 calls/s in turns with two other members, failed 2,000 with four).
 */
import { signalAll } from './proc.js';

/** How a member's processes are held still between its turns: the pids to stop, read when needed. */
export interface Held {
  processes?: () => number[];
}

export class Turns {
  /** The searches in the rotation, in the order they joined. */
  private readonly members: string[] = [];
  /** The member whose turn it is (an index into members), or -1 before the first turn. */
  private current = -1;
  private running = false;
  private readonly waiting = new Map<string, () => void>();
  private readonly held = new Map<string, () => number[]>();
  /** What each member has stopped now (SIGSTOP), to be let go (SIGCONT). */
  private readonly stopped = new Map<string, number[]>();
  /** Turns taken, by member, in order: for the report and for tests. */
  readonly log: string[] = [];

  join(id: string, held: Held = {}): void {
    if (this.members.includes(id)) throw new Error(`Turns: ${id} has joined already`);
    this.members.push(id);
    if (held.processes !== undefined) this.held.set(id, held.processes);
  }

  /** The search is over: the rotation goes on without it (it may not take turns any more). */
  leave(id: string): void {
    const i = this.members.indexOf(id);
    if (i < 0) return;
    this.release(id);
    this.held.delete(id);
    this.members.splice(i, 1);
    if (i <= this.current) this.current--;
    this.waiting.delete(id);
    this.next();
  }

  /** Runs `work` in `id`'s next turn, then passes the turn on; `work`'s result or error is returned. */
  async take<T>(id: string, work: () => Promise<T>): Promise<T> {
    if (!this.members.includes(id)) throw new Error(`Turns: ${id} has not joined`);
    if (this.waiting.has(id)) throw new Error(`Turns: ${id} is waiting for a turn already`);
    await new Promise<void>((resolve) => {
      this.waiting.set(id, resolve);
      this.next();
    });
    try {
      this.log.push(id);
      this.release(id);
      return await work();
    } finally {
      this.hold(id);
      this.running = false;
      this.next();
    }
  }

  /** Stops the member's processes until its next turn (those of them that are gone are skipped). */
  private hold(id: string): void {
    const processes = this.held.get(id)?.();
    if (processes === undefined || processes.length === 0 || !this.members.includes(id)) return;
    signalAll(processes, 'SIGSTOP');
    this.stopped.set(id, processes);
  }

  private release(id: string): void {
    const processes = this.stopped.get(id);
    if (processes === undefined) return;
    this.stopped.delete(id);
    signalAll(processes, 'SIGCONT');
  }

  /** Starts the next member's turn if nothing runs and that member is waiting for it. */
  private next(): void {
    if (this.running || this.members.length === 0) return;
    const i = (this.current + 1) % this.members.length;
    const id = this.members[i]!;
    const resolve = this.waiting.get(id);
    if (resolve === undefined) return; // its turn: it is waited for
    this.waiting.delete(id);
    this.current = i;
    this.running = true;
    resolve();
  }
}
