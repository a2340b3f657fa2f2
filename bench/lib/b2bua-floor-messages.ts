/**
 * The messages of the B2BUA floor (b2bua-floor.ts), pure: the least parse a B2BUA needs of the
 * benchmark's messages (start line, Vias, From, To, Call-ID, CSeq, Contact, Content-Type, body)
 * and the text of what it sends. Linear scans only, no regular expressions: the input is a
 * peer's.
 */
import type { HostPort } from './stateless-proxy-rewrite.js';

export type { HostPort };

export interface FloorMessage {
  startLine: string;
  /** Each Via field value, top first. */
  vias: string[];
  from: string;
  to: string;
  callId: string;
  cseq: string;
  contact: string;
  contentType: string;
  body: string;
}

/** RFC 3261 7.3.3 compact forms of the headers read here. */
const COMPACT: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', c: 'content-type', l: 'content-length' };

/** The message in latin1 text, or null when a header line has no colon or a header the B2BUA needs is missing. */
export function parseFloorMessage(text: string): FloorMessage | null {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const firstEnd = text.indexOf('\r\n');
  const m: FloorMessage = { startLine: text.slice(0, firstEnd), vias: [], from: '', to: '', callId: '', cseq: '', contact: '', contentType: '', body: text.slice(end + 4) };
  let pos = firstEnd + 2;
  while (pos < end) {
    let eol = text.indexOf('\r\n', pos);
    if (eol < 0 || eol > end) eol = end;
    const colon = text.indexOf(':', pos);
    if (colon < 0 || colon > eol) return null;
    const raw = text.slice(pos, colon).trim().toLowerCase();
    const name = COMPACT[raw] ?? raw;
    const value = text.slice(colon + 1, eol).trim();
    switch (name) {
      case 'via':
        // One field may hold several Vias (RFC 3261 7.3.1); the benchmark's peers write one each.
        m.vias.push(value);
        break;
      case 'from':
        m.from = value;
        break;
      case 'to':
        m.to = value;
        break;
      case 'call-id':
        m.callId = value;
        break;
      case 'cseq':
        m.cseq = value;
        break;
      case 'contact':
        m.contact = value;
        break;
      case 'content-type':
        m.contentType = value;
        break;
      default:
        break;
    }
    pos = eol + 2;
  }
  if (m.callId === '' || m.cseq === '' || m.from === '' || m.to === '' || m.vias.length === 0) return null;
  return m;
}

/** The method of a CSeq value ("1 INVITE" -> "INVITE"). */
export function cseqMethod(cseq: string): string {
  return cseq.slice(cseq.indexOf(' ') + 1).trim();
}

/** The tag parameter of a From or To value, or null. */
export function tagOf(nameAddr: string): string | null {
  const i = nameAddr.indexOf(';tag=');
  if (i < 0) return null;
  const e = nameAddr.indexOf(';', i + 5);
  return nameAddr.slice(i + 5, e < 0 ? nameAddr.length : e);
}

/** The From or To value with this tag in place of its own (the benchmark's tags are the last parameter). */
export function withTag(nameAddr: string, tag: string): string {
  const i = nameAddr.indexOf(';tag=');
  return `${i < 0 ? nameAddr : nameAddr.slice(0, i)};tag=${tag}`;
}

/** The URI of a name-addr or addr-spec value. */
export function uriOf(value: string): string {
  const a = value.indexOf('<');
  if (a >= 0) {
    const b = value.indexOf('>', a);
    return value.slice(a + 1, b < 0 ? value.length : b);
  }
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).trim();
}

/** Host and port of a sip: URI (5060 when it names none). */
export function hostPortOfUri(uri: string): HostPort {
  const at = uri.indexOf('@');
  let hp = at < 0 ? uri.slice(uri.indexOf(':') + 1) : uri.slice(at + 1);
  const semi = hp.indexOf(';');
  if (semi >= 0) hp = hp.slice(0, semi);
  const colon = hp.lastIndexOf(':');
  return colon < 0 ? { host: hp, port: 5060 } : { host: hp.slice(0, colon), port: Number(hp.slice(colon + 1)) };
}

/** Where a response to this request goes (RFC 3261 18.2.2, with rport): the top Via's sent-by, or the source. */
export function responseTarget(topVia: string, source: HostPort): HostPort {
  if (topVia.includes(';rport') || topVia.includes(';received=')) return source;
  const sp = topVia.indexOf(' ');
  const sentBy = topVia.slice(sp + 1).trim();
  const semi = sentBy.indexOf(';');
  return hostPortOfUri(`x@${semi < 0 ? sentBy : sentBy.slice(0, semi)}`);
}

/** One leg's dialog as the text builders need it. */
export interface FloorLeg {
  callId: string;
  from: string;
  to: string;
}

/** A response on the caller's leg: its Vias, From, To (with our tag past a 100), Call-ID and CSeq. */
export function responseText(leg: FloorLeg & { vias: readonly string[]; cseq: string }, status: number, reason: string, contact: string, body = '', contentType = ''): string {
  let t = `SIP/2.0 ${status} ${reason}\r\n`;
  for (const v of leg.vias) t += `Via: ${v}\r\n`;
  t += `From: ${leg.from}\r\nTo: ${leg.to}\r\nCall-ID: ${leg.callId}\r\nCSeq: ${leg.cseq}\r\n`;
  if (status > 100 && status < 300 && contact !== '') t += `Contact: ${contact}\r\n`;
  if (body !== '') t += `Content-Type: ${contentType}\r\n`;
  return `${t}Content-Length: ${body.length}\r\n\r\n${body}`;
}

/** A request on the callee's leg, from us (one Via, ours). */
export function requestText(leg: FloorLeg, method: string, uri: string, seq: number, via: string, contact: string, body = '', contentType = ''): string {
  let t = `${method} ${uri} SIP/2.0\r\nVia: ${via}\r\nMax-Forwards: 70\r\nFrom: ${leg.from}\r\nTo: ${leg.to}\r\nCall-ID: ${leg.callId}\r\nCSeq: ${seq} ${method}\r\nContact: ${contact}\r\n`;
  if (body !== '') t += `Content-Type: ${contentType}\r\n`;
  return `${t}Content-Length: ${body.length}\r\n\r\n${body}`;
}
