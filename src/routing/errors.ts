import { SluiceError } from '../errors.js';

/** A dialplan that cannot be used: names the file, the path of the bad key and what is expected. */
export class DialplanError extends SluiceError {
  readonly file: string;
  readonly path: string;

  constructor(file: string, path: string, expected: string) {
    super('SLUICE_ERR_DIALPLAN', `${file}: ${path || '(top level)'}: ${expected}`);
    this.file = file;
    this.path = path;
  }
}
