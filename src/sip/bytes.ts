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
 * A copy of plain (JSON) data that holds only its own characters. Values read from a parsed
 * message are slices of its text, and V8 keeps a slice's whole parent alive: a record or key
 * kept for a call's lifetime would otherwise keep every message it was read from.
 */
export function ownCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
