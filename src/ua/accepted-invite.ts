/**
 * What the client transaction of an INVITE still needs from its call once the call's session
 * has ended: in Accepted (RFC 6026 7.2) it passes up every 2xx until Timer M (64*T1, 32 s on
 * UDP), and the UAC core ACKs each (RFC 3261 13.2.2.4). A repeated 2xx gets the ACK already
 * sent; a fork that answers now is ACKed and ended with BYE. The outgoing call, its sessions and
 * its promise are not kept that long for it.
 */
import { onInviteResponse, type InviteDialogSet } from '../dialog/index.js';
import type { SipRequest, SipResponse } from '../sip/index.js';
import type { Destination } from '../transaction/index.js';
import { Session, type RepeatAck } from './session.js';
import type { UserAgent } from './user-agent.js';

export class AcceptedInvite {
  constructor(
    private readonly ua: UserAgent,
    private set: InviteDialogSet,
    /** What the ACKs take from the INVITE (outgoing-call.ts, ackBasis). */
    private readonly invite: SipRequest,
    private readonly destination: Destination,
    /** Per To tag: the ACK sent, or the session when it has none to repeat (an ACK still held). */
    private readonly acks: Map<string, RepeatAck | Session>,
  ) {}

  /** A final response the transaction passed up: a 2xx while Accepted. */
  final(response: SipResponse): void {
    if (response.status < 200 || response.status >= 300) return;
    const { set, outcome } = onInviteResponse(this.set, response);
    this.set = set;
    if (outcome.kind === 'retransmission') {
      const ack = this.acks.get(outcome.dialog.remoteTag ?? '');
      if (ack instanceof Session) ack.ack(this.invite, response, this.destination);
      else if (ack !== undefined) this.ua.sendAckBytes(Buffer.from(ack.text, 'latin1'), ack.destination);
      return;
    }
    if (outcome.kind !== 'confirmed') return;
    // Another fork answered after the call ended: ACK it, then end it (13.2.2.4).
    const now = this.ua.clock.wallNow();
    const session = new Session(this.ua, { dialog: outcome.dialog, localSdp: null, remoteSdp: null, sessionTimer: null, createdAt: now, answeredAt: now });
    session.compact();
    session.ack(this.invite, response, this.destination);
    this.acks.set(outcome.dialog.remoteTag ?? '', session.ackToRepeat ?? session);
    void session.bye('fork-dropped');
  }
}
