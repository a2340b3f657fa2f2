import { SluiceError } from '../errors.js';

/** Stable codes of the media layer (callers switch on these, never on messages). */
export type MediaErrorCode =
  /** A realm's media section cannot work (bad address, empty or inverted port range). */
  | 'SLUICE_ERR_MEDIA_CONFIG'
  /** open() named a realm the relay was not configured with. */
  | 'SLUICE_ERR_MEDIA_REALM'
  /** open() reused the id of a stream that is still open. */
  | 'SLUICE_ERR_MEDIA_DUPLICATE'
  /** setRemote() got an address or port that cannot be a media destination. */
  | 'SLUICE_ERR_MEDIA_REMOTE'
  /** The relay was closed. */
  | 'SLUICE_ERR_MEDIA_CLOSED'
  /** A media worker thread died (its streams are closed) or none is running. */
  | 'SLUICE_ERR_MEDIA_WORKER';

/**
 * A refused media request. `status` is the SIP answer the B2BUA should give when the error comes
 * from a peer's SDP (488) or from the relay itself (500/503); it is only a hint.
 */
export class MediaError extends SluiceError {
  declare readonly code: MediaErrorCode;

  constructor(code: MediaErrorCode, message: string, status?: number, options?: { cause?: unknown }) {
    super(code, message, status, options);
  }
}
