/**
 * The dialogs of one INVITE we sent. A forking proxy may return provisional responses with
 * several To tags (one early dialog each, RFC 3261 12.1.2 / 13.2.2.1) and more than one 2xx
 * (13.2.2.4: each 2xx with another To tag makes a dialog of its own, which the UA core ACKs and,
 * if it wants one call only, ends with BYE). Plain data like DialogRecord: a ringing call with its
 * forks can be stored and picked up by another instance.
 */
import type { SipRequest, SipResponse } from '../sip/index.js';
import { uacDialogBase, uacDialogFromResponse, checkResponseFor, type UacDialogBase, type UacDialogOptions } from './create.js';
import type { DialogRecord } from './record.js';
import { confirmDialog, terminateDialog, updateEarlyDialog } from './update.js';

export interface InviteDialogSet extends UacDialogBase {
  /** One dialog per remote tag, in the order they appeared (terminated ones stay, marked so). */
  readonly dialogs: readonly DialogRecord[];
  /** Status of the first final response seen, or null while none has come. */
  readonly finalStatus: number | null;
  /** A 2xx has come (from any fork). */
  readonly answered: boolean;
}

export type InviteResponseOutcome =
  /** Nothing to do: 100, a 1xx without a To tag, a 1xx after the final response. */
  | { readonly kind: 'none' }
  /** A 101-199 with a To tag: an early dialog was created (created) or updated. */
  | { readonly kind: 'early'; readonly dialog: DialogRecord; readonly created: boolean }
  /**
   * A 2xx confirmed a dialog (or created it confirmed). `first` is false for the 2xx of a
   * further fork, whose dialog the UA core ACKs and then BYEs if it keeps one call only.
   */
  | { readonly kind: 'confirmed'; readonly dialog: DialogRecord; readonly first: boolean }
  /** A 2xx again for a confirmed dialog (a retransmission): ACK it again (13.2.2.4). */
  | { readonly kind: 'retransmission'; readonly dialog: DialogRecord }
  /** A 300-699: every early dialog of the INVITE is terminated (12.3). */
  | { readonly kind: 'failed'; readonly status: number; readonly terminated: readonly DialogRecord[] };

export function createInviteDialogSet(invite: SipRequest, options: UacDialogOptions = {}): InviteDialogSet {
  return makeSet(uacDialogBase(invite, options), [], null, false);
}

/**
 * Every set is built here, with its fields in one order: a spread (`{ ...set, dialogs }`) made
 * objects of several shapes, and code reading them slower (a set is rebuilt at every response).
 */
function makeSet(base: UacDialogBase, dialogs: readonly DialogRecord[], finalStatus: number | null, answered: boolean): InviteDialogSet {
  return {
    callId: base.callId,
    localTag: base.localTag,
    localUri: base.localUri,
    localTarget: base.localTarget,
    requestUri: base.requestUri,
    inviteSeq: base.inviteSeq,
    secure: base.secure,
    method: base.method,
    dialogs,
    finalStatus,
    answered,
  };
}

/**
 * What every dialog of the set takes from the INVITE, without the dialogs: all that a 2xx with
 * a new To tag needs to make its dialog (uacDialogFromResponse).
 */
export function dialogSetBase(set: InviteDialogSet): UacDialogBase {
  return {
    callId: set.callId,
    localTag: set.localTag,
    localUri: set.localUri,
    localTarget: set.localTarget,
    requestUri: set.requestUri,
    inviteSeq: set.inviteSeq,
    secure: set.secure,
    method: set.method,
  };
}

/** The dialog of a remote tag (null: a tagless RFC 2543 2xx). */
export function findDialog(set: InviteDialogSet, remoteTag: string | null): DialogRecord | undefined {
  return set.dialogs.find((d) => d.remoteTag === remoteTag);
}

/** Early and confirmed dialogs. */
export function liveDialogs(set: InviteDialogSet): DialogRecord[] {
  return set.dialogs.filter((d) => d.state !== 'terminated');
}

/** Puts a dialog updated elsewhere (a PRACK, an UPDATE) back in the set, by remote tag. */
export function replaceDialog(set: InviteDialogSet, dialog: DialogRecord): InviteDialogSet {
  const i = set.dialogs.findIndex((d) => d.remoteTag === dialog.remoteTag);
  const dialogs = [...set.dialogs];
  if (i < 0) dialogs.push(dialog);
  else dialogs[i] = dialog;
  return makeSet(set, dialogs, set.finalStatus, set.answered);
}

/** Applies one response to the INVITE; returns the new set and what happened. */
export function onInviteResponse(
  set: InviteDialogSet,
  response: SipResponse,
): { set: InviteDialogSet; outcome: InviteResponseOutcome } {
  checkResponseFor(set, response);
  const status = response.status;
  const tag = response.toTag;
  const existing = findDialog(set, tag);
  const isLive = existing !== undefined && existing.state !== 'terminated';

  if (status < 200) {
    // 12.1: only 101-199 with a To tag make a dialog; once a final response came, the client
    // transaction passes no more provisional responses, and a late one makes no dialog.
    if (status === 100 || tag === null || set.finalStatus !== null) return { set, outcome: { kind: 'none' } };
    if (!isLive) {
      const dialog = uacDialogFromResponse(set, response);
      return { set: replaceDialog(set, dialog), outcome: { kind: 'early', dialog, created: true } };
    }
    const dialog = updateEarlyDialog(existing, response);
    return { set: replaceDialog(set, dialog), outcome: { kind: 'early', dialog, created: false } };
  }

  const finalStatus = set.finalStatus ?? status;
  if (status < 300) {
    if (isLive && existing.state === 'confirmed') {
      return { set, outcome: { kind: 'retransmission', dialog: existing } };
    }
    // 13.2.2.4: matches an early dialog: confirm it (route set recomputed); else a new one.
    const dialog = isLive ? confirmDialog(existing, response) : uacDialogFromResponse(set, response);
    const next = makeSet(set, replaceDialog(set, dialog).dialogs, finalStatus, true);
    return { set: next, outcome: { kind: 'confirmed', dialog, first: !set.answered } };
  }

  // 12.3: "if a request outside of a dialog generates a non-2xx final response, any early
  // dialogs created through provisional responses to that request are terminated".
  const ended = terminateEarlyDialogs(set);
  return { set: makeSet(set, ended.set.dialogs, finalStatus, set.answered), outcome: { kind: 'failed', status, terminated: ended.terminated } };
}

/**
 * Ends the early dialogs still waiting when the INVITE is over without a 2xx for them: the UA
 * core calls it when the INVITE client transaction ends (13.2.2.4: 64*T1 after the first 2xx,
 * or Timer B/C), since forks that never answered are then gone.
 */
export function terminateEarlyDialogs(set: InviteDialogSet): { set: InviteDialogSet; terminated: DialogRecord[] } {
  const terminated: DialogRecord[] = [];
  const dialogs = set.dialogs.map((d) => {
    if (d.state !== 'early') return d;
    const t = terminateDialog(d);
    terminated.push(t);
    return t;
  });
  return { set: makeSet(set, dialogs, set.finalStatus, set.answered), terminated };
}
