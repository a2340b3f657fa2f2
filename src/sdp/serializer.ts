import { Buffer } from 'node:buffer';
import type { Sdp } from './model.js';

/**
 * Writes the lines back in order, each with its own ending (or the document's), the last one
 * without when the original had none, then any trailing blank lines: a parsed and unchanged
 * Sdp gives back exactly the text it came from. Values are written as they are: the rewrite
 * helpers refuse line breaks, and code that edits lines directly must do the same.
 */
export function serializeSdp(sdp: Sdp): string {
  let out = '';
  let pending = '';
  const eol = sdp.eol;
  // Written out for both levels (no per-call closure): every offer and answer passes here.
  for (const line of sdp.session) {
    out += pending + line.type + '=' + line.value;
    pending = line.eol ?? eol;
  }
  for (const m of sdp.media) {
    for (const line of m.lines) {
      out += pending + line.type + '=' + line.value;
      pending = line.eol ?? eol;
    }
  }
  if (sdp.finalEol) out += pending;
  return out + sdp.trailer;
}

/** serializeSdp as latin1 bytes: byte-exact for an Sdp parsed from a Buffer. */
export function serializeSdpBuffer(sdp: Sdp): Buffer {
  return Buffer.from(serializeSdp(sdp), 'latin1');
}
