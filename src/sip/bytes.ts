/**
 * Node's native latin1 codecs on Buffer. They exist on every Buffer (Buffer#toString('latin1')
 * calls them) but @types/node leaves them out; calling them directly skips the encoding switch
 * on the hot path. Latin1 maps each byte to one UTF-16 code unit, so any bytes round-trip.
 */
interface Latin1Codec {
  latin1Slice(start: number, end: number): string;
  latin1Write(text: string, offset: number, length: number): number;
}

export function latin1Slice(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Latin1Codec).latin1Slice(start, end);
}

export function latin1Write(buf: Buffer, text: string, offset: number): number {
  return (buf as unknown as Latin1Codec).latin1Write(text, offset, text.length);
}

/**
 * A message body as UTF-8 bytes in memory of its own. Buffer.from() would cut it from Node's
 * shared 8 KB pool, and a body a transaction keeps for its 32 s (an INVITE's SDP) would then keep
 * the whole block, with every other message cut from it, alive as long.
 */
export function ownUtf8(text: string): Buffer {
  const out = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
  out.write(text, 0, 'utf8');
  return out;
}

/**
 * text[start, end) (latin1, a byte per code unit) as bytes in memory of their own, not cut from
 * Node's shared pool (see ownUtf8): a received message's body or wire bytes, made from its text.
 */
export function ownLatin1(text: string, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafeSlow(end - start);
  latin1Write(out, start === 0 && end === text.length ? text : text.slice(start, end), 0);
  return out;
}

/** V8 copies a substring shorter than this instead of slicing its parent (SlicedString::kMinLength). */
const SLICE_MIN = 13;

/**
 * The same characters in a string of their own. A value read from a parsed message is a slice
 * of the message's text, and V8 keeps a slice's whole parent alive: a value kept for a call's
 * lifetime (or a transaction's 32 s) would otherwise keep every message it was read from.
 * Joining its two halves makes a rope; reading a character flattens the rope into new memory and
 * lets the halves (and their parent) go, and the garbage collector then replaces the rope by
 * that flat copy: one copy of the characters and no encoding round trip.
 */
export function ownString(text: string): string {
  if (text.length < SLICE_MIN) return text;
  const half = text.length >> 1;
  const rope = text.slice(0, half) + text.slice(half);
  rope.charCodeAt(0);
  return rope;
}

/**
 * `text` as one flat string: a string built by concatenation is a rope of its pieces, each an
 * object of its own for as long as the string is kept; reading a character flattens it, and the
 * garbage collector then keeps the flat copy alone. For strings of our own kept long (a call's
 * Contact), not slices of a message (see ownString for those).
 */
export function flatString(text: string): string {
  text.charCodeAt(0);
  return text;
}

/**
 * A deep copy of plain (JSON) data that holds only its own characters (see ownString). It
 * follows JSON's rules for what it copies: an undefined property is left out, an undefined
 * array element becomes null; objects are copied by their own enumerable keys. A frozen object
 * or array is copied frozen: an immutable value stays one (a store shares it rather than copying
 * it again).
 */
export function ownCopy<T>(value: T): T {
  return copyValue(value) as T;
}

function copyValue(value: unknown): unknown {
  if (typeof value === 'string') return ownString(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      out[i] = v === undefined ? null : copyValue(v);
    }
    return Object.isFrozen(value) ? Object.freeze(out) : out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    // A key named __proto__ (JSON.parse makes one a property) stays a property.
    if (key === '__proto__') Object.defineProperty(out, key, { value: copyValue(v), enumerable: true, writable: true, configurable: true });
    else out[key] = copyValue(v);
  }
  return Object.isFrozen(value) ? Object.freeze(out) : out;
}

/**
 * Freezes plain data in place, every object and array in it (strings and numbers are immutable
 * already), and returns it: a value nobody can change, which a store shares instead of copying.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  const o = value as Record<string, unknown>;
  for (const k in o) {
    const v = o[k];
    if (typeof v === 'object' && v !== null) deepFreeze(v);
  }
  return Object.freeze(value);
}
