/**
 * The edits SipMessage makes to its list of header fields, by canonical name: the list
 * operations alone (the message drops its cached views and its received bytes around them).
 */
import type { HeaderField } from './header-field.js';

/** Replaces every field of `key` with `field`, at the first one's place, else at the end. */
export function replaceFields(headers: HeaderField[], key: string, field: HeaderField): void {
  const i = headers.findIndex((f) => f.key === key);
  if (i < 0) headers.push(field);
  else {
    headers[i] = field;
    for (let j = headers.length - 1; j > i; j--) if (headers[j]!.key === key) headers.splice(j, 1);
  }
}

/** Adds `field` after the last field of `key`, else at the end. */
export function insertAfterLast(headers: HeaderField[], key: string, field: HeaderField): void {
  let at = headers.length;
  for (let j = headers.length - 1; j >= 0; j--) {
    if (headers[j]!.key === key) {
      at = j + 1;
      break;
    }
  }
  headers.splice(at, 0, field);
}

/** Adds `field` before the first field of `key`, else at the start. */
export function insertBeforeFirst(headers: HeaderField[], key: string, field: HeaderField): void {
  const i = headers.findIndex((f) => f.key === key);
  headers.splice(i < 0 ? 0 : i, 0, field);
}

/** Removes every field of `key`; returns how many went. */
export function removeFields(headers: HeaderField[], key: string): number {
  let n = 0;
  for (let j = headers.length - 1; j >= 0; j--) {
    if (headers[j]!.key === key) {
      headers.splice(j, 1);
      n++;
    }
  }
  return n;
}
