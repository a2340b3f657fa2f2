import { Buffer } from 'node:buffer';
import type { Sdp, SdpLine } from './model.js';

/**
 * Writes the lines back in order, each with its own ending (or the document's), the last one
 * without when the original had none, then any trailing blank lines: a parsed and unchanged
 * Sdp gives back exactly the text it came from. Values are written as they are: the rewrite
 * helpers refuse line breaks, and code that edits lines directly must do the same.
 */
export function serializeSdp(sdp: Sdp): string {
  let out = '';
  let pending = '';
  const write = (line: SdpLine): void => {
    out += pending + line.type + '=' + line.value;
    pending = line.eol ?? sdp.eol;
  };
  for (const line of sdp.session) write(line);
  for (const m of sdp.media) for (const line of m.lines) write(line);
  if (sdp.finalEol) out += pending;
  return out + sdp.trailer;
}

/** serializeSdp as latin1 bytes: byte-exact for an Sdp parsed from a Buffer. */
export function serializeSdpBuffer(sdp: Sdp): Buffer {
  return Buffer.from(serializeSdp(sdp), 'latin1');
}
