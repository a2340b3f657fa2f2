import { latin1Slice } from './bytes.js';
import { SipParseError } from './errors.js';
import type { HeaderField } from './header-field.js';
import { canonicalName, commonNameAt, isValidHeaderName, singleBit } from './header-names.js';
import { parseContentLength } from './header-values.js';
import { DEFAULT_LIMITS, isCompleteLimits, type ParseLimits } from './limits.js';
import { EMPTY_BODY } from './message.js';
import { methodAt } from './methods.js';
import { REASON_PHRASES } from './response.js';
import { SipRequest } from './sip-request.js';
import { SipResponse } from './sip-response.js';

/**
 * How much of a message to parse before returning it:
 * - 'framing': start line, header lines and Content-Length only;
 * - 'routing' (default): also the Request-URI, Via, From, To, Call-ID, CSeq, Max-Forwards and
 *   Contact, and the checks RFC 3261 makes of them, so a malformed one is refused at once;
 *   other headers are parsed when first read;
 * - 'deferred': as 'routing', but the Request-URI and Contact wait until they are first read, or
 *   until completeParse() (SipMessage), which throws what 'routing' would have: for a transport
 *   whose user finds a message's call first and needs neither of them for most (an ACK, a BYE,
 *   a provisional of a call it holds), and completes the parse of the rest;
 * - 'all': every header the grammar knows.
 */
export type ParseMode = 'framing' | 'routing' | 'deferred' | 'all';

export interface ParseOptions {
  mode?: ParseMode;
  /**
   * 'datagram' (default): extra bytes after Content-Length are ignored and a missing
   * Content-Length means the rest of the datagram (RFC 3261 18.3). 'stream': the bytes given
   * must be exactly one message with its Content-Length.
   */
  transport?: 'datagram' | 'stream';
  limits?: Partial<ParseLimits>;
}

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const FOLD = /\r?\n/g;
const SMALL_MESSAGE = 4096;

/**
 * Where each field's value starts in the header text, -1 for a folded one (its value is no
 * range of the text), for the routing parse that follows at once: it reads the values in place,
 * as a flat string scans faster than the slice each value is. Grown, never shrunk; what it holds
 * is good only for the message just framed.
 */
let valueStarts: Int32Array = new Int32Array(64);

/**
 * Parses one SIP message from bytes, or from the same bytes as latin1 text (a code unit per
 * byte: a datagram read straight from a receive buffer that is reused, native-recv.ts). Text is
 * parsed in place, and its body and wire bytes become Buffers only when read. Throws
 * SipParseError, and nothing else, for any input that is not a message this parser accepts; the
 * error's `status` and `reason` are what a UAS would answer with.
 */
export function parseMessage(bytes: Uint8Array | string, options?: ParseOptions): SipRequest | SipResponse {
  const given = options?.limits;
  // A transport's limits come whole (completeLimits): filling them in per message cost a clone.
  const limits = given === undefined ? DEFAULT_LIMITS : isCompleteLimits(given) ? given : { ...DEFAULT_LIMITS, ...given };
  const mode = options?.mode ?? 'routing';
  const stream = options?.transport === 'stream';
  const text = typeof bytes === 'string' ? bytes : null;
  const buf = typeof bytes === 'string' ? EMPTY_BODY : Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = text !== null ? text.length : buf.length;
  if (len > limits.maxMessageBytes) {
    throw new SipParseError(`Message larger than ${limits.maxMessageBytes} bytes`, { status: 413 });
  }

  // RFC 3261 7.5: CRLFs before the start line are ignored.
  let start = 0;
  if (text !== null) {
    while (start < len && (text.charCodeAt(start) === CR || text.charCodeAt(start) === LF)) start++;
  } else {
    while (start < len && (buf[start] === CR || buf[start] === LF)) start++;
  }
  if (start === len) throw new SipParseError('Empty message');

  // The header section ends at the first empty line; a CRLF message is found natively, and the
  // line loop below also finds an earlier LF-only empty line.
  // A small message is taken whole (one copy is cheaper than a native search first); text is
  // taken whole whatever its size.
  const sep = text !== null || len - start <= SMALL_MESSAGE ? -1 : buf.indexOf(CRLFCRLF, start);
  const head = text !== null ? (start === 0 ? text : text.slice(start)) : latin1Slice(buf, start, sep < 0 ? len : sep + 4);

  // ---- start line ----
  const firstNl = head.indexOf('\n');
  if (firstNl < 0) throw new SipParseError('Header section not terminated');
  const firstEnd = firstNl > 0 && head.charCodeAt(firstNl - 1) === CR ? firstNl - 1 : firstNl;
  if (firstEnd > limits.maxLineBytes) throw new SipParseError('Start line too long');

  // ---- header fields ----
  const fields: HeaderField[] = [];
  let seenSingle = 0; // singleBit()s of the single-valued headers met so far
  let contentLengthValue: string | undefined;
  let pos = firstNl + 1;
  let bodyAt = -1;
  const headLen = head.length;
  while (pos < headLen) {
    let nl = head.indexOf('\n', pos);
    if (nl < 0) break;
    let lineEnd = nl > pos && head.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
    if (lineEnd === pos) {
      bodyAt = nl + 1;
      break;
    }
    const c0 = head.charCodeAt(pos);
    if (c0 === SP || c0 === HT) throw new SipParseError('Header line starts with white space');
    // Folding (RFC 3261 7.3.1): a line that starts with SP or HTAB continues the one before.
    let folded = false;
    for (;;) {
      const next = head.charCodeAt(nl + 1);
      if (next !== SP && next !== HT) break;
      const more = head.indexOf('\n', nl + 1);
      if (more < 0) break;
      folded = true;
      nl = more;
      lineEnd = head.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
    }
    if (lineEnd - pos > limits.maxLineBytes) throw new SipParseError('Header line too long');
    // A common name followed at once by its ':' (nearly every line) needs no search for the
    // colon; for it the general path below would find that colon and that name.
    const common = commonNameAt(head, pos, c0);
    let colon: number;
    let name: string;
    let key: string;
    let bit: number;
    if (common !== null) {
      colon = pos + common.written.length;
      name = common.written;
      key = common.key;
      bit = common.bit;
    } else {
      colon = head.indexOf(':', pos);
      if (colon < 0 || colon >= lineEnd) throw new SipParseError('Header line without a colon');
      let nameEnd = colon;
      while (nameEnd > pos && isWs(head.charCodeAt(nameEnd - 1))) nameEnd--;
      name = head.slice(pos, nameEnd);
      if (!isValidHeaderName(name)) throw new SipParseError('Invalid header name');
      key = canonicalName(name);
      bit = singleBit(key);
    }
    let vs = colon + 1;
    while (vs < lineEnd && isLws(head.charCodeAt(vs))) vs++;
    let ve = lineEnd;
    while (ve > vs && isLws(head.charCodeAt(ve - 1))) ve--;
    let value = head.slice(vs, ve);
    if (folded) value = value.replace(FOLD, '');
    if (bit !== 0) {
      if ((seenSingle & bit) !== 0) throw new SipParseError(`More than one ${name} header`, { header: key });
      seenSingle |= bit;
      if (key === 'content-length') contentLengthValue = value;
    }
    const n = fields.length;
    if (n === valueStarts.length) valueStarts = grown(valueStarts);
    valueStarts[n] = folded ? -1 : vs;
    fields.push({ key, name, value, start: pos, end: lineEnd });
    if (fields.length > limits.maxHeaders) throw new SipParseError(`More than ${limits.maxHeaders} headers`);
    pos = nl + 1;
  }
  if (bodyAt < 0) throw new SipParseError('Header section not terminated');

  // ---- body, framed by Content-Length only (never by scanning its bytes) ----
  const bodyStart = start + bodyAt;
  let bodyEnd: number;
  if (contentLengthValue === undefined) {
    if (stream) throw new SipParseError('Missing Content-Length on a stream transport', { header: 'content-length' });
    bodyEnd = len; // RFC 3261 18.3: the rest of the datagram
  } else {
    const cl = parseContentLength(contentLengthValue);
    bodyEnd = bodyStart + cl;
    if (bodyEnd > len) throw new SipParseError('Content-Length larger than the message', { header: 'content-length' });
    if (stream && bodyEnd !== len) throw new SipParseError('Bytes after the message body', { header: 'content-length' });
  }
  // No new view where none is needed: an empty body is the shared one, and a datagram that is
  // exactly one message is its own wire bytes. Text has neither until they are read.
  const body = bodyEnd === bodyStart || text !== null ? EMPTY_BODY : buf.subarray(bodyStart, bodyEnd);
  const wire = text !== null ? null : start === 0 && bodyEnd === len ? buf : buf.subarray(start, bodyEnd);
  // The message keeps the whole text its field offsets point into (a slice of it would keep it
  // all the same); the body's bytes in it are never read.

  // The start line is read in place in `head`, [0, firstEnd).
  const message = head.startsWith('SIP/')
    ? parseStatusLine(head, firstEnd, fields, body, head, wire)
    : parseRequestLine(head, firstEnd, fields, body, head, wire);
  if (text !== null) message.fromText(bodyStart - start, bodyEnd - start, bodyEnd - start);

  if (mode !== 'framing') {
    if (mode === 'all') message.parseAllHeaders(valueStarts);
    else message.parseRoutingHeaders(valueStarts, mode === 'deferred');
    checkMandatory(message);
  }
  return message;
}

function grown(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function isWs(c: number): boolean {
  return c === SP || c === HT;
}

/** White space within a (possibly folded) value. */
function isLws(c: number): boolean {
  return c === SP || c === HT || c === CR || c === LF;
}

/** The request line, text[0, lineEnd). */
function parseRequestLine(
  text: string,
  lineEnd: number,
  fields: HeaderField[],
  body: Buffer,
  head: string,
  wire: Buffer | null,
): SipRequest {
  // Method SP Request-URI SP SIP-Version, single spaces (RFC 3261 7.1; RFC 4475 3.1.2.9/10).
  let sp1 = text.indexOf(' ');
  if (sp1 >= lineEnd) sp1 = -1;
  // The last SP, found from the line's end: the version is a few chars, and lastIndexOf would
  // be a call into the runtime.
  let sp2 = lineEnd - 1;
  while (sp2 >= 0 && text.charCodeAt(sp2) !== SP) sp2--;
  if (sp1 <= 0 || sp2 === sp1) throw new SipParseError('Malformed request line');
  const method = methodAt(text, 0, sp1);
  if (!isToken(method)) throw new SipParseError('Invalid method');
  const uri = text.slice(sp1 + 1, sp2);
  if (uri.length === 0 || uri.indexOf(' ') >= 0 || uri.indexOf('\t') >= 0) {
    throw new SipParseError('Malformed request line');
  }
  const version = versionAt(text, sp2 + 1, lineEnd);
  return new SipRequest(method, uri, fields, body, version, head, wire);
}

/** The status line, text[0, lineEnd). */
function parseStatusLine(
  text: string,
  lineEnd: number,
  fields: HeaderField[],
  body: Buffer,
  head: string,
  wire: Buffer | null,
): SipResponse {
  // SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 7.2); the reason may be empty.
  const sp1 = text.indexOf(' ');
  if (sp1 < 0 || sp1 >= lineEnd) throw new SipParseError('Malformed status line');
  const version = versionAt(text, 0, sp1);
  let i = sp1 + 1;
  let status = 0;
  const digitsStart = i;
  while (i < lineEnd) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    if (i - digitsStart >= 3) throw new SipParseError('Malformed status code');
    status = status * 10 + (c - 48);
    i++;
  }
  if (i - digitsStart !== 3 || status < 100 || status > 699) throw new SipParseError('Malformed status code');
  let reason = '';
  if (i < lineEnd) {
    if (text.charCodeAt(i) !== SP) throw new SipParseError('Malformed status line');
    // The usual phrase of the status is the shared constant (it holds no control character).
    const usual = REASON_PHRASES[status];
    // endsWith at lineEnd (the phrase is as long): a cheaper builtin than startsWith.
    if (usual !== undefined && lineEnd - i - 1 === usual.length && text.endsWith(usual, lineEnd)) reason = usual;
    else {
      reason = text.slice(i + 1, lineEnd);
      for (let k = 0; k < reason.length; k++) {
        const c = reason.charCodeAt(k);
        if (c < 32 ? c !== HT : c === 127) throw new SipParseError('Control character in reason phrase');
      }
    }
  }
  return new SipResponse(status, reason, fields, body, version, head, wire);
}

const SIP_2_0 = 'SIP/2.0';

/** The SIP-Version at text[start, end), checked: the constant for SIP/2.0 (nearly always), else as written. */
function versionAt(text: string, start: number, end: number): string {
  if (end - start === 7 && text.endsWith(SIP_2_0, end)) return SIP_2_0;
  const version = text.slice(start, end);
  checkVersion(version);
  return version;
}

function checkVersion(version: string): void {
  if (version === SIP_2_0) return;
  // SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; a well-formed other version is 505.
  if (version.length > 4 && version.slice(0, 4).toUpperCase() === 'SIP/') {
    const v = version.slice(4);
    const dot = v.indexOf('.');
    if (dot > 0 && dot < v.length - 1 && allDigits(v, 0, dot) && allDigits(v, dot + 1, v.length)) {
      if (v === '2.0') return;
      throw new SipParseError('Version Not Supported', { status: 505 });
    }
  }
  throw new SipParseError('Malformed SIP version');
}

function allDigits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const TOKEN = new Uint8Array(256);
for (const c of "-.!%*_+`'~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TOKEN[c] = 1;
for (let c = 65; c <= 90; c++) TOKEN[c] = 1;
for (let c = 97; c <= 122; c++) TOKEN[c] = 1;

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (TOKEN[s.charCodeAt(i)] !== 1) return false;
  return true;
}

/** RFC 3261 8.1.1 and 8.2.2: what every request and response must carry. */
function checkMandatory(m: SipRequest | SipResponse): void {
  if (m.via.length === 0) throw new SipParseError('Missing Via header', { header: 'via' });
  // from, to, call-id and cseq were read by parseRoutingHeaders and throw when absent.
  if (m.kind === 'request' && m.cseq.method !== m.method) {
    throw new SipParseError('CSeq method does not match the request method', { header: 'cseq' });
  }
}
