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

/** Calls `each` with the bounds of every field of `value`, in order. */
function eachField(value: string, each: (start: number, end: number) => void): void {
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && isBlank(value.charCodeAt(i))) i++;
    if (i >= n) return;
    const start = i;
    while (i < n && !isBlank(value.charCodeAt(i))) i++;
    each(start, i);
  }
}

export function tokenize(value: string): Token[] {
  const out: Token[] = [];
  eachField(value, (start, end) => out.push({ text: value.slice(start, end), start, end }));
  return out;
}

/**
 * The fields of a value as strings only: what the typed readers need, without a Token object
 * per field (SDP is read on every offer and answer a call carries).
 */
export function fieldTexts(value: string): string[] {
  const out: string[] = [];
  eachField(value, (start, end) => out.push(value.slice(start, end)));
  return out;
}

/** Start of token `index` of `value`, or -1; its end is tokenEnd(value, start). */
function tokenStart(value: string, index: number): number {
  let i = 0;
  const n = value.length;
  for (let k = 0; ; k++) {
    while (i < n && isBlank(value.charCodeAt(i))) i++;
    if (i >= n) return -1;
    if (k === index) return i;
    while (i < n && !isBlank(value.charCodeAt(i))) i++;
  }
}

function tokenEnd(value: string, start: number): number {
  let i = start;
  while (i < value.length && !isBlank(value.charCodeAt(i))) i++;
  return i;
}

/** The text after the first `skip` tokens and the blanks that follow them, verbatim. */
export function restAfter(value: string, skip: number): string {
  const start = tokenStart(value, skip);
  return start === -1 ? '' : value.slice(start);
}

/** Replaces token `index` of `value` with `text`, keeping everything around it. */
export function replaceToken(value: string, index: number, text: string): string {
  const start = tokenStart(value, index);
  if (start === -1) throw new RangeError(`no field ${index} in ${JSON.stringify(value)}`);
  return value.slice(0, start) + text + value.slice(tokenEnd(value, start));
}

/** 1..maxLen ASCII digits. */
export function isDigits(s: string, maxLen = Infinity): boolean {
  if (s.length === 0 || s.length > maxLen) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
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
