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
