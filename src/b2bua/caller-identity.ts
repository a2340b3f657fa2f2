/** What of the caller's identity crosses to the callee's leg. */
import { serializeUri, type SipRequest } from '../sip/index.js';
import { userOf } from './users.js';

/**
 * The From of the callee's leg: the caller's display name and user part, at our address. The
 * user part crosses re-escaped (the parser unescaped it: a %0D%0A in it must not become a line
 * break here); our address is an IP literal (the configuration takes nothing else), so a colon
 * tells IPv6. Control characters, quotes and backslashes leave the display name.
 */
export function calleeFrom(invite: SipRequest, ours: string): string {
  const fromUser = userOf(invite.from.uri) || 'anonymous';
  const display = invite.from.displayName;
  const fromUri = serializeUri({ scheme: 'sip', user: fromUser, password: null, host: ours, hostKind: ours.includes(':') ? 'ipv6' : 'ipv4', port: null, params: [], headers: [] });
  const name = display === null ? '' : display.replace(/[\x00-\x1f\x7f"\\]/g, '');
  return `${name === '' ? '' : `"${name}" `}<${fromUri}>`;
}
