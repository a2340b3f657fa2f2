import type { SipResponse } from '../sip/index.js';
import type { Destination, Lingering } from '../transaction/index.js';
import type { AcceptedInvite } from './accepted-invite.js';
import type { Session } from './session.js';
import type { UserAgent } from './user-agent.js';

/** Where a PlacedInvite is kept, by the key of its INVITE (lean-invites.ts). */
export interface PlacedInviteTable {
  expired(key: string, entry: unknown): void;
}

/**
 * What a lean INVITE leaves for 64*T1 after its final (Timers D and M), or after it timed out or
 * could not be sent (a final that comes late is then ACKed all the same), instead of the call: the
 * ACK of a non-2xx for its retransmissions, and for 2xx what the general path's transaction keeps
 * (accepted-invite.ts): the ACK sent per confirmed dialog, and a late fork ACKed and ended.
 */
export class PlacedInvite implements Lingering {
  constructor(
    private readonly ua: UserAgent,
    private readonly table: PlacedInviteTable,
    private readonly key: string,
    private readonly accepted: AcceptedInvite,
    private readonly failureAck: Buffer | null,
    private readonly destination: Destination,
    /** The answered session, until it ends: its ACK is let go with Timer M (forgetAck). */
    private session: Session | null,
    private readonly seq: number,
  ) {
    if (session !== null) session.onFinish = () => (this.session = null);
  }

  receiveResponse(response: SipResponse): void {
    const status = response.status;
    if (status < 200) return;
    this.ua.transactions.stats.absorbed++;
    if (status >= 300) {
      if (this.failureAck !== null) this.ua.sendAckBytes(this.failureAck, this.destination);
      return;
    }
    try {
      this.accepted.final(response);
    } catch (err) {
      this.ua.log.debug({ err }, '2xx that answers no INVITE of ours dropped');
    }
  }

  lingerDue(): void {
    const s = this.session;
    this.session = null;
    if (s !== null) {
      s.onFinish = null;
      s.forgetAck(this.seq);
    }
    this.table.expired(this.key, this);
  }
}
