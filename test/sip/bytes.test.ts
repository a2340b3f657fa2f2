import { describe, expect, it } from 'vitest';
import { ownUtf8 } from '../../src/sip/index.js';

describe('ownUtf8', () => {
  it('encodes UTF-8 into memory of its own, never a slice of the shared pool', () => {
    const text = 'v=0\r\ns=Café ☎\r\n';
    const body = ownUtf8(text);
    expect(body.equals(Buffer.from(text, 'utf8'))).toBe(true);
    // A pooled Buffer.from() shares an 8 KB ArrayBuffer; this one is exactly its bytes.
    expect(body.byteOffset).toBe(0);
    expect(body.buffer.byteLength).toBe(body.length);
    expect(ownUtf8('').length).toBe(0);
  });
});
