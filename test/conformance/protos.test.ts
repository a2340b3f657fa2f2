import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { parseMessage, SipParseError } from '../../src/sip/index.js';
import { corpusPath, corpusPresent } from './corpus.js';

// PROTOS c07-sip (OUSPG): 4527 malformed INVITEs. The expectation for a SIP element is that
// nothing but SipParseError escapes, nothing is slow, and the valid case still parses after.

/** Splits a case file into its two records: `<length> <bytes>` twice (see SOURCE.md). */
export function records(file: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < file.length) {
    const sp = file.indexOf(0x20, pos);
    const len = Number(file.subarray(pos, sp).toString('latin1'));
    if (sp < 0 || !Number.isInteger(len)) throw new Error('bad record header');
    out.push(file.subarray(sp + 1, sp + 1 + len));
    pos = sp + 1 + len;
  }
  return out;
}

/** Fills the placeholders as the PROTOS jar does when it sends a case, Content-Length last. */
export function fill(record: Buffer, caseNo: string): Buffer {
  const text = record
    .toString('latin1')
    .replaceAll('<To>', 'bob@127.0.0.1')
    .replaceAll('<From>', 'protos@127.0.0.1')
    .replaceAll('<From-Address>', '127.0.0.1')
    .replaceAll('<From-IP>', '127.0.0.1')
    .replaceAll('<Local-Port>', '5060')
    .replaceAll('<Branch-ID>', caseNo)
    .replaceAll('<Call-ID>', `protos-${caseNo}`)
    .replaceAll('<CSeq>', '1')
    .replaceAll('<Teardown-Method>', 'CANCEL');
  const sep = text.indexOf('\r\n\r\n');
  const bodyLength = sep < 0 ? 0 : text.length - sep - 4;
  return Buffer.from(text.replaceAll('<Content-Length>', String(bodyLength)), 'latin1');
}

const SLOW_MS = 5;

describe.skipIf(!corpusPresent)('PROTOS c07-sip', () => {
  const dir = corpusPath('other', 'protos-c07-sip', 'cases');

  it('the valid case 0000000 parses with every header', () => {
    const [invite, teardown] = records(readFileSync(`${dir}/0000000`)).map((r) => fill(r, '0000000'));
    const m = parseMessage(invite!, { mode: 'all' });
    expect(m.kind).toBe('request');
    expect(m.body.toString('latin1')).toContain('m=audio 9876 RTP/AVP 0');
    expect(parseMessage(teardown!, { mode: 'all' }).cseq).toEqual({ seq: 1, method: 'CANCEL' });
  });

  it('no case throws anything but SipParseError, and none is slow', { timeout: 120_000 }, () => {
    const files = readdirSync(dir).sort();
    expect(files.length).toBe(4527);
    let accepted = 0;
    let refused = 0;
    let slowest = { ms: 0, name: '' };
    for (const name of files) {
      for (const rec of records(readFileSync(`${dir}/${name}`))) {
        const bytes = fill(rec, name);
        let best = Infinity;
        // Best of two runs, so a GC pause or JIT compilation is not taken for a slow parse.
        for (let run = 0; run < 2; run++) {
          const t0 = performance.now();
          try {
            parseMessage(bytes, { mode: 'all' });
            if (run === 0) accepted++;
          } catch (e) {
            if (!(e instanceof SipParseError)) throw new Error(`case ${name}: ${String(e)}`, { cause: e });
            if (run === 0) refused++;
          }
          best = Math.min(best, performance.now() - t0);
        }
        if (best > slowest.ms) slowest = { ms: best, name };
      }
    }
    console.log(`PROTOS: ${accepted} records accepted, ${refused} refused; slowest ${slowest.ms.toFixed(3)} ms (${slowest.name})`);
    expect(accepted + refused).toBe(2 * 4527);
    expect(slowest.ms).toBeLessThan(SLOW_MS);
    // After every malformed case, the valid one is still served.
    expect(parseMessage(fill(records(readFileSync(`${dir}/0000000`))[0]!, '0'), { mode: 'all' }).kind).toBe('request');
  });
});
