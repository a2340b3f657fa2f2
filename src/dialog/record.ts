/**
 * The dialog state of RFC 3261 12 as plain data: strings, numbers, booleans and arrays only, so a
 * record goes through JSON (the Redis store) and back unchanged, and every update returns a new
 * record (the pure-layer rule of DESIGN.md, "State as data").
 */
import { ownString } from '../sip/index.js';

export type DialogRole = 'uac' | 'uas';

/** RFC 3261 12: early (after a 1xx with a To tag), confirmed (after a 2xx), terminated. */
export type DialogState = 'early' | 'confirmed' | 'terminated';

export interface DialogRecord {
  /** Which side of the dialog-creating request we were. */
  readonly role: DialogRole;
  readonly state: DialogState;
  /** Dialog ID part 1 (RFC 3261 12): compared case-sensitively. */
  readonly callId: string;
  /** Our tag: the From tag of our requests (UAC), the To tag we put in our response (UAS). */
  readonly localTag: string;
  /** The peer's tag; null for an RFC 2543 peer that sent none (RFC 3261 12.1.1, 12.1.2). */
  readonly remoteTag: string | null;
  /**
   * Our From value for requests in the dialog (12.2.1.1), tag included, exactly as it goes on the
   * wire (the INVITE's From for a UAC, the response's To for a UAS).
   */
  readonly localUri: string;
  /** The peer's name-addr, tag included: the To value of our requests in the dialog. */
  readonly remoteUri: string;
  /** Our Contact URI (what the peer uses as its remote target). */
  readonly localTarget: string;
  /** The peer's Contact URI: the Request-URI (or last Route) of our requests (12.2.1.1). */
  readonly remoteTarget: string;
  /**
   * Route values in the order they go into Route header fields (name-addr text, e.g.
   * `<sip:p1.example.com;lr>`); empty for no route set.
   */
  readonly routeSet: readonly string[];
  /** CSeq of the last request we sent in the dialog; 0 means "empty" (a UAS that sent none yet). */
  readonly localSeq: number;
  /** CSeq of the last request the peer sent in the dialog; null while empty (12.2.2). */
  readonly remoteSeq: number | null;
  /** RFC 3261 12.1.1 / 12.1.2: the creating request was sent over TLS with a sips Request-URI. */
  readonly secure: boolean;
  /** CSeq number of the request that created the dialog (the INVITE that a 2xx ACK repeats). */
  readonly inviteSeq: number;
  /** Method of the dialog-creating request: INVITE, or SUBSCRIBE / REFER for RFC 6665 dialogs. */
  readonly method: string;
}

/**
 * A new record, frozen with its route set: records are values (every update makes a new one), and
 * a frozen one is shared as it is by whatever keeps it (the store's copy, a session's own copy)
 * instead of being copied again.
 */
export function frozenDialog(record: DialogRecord): DialogRecord {
  if (!Object.isFrozen(record.routeSet)) Object.freeze(record.routeSet);
  return Object.freeze(record);
}

/** What an update changes in a record: each field given replaces the record's (null is a value). */
export type DialogChange = { readonly [K in keyof DialogRecord]?: DialogRecord[K] };

/**
 * A new record: `d` with `change` applied, frozen. Written out field by field, as ownDialog is,
 * rather than spread: records are frozen, and V8 copies a frozen object's spread property by
 * property on its slow path (350 ns a record here, against 30-60 ns for this); every record
 * then also has the one shape.
 */
export function dialogWith(d: DialogRecord, change: DialogChange): DialogRecord {
  return frozenDialog({
    role: change.role ?? d.role,
    state: change.state ?? d.state,
    callId: change.callId ?? d.callId,
    localTag: change.localTag ?? d.localTag,
    remoteTag: change.remoteTag !== undefined ? change.remoteTag : d.remoteTag,
    localUri: change.localUri ?? d.localUri,
    remoteUri: change.remoteUri ?? d.remoteUri,
    localTarget: change.localTarget ?? d.localTarget,
    remoteTarget: change.remoteTarget ?? d.remoteTarget,
    routeSet: change.routeSet ?? d.routeSet,
    localSeq: change.localSeq ?? d.localSeq,
    remoteSeq: change.remoteSeq !== undefined ? change.remoteSeq : d.remoteSeq,
    secure: change.secure ?? d.secure,
    inviteSeq: change.inviteSeq ?? d.inviteSeq,
    method: change.method ?? d.method,
  });
}

/**
 * The record with strings of its own (see sip's ownString): its values are cut from the messages
 * that made the dialog, and a slice keeps its whole message text alive. What ownCopy does, field
 * by field: a dialog has one shape, so there is no walk over its keys. The Call-ID, tags and
 * local target equal to one of `held` are that string (see heldOrOwn).
 */
export function ownDialog(d: DialogRecord, held?: readonly string[]): DialogRecord {
  return frozenDialog({
    role: d.role,
    state: d.state,
    callId: heldOrOwn(d.callId, held),
    localTag: heldOrOwn(d.localTag, held),
    remoteTag: d.remoteTag === null ? null : heldOrOwn(d.remoteTag, held),
    localUri: ownString(d.localUri),
    remoteUri: ownString(d.remoteUri),
    localTarget: heldOrOwn(d.localTarget, held),
    remoteTarget: ownString(d.remoteTarget),
    routeSet: d.routeSet.length === 0 ? NO_ROUTES : d.routeSet.map(ownString),
    localSeq: d.localSeq,
    remoteSeq: d.remoteSeq,
    secure: d.secure,
    inviteSeq: d.inviteSeq,
    method: ownString(d.method),
  });
}

const NO_ROUTES: readonly string[] = Object.freeze([]);

/**
 * The string of `held` equal to `s`, else `s` as a string of its own. ownDialog's `held` are
 * strings its caller keeps of its own already (the call's Call-ID, tags, our Contact): a dialog
 * kept beside them shares them instead of holding second copies for as long as the call.
 */
function heldOrOwn(s: string, held: readonly string[] | undefined): string {
  if (held !== undefined) for (let i = 0; i < held.length; i++) if (held[i] === s) return held[i]!;
  return ownString(s);
}

/** The dialog ID of RFC 3261 12: Call-ID, local tag, remote tag. */
export interface DialogId {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string | null;
}

export function dialogId(record: DialogRecord): DialogId {
  return { callId: record.callId, localTag: record.localTag, remoteTag: record.remoteTag };
}

/**
 * A table key for a dialog ID. '|' occurs in neither a Call-ID (RFC 3261 25.1 `word`) nor a tag
 * (`token`), so the key is unambiguous; a null remote tag is written as nothing (a tag is never
 * empty: `token` is 1*).
 */
export function dialogKey(callId: string, localTag: string, remoteTag: string | null): string {
  return `${callId}|${localTag}|${remoteTag ?? ''}`;
}

/** dialogKey() of a record. */
export function keyOf(record: DialogRecord): string {
  return dialogKey(record.callId, record.localTag, record.remoteTag);
}
