/** SipMessage, the base of SipRequest and SipResponse: header access, mutation, cached routing-header views. */
import { ownLatin1, ownString } from './bytes.js';
import { SipParseError } from './errors.js';
import { utf8 } from './utf8.js';
import { nameAddrOf, tagOf, tagOfValue } from './from-to.js';
import { insertAfterLast, insertBeforeFirst, removeFields, replaceFields } from './field-list.js';
import { made, type HeaderField } from './header-field.js';
import { callIdAt, contactAt, nameAddrAt, tagAt, viaAt } from './in-place.js';
import { canonicalName, displayName } from './header-names.js';
import { parseContactFields } from './contact.js';
import { HEADER_VALUE_PARSERS, parseCallId, parseContentType, parseCSeq, parseMaxForwards } from './header-values.js';
import { fit } from './fit.js';
import type { ContentType, CSeq, NameAddr, Via } from './types.js';
import { parseVia, serializeVia } from './via.js';

/** The body of a request or response made without one (one shared instance). */
export const EMPTY_BODY = Buffer.alloc(0);
const NOT_PARSED = undefined;

/**
 * What RFC 3261 section 7 requests and responses share. Header values are byte strings (see
 * types.ts). Structured views (via, from, cseq, ...) are parsed on first use and cached; any
 * change through the API drops the cache of that header and marks the message changed, so the
 * serializer regenerates it instead of returning the received bytes.
 */
export abstract class SipMessage {
  abstract readonly kind: 'request' | 'response';
  /** The fields in wire order. Treat as read-only: change them through the methods below. */
  readonly headers: HeaderField[];
  /** Exactly the bytes this message was parsed from, while nothing has changed. */
  protected wire: Buffer | null;
  /** The text (latin1) that field offsets point into: the header section (of a small message, the body after it too). */
  protected head: string;
  /** Null: the body is head[bodyAt, bodyEnd), made a Buffer when first read (see fromText). */
  private _body: Buffer | null;
  private bodyAt = 0;
  private bodyEnd = 0;
  /** At least 0: the wire bytes are head[0, wireEnd), made a Buffer when first read; -1: none, or in `wire`. */
  private wireEnd = -1;
  private _via: Via[] | undefined = NOT_PARSED;
  private _from: NameAddr | undefined = NOT_PARSED;
  private _to: NameAddr | undefined = NOT_PARSED;
  private _fromTag: string | null | undefined = NOT_PARSED;
  private _toTag: string | null | undefined = NOT_PARSED;
  private _callId: string | undefined = NOT_PARSED;
  private _cseq: CSeq | undefined = NOT_PARSED;
  private _maxForwards: number | null | undefined = NOT_PARSED;
  /** Parsed in the 'deferred' mode, and completeParse() not yet called. */
  protected deferred = false;
  private _contact: '*' | NameAddr[] | undefined = NOT_PARSED;
  private _contentType: ContentType | null | undefined = NOT_PARSED;
  private _other: Map<string, unknown> | null = null;

  protected constructor(headers: HeaderField[], body: Buffer, head: string, wire: Buffer | null) {
    this.headers = headers;
    this._body = body;
    this.head = head;
    this.wire = wire;
  }

  /**
   * @internal For the parser, of a message parsed from text (a datagram read as latin1 text
   * straight from the receive buffer, which is reused): the body is head[bodyAt, bodyEnd) and
   * the wire bytes head[0, end), each a Buffer only once read. Most messages a call handles are
   * never asked for either, and then no Buffer is made for them at all.
   */
  fromText(bodyAt: number, bodyEnd: number, end: number): void {
    if (bodyEnd > bodyAt) {
      this._body = null;
      this.bodyAt = bodyAt;
      this.bodyEnd = bodyEnd;
    }
    this.wireEnd = end;
  }

  /** True while the message is exactly what was received (serializes to the same bytes). */
  get unchanged(): boolean {
    return this.wire !== null || this.wireEnd >= 0;
  }

  /** The received bytes, or null once anything changed. */
  get wireBytes(): Buffer | null {
    if (this.wireEnd >= 0) {
      this.wire = ownLatin1(this.head, 0, this.wireEnd);
      this.wireEnd = -1;
    }
    return this.wire;
  }

  /** Original text of a field (name, colon, value, folds) if it came from the wire. */
  rawField(field: HeaderField): string | null {
    return field.start < 0 ? null : this.head.slice(field.start, field.end);
  }

  get body(): Buffer {
    return (this._body ??= ownLatin1(this.head, this.bodyAt, this.bodyEnd));
  }

  /** Replaces the body; Content-Length follows it. */
  set body(body: Buffer) {
    this._body = body;
    this.setHeader('content-length', String(body.length));
  }

  /** The body's length in bytes, without making a Buffer of a body still in the text. */
  get bodyLength(): number {
    return this._body === null ? this.bodyEnd - this.bodyAt : this._body.length;
  }

  /**
   * The body as UTF-8 text (an SDP), as body.toString('utf8') reads it, a string of its own (a
   * call may keep it). A body still in the text is read there (utf8.ts: an all-ASCII one, nearly
   * every SDP, with no decoding), with no Buffer made for it.
   */
  bodyUtf8(): string {
    if (this._body === null) return ownString(utf8(this.head.slice(this.bodyAt, this.bodyEnd)));
    return this._body.toString('utf8');
  }

  // ---- raw access ------------------------------------------------------------------------

  /** First value of a header (any name form: 'Call-ID', 'i', 'call-id'), or undefined. */
  header(name: string): string | undefined {
    const key = canonicalName(name);
    for (const f of this.headers) if (f.key === key) return f.value;
    return undefined;
  }

  /** Every field value of a header, in order (a comma-separated field is one value here). */
  headerValues(name: string): string[] {
    const key = canonicalName(name);
    const out: string[] = [];
    for (const f of this.headers) if (f.key === key) out.push(f.value);
    return out;
  }

  has(name: string): boolean {
    return this.header(name) !== undefined;
  }

  /**
   * The parsed value of any header the grammar knows (see HEADER_VALUE_PARSERS), cached; all
   * fields of a list header are joined first. Undefined when the header is absent or has no
   * parser. Throws SipParseError for a malformed value.
   */
  parsed<T = unknown>(name: string): T | undefined {
    const key = canonicalName(name);
    if (this._other?.has(key)) return this._other.get(key) as T;
    const parse = HEADER_VALUE_PARSERS.get(key);
    if (parse === undefined) return undefined;
    const values = this.headerValues(key);
    if (values.length === 0) return undefined;
    const value = parse(values.length === 1 ? values[0]! : values.join(', ')) as T;
    (this._other ??= new Map()).set(key, value);
    return value;
  }

  // ---- mutation ----------------------------------------------------------------------------

  /** Replaces every field of `name` with one field (at the first one's place, else at the end). */
  setHeader(name: string, value: string): void {
    const key = canonicalName(name);
    replaceFields(this.headers, key, made(key, value));
    this.changed(key);
  }

  /** Adds a field after the last field of the same name, else at the end. */
  appendHeader(name: string, value: string): void {
    const key = canonicalName(name);
    insertAfterLast(this.headers, key, made(key, value));
    this.changed(key);
  }

  /**
   * Appends a Via field the caller built, with its parse when it has one (sentVia): the first
   * Via of a request we send, which is then not parsed back from its text.
   */
  appendVia(text: string, via: Via | null): void {
    this.appendHeader('via', text);
    if (via === null) return;
    let n = 0;
    for (const f of this.headers) if (f.key === 'via') n++;
    if (n === 1) this._via = [via];
  }

  /** Adds a field before the first field of the same name (a new top Via), else at the start. */
  prependHeader(name: string, value: string): void {
    const key = canonicalName(name);
    insertBeforeFirst(this.headers, key, made(key, value));
    this.changed(key);
  }

  /** Removes every field of `name`; returns how many went. */
  removeHeader(name: string): number {
    const key = canonicalName(name);
    const n = removeFields(this.headers, key);
    if (n > 0) this.changed(key);
    return n;
  }

  /**
   * Removes the first value of a list header (the top Via of a response a proxy forwards):
   * the first value of the first field, keeping the field's other comma-separated values.
   */
  removeFirstValue(name: string): boolean {
    const key = canonicalName(name);
    const i = this.headers.findIndex((f) => f.key === key);
    if (i < 0) return false;
    if (key === 'via') {
      const vias = parseVia(this.headers[i]!.value);
      if (vias.length > 1) this.headers[i] = made(key, vias.slice(1).map(serializeVia).join(', '));
      else this.headers.splice(i, 1);
    } else this.headers.splice(i, 1);
    this.changed(key);
    return true;
  }

  /**
   * Replaces the top Via value (a server stamping received/rport, RFC 3261 18.2.1 and RFC 3581),
   * leaving the other values of its field as they were.
   */
  setTopVia(via: Via): void {
    const i = this.headers.findIndex((f) => f.key === 'via');
    if (i < 0) {
      this.headers.unshift(made('via', serializeVia(via)));
    } else {
      const field = this.headers[i]!;
      const vias = parseVia(field.value);
      vias[0] = via;
      this.headers[i] = { key: 'via', name: field.name, value: vias.map(serializeVia).join(', '), start: -1, end: -1 };
    }
    this.changed('via');
  }

  /** Drops cached views of a header and forgets the received bytes. */
  protected changed(key: string): void {
    this.wire = null;
    this.wireEnd = -1;
    switch (key) {
      case 'via':
        this._via = NOT_PARSED;
        break;
      case 'from':
        this._from = NOT_PARSED;
        this._fromTag = NOT_PARSED;
        break;
      case 'to':
        this._to = NOT_PARSED;
        this._toTag = NOT_PARSED;
        break;
      case 'call-id':
        this._callId = NOT_PARSED;
        break;
      case 'cseq':
        this._cseq = NOT_PARSED;
        break;
      case 'max-forwards':
        this._maxForwards = NOT_PARSED;
        break;
      case 'contact':
        this._contact = NOT_PARSED;
        break;
      case 'content-type':
        this._contentType = NOT_PARSED;
        break;
      default:
        break;
    }
    this._other?.delete(key);
  }

  /** Marks the start line changed (subclasses call it from their setters). */
  protected startLineChanged(): void {
    this.wire = null;
    this.wireEnd = -1;
  }

  // ---- structured views of the headers routing needs ----------------------------------------

  /** Every Via value in order, across fields. */
  get via(): Via[] {
    if (this._via === NOT_PARSED) {
      const out: Via[] = [];
      for (const f of this.headers) {
        if (f.key !== 'via') continue;
        const vias = parseVia(f.value);
        for (let i = 0; i < vias.length; i++) out.push(vias[i]!);
      }
      this._via = fit(out);
    }
    return this._via;
  }

  /**
   * @internal createResponse: a response's Via fields are copies of the request's, so their
   * parse is too (spares parsing them again to address every response, RFC 3261 18.2.2).
   */
  adoptVia(request: SipMessage): void {
    if (request._via !== NOT_PARSED) this._via = request._via.slice();
  }

  get topVia(): Via | undefined {
    return this.via[0];
  }

  get from(): NameAddr {
    return (this._from ??= nameAddrOf(this.required('from'), 'from'));
  }

  get to(): NameAddr {
    return (this._to ??= nameAddrOf(this.required('to'), 'to'));
  }

  get callId(): string {
    return (this._callId ??= parseCallId(this.required('call-id')));
  }

  get cseq(): CSeq {
    return (this._cseq ??= parseCSeq(this.required('cseq')));
  }

  /** Max-Forwards, or null when absent (RFC 2543 peers send none). */
  get maxForwards(): number | null {
    let mf = this._maxForwards;
    if (mf === undefined) {
      const v = this.header('max-forwards');
      mf = v === undefined ? null : parseMaxForwards(v);
      this._maxForwards = mf;
    }
    return mf;
  }

  /** Contact values across fields; '*' only for a REGISTER that removes every binding. */
  get contact(): '*' | NameAddr[] {
    if (this._contact === NOT_PARSED) this._contact = parseContactFields(this.headerValues('contact'));
    return this._contact;
  }

  get contentType(): ContentType | null {
    let ct = this._contentType;
    if (ct === undefined) {
      const v = this.header('content-type');
      ct = v === undefined ? null : parseContentType(v);
      this._contentType = ct;
    }
    return ct;
  }

  /** The To tag, or null outside a dialog (read without parsing the To URI: see tagOfValue). */
  get toTag(): string | null {
    let t = this._toTag;
    if (t === NOT_PARSED) {
      t = this._to !== NOT_PARSED ? tagOf(this._to) : tagOfValue(this.required('to'), 'to');
      this._toTag = t;
    }
    return t;
  }

  get fromTag(): string | null {
    let t = this._fromTag;
    if (t === NOT_PARSED) {
      t = this._from !== NOT_PARSED ? tagOf(this._from) : tagOfValue(this.required('from'), 'from');
      this._fromTag = t;
    }
    return t;
  }

  private required(key: string): string {
    const v = this.header(key);
    if (v === undefined) throw new SipParseError(`Missing ${displayName(key)} header`, { header: key });
    return v;
  }

  /**
   * Parses what routing needs now, so a malformed one is refused at the edge. From and To are
   * parsed whole in a request outside a dialog (no To tag: the caller's identity, a
   * registration's address of record); of a response or an in-dialog request only their tags
   * and header parameters are read here (matching needs nothing else), and their URIs are parsed
   * when first read.
   *
   * @param valueStarts internal: parseMessage's, right after framing, where each field's value
   *   starts in the header text (-1: read the value string), so values are read in place.
   * @param defer the 'deferred' parse mode: Contact (and a request's Request-URI) wait for their
   *   first read or completeParse().
   */
  parseRoutingHeaders(valueStarts?: Int32Array, defer = false): void {
    // One pass over the fields (the hot path of every received message); the getters below
    // then only check presence, and throw the "Missing ..." errors.
    if (this._via === NOT_PARSED) {
      // One Via field and one Contact field are the rule: their parses are kept as they come,
      // and a list is made only for a second field.
      let via: Via[] | null = null;
      let contact: string | undefined;
      let contactAtK = -1;
      let contacts: string[] | null = null;
      let mf: number | null = null;
      let from: string | undefined;
      let fromAt = -1;
      let to: string | undefined;
      let toAt = -1;
      const headers = this.headers;
      const text = this.head;
      for (let k = 0; k < headers.length; k++) {
        const f = headers[k]!;
        switch (f.key) {
          case 'via': {
            const vias = viaAt(text, valueStarts === undefined ? -1 : valueStarts[k]!, f.value);
            via = via === null ? vias : via.concat(vias);
            break;
          }
          case 'from':
            if (from === undefined) {
              from = f.value;
              fromAt = valueStarts === undefined ? -1 : valueStarts[k]!;
            }
            break;
          case 'to':
            if (to === undefined) {
              to = f.value;
              toAt = valueStarts === undefined ? -1 : valueStarts[k]!;
            }
            break;
          case 'call-id':
            this._callId ??= callIdAt(text, valueStarts === undefined ? -1 : valueStarts[k]!, f.value);
            break;
          case 'cseq':
            this._cseq ??= parseCSeq(f.value);
            break;
          case 'max-forwards':
            mf = parseMaxForwards(f.value);
            break;
          case 'contact':
            if (contact === undefined) {
              contact = f.value;
              contactAtK = valueStarts === undefined ? -1 : valueStarts[k]!;
            } else (contacts ??= [contact]).push(f.value);
            break;
          default:
            break;
        }
      }
      // A request without a To tag is outside a dialog: its From and To are parsed whole.
      if (to !== undefined && this._to === NOT_PARSED && this._toTag === NOT_PARSED) {
        const tag = tagAt(text, toAt, to, 'to');
        if (this.kind === 'request' && tag === null) this._to = nameAddrAt(text, toAt, to, 'to');
        else this._toTag = tag;
      }
      if (from !== undefined && this._from === NOT_PARSED && this._fromTag === NOT_PARSED) {
        if (this._to !== NOT_PARSED) this._from = nameAddrAt(text, fromAt, from, 'from');
        else this._fromTag = tagAt(text, fromAt, from, 'from');
      }
      this._via = via ?? [];
      if (this._maxForwards === NOT_PARSED) this._maxForwards = mf;
      if (this._contact === NOT_PARSED) {
        if (contact === undefined) this._contact = [];
        else if (!defer) this._contact = contacts !== null ? parseContactFields(contacts) : contactAt(text, contactAtK, contact);
      }
      // The loop saw whether From and To are there: no second search for them.
      if (from === undefined && this._from === NOT_PARSED) this.required('from');
      if (to === undefined && this._to === NOT_PARSED) this.required('to');
    } else {
      if (this._from === NOT_PARSED) this.required('from');
      if (this._to === NOT_PARSED) this.required('to');
    }
    void this.callId;
    void this.cseq;
    void this.maxForwards;
    if (defer) this.deferred = true;
    else void this.contact;
  }

  /**
   * What the 'deferred' parse mode left (Contact; a request's Request-URI too) parsed now: a
   * malformed one throws the SipParseError the 'routing' mode would have thrown while parsing.
   * Nothing to do for a message parsed otherwise, or completed already.
   */
  completeParse(): void {
    if (!this.deferred) return;
    this.deferred = false;
    void this.contact;
  }

  /** Parses every header the grammar knows (the 'all' parse mode); valueStarts as for parseRoutingHeaders. */
  parseAllHeaders(valueStarts?: Int32Array): void {
    this.parseRoutingHeaders(valueStarts);
    void this.from;
    void this.to;
    void this.contentType;
    const seen = new Set<string>();
    for (const f of this.headers) {
      if (seen.has(f.key)) continue;
      seen.add(f.key);
      this.parsed(f.key);
    }
  }
}
