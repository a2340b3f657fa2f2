/**
 * The CDR writer: one JSON line per call, in the order the calls ended, the lines of calls that
 * end during an append gathered into the next one, and a failed append counted, never thrown.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CdrWriter } from '../../src/b2bua/cdr.js';
import type { CallRecord } from '../../src/b2bua/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-cdr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ended = (id: string): CallRecord => ({
  id,
  state: 'ended',
  caller: { realm: 'inside', callId: `${id}@a`, from: '<sip:a@x>;tag=1', to: '<sip:b@x>', source: '127.0.0.1:5060' },
  callee: null,
  route: null,
  media: 'direct',
  startedAt: 1_767_225_600_000,
  answeredAt: 1_767_225_601_000,
  endedAt: 1_767_225_603_500,
  endReason: 'bye',
  endedBy: 'caller',
  status: null,
  deadlines: { maxDuration: null },
});

describe('the CDR writer', () => {
  it('appends one line per call in order, the calls that end meanwhile in few appends', async () => {
    const file = join(dir, 'cdr.jsonl');
    const cdr = new CdrWriter(file);
    for (let i = 0; i < 1000; i++) cdr.write(ended(`c${i}`), []);
    await cdr.flush();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(Array.from({ length: 1000 }, (_, i) => `c${i}`));
    expect(JSON.parse(lines[0]!)).toMatchObject({ durationSeconds: 2.5, endReason: 'bye', answer: '2026-01-01T00:00:01.000Z' });
    expect([cdr.written, cdr.failed]).toEqual([1000, 0]);
    // The first call's line goes alone; the 999 written while it was appended go in one more.
    expect(cdr.appends).toBe(2);

    cdr.write(ended('later'), []);
    await cdr.flush();
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(1001);
    expect(cdr.appends).toBe(3);
  });

  it('counts the lines of a failed append and goes on', async () => {
    const cdr = new CdrWriter(join(dir, 'no-such-dir', 'cdr.jsonl'));
    cdr.write(ended('x'), []);
    cdr.write(ended('y'), []);
    await expect(cdr.flush()).resolves.toBeUndefined();
    expect([cdr.written, cdr.failed]).toEqual([0, 2]);
  });
});
