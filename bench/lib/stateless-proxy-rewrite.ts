/**
 * The rewriting of the stateless proxy that sets the Node floor (bench/lib/stateless-proxy.ts):
 * pure functions over latin1 text, built on indexOf and linear loops (no regex that could
 * backtrack). Anything malformed, or not for us, yields null and is dropped.
 * - a request gets our Via (its branch derived from the incoming one, so retransmissions and a
 *   CANCEL get the same), a Record-Route on INVITE (ACK and BYE come back through us), its
 *   Max-Forwards decremented (added if missing; a request at 0 is dropped, which ends loops) and
 *   our own Route entry removed; an INVITE is also answered 100 Trying (as Kamailio's tm does);
 * - a response whose top Via is ours loses that Via value and goes to the next Via (received
 *   and rport honoured), whether the Vias are header lines of their own or one comma-joined line.
 */

export interface HostPort {
  host: string;
  port: number;
}

/** A response rewritten for the next hop, and where that is. */
export interface ForwardedResponse extends HostPort {
  text: string;
}

/** One header field of a message. */
interface Field {
  /** Lower case, compact forms expanded (v -> via); '' for a field the proxy does not read. */
  name: string;
  /** Its first character. */
  start: number;
  colon: number;
  /** The CRLF that ends it (after any folded continuation lines). */
  end: number;
}

interface Parsed {
  firstLineEnd: number;
  fields: Field[];
}

interface ParsedRequest extends Parsed {
  method: string;
  vias: Field[];
  /** The incoming top Via's branch, RFC 3261 magic cookie included. */
  branch: string;
  from: Field;
  to: Field;
  callId: Field;
  cseq: Field;
  maxForwards: Field | null;
  route: Field | null;
}

interface ViaValue extends HostPort {
  branch: string | null;
  received: string | null;
  rport: number | null;
}

const COOKIE = 'z9hG4bK';
const DEFAULT_PORT = 5060;
// RFC 3261 token characters: a method name. Anchored, one character class: matches in linear time.
const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 13 || c === 10;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

function skipSpace(text: string, i: number, to: number): number {
  while (i < to && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index past the digits at i (at most 10 of them). */
function digitsEnd(text: string, i: number, to: number): number {
  const last = Math.min(to, i + 10);
  while (i < last && isDigit(text.charCodeAt(i))) i++;
  return i;
}

/**
 * The name of a header field the proxy reads, lower case with compact forms expanded (v -> via),
 * '' for any other field, null for an empty name. Compared in place: most fields are not read,
 * and a slice and lower-casing per field cost about a tenth of the rewriting's CPU (measured).
 */
function fieldName(text: string, start: number, colon: number): string | null {
  let a = start;
  let b = colon;
  while (a < b && isSpace(text.charCodeAt(a))) a++;
  while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
  // Lower case by setting bit 5: it maps A-Z onto a-z and no other character onto a letter.
  const first = text.charCodeAt(a) | 0x20;
  let want: string;
  switch (b - a) {
    case 0:
      return null;
    case 1:
      return first === 118 ? 'via' : first === 102 ? 'from' : first === 116 ? 'to' : first === 105 ? 'call-id' : '';
    case 2:
      want = 'to';
      break;
    case 3:
      want = 'via';
      break;
    case 4:
      want = first === 102 ? 'from' : 'cseq';
      break;
    case 5:
      want = 'route';
      break;
    case 7:
      want = 'call-id';
      break;
    case 12:
      want = 'max-forwards';
      break;
    default:
      return '';
  }
  for (let i = 0; i < want.length; i++) if ((text.charCodeAt(a + i) | 0x20) !== want.charCodeAt(i)) return '';
  return want;
}

/** The first line's end and the header fields; null without a CRLF CRLF or with a line that is no field. */
function scan(text: string): Parsed | null {
  const firstLineEnd = text.indexOf('\r\n');
  if (firstLineEnd <= 0) return null;
  const headEnd = text.indexOf('\r\n\r\n', firstLineEnd);
  if (headEnd === -1) return null;
  const fields: Field[] = [];
  let pos = firstLineEnd + 2;
  // Each turn moves pos past one field's CRLF, which lies at or before headEnd: the loop ends.
  while (pos < headEnd + 2) {
    let end = text.indexOf('\r\n', pos);
    // A line starting with SP or HT continues the field (obsolete folding, still legal).
    while (end < headEnd && (text.charCodeAt(end + 2) === 32 || text.charCodeAt(end + 2) === 9)) end = text.indexOf('\r\n', end + 2);
    const colon = text.indexOf(':', pos);
    if (colon === -1 || colon > end) return null;
    const name = fieldName(text, pos, colon);
    if (name === null) return null;
    fields.push({ name, start: pos, colon, end });
    pos = end + 2;
  }
  return { firstLineEnd, fields };
}

/** End of the field value starting at `from`: the first comma outside quotes and <>, or `to`. */
function valueEnd(text: string, from: number, to: number): number {
  let quoted = false;
  let angle = false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (quoted) {
      if (c === 92) i++; // backslash: the next character is escaped
      else if (c === 34) quoted = false;
    } else if (c === 34) quoted = true;
    else if (c === 60) angle = true;
    else if (c === 62) angle = false;
    else if (c === 44 && !angle) return i;
  }
  return to;
}

// Characters that end a host: ':' ';' ',' '>' '?' (and white space).
const endsHost = (c: number): boolean => c === 58 || c === 59 || c === 44 || c === 62 || c === 63 || isSpace(c);

/** `host[:port]` at i (IPv6 in brackets, returned without them); null if empty or the port is bad. */
function hostPort(text: string, i: number, to: number): { host: string; port: number | null; next: number } | null {
  let host: string;
  if (text.charCodeAt(i) === 91) {
    const close = text.indexOf(']', i);
    if (close === -1 || close >= to) return null;
    host = text.slice(i + 1, close);
    i = close + 1;
  } else {
    let j = i;
    while (j < to && !endsHost(text.charCodeAt(j))) j++;
    host = text.slice(i, j);
    i = j;
  }
  if (host === '') return null;
  let port: number | null = null;
  const k = skipSpace(text, i, to);
  if (text.charCodeAt(k) === 58 && k < to) {
    const d = skipSpace(text, k + 1, to);
    const e = digitsEnd(text, d, to);
    port = Number(text.slice(d, e));
    if (e === d || port < 1 || port > 65_535) return null;
    i = e;
  }
  return { host, port, next: i };
}

/** One Via value in [from, to): `SIP/2.0/UDP host[:port];params`. */
function parseVia(text: string, from: number, to: number): ViaValue | null {
  let i = skipSpace(text, from, to);
  // sent-protocol: SIP / 2.0 / transport, with optional spaces around the slashes.
  const s1 = text.indexOf('/', i);
  const s2 = s1 === -1 ? -1 : text.indexOf('/', s1 + 1);
  if (s1 === -1 || s2 === -1 || s2 >= to || text.slice(i, s1).trim() !== 'SIP') return null;
  i = skipSpace(text, s2 + 1, to);
  const t = i;
  while (i < to && !isSpace(text.charCodeAt(i))) i++;
  if (i === t) return null;
  const h = skipSpace(text, i, to);
  if (h === i) return null;
  const sentBy = hostPort(text, h, to);
  if (sentBy === null) return null;
  const via: ViaValue = { host: sentBy.host, port: sentBy.port ?? DEFAULT_PORT, branch: null, received: null, rport: null };
  i = sentBy.next;
  // Parameters; each turn consumes a ';' at least.
  for (;;) {
    i = skipSpace(text, i, to);
    if (i >= to) return via;
    if (text.charCodeAt(i) !== 59) return null;
    const n = skipSpace(text, i + 1, to);
    let j = n;
    while (j < to && !isSpace(text.charCodeAt(j)) && text.charCodeAt(j) !== 61 && text.charCodeAt(j) !== 59) j++;
    const name = text.slice(n, j).toLowerCase();
    let value: string | null = null;
    i = skipSpace(text, j, to);
    if (i < to && text.charCodeAt(i) === 61) {
      const v = skipSpace(text, i + 1, to);
      let e = v;
      while (e < to && !isSpace(text.charCodeAt(e)) && text.charCodeAt(e) !== 59) e++;
      value = text.slice(v, e);
      i = e;
    }
    if (name === 'branch') via.branch = value;
    else if (name === 'received') via.received = value;
    else if (name === 'rport' && value !== null) {
      const port = Number(value);
      if (!(Number.isInteger(port) && port >= 1 && port <= 65_535) || digitsEnd(value, 0, value.length) !== value.length) return null;
      via.rport = port;
    }
  }
}

/** The text without the first value of `f`: the whole line if it has one value, else up to its comma. */
function withoutFirstValue(text: string, f: Field, comma: number): string {
  if (comma >= f.end) return text.slice(0, f.start) + text.slice(f.end + 2);
  return `${text.slice(0, f.colon + 1)} ${text.slice(skipSpace(text, comma + 1, f.end))}`;
}

/** Whether a Route value in [from, to) names us: `<sip:[user@]host[:port];lr>`. */
function routeIsOurs(text: string, from: number, to: number, self: HostPort): boolean {
  const lt = text.indexOf('<', from);
  const gt = lt === -1 ? -1 : text.indexOf('>', lt);
  if (lt === -1 || gt === -1 || gt >= to) return false;
  const colon = text.indexOf(':', lt);
  if (colon === -1 || colon > gt) return false;
  const scheme = text.slice(lt + 1, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') return false;
  const at = text.indexOf('@', colon);
  const hp = hostPort(text, at !== -1 && at < gt ? at + 1 : colon + 1, gt);
  return hp !== null && hp.host.toLowerCase() === self.host.toLowerCase() && (hp.port ?? DEFAULT_PORT) === self.port;
}

function parseRequest(text: string): ParsedRequest | null {
  const p = scan(text);
  if (p === null) return null;
  // Request-Line: Method SP Request-URI SP SIP/2.0
  const sp1 = text.indexOf(' ');
  const sp2 = sp1 === -1 ? -1 : text.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 === -1 || sp2 >= p.firstLineEnd || sp2 === sp1 + 1 || text.slice(sp2 + 1, p.firstLineEnd) !== 'SIP/2.0') return null;
  const method = text.slice(0, sp1);
  if (!TOKEN.test(method)) return null;
  const vias: Field[] = [];
  let from: Field | undefined;
  let to: Field | undefined;
  let callId: Field | undefined;
  let cseq: Field | undefined;
  let maxForwards: Field | null = null;
  let route: Field | null = null;
  for (const f of p.fields) {
    switch (f.name) {
      case 'via':
        vias.push(f);
        break;
      case 'from':
        from ??= f;
        break;
      case 'to':
        to ??= f;
        break;
      case 'call-id':
        callId ??= f;
        break;
      case 'cseq':
        cseq ??= f;
        break;
      case 'max-forwards':
        maxForwards ??= f;
        break;
      case 'route':
        route ??= f;
        break;
    }
  }
  if (vias.length === 0 || from === undefined || to === undefined || callId === undefined || cseq === undefined) return null;
  // CSeq: a number and the request's method.
  const n = skipSpace(text, cseq.colon + 1, cseq.end);
  const e = digitsEnd(text, n, cseq.end);
  const m = skipSpace(text, e, cseq.end);
  if (e === n || m === e || text.slice(m, cseq.end).trim() !== method) return null;
  const top = vias[0]!;
  const via = parseVia(text, top.colon + 1, valueEnd(text, top.colon + 1, top.end));
  // Without an RFC 3261 branch there is nothing to derive ours from: such (RFC 2543) peers are not served.
  if (via?.branch?.startsWith(COOKIE) !== true) return null;
  // Spelled out: `{ ...p, method, ... }` took V8 ~5 µs a request here (measured), more than the rest of the parse.
  return { firstLineEnd: p.firstLineEnd, fields: p.fields, method, vias, branch: via.branch, from, to, callId, cseq, maxForwards, route };
}

function forwardParsed(text: string, r: ParsedRequest, self: HostPort): string | null {
  const ours = `${self.host}:${self.port}`;
  let head = `${text.slice(0, r.firstLineEnd + 2)}Via: SIP/2.0/UDP ${ours};branch=${COOKIE}sl${r.branch.slice(COOKIE.length)}\r\n`;
  if (r.method === 'INVITE') head += `Record-Route: <sip:${ours};lr>\r\n`;
  // The edits below the first line, in the order they appear.
  const edits: Array<{ from: number; to: number; text: string }> = [];
  if (r.maxForwards === null) {
    head += 'Max-Forwards: 70\r\n';
  } else {
    const mf = r.maxForwards;
    const v = skipSpace(text, mf.colon + 1, mf.end);
    const e = digitsEnd(text, v, mf.end);
    if (e === v || skipSpace(text, e, mf.end) !== mf.end) return null;
    const hops = Number(text.slice(v, e));
    if (hops === 0) return null;
    edits.push({ from: mf.colon + 1, to: mf.end, text: ` ${hops - 1}` });
  }
  if (r.route !== null) {
    const rt = r.route;
    const comma = valueEnd(text, rt.colon + 1, rt.end);
    if (routeIsOurs(text, rt.colon + 1, comma, self)) {
      edits.push(
        comma >= rt.end
          ? { from: rt.start, to: rt.end + 2, text: '' }
          : { from: rt.colon + 1, to: skipSpace(text, comma + 1, rt.end), text: ' ' },
      );
    }
  }
  edits.sort((a, b) => a.from - b.from);
  let out = head;
  let at = r.firstLineEnd + 2;
  for (const ed of edits) {
    out += text.slice(at, ed.from) + ed.text;
    at = ed.to;
  }
  return out + text.slice(at);
}

function tryingParsed(text: string, r: ParsedRequest): string | null {
  if (r.method !== 'INVITE') return null;
  const line = (f: Field): string => text.slice(f.start, f.end + 2);
  // RFC 3261 8.2.6.2: the request's Via (all of it), From, To (no tag added to a 100), Call-ID, CSeq.
  return `SIP/2.0 100 Trying\r\n${r.vias.map(line).join('')}${line(r.from)}${line(r.to)}${line(r.callId)}${line(r.cseq)}Content-Length: 0\r\n\r\n`;
}

/** The request as forwarded by `self`, or null when it is malformed or out of hops. */
export function forwardRequest(text: string, self: HostPort): string | null {
  const r = parseRequest(text);
  return r === null ? null : forwardParsed(text, r, self);
}

/** The 100 Trying answering an INVITE, or null for another method or a malformed request. */
export function trying(text: string): string | null {
  const r = parseRequest(text);
  return r === null ? null : tryingParsed(text, r);
}

/** forwardRequest and trying on one parse: what the proxy does with a request; null drops it. */
export function proxyRequest(text: string, self: HostPort): { forward: string; trying: string | null } | null {
  const r = parseRequest(text);
  if (r === null) return null;
  const forward = forwardParsed(text, r, self);
  return forward === null ? null : { forward, trying: tryingParsed(text, r) };
}

/**
 * The response without our (top) Via value and the address of the next Via (its received and
 * rport when present); null when it is malformed, its top Via is not ours, or no Via follows.
 */
export function forwardResponse(text: string, self: HostPort): ForwardedResponse | null {
  if (!text.startsWith('SIP/2.0 ')) return null;
  const p = scan(text);
  if (p === null) return null;
  const code = Number(text.slice(8, 11));
  if (digitsEnd(text, 8, 11) !== 11 || code < 100 || code > 699 || (p.firstLineEnd !== 11 && text.charCodeAt(11) !== 32)) return null;
  let i = 0;
  while (i < p.fields.length && p.fields[i]!.name !== 'via') i++;
  const top = p.fields[i];
  if (top === undefined) return null;
  const comma = valueEnd(text, top.colon + 1, top.end);
  const ours = parseVia(text, top.colon + 1, comma);
  if (ours === null || ours.host.toLowerCase() !== self.host.toLowerCase() || ours.port !== self.port) return null;
  let next: ViaValue | null;
  if (comma < top.end) {
    const n = comma + 1;
    next = parseVia(text, n, valueEnd(text, n, top.end));
  } else {
    let j = i + 1;
    while (j < p.fields.length && p.fields[j]!.name !== 'via') j++;
    const f = p.fields[j];
    next = f === undefined ? null : parseVia(text, f.colon + 1, valueEnd(text, f.colon + 1, f.end));
  }
  if (next === null) return null;
  return { text: withoutFirstValue(text, top, comma), host: next.received ?? next.host, port: next.rport ?? next.port };
}
