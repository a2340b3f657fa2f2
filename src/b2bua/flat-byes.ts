/**
 * The BYEs of a flat call (flat-call.ts), both ways, over UDP and without transactions, as
 * ua/lean-byes.ts does them for sessions: ours resent at T1, 2T1 ... T2 (every T2 once a
 * provisional came) until a final, for at most 64*T1 (Timers E and F), with nothing waiting for
 * that final; the one we answered 200 again for each retransmission of it (what Timer J keeps a
 * transaction for), the 200 written again from the retransmission.
 */
import type { Side } from '../media/index.js';
import { inDialogRequestText, type DialogRecord } from '../dialog/index.js';
import { ownString, responseText, type SipRequest, type SipResponse } from '../sip/index.js';
import type { Destination, MessageSource } from '../transaction/index.js';
import { responseDestinationFor } from '../transport/index.js';
import type { UserAgent } from '../ua/index.js';
import { Resend } from './flat-resend.js';

export class FlatByes {
  private readonly out: Record<Side, { resend: Resend; branch: string } | null> = { a: null, b: null };
  /** The BYE we answered: from which leg, its branch. */
  private answered: { side: Side; branch: string } | null = null;

  /** 200 to a leg's BYE, in the dialog where our tag is `tag`; kept for its retransmissions. */
  answer(side: Side, ua: UserAgent, bye: SipRequest, branch: string, tag: string, source: MessageSource): void {
    this.answered = { side, branch: ownString(branch) };
    this.again(ua, bye, tag, source);
  }

  /** The BYE answered, again: the same 200 (true); false for any other BYE. */
  repeated(side: Side, ua: UserAgent, bye: SipRequest, tag: string, source: MessageSource): boolean {
    const kept = this.answered;
    if (kept === null || kept.side !== side || kept.branch !== bye.topVia?.branch) return false;
    ua.transactions.stats.absorbed++;
    this.again(ua, bye, tag, source);
    return true;
  }

  private again(ua: UserAgent, bye: SipRequest, tag: string, source: MessageSource): void {
    ua.transport.sendText(responseText(bye, { status: 200, toTag: tag }), responseDestinationFor(bye.topVia, source), ua.responseSent);
  }

  /** Our BYE in `dialog` to one leg (once per leg). */
  send(side: Side, ua: UserAgent, dialog: DialogRecord, destination: Destination): void {
    if (this.out[side] !== null) return;
    const branch = ua.transactions.newBranch();
    const written = inDialogRequestText(dialog, 'BYE', { branch, via: ua.viaFor(destination) });
    this.out[side] = { resend: new Resend(ua, written.text, destination, ua.transactions.timers.t2, null, ua.responseSent), branch };
  }

  /** A response to our BYE to `side` (false for none of ours): a provisional slows Timer E, a final ends it. */
  response(side: Side, r: SipResponse): boolean {
    const out = this.out[side];
    if (out === null || r.topVia?.branch !== out.branch) return false;
    if (r.status < 200) out.resend.proceeding();
    else {
      out.resend.stop();
      this.out[side] = null;
    }
    return true;
  }

  stop(): void {
    this.out.a?.resend.stop();
    this.out.b?.resend.stop();
    this.out.a = this.out.b = null;
  }
}
