/**
 * The base of every error Sluice throws on purpose. A stable `code` lets callers and logs
 * tell errors apart without parsing messages (the undici/fastify convention); `status` is the
 * SIP status the error maps to where it stands for a refused message.
 */
export class SluiceError extends Error {
  readonly code: string;
  readonly status: number | undefined;

  constructor(code: string, message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}
