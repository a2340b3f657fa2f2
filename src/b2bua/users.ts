import { isSipUri, type Uri } from '../sip/index.js';

/** The user part of a sip:/sips: URI ('' for none, or for another scheme): what routing matches. */
export function userOf(uri: Uri): string {
  return isSipUri(uri) && uri.user !== null ? uri.user : '';
}
