/**
 * What the client transaction of an INVITE still needs from its call once the call's session
 * has ended: in Accepted (RFC 6026 7.2) it passes up every 2xx until Timer M (64*T1, 32 s on
 * UDP), and the UAC core ACKs each (RFC 3261 13.2.2.4). A repeated 2xx gets the ACK already
 * sent; a fork that answers now is ACKed and ended with BYE. The outgoing call, its sessions and
 * its promise are not kept that long for it, nor are the dialogs already confirmed: a 2xx with
 * their To tag is told apart by the ACK kept for it.
 */
import { checkResponseFor, confirmDialog, uacDialogFromResponse, type DialogRecord, type UacDialogBase } from '../dialog/index.js';
import type { SipResponse } from '../sip/index.js';
import type { Destination } from '../transaction/index.js';
import { Session } from './session.js';
import type { AckBasis, RepeatAck } from './uac-ack.js';
import type { UserAgent } from './user-agent.js';

type RepeatWith = RepeatAck | Session | null;

/**
 * Per To tag of a confirmed dialog: the ACK sent, the session when its ACK is still held (a late
 * offer), or null when there is none to repeat. The first tag in fields of its own: there is
 * nearly always one, and a Map's table would be most of what this weighs for Timer M's 32 s.
 */
export class AcksByTag {
  private tag0: string | null = null;
  private ack0: RepeatWith = null;
  private more: Map<string, RepeatWith> | null = null;

  get(tag: string): RepeatWith | undefined {
    if (tag === this.tag0) return this.ack0;
    return this.more?.get(tag);
  }

  set(tag: string, ack: RepeatWith): void {
    if (this.tag0 === null || tag === this.tag0) {
      this.tag0 = tag;
      this.ack0 = ack;
    } else {
      (this.more ??= new Map()).set(tag, ack);
    }
  }
}

export class AcceptedInvite {
  constructor(
    private readonly ua: UserAgent,
    /** What a new fork's dialog takes from the INVITE (dialogSetBase). */
    private readonly base: UacDialogBase,
    /** Forks still early when the session ended (usually none): a 2xx confirms them. */
    private early: readonly DialogRecord[],
    /** What the ACKs take from the INVITE. */
    private readonly basis: AckBasis,
    private readonly destination: Destination,
    private readonly acks: AcksByTag,
  ) {}

  /** A final response the transaction passed up: a 2xx while Accepted. */
  final(response: SipResponse): void {
    if (response.status < 200 || response.status >= 300) return;
    checkResponseFor(this.base, response);
    const key = response.toTag ?? '';
    const ack = this.acks.get(key);
    if (ack instanceof Session) {
      ack.ack(this.basis, response, this.destination);
      return;
    }
    if (ack !== undefined) {
      if (ack !== null) this.ua.sendAckText(ack.text, ack.destination);
      return;
    }
    // Another fork answered after the call ended: ACK it, then end it (13.2.2.4). One that was
    // early keeps its dialog's CSeq (a PRACK or UPDATE may have used some).
    const i = this.early.findIndex((d) => (d.remoteTag ?? '') === key);
    const dialog = i >= 0 ? confirmDialog(this.early[i]!, response) : uacDialogFromResponse(this.base, response);
    if (i >= 0) this.early = this.early.filter((_, j) => j !== i);
    const now = this.ua.clock.wallNow();
    const session = new Session(this.ua, { dialog, localSdp: null, remoteSdp: null, sessionTimer: null, createdAt: now, answeredAt: now });
    session.compact();
    session.ack(this.basis, response, this.destination);
    this.acks.set(key, session.ackToRepeat ?? session);
    void session.bye('fork-dropped');
  }
}
