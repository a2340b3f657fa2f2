/**
 * Splitting of line values into fields. RFC 8866 separates fields by one space; devices
 * send runs of spaces and tabs too, so fields are split on runs of SP/HTAB, and each token
 * keeps its position so a rewrite can replace one field and leave the spacing as it was.
 */

export interface Token {
  text: string;
  start: number;
  end: number;
}

export function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** End of the blanks from `i` on. */
function skipBlanks(value: string, i: number): number {
  const n = value.length;
  while (i < n && isBlank(value.charCodeAt(i))) i++;
  return i;
}

// The scans below are written out rather than shared through a per-field callback: SDP is read
// on every offer and answer a call carries, and a closure per call cost more than the scan.

export function tokenize(value: string): Token[] {
  const bounds = fieldBounds(value);
  const out: Token[] = [];
  for (let k = 0; k < bounds.length; k += 2) {
    const start = bounds[k]!;
    const end = bounds[k + 1]!;
    out.push({ text: value.slice(start, end), start, end });
  }
  return out;
}

/**
 * The fields of a value as strings only: what the typed readers need, without a Token object
 * per field (SDP is read on every offer and answer a call carries).
 */
export function fieldTexts(value: string): string[] {
  const out: string[] = [];
  const n = value.length;
  let i = skipBlanks(value, 0);
  while (i < n) {
    const start = i;
    i = tokenEnd(value, i);
    out.push(value.slice(start, i));
    i = skipBlanks(value, i);
  }
  return out;
}

/**
 * The bounds of the fields of `value` as [start0, end0, start1, end1, ...]: one array, no
 * strings, for a rewrite that replaces some fields and keeps the rest of the text.
 */
export function fieldBounds(value: string): number[] {
  const out: number[] = [];
  const n = value.length;
  let i = skipBlanks(value, 0);
  while (i < n) {
    const start = i;
    i = tokenEnd(value, i);
    out.push(start, i);
    i = skipBlanks(value, i);
  }
  return out;
}

/** Whether value[start, end) is 1 or more ASCII digits. */
export function isDigitRange(value: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Start of token `index` of `value`, or -1; its end is tokenEnd(value, start). */
export function tokenStart(value: string, index: number): number {
  let i = 0;
  const n = value.length;
  for (let k = 0; ; k++) {
    while (i < n && isBlank(value.charCodeAt(i))) i++;
    if (i >= n) return -1;
    if (k === index) return i;
    while (i < n && !isBlank(value.charCodeAt(i))) i++;
  }
}

export function tokenEnd(value: string, start: number): number {
  let i = start;
  while (i < value.length && !isBlank(value.charCodeAt(i))) i++;
  return i;
}

/** The text after the first `skip` tokens and the blanks that follow them, verbatim. */
export function restAfter(value: string, skip: number): string {
  const start = tokenStart(value, skip);
  return start === -1 ? '' : value.slice(start);
}

/** 1..maxLen ASCII digits. */
export function isDigits(s: string, maxLen = Infinity): boolean {
  return s.length <= maxLen && isDigitRange(s, 0, s.length);
}

/** A decimal integer in [min, max] written with digits only, else null. */
export function parseUint(s: string, min: number, max: number): number | null {
  if (!isDigits(s, 10)) return null;
  const n = Number(s);
  return n >= min && n <= max ? n : null;
}

/** True when `s` is usable as one SDP field: non-empty, no blanks, no control characters. */
export function isFieldText(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return false;
  }
  return true;
}
