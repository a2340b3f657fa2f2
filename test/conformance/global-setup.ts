import { corpusDir, corpusPresent } from './corpus.js';

/** Runs once per test run: the one line that says the conformance tests are skipped, and why. */
export default function noteCorpus(): void {
  if (!corpusPresent) {
    console.warn(`conformance corpus not found at ${corpusDir} (set SLUICE_CONFORMANCE_DIR): conformance tests skipped`);
  }
}
