/**
 * A request handed to the application with the means to answer it once. Responses are built
 * per RFC 3261 8.2.6 (createResponse) with our To tag where the request is in or makes a dialog.
 */
import { createResponse, ownUtf8, type SipRequest, type SipResponse } from '../sip/index.js';
import type { MessageSource, ServerTransaction } from '../transaction/index.js';
import type { MessageParts } from './types.js';

export interface ResponseParts extends MessageParts {
  reason?: string;
}

/** Adds extra header fields and a body to a response or request being built. */
export function addParts(message: SipRequest | SipResponse, parts: MessageParts | undefined): void {
  if (parts === undefined) return;
  for (const [name, value] of parts.headers ?? []) message.appendHeader(name, value);
  if (parts.body !== undefined) {
    const body = typeof parts.body === 'string' ? ownUtf8(parts.body) : parts.body;
    if (body.length > 0) message.setHeader('Content-Type', parts.contentType ?? 'application/sdp');
    message.body = body;
  }
}

export function bodyText(message: SipRequest | SipResponse): string | null {
  return message.bodyLength === 0 ? null : message.bodyUtf8();
}

export class IncomingRequest {
  private _response: SipResponse | null = null;

  constructor(
    readonly request: SipRequest,
    readonly source: MessageSource,
    protected readonly tx: ServerTransaction,
    /** Our tag for the To of responses (the dialog's local tag, or a fresh one). */
    protected readonly toTag: string | undefined,
    protected readonly extraHeaders: readonly (readonly [string, string])[] = [],
  ) {}

  /** The server transaction the request came in (for the UA core). */
  get transaction(): ServerTransaction {
    return this.tx;
  }

  get method(): string {
    return this.request.method;
  }

  /** The final response sent, or null while unanswered. */
  get response(): SipResponse | null {
    return this._response;
  }

  /** Sends a response (a final one once; later calls are ignored). Returns it. */
  respond(status: number, parts?: ResponseParts): SipResponse | null {
    if (this._response !== null) return null;
    const response = this.build(status, parts);
    if (status >= 200) this._response = response;
    this.tx.respond(response);
    return response;
  }

  protected build(status: number, parts?: ResponseParts): SipResponse {
    return buildResponse(this.request, status, parts, this.toTag, this.extraHeaders);
  }
}

/** A response to `request` (8.2.6) with our To tag, extra header fields and the parts. */
export function buildResponse(
  request: SipRequest,
  status: number,
  parts: ResponseParts | undefined,
  toTag: string | undefined,
  extraHeaders: readonly (readonly [string, string])[] = [],
): SipResponse {
  const response = createResponse(request, status, parts?.reason, toTag);
  for (const [name, value] of extraHeaders) response.appendHeader(name, value);
  addParts(response, parts);
  return response;
}
