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

/** In CI the corpus is always beside the project: its absence there is a failure, not a skip. */
export const corpusRequired = process.env.CI === 'true';

export function corpusPath(...parts: string[]): string {
  return resolve(corpusDir, ...parts);
}
