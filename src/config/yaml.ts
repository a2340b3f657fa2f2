import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/**
 * Reads and parses a YAML file; a file that cannot be read or parsed goes to `refuse` with what
 * went wrong (each caller throws its own typed error naming the file).
 */
export function readYaml(file: string, refuse: (problem: string) => never): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return refuse(`cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    return parse(text);
  } catch (e) {
    return refuse(`is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}
