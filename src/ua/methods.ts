/** What this SIP stack offers: the methods it allows, the extensions it supports, the methods it knows. */
export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, MESSAGE, REFER, NOTIFY, SUBSCRIBE';
export const SUPPORTED = ['100rel', 'timer'];
/** Methods this stack knows: without a handler they get 405 (not allowed here), others 501. */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([...ALLOW.split(', '), 'REGISTER', 'PUBLISH']);
