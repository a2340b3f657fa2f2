/** Joins SDP lines with CRLF (or `eol`), ending with one. */
export function sdpText(lines: readonly string[], eol = '\r\n'): string {
  return lines.map((l) => l + eol).join('');
}

/** A typical phone offer: session c=, one audio stream. */
export const BASIC = sdpText([
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 198.51.100.1',
  's=-',
  'c=IN IP4 198.51.100.1',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
]);

/** An SDP with `n` streams alternating audio and video, ports 10000, 10002, ... */
export function manyStreams(n: number): string {
  const lines = ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0'];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      lines.push(`m=audio ${10000 + 2 * i} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=sendrecv');
    } else {
      lines.push(`m=video ${10000 + 2 * i} RTP/AVP 96`, 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1');
    }
  }
  return sdpText(lines);
}
