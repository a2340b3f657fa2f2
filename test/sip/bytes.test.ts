import { describe, expect, it } from 'vitest';
import { ownCopy, ownUtf8 } from '../../src/sip/index.js';

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

describe('ownCopy', () => {
  it('copies plain data deeply, equal in value and sharing nothing', () => {
    const record = { dialog: { callId: 'a@b', routeSet: ['<sip:p1;lr>'] }, sdp: null, n: 3 };
    const copy = ownCopy(record);
    expect(copy).toEqual(record);
    expect(copy.dialog).not.toBe(record.dialog);
    expect(copy.dialog.routeSet).not.toBe(record.dialog.routeSet);
    expect(ownCopy('key')).toBe('key');
  });
});
