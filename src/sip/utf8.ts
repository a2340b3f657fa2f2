/**
 * Conversions between byte strings (latin1: one char per wire byte, see types.ts) and Unicode.
 * Both return their input unchanged when it is all ASCII, which is the common case.
 */

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Reads a byte string as UTF-8. Malformed sequences become U+FFFD (this is for showing and
 * comparing text, never for writing it back: keep the byte string for that).
 */
export function utf8(byteString: string): string {
  if (isAscii(byteString)) return byteString;
  return Buffer.from(byteString, 'latin1').toString('utf8');
}

/**
 * Encodes Unicode text as UTF-8 bytes, one char per byte (the form header values and the text a
 * message is written to are kept in): a body given as text (an SDP) is written so. An all-ASCII
 * text is scanned here rather than measured by Buffer.byteLength, a native call that takes its
 * slow path for a text built by concatenation (a regenerated SDP is).
 */
export function byteString(text: string): string {
  if (isAscii(text)) return text;
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** A message body, given as text (sent as UTF-8) or bytes, as the byte string a message's text carries; '' for none. */
export function bodyByteString(body: string | Uint8Array | undefined): string {
  if (body === undefined || body.length === 0) return '';
  if (typeof body === 'string') return byteString(body);
  return (Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)).toString('latin1');
}
