import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the externally written conformance corpus lives. It is never copied into the project:
 * SLUICE_CONFORMANCE_DIR points at it, else `../shared/conformance` beside the checkout (as in CI).
 */
const here = dirname(fileURLToPath(import.meta.url));
export const corpusDir = resolve(process.env.SLUICE_CONFORMANCE_DIR ?? resolve(here, '../../../shared/conformance'));
export const corpusPresent = existsSync(resolve(corpusDir, 'README.md'));

let told = false;
/** Says once, in one clear line, that the corpus is absent and its tests are skipped. */
export function noteCorpusAbsent(): void {
  if (!corpusPresent && !told) {
    told = true;
    console.warn(`conformance corpus not found at ${corpusDir} (set SLUICE_CONFORMANCE_DIR): conformance tests skipped`);
  }
}

/** In CI the corpus is always beside the project: its absence there is a failure, not a skip. */
export const corpusRequired = process.env.CI === 'true';

export function corpusPath(...parts: string[]): string {
  return resolve(corpusDir, ...parts);
}
