/**
 * The ACKs a session sends for the 2xx responses to its own INVITEs (RFC 3261 13.2.2.4): built
 * from what the INVITE left (AckBasis), sent again as the same bytes for each repeated 2xx until
 * that INVITE's transaction ends, and, when the 2xx brought the offer to an offerless INVITE and
 * the application asked for it, held until the application has the answer (a B2BUA waits for the
 * other leg's).
 */
import { ackFor2xxText, inviteCredentials, type Credential, type DialogRecord } from '../dialog/index.js';
import { ownString, type SipRequest, type SipResponse } from '../sip/index.js';
import type { Destination } from '../transaction/index.js';
import type { MessageParts } from './types.js';
import type { UserAgent } from './user-agent.js';

/** An ACK as sent, to send again for a repeated 2xx: latin1 text (one byte per byte) and where. */
export interface RepeatAck {
  readonly seq: number;
  readonly text: string;
  readonly destination: Destination;
}

/** What the ACK of a 2xx takes from its INVITE (13.2.2.4), kept instead of the INVITE. */
export interface AckBasis {
  /** The INVITE's CSeq number. */
  readonly seq: number;
  /** The INVITE made the offer: its ACK carries no answer. */
  readonly offer: boolean;
  readonly credentials: readonly Credential[];
}

export function ackBasisOf(invite: SipRequest): AckBasis {
  return { seq: invite.cseq.seq, offer: invite.bodyLength > 0, credentials: inviteCredentials(invite) };
}

/** One session's ACKs; a session makes it at its first ACK (a UAS leg never sends one). */
export class UacAcks {
  /**
   * The ACK of the last 2xx'd INVITE as sent, in latin1 text (one byte per byte), until that
   * INVITE's transaction ends (forget): a parsed message, or a slice that holds one of Buffer's
   * shared 8 KB pool blocks, would cost several times as much meanwhile.
   */
  private last: RepeatAck | null = null;
  private pending: { basis: AckBasis; destination: Destination } | null = null;

  constructor(private readonly ua: UserAgent) {}

  /** The ACK to send again for a repeated 2xx, until its INVITE's transaction ends. */
  get repeat(): RepeatAck | null {
    return this.last;
  }

  /** True while a late-offer ACK waits for acknowledge(). */
  get waiting(): boolean {
    return this.pending !== null;
  }

  /** The INVITE transaction `seq` is over: no 2xx retransmission will need its ACK again. */
  forget(seq: number): void {
    if (this.last?.seq === seq) this.last = null;
  }

  /**
   * ACKs a 2xx (again, for a repeated one). `localSdp`: our last SDP, the answer an ACK carries
   * when the 2xx brought the offer. With `defer`, such an ACK waits for acknowledge(answer).
   */
  ack(dialog: DialogRecord, localSdp: string | null, basis: AckBasis, response: SipResponse, destination: Destination, defer: boolean): void {
    const seq = basis.seq;
    if (this.last !== null && this.last.seq === seq) {
      this.ua.sendAckText(this.last.text, this.last.destination);
      return;
    }
    // A repeat of the 2xx whose ACK waits for its answer: that ACK answers it once sent (an ACK
    // written now would carry no answer, and the callee would take it as the one).
    if (this.pending !== null && this.pending.basis.seq === seq) return;
    if (defer && !basis.offer && response.bodyLength > 0) {
      this.pending = { basis, destination };
      return;
    }
    // An INVITE without an offer got one in the 2xx: the ACK carries our answer (the last SDP
    // we have; an application that wants another answers through reinvite's caller).
    const answer = !basis.offer && response.bodyLength > 0 ? localSdp : null;
    const ack = ackFor2xxText(dialog, seq, {
      branch: this.ua.transactions.newBranch(),
      via: this.ua.viaFor(destination),
      credentials: basis.credentials,
      ...(answer !== null ? { body: answer, contentType: 'application/sdp' } : {}),
    });
    this.send(seq, ack, destination);
  }

  /**
   * Sends the ACK held back for a late offer, with the answer in `parts`; later retransmissions
   * of the 2xx get this same ACK. False when none was held (nothing is sent).
   */
  acknowledge(dialog: DialogRecord, parts: MessageParts | undefined): boolean {
    const p = this.pending;
    if (p === null) return false;
    this.pending = null;
    const body = parts?.body;
    const ack = ackFor2xxText(dialog, p.basis.seq, {
      branch: this.ua.transactions.newBranch(),
      via: this.ua.viaFor(p.destination),
      credentials: p.basis.credentials,
      ...(body !== undefined && body.length > 0 ? { body, contentType: parts?.contentType ?? 'application/sdp' } : {}),
    });
    this.send(p.basis.seq, ack, p.destination);
    return true;
  }

  private send(seq: number, ack: string, destination: Destination): void {
    // Kept as one flat string: the text was joined from many pieces.
    this.last = { seq, text: ownString(ack), destination };
    this.ua.sendAckText(ack, destination);
  }
}
