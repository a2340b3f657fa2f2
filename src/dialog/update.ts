/**
 * Dialog updates, RFC 3261 12.2 and 13.2.2.4. Every function takes a record and returns a new
 * one (or the same one when nothing changes); none mutates its argument.
 */
import { UINT32_MAX, type SipMessage, type SipRequest, type SipResponse } from '../sip/index.js';
import { uacRouting } from './create.js';
import { DialogError, DialogErrorCode } from './errors.js';
import { contactUri, requiredValue } from './headers.js';
import { dialogWith, type DialogRecord } from './record.js';

function live(dialog: DialogRecord): void {
  if (dialog.state === 'terminated') throw new DialogError(DialogErrorCode.terminated, 'Dialog is terminated');
}

function checkUacResponse(dialog: DialogRecord, response: SipResponse): void {
  if (
    response.callId !== dialog.callId ||
    response.fromTag !== dialog.localTag ||
    response.toTag !== dialog.remoteTag
  ) {
    throw new DialogError(DialogErrorCode.mismatch, 'Response does not belong to this dialog');
  }
}

/**
 * A later 101-199 response of the dialog-creating request in an early UAC dialog. The route set
 * is not frozen until the 2xx (13.2.2.4 recomputes it then), so each provisional response with
 * this To tag recomputes it and the remote target the 12.1.2 way, as reSIProcate and PJSIP do;
 * a response without Contact keeps the target the dialog has.
 */
export function updateEarlyDialog(dialog: DialogRecord, response: SipResponse): DialogRecord {
  if (dialog.role !== 'uac' || dialog.state !== 'early') return dialog;
  checkUacResponse(dialog, response);
  if (response.status < 101 || response.status > 199) {
    throw new DialogError(DialogErrorCode.invalid, `updateEarlyDialog takes a provisional response, not ${response.status}`);
  }
  const { routeSet, remoteTarget } = uacRouting(response, dialog.remoteTarget);
  return dialogWith(dialog, { routeSet, remoteTarget, remoteUri: requiredValue(response, 'to') });
}

/**
 * Confirms a dialog on the 2xx of its creating request.
 * - UAC (13.2.2.4): "the dialog MUST be transitioned to the confirmed state, and the route set
 *   for the dialog MUST be recomputed based on the 2xx response"; the section it points to
 *   (12.2.1.2) is about target refresh, so the recomputation is done the 12.1.2 way: Record-Route
 *   of the 2xx reversed, remote target from its Contact.
 * - UAS: the 2xx is ours; its Contact (12.1.1) becomes our local target if it changed.
 */
export function confirmDialog(dialog: DialogRecord, response: SipResponse): DialogRecord {
  live(dialog);
  if (response.status < 200 || response.status > 299) {
    throw new DialogError(DialogErrorCode.invalid, `A ${response.status} response does not confirm a dialog`);
  }
  if (dialog.role === 'uac') {
    checkUacResponse(dialog, response);
    const { routeSet, remoteTarget } = uacRouting(response, dialog.remoteTarget);
    return dialogWith(dialog, { state: 'confirmed', routeSet, remoteTarget, remoteUri: requiredValue(response, 'to') });
  }
  if (response.callId !== dialog.callId || response.toTag !== dialog.localTag) {
    throw new DialogError(DialogErrorCode.mismatch, 'Response does not belong to this dialog');
  }
  return dialogWith(dialog, { state: 'confirmed', localTarget: contactUri(response) ?? dialog.localTarget });
}

/**
 * Target refresh requests: re-INVITE (RFC 3261 12.2), UPDATE (RFC 3311), SUBSCRIBE and NOTIFY
 * (RFC 6665 names both target refresh requests).
 */
const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY']);

export function isTargetRefresh(method: string): boolean {
  return TARGET_REFRESH.has(method);
}

/**
 * Remote target refresh (12.2.1.2 for a 2xx to our target refresh request, 12.2.2 for the
 * peer's target refresh request): the Contact URI, when present, replaces the remote target.
 * The route set never changes in an established dialog (12.2: in-dialog Record-Route values
 * "do not cause the dialog's route set to be modified"). When to apply a refresh (RFC 6141 4:
 * a failed target refresh changes nothing) is the UA core's call; this only applies it.
 */
export function refreshRemoteTarget(dialog: DialogRecord, message: SipMessage): DialogRecord {
  live(dialog);
  const target = contactUri(message);
  if (target === null || target === dialog.remoteTarget) return dialog;
  return dialogWith(dialog, { remoteTarget: target });
}

/** Our local target changed (a new Contact in our own target refresh). */
export function withLocalTarget(dialog: DialogRecord, localTarget: string): DialogRecord {
  live(dialog);
  return localTarget === dialog.localTarget ? dialog : dialogWith(dialog, { localTarget });
}

/**
 * The next local CSeq (12.2.1.1: "incremented by one", starting from an empty 0); the record
 * returned holds it.
 */
export function advanceLocalSeq(dialog: DialogRecord): { seq: number; dialog: DialogRecord } {
  live(dialog);
  const seq = dialog.localSeq + 1;
  if (seq > UINT32_MAX) throw new DialogError(DialogErrorCode.invalid, 'Local CSeq exhausted');
  return { seq, dialog: dialogWith(dialog, { localSeq: seq }) };
}

export type RemoteSeqResult =
  | { readonly ok: true; readonly dialog: DialogRecord }
  | { readonly ok: false; readonly status: 500; readonly retryAfter: number };

export interface RemoteSeqOptions {
  /** A number in [0, 1): picks Retry-After in 0..10 seconds (12.2.2). */
  random: () => number;
}

/**
 * 12.2.2: the remote CSeq check of an incoming request in the dialog.
 * - ACK and CANCEL carry the CSeq of the request they refer to: not checked, nothing changes.
 * - Remote seq empty: it takes the request's value.
 * - Lower than the remote seq: out of order, 500 with a Retry-After of 0..10 s (12.2.2: "MUST be
 *   rejected with a 500 (Server Internal Error) response", and 14.2 for the Retry-After).
 * - Equal: also refused. 12.2.2 only calls a *higher* number in order; a new transaction with
 *   the same CSeq is a stale copy the transaction layer no longer absorbs (a re-INVITE that
 *   outlived its server transaction), and acting on it twice would apply an offer twice.
 * - Higher (by any amount: gaps are normal after an auth challenge): in order, remote seq set.
 */
export function checkRemoteSeq(dialog: DialogRecord, request: SipRequest, options: RemoteSeqOptions): RemoteSeqResult {
  const method = request.method;
  if (method === 'ACK' || method === 'CANCEL') return { ok: true, dialog };
  const seq = request.cseq.seq;
  if (dialog.remoteSeq !== null && seq <= dialog.remoteSeq) {
    const r = options.random();
    const retryAfter = Math.min(10, Math.max(0, Math.floor(r * 11)));
    return { ok: false, status: 500, retryAfter };
  }
  return { ok: true, dialog: dialogWith(dialog, { remoteSeq: seq }) };
}

/**
 * 12.2.1.2: a 481 or 408 to a request in the dialog (or a timeout of it) ends the dialog: the
 * UA core then terminates it, sending BYE first for an INVITE dialog (15: not after a BYE).
 */
export function responseEndsDialog(status: number): boolean {
  return status === 481 || status === 408;
}

/** 12.3 / 15: the dialog is over (BYE sent or received, non-2xx final to an early dialog, ...). */
export function terminateDialog(dialog: DialogRecord): DialogRecord {
  return dialog.state === 'terminated' ? dialog : dialogWith(dialog, { state: 'terminated' });
}
