import { expect } from 'vitest';
import { SipParseError } from '../../src/sip/errors.js';

/** Runs f, expecting a SipParseError whose reason matches `reason` (and header, if given). */
export function expectParseError(f: () => unknown, reason: RegExp, header?: string): SipParseError {
  let caught: unknown = null;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a SipParseError').toBeInstanceOf(SipParseError);
  const err = caught as SipParseError;
  expect(err.reason).toMatch(reason);
  expect(err.status).toBe(400);
  // A 400 reason phrase: short printable ASCII.
  expect(err.reason).toMatch(/^[\x20-\x7e]{1,100}$/);
  if (header !== undefined) expect(err.header).toBe(header);
  return err;
}
