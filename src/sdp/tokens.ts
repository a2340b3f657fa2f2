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

export function tokenize(value: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && isBlank(value.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isBlank(value.charCodeAt(i))) i++;
    out.push({ text: value.slice(start, i), start, end: i });
  }
  return out;
}

/** The text after the first `skip` tokens and the blanks that follow them, verbatim. */
export function restAfter(value: string, skip: number): string {
  const tokens = tokenize(value);
  const t = tokens[skip];
  return t === undefined ? '' : value.slice(t.start);
}

/** Replaces token `index` of `value` with `text`, keeping everything around it. */
export function replaceToken(value: string, index: number, text: string): string {
  const t = tokenize(value)[index];
  if (t === undefined) throw new RangeError(`no field ${index} in ${JSON.stringify(value)}`);
  return value.slice(0, t.start) + text + value.slice(t.end);
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
