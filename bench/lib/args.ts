/** `--name value` from the command line, or the fallback. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/**
 * Sets `target[key]` from each `--name N` given on the command line (the numeric options the
 * rate-search benches share); an option not given leaves its key as it was.
 */
export function numericOptions<K extends string>(target: { [P in K]?: number }, names: readonly (readonly [string, K])[]): void {
  for (const [name, key] of names) {
    const v = arg(name, '');
    if (v !== '') target[key] = Number(v);
  }
}
