/** SipRequest: a request (RFC 3261 7.1), its method, Request-URI and version on top of SipMessage. */
import type { HeaderField } from './header-field.js';
import { EMPTY_BODY, SipMessage } from './message.js';
import type { Uri } from './types.js';
import { parseUriRange, serializeUri } from './uri.js';

export class SipRequest extends SipMessage {
  readonly kind = 'request' as const;
  private _method: string;
  private _uriText: string;
  private _uri: Uri | undefined;
  private _version: string;

  constructor(
    method: string,
    uri: string | Uri,
    headers: HeaderField[] = [],
    body: Buffer = EMPTY_BODY,
    version = 'SIP/2.0',
    head = '',
    wire: Buffer | null = null,
  ) {
    super(headers, body, head, wire);
    this._method = method;
    if (typeof uri === 'string') {
      this._uriText = uri;
      this._uri = undefined;
    } else {
      this._uri = uri;
      this._uriText = serializeUri(uri);
    }
    this._version = version;
  }

  get method(): string {
    return this._method;
  }

  set method(m: string) {
    this._method = m;
    this.startLineChanged();
  }

  /** The Request-URI as written. */
  get uriText(): string {
    return this._uriText;
  }

  /** The Request-URI, parsed on first use (no <>, no headers, no spaces). */
  get uri(): Uri {
    let uri = this._uri;
    if (uri === undefined) {
      const text = this._uriText;
      uri = parseUriRange(text, 0, text.length, true); // parseUri(text, { requestUri: true }) without the options object
      this._uri = uri;
    }
    return uri;
  }

  set uri(uri: Uri) {
    this._uri = uri;
    this._uriText = serializeUri(uri);
    this.startLineChanged();
  }

  get version(): string {
    return this._version;
  }

  get startLine(): string {
    return `${this._method} ${this._uriText} ${this._version}`;
  }

  override parseRoutingHeaders(valueStarts?: Int32Array, defer = false): void {
    if (!defer) void this.uri;
    super.parseRoutingHeaders(valueStarts, defer);
  }

  override completeParse(): void {
    if (!this.deferred) return;
    void this.uri;
    super.completeParse();
  }
}
