import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseMessage, serializeMessage, SipParseError, StreamFramer, type SipMessage } from '../../src/sip/index.js';
import { corpusPath, corpusPresent } from './corpus.js';

// rtckit/php-sip fixtures: back-to-back message streams, and the call-flow examples of
// RFC 3665, 3327, 3515, 4916 and 5626 as YAML lists.

const START = /^(SIP\/2\.0 \d{3}|[A-Za-z]+ \S+ SIP\/2\.0)/;
const HAS_VIA = /^(via|v)[ \t]*:/im;
const RFC_PLACEHOLDER = /^(Refer-To: \((whatever|some different) URI\)|Subscription-State: active;expires=\(depends on Refer-To URI\))\r?$/m;

/**
 * Parses one fixture message, or checks that it is refused for the reason the fixture gives.
 * Skipped-as-accepted never: each refusal below has its written reason and an asserted error.
 * - RFC 5626 section 9 (and the stream copies of it in generic.txt) prints its call flows
 *   abbreviated, without Via; such a message is not a valid SIP message, and is refused as such.
 * - RFC 3515 section 4 prints placeholders such as `Refer-To: (whatever URI)` and
 *   `expires=(depends on Refer-To URI)`; the full parse refuses those values, while the routing
 *   parse (which reads neither header) accepts the message.
 */
function parseOrRefuse(bytes: Buffer): SipMessage | null {
  const text = bytes.toString('latin1');
  if (!HAS_VIA.test(text)) {
    expect(() => parseMessage(bytes, { mode: 'all' })).toThrow(/Missing Via header/);
    return null;
  }
  if (RFC_PLACEHOLDER.test(text)) {
    expect(() => parseMessage(bytes, { mode: 'all' })).toThrow(SipParseError);
    expect(() => parseMessage(bytes, { mode: 'routing' })).not.toThrow();
    return null;
  }
  return parseMessage(bytes, { mode: 'all' });
}

/** Feeds a stream to the framer in chunks of pseudo-random sizes (seeded, so repeatable). */
function frameAll(bytes: Buffer, seed: number): Buffer[] {
  // Some messages of generic.txt carry no Content-Length; they have no body, and the framer's
  // lenient mode reads them so (the default refuses them, as RFC 3261 18.3 requires).
  const framer = new StreamFramer({ missingContentLength: 'zero' });
  const out: Buffer[] = [];
  let x = seed;
  for (let pos = 0; pos < bytes.length; ) {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    const size = 1 + (x % 1500);
    for (const item of framer.push(bytes.subarray(pos, pos + size))) if (item.kind === 'message') out.push(item.bytes);
    pos += size;
  }
  expect(framer.buffered).toBe(0);
  return out;
}

describe.skipIf(!corpusPresent)('php-sip fixtures', () => {
  const streamDir = corpusPath('other', 'php-sip-fixtures', 'stream');

  for (const file of ['generic.txt', 'lioneagle-sipparser.txt']) {
    it(`${file} frames into its messages whatever the chunking, and each parses`, () => {
      const bytes = readFileSync(join(streamDir, file));
      const starts = bytes.toString('latin1').split('\r\n').filter((l) => START.test(l)).length;
      for (const seed of [1, 7, 42]) {
        const messages = frameAll(bytes, seed);
        expect(messages.length).toBe(starts);
        expect(Buffer.concat(messages).length).toBeLessThanOrEqual(bytes.length);
        for (const m of messages) {
          const parsed = parseOrRefuse(m);
          if (parsed) expect(serializeMessage(parsed).equals(m)).toBe(true);
        }
      }
    });
  }

  const yamlFiles: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.yaml')) yamlFiles.push(join(dir, e.name));
    }
  };
  if (corpusPresent) walk(corpusPath('other', 'php-sip-fixtures', 'misc'));

  for (const file of yamlFiles) {
    it(`call flow ${file.split('/misc/')[1]} parses message by message`, () => {
      const list = parseYaml(readFileSync(file, 'utf8')) as string[];
      expect(Array.isArray(list)).toBe(true);
      for (const text of list) {
        // The RFCs print messages with LF line ends; on the wire they are CRLF. Their printed
        // Content-Length often counts the printed body differently, so it is set to the true length.
        const crlf = text.replace(/\r?\n/g, '\r\n');
        const sep = crlf.indexOf('\r\n\r\n');
        const body = sep < 0 ? '' : crlf.slice(sep + 4);
        const head = (sep < 0 ? crlf + '\r\n' : crlf.slice(0, sep + 4)).replace(/^(Content-Length|l)[ \t]*:[ \t]*\d+/im, `Content-Length: ${Buffer.byteLength(body, 'utf8')}`);
        const bytes = Buffer.from(head + body, 'utf8');
        const m = parseOrRefuse(bytes);
        if (!m) continue;
        expect(m.callId.length).toBeGreaterThan(0);
        expect(serializeMessage(m).equals(bytes)).toBe(true);
      }
    });
  }
});
