import { SluiceError } from '../errors.js';

/** A configuration file that cannot be used: names the file, the key's path and what is expected. */
export class ConfigError extends SluiceError {
  readonly file: string;
  readonly path: string;

  constructor(file: string, path: string, expected: string) {
    super('SLUICE_ERR_CONFIG', `${file}: ${path || '(top level)'}: ${expected}`);
    this.file = file;
    this.path = path;
  }
}
