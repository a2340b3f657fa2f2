import { Buffer } from 'node:buffer';
import { excerpt, SdpParseError } from './errors.js';
import { readConnection, readMediaLine, readOrigin } from './fields.js';
import type { LineEnding, Sdp, SdpLine, SdpMedia } from './model.js';

/** Limits against hostile peers; an SDP beyond any of them is refused with SdpParseError. */
export const SDP_LIMITS = Object.freeze({
  /** Characters of text (bytes, for a Buffer). */
  maxBytes: 65_536,
  maxLines: 1_000,
  maxMedia: 128,
});

const LF = 0x0a;
const CR = 0x0d;
/** 'a' to 'z': a line's type as one shared string rather than a slice per line. */
const LETTERS: readonly string[] = Array.from({ length: 26 }, (_, i) => String.fromCharCode(0x61 + i));

/**
 * Parses an SDP body (RFC 8866). A Buffer is decoded as latin1 so every byte survives and
 * serializeSdpBuffer gives the same bytes back; a string is taken as it is.
 *
 * Strict where the B2BUA would be misled: every line is `<a-z>=...`; v=0 comes first; one o=,
 * at session level, with a numeric sess-version; every c= is IN IP4/IP6 with 3 fields; every m=
 * has media, a port 0..65535 (optionally /count), a proto and at least one format; no v= or o=
 * after the start. Lenient where harmless: CRLF or bare LF (even mixed), a missing final line
 * ending, blank lines after the last line, line order within a section, missing s=/t=, unknown
 * line types and attributes, hostnames in c=, runs of blanks between fields.
 *
 * Throws SdpParseError, and nothing else, for any input.
 */
export function parseSdp(input: string | Uint8Array): Sdp {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else if (input instanceof Uint8Array) {
    if (input.byteLength > SDP_LIMITS.maxBytes) {
      throw new SdpParseError(`SDP larger than ${SDP_LIMITS.maxBytes} bytes`, 1);
    }
    text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  } else {
    // Typically an absent body: answer it like any other unusable SDP.
    throw new SdpParseError('SDP body is neither text nor bytes', 1);
  }
  if (text.length > SDP_LIMITS.maxBytes) {
    throw new SdpParseError(`SDP larger than ${SDP_LIMITS.maxBytes} bytes`, 1);
  }
  return parseText(text);
}

function parseText(text: string): Sdp {
  const session: SdpLine[] = [];
  const media: SdpMedia[] = [];
  let current = session;
  let eol: LineEnding | undefined;
  let finalEol = false;
  let trailer = '';
  let sawOrigin = false;
  let lineNo = 0;
  let pos = 0;
  const n = text.length;

  while (pos < n) {
    lineNo++;
    const c0 = text.charCodeAt(pos);
    if (c0 === CR || c0 === LF) {
      // A blank line: harmless at the very end (some stacks add a CRLF), an error elsewhere.
      if (lineNo > 1 && onlyLineBreaks(text, pos)) {
        trailer = text.slice(pos);
        break;
      }
    }
    if (lineNo > SDP_LIMITS.maxLines) {
      throw new SdpParseError(`more than ${SDP_LIMITS.maxLines} lines`, lineNo);
    }
    const nl = text.indexOf('\n', pos);
    let end = nl === -1 ? n : nl;
    let lineEol: LineEnding | undefined;
    if (nl !== -1) {
      lineEol = '\n';
      if (end > pos && text.charCodeAt(end - 1) === CR) {
        end--;
        lineEol = '\r\n';
      }
    }
    const lineStart = pos;
    pos = nl === -1 ? n : nl + 1;

    // Read in place: only the value becomes a string of its own.
    const type = text.charCodeAt(lineStart);
    if (end - lineStart < 2 || type < 0x61 || type > 0x7a || text.charCodeAt(lineStart + 1) !== 0x3d) {
      throw new SdpParseError(`expected <letter>=<value>, found ${excerpt(text.slice(lineStart, end))}`, lineNo);
    }
    const line: SdpLine = { type: LETTERS[type - 0x61]!, value: text.slice(lineStart + 2, end) };
    if (eol === undefined) eol = lineEol ?? '\r\n';
    else if (lineEol !== undefined && lineEol !== eol) line.eol = lineEol;
    finalEol = lineEol !== undefined;

    checkLine(line, lineNo, current === session, sawOrigin);
    if (line.type === 'o') sawOrigin = true;
    if (line.type === 'm') {
      if (media.length >= SDP_LIMITS.maxMedia) {
        throw new SdpParseError(`more than ${SDP_LIMITS.maxMedia} m= lines`, lineNo);
      }
      current = [];
      media.push({ lines: current });
    }
    current.push(line);
  }

  if (lineNo === 0) throw new SdpParseError('empty SDP', 1);
  if (!sawOrigin) throw new SdpParseError('no o= line', 2);
  return { session, media, eol: eol ?? '\r\n', finalEol, trailer };
}

/** Validates one line in its place; throws SdpParseError with the line number. */
function checkLine(line: SdpLine, lineNo: number, atSession: boolean, sawOrigin: boolean): void {
  const { type, value } = line;
  if (lineNo === 1) {
    if (type !== 'v') throw new SdpParseError('SDP must start with v=', 1);
    if (value !== '0') throw new SdpParseError(`unsupported version v=${excerpt(value)}`, 1);
    return;
  }
  let problem: string | undefined;
  switch (type) {
    case 'v':
      // A second v= means two descriptions run together: which one is meant is unknowable.
      problem = 'v= after the first line';
      break;
    case 'o': {
      if (!atSession) problem = 'o= inside a media description';
      else if (sawOrigin) problem = 'more than one o= line';
      else {
        const r = readOrigin(value);
        if (typeof r === 'string') problem = r;
      }
      break;
    }
    case 'c': {
      const r = readConnection(value);
      if (typeof r === 'string') problem = r;
      break;
    }
    case 'm': {
      const r = readMediaLine(value);
      if (typeof r === 'string') problem = r;
      break;
    }
  }
  if (problem !== undefined) throw new SdpParseError(problem, lineNo);
}

function onlyLineBreaks(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== CR && c !== LF) return false;
  }
  return true;
}
