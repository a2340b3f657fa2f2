/** Scanners shared by the header value parsers: list splitting and bounded numbers. */
import { skipWs, trimEnd } from './chars.js';
import * as chars from './chars.js';
import { fail } from './fail.js';
import { quotedEnd, scanParams } from './params.js';
import type { Param } from './types.js';

// Module-local copies: V8 folds a module's own constants into optimized code but re-reads
// imported bindings at every use, which costs in per-char loops.
const { CHAR, DIGIT } = chars;

export const UINT32_MAX = 4294967295;

/**
 * Splits a comma-separated value on the commas outside quoted strings and <>, trimming each
 * element; an empty element (",,", a leading or trailing comma) is an error. An empty value
 * gives [].
 */
export function splitList(value: string, header?: string): string[] {
  const s = value;
  const end = trimEnd(s, 0, s.length);
  const begin = skipWs(s, 0, end);
  if (begin === end) return [];
  let out: string[] | null = null;
  let start = begin;
  for (let i = begin; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) {
      const q = quotedEnd(s, i, end);
      if (q < 0) fail(q === -1 ? 'Unterminated quoted string' : 'CR or LF in quoted string', header);
      i = q - 1;
    } else if (c === 0x3c) {
      while (i < end && s.charCodeAt(i) !== 0x3e) i++;
      if (i >= end) fail('Missing > after URI', header);
    } else if (c === 0x2c) {
      (out ??= []).push(element(s, start, i, header));
      start = i + 1;
    }
  }
  if (out === null) return [begin === 0 && end === s.length ? s : s.substring(begin, end)];
  out.push(element(s, start, end, header));
  return out;
}

function element(s: string, start: number, end: number, header?: string): string {
  const a = skipWs(s, start, end);
  const b = trimEnd(s, a, end);
  if (a === b) fail('Empty list element', header);
  return s.substring(a, b);
}

/** Digits of s[start, end) (nothing else) as a number <= max, without overflow on any length. */
export function uintRange(s: string, start: number, end: number, max: number, header?: string): number {
  if (start >= end) fail('Missing number', header);
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if ((CHAR[c]! & DIGIT) === 0) fail('Invalid number', header);
    v = v * 10 + c - 0x30;
    if (v > max) fail('Number out of range', header);
  }
  return v;
}

/** Index after the digits at i. */
export function digitsEnd(s: string, i: number, end: number): number {
  while (i < end && (CHAR[s.charCodeAt(i)]! & DIGIT) !== 0) i++;
  return i;
}

/** scanParams that must reach `end`; true when it does not. */
export function scanParamsToEnd(s: string, i: number, end: number, out: Param[], header?: string): boolean {
  return skipWs(s, scanParams(s, i, end, out, header), end) !== end;
}

/** delta-seconds *( SEMI generic-param ) (Min-SE; the base of Session-Expires). */
export function parseDeltaWithParams(value: string, header: string): { seconds: number; params: Param[] } {
  const s = value;
  const end = trimEnd(s, 0, s.length);
  const a = skipWs(s, 0, end);
  const b = digitsEnd(s, a, end);
  const seconds = uintRange(s, a, b, UINT32_MAX, header);
  const params: Param[] = [];
  if (scanParamsToEnd(s, b, end, params, header)) fail('Invalid parameters', header);
  return { seconds, params };
}

