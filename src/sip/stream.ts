import { latin1Slice } from './bytes.js';
import { SipParseError } from './errors.js';
import { DEFAULT_LIMITS, type ParseLimits } from './limits.js';

const CR = 13;
const LF = 10;
const EMPTY = Buffer.alloc(0);

/** What a byte stream yields: one whole message's bytes, or a CRLF keepalive (RFC 5626 4.4.1). */
export type StreamItem =
  | { kind: 'message'; bytes: Buffer }
  /** 'ping' is a double CRLF, which the server answers with a single CRLF ('pong'). */
  | { kind: 'keepalive'; type: 'ping' | 'pong' };

/**
 * Frames SIP messages on a TCP or TLS byte stream by Content-Length (RFC 3261 18.3), skipping
 * CRLF keepalives between messages. A framing error (no or bad Content-Length, a message over
 * the size limit) throws SipParseError: the stream cannot be resynchronised and the connection
 * should be closed.
 */
export class StreamFramer {
  private pending: Buffer = EMPTY;
  private readonly limits: ParseLimits;
  private readonly lenientLength: boolean;

  /**
   * `missingContentLength: 'zero'` takes a message without Content-Length to have no body, as
   * many lenient stacks do; the default, 'error', follows RFC 3261 18.3 (it MUST be present).
   */
  constructor(options?: { limits?: Partial<ParseLimits>; missingContentLength?: 'error' | 'zero' }) {
    this.limits = { ...DEFAULT_LIMITS, ...options?.limits };
    this.lenientLength = options?.missingContentLength === 'zero';
  }

  /** Bytes buffered that do not yet make a whole message. */
  get buffered(): number {
    return this.pending.length;
  }

  /** Feeds a chunk; returns the messages and keepalives it completed, in order. */
  push(chunk: Buffer): StreamItem[] {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: StreamItem[] = [];
    let pos = 0;
    for (;;) {
      // Keepalives: CRLF runs between messages.
      const ka = pos;
      while (pos < buf.length && (buf[pos] === CR || buf[pos] === LF)) pos++;
      if (pos > ka) {
        // Wait for a possible second CRLF before deciding between ping and pong.
        if (pos === buf.length && pos - ka < 4) {
          pos = ka;
          break;
        }
        out.push({ kind: 'keepalive', type: pos - ka >= 4 ? 'ping' : 'pong' });
      }
      if (pos >= buf.length) break;
      const total = this.frame(buf, pos);
      if (total < 0) break;
      out.push({ kind: 'message', bytes: buf.subarray(pos, pos + total) });
      pos += total;
    }
    buf = buf.subarray(pos);
    // Copy a small remainder so a large chunk is not kept alive by it.
    this.pending = buf.length === 0 ? EMPTY : Buffer.from(buf);
    return out;
  }

  /** Length of the message starting at `from`, or -1 if more bytes are needed. */
  private frame(buf: Buffer, from: number): number {
    const max = this.limits.maxMessageBytes;
    const end = findHeaderEnd(buf, from, Math.min(buf.length, from + max));
    if (end === null) {
      if (buf.length - from > max) throw new SipParseError(`Message larger than ${max} bytes`, { status: 413 });
      return -1;
    }
    const cl = contentLength(buf, from, end.headerEnd, this.lenientLength);
    const total = end.bodyStart - from + cl;
    if (total > max) throw new SipParseError(`Message larger than ${max} bytes`, { status: 413 });
    return buf.length - from >= total ? total : -1;
  }
}

/** End of the header section (the empty line, CRLF or bare LF), or null. */
function findHeaderEnd(buf: Buffer, from: number, to: number): { headerEnd: number; bodyStart: number } | null {
  let nl = buf.indexOf(LF, from);
  while (nl >= 0 && nl < to) {
    const next = nl + 1;
    if (buf[next] === LF) return { headerEnd: next, bodyStart: next + 1 };
    if (buf[next] === CR && buf[next + 1] === LF) return { headerEnd: next, bodyStart: next + 2 };
    nl = buf.indexOf(LF, next);
  }
  return null;
}

/**
 * Reads Content-Length ('Content-Length' or compact 'l', any case) from the header lines
 * between from and to. Stream framing requires exactly one.
 */
function contentLength(buf: Buffer, from: number, to: number, lenient: boolean): number {
  let found = -1;
  let line = from;
  while (line < to) {
    let nl = buf.indexOf(LF, line);
    if (nl < 0 || nl > to) nl = to;
    const colon = buf.indexOf(58, line);
    if (colon > line && colon < nl) {
      let ne = colon;
      while (ne > line && (buf[ne - 1] === 32 || buf[ne - 1] === 9)) ne--;
      const name = latin1Slice(buf, line, ne).toLowerCase();
      if (name === 'content-length' || name === 'l') {
        if (found >= 0) throw new SipParseError('More than one Content-Length header', { header: 'content-length' });
        found = digits(buf, colon + 1, nl);
      }
    }
    line = nl + 1;
  }
  if (found < 0 && lenient) return 0;
  if (found < 0) throw new SipParseError('Missing Content-Length on a stream transport', { header: 'content-length' });
  return found;
}

function digits(buf: Buffer, from: number, to: number): number {
  let i = from;
  while (i < to && (buf[i] === 32 || buf[i] === 9)) i++;
  let end = to;
  while (end > i && (buf[end - 1] === 32 || buf[end - 1] === 9 || buf[end - 1] === CR)) end--;
  if (i === end) throw new SipParseError('Malformed Content-Length', { header: 'content-length' });
  let n = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) throw new SipParseError('Malformed Content-Length', { header: 'content-length' });
    n = n * 10 + (c - 48);
    if (n > 0x7fffffff) throw new SipParseError('Content-Length too large', { header: 'content-length', status: 413 });
  }
  return n;
}
