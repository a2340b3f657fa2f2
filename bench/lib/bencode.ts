/**
 * Bencode (the BitTorrent encoding), as rtpengine's ng control protocol carries it: byte strings,
 * integers, lists and dictionaries. Byte strings decode to JS strings (UTF-8): ng payloads are
 * SDP and ASCII flags, and a string is what every caller wants.
 */

export type BValue = string | number | Buffer | BValue[] | { [key: string]: BValue };

export class BencodeError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`bencode: ${message} at byte ${offset}`);
    this.name = 'BencodeError';
  }
}

/** Nesting deeper than this is refused: decoding recurses, and no ng message comes close. */
const MAX_DEPTH = 64;

export function encode(value: BValue): Buffer {
  const parts: Buffer[] = [];
  encodeInto(value, parts, 0);
  return Buffer.concat(parts);
}

function encodeInto(value: BValue, out: Buffer[], depth: number): void {
  if (depth > MAX_DEPTH) throw new BencodeError('nesting too deep', 0);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    out.push(Buffer.from(`${bytes.length}:`), bytes);
  } else if (Buffer.isBuffer(value)) {
    out.push(Buffer.from(`${value.length}:`), value);
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new BencodeError(`not an integer: ${value}`, 0);
    out.push(Buffer.from(`i${value}e`));
  } else if (Array.isArray(value)) {
    out.push(Buffer.from('l'));
    for (const v of value) encodeInto(v, out, depth + 1);
    out.push(Buffer.from('e'));
  } else if (typeof value === 'object' && value !== null) {
    out.push(Buffer.from('d'));
    // The spec wants keys in raw byte order; compare the UTF-8 bytes, not UTF-16 code units.
    const keys = Object.keys(value).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    for (const k of keys) {
      const v = value[k];
      if (v === undefined) continue;
      encodeInto(k, out, depth + 1);
      encodeInto(v, out, depth + 1);
    }
    out.push(Buffer.from('e'));
  } else {
    throw new BencodeError(`cannot encode ${typeof value}`, 0);
  }
}

const COLON = 0x3a;
const ZERO = 0x30;
const NINE = 0x39;
const E = 0x65;

/** Decodes exactly one value filling `input` (trailing bytes are an error). */
export function decode(input: Buffer | string): BValue {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const [value, end] = decodeAt(buf, 0, 0);
  if (end !== buf.length) throw new BencodeError('trailing data', end);
  return value;
}

/** Decodes one value at `pos`; returns it and the offset just past it. */
export function decodeAt(buf: Buffer, pos: number, depth = 0): [BValue, number] {
  if (depth > MAX_DEPTH) throw new BencodeError('nesting too deep', pos);
  if (pos >= buf.length) throw new BencodeError('unexpected end', pos);
  const c = buf[pos]!;
  if (c === 0x69 /* i */) {
    const end = buf.indexOf(E, pos + 1);
    if (end < 0) throw new BencodeError('unterminated integer', pos);
    const text = buf.toString('latin1', pos + 1, end);
    // Canonical form only: no leading zeros, no "-0", no empty integer.
    if (!/^(0|-?[1-9][0-9]*)$/.test(text)) throw new BencodeError(`bad integer ${JSON.stringify(text)}`, pos);
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new BencodeError(`integer out of range ${text}`, pos);
    return [n, end + 1];
  }
  if (c === 0x6c /* l */) {
    const list: BValue[] = [];
    let p = pos + 1;
    // Bounded: every element consumes at least two bytes.
    while (p < buf.length && buf[p] !== E) {
      const [v, next] = decodeAt(buf, p, depth + 1);
      list.push(v);
      p = next;
    }
    if (p >= buf.length) throw new BencodeError('unterminated list', pos);
    return [list, p + 1];
  }
  if (c === 0x64 /* d */) {
    const dict: { [key: string]: BValue } = Object.create(null) as { [key: string]: BValue };
    let p = pos + 1;
    while (p < buf.length && buf[p] !== E) {
      if (buf[p]! < ZERO || buf[p]! > NINE) throw new BencodeError('dictionary key is not a string', p);
      const [k, afterKey] = decodeAt(buf, p, depth + 1);
      const [v, next] = decodeAt(buf, afterKey, depth + 1);
      dict[k as string] = v;
      p = next;
    }
    if (p >= buf.length) throw new BencodeError('unterminated dictionary', pos);
    return [dict, p + 1];
  }
  if (c >= ZERO && c <= NINE) {
    const colon = buf.indexOf(COLON, pos);
    if (colon < 0) throw new BencodeError('string without colon', pos);
    const text = buf.toString('latin1', pos, colon);
    if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new BencodeError(`bad string length ${JSON.stringify(text)}`, pos);
    const len = Number(text);
    const start = colon + 1;
    if (start + len > buf.length) throw new BencodeError(`string of ${len} bytes runs past the end`, pos);
    return [buf.toString('utf8', start, start + len), start + len];
  }
  throw new BencodeError(`unexpected byte 0x${c.toString(16)}`, pos);
}
