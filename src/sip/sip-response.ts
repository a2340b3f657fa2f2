/** SipResponse: a response (RFC 3261 7.2), its status, reason phrase and version on top of SipMessage. */
import type { HeaderField } from './header-field.js';
import { EMPTY_BODY, SipMessage } from './message.js';

export class SipResponse extends SipMessage {
  readonly kind = 'response' as const;
  private _status: number;
  private _reason: string;
  private _version: string;

  constructor(
    status: number,
    reason: string,
    headers: HeaderField[] = [],
    body: Buffer = EMPTY_BODY,
    version = 'SIP/2.0',
    head = '',
    wire: Buffer | null = null,
  ) {
    super(headers, body, head, wire);
    this._status = status;
    this._reason = reason;
    this._version = version;
  }

  get status(): number {
    return this._status;
  }

  set status(s: number) {
    this._status = s;
    this.startLineChanged();
  }

  /** The reason phrase, a byte string (decode with utf8() to show it). */
  get reason(): string {
    return this._reason;
  }

  set reason(r: string) {
    this._reason = r;
    this.startLineChanged();
  }

  get version(): string {
    return this._version;
  }

  get startLine(): string {
    return `${this._version} ${this._status} ${this._reason}`;
  }
}
