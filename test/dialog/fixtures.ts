/**
 * RFC 3665 3.2-style messages (Alice calls Bob through ss1.atlanta and ss2.biloxi, both
 * record-routing over TCP), as each UA sees them on the wire.
 */
import { parseMessage, SipRequest, SipResponse } from '../../src/sip/index.js';
import { DialogError } from '../../src/dialog/index.js';

export function text(lines: readonly string[]): Buffer {
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

export function request(lines: readonly string[]): SipRequest {
  const m = parseMessage(text(lines));
  if (!(m instanceof SipRequest)) throw new Error('not a request');
  return m;
}

export function response(lines: readonly string[]): SipResponse {
  const m = parseMessage(text(lines));
  if (!(m instanceof SipResponse)) throw new Error('not a response');
  return m;
}

export const CALL_ID = '3848276298220188511@atlanta.example.com';
export const ALICE_FROM = 'Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl';
export const BOB_TO = 'Bob <sip:bob@biloxi.example.com>';
export const ALICE_CONTACT = 'sip:alice@client.atlanta.example.com;transport=tcp';
export const BOB_CONTACT = 'sip:bob@client.biloxi.example.com;transport=tcp';

const SDP = ['v=0', 'o=alice 2890844526 2890844526 IN IP4 client.atlanta.example.com', 's=-', 'c=IN IP4 192.0.2.101', 't=0 0', 'm=audio 49172 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

/** F1: the INVITE as Alice sends it (her outbound proxy preloaded as a Route). */
export function aliceInvite(extra: string[] = []): SipRequest {
  return request([
    'INVITE sip:bob@biloxi.example.com SIP/2.0',
    'Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9',
    'Max-Forwards: 70',
    'Route: <sip:ss1.atlanta.example.com;lr>',
    `From: ${ALICE_FROM}`,
    `To: ${BOB_TO}`,
    `Call-ID: ${CALL_ID}`,
    'CSeq: 1 INVITE',
    `Contact: <${ALICE_CONTACT}>`,
    ...extra,
    'Content-Type: application/sdp',
    `Content-Length: ${SDP.length}`,
    '',
    SDP,
  ]);
}

/** F6: the INVITE as it reaches Bob, with both Record-Routes. */
export function bobInvite(requestUri = 'sip:bob@client.biloxi.example.com'): SipRequest {
  return request([
    `INVITE ${requestUri} SIP/2.0`,
    'Via: SIP/2.0/TCP ss2.biloxi.example.com:5060;branch=z9hG4bK721e4.1',
    'Via: SIP/2.0/TCP ss1.atlanta.example.com:5060;branch=z9hG4bK2d4790.1;received=192.0.2.111',
    'Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101',
    'Max-Forwards: 68',
    'Record-Route: <sip:ss2.biloxi.example.com;lr>',
    'Record-Route: <sip:ss1.atlanta.example.com;lr>',
    `From: ${ALICE_FROM}`,
    `To: ${BOB_TO}`,
    `Call-ID: ${CALL_ID}`,
    'CSeq: 1 INVITE',
    `Contact: <${ALICE_CONTACT}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${SDP.length}`,
    '',
    SDP,
  ]);
}

const BOB_VIAS = [
  'Via: SIP/2.0/TCP ss2.biloxi.example.com:5060;branch=z9hG4bK721e4.1;received=192.0.2.222',
  'Via: SIP/2.0/TCP ss1.atlanta.example.com:5060;branch=z9hG4bK2d4790.1;received=192.0.2.111',
  'Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101',
];

/** F8 / F11: Bob's 180 or 200 as he sends it. */
export function bobResponse(status: 180 | 200, toTag = '314159', contact = BOB_CONTACT): SipResponse {
  return response([
    `SIP/2.0 ${status} ${status === 180 ? 'Ringing' : 'OK'}`,
    ...BOB_VIAS,
    'Record-Route: <sip:ss2.biloxi.example.com;lr>',
    'Record-Route: <sip:ss1.atlanta.example.com;lr>',
    `From: ${ALICE_FROM}`,
    `To: ${BOB_TO};tag=${toTag}`,
    `Call-ID: ${CALL_ID}`,
    'CSeq: 1 INVITE',
    `Contact: <${contact}>`,
    'Content-Length: 0',
    '',
    '',
  ]);
}

/**
 * A response as Alice receives it: one Via left. `recordRoute` are the Record-Route field
 * values in wire order; `contact` null leaves Contact out.
 */
export function aliceResponse(
  status: number,
  options: { toTag?: string | null; contact?: string | null; recordRoute?: string[]; cseq?: string } = {},
): SipResponse {
  const tag = options.toTag === undefined ? '314159' : options.toTag;
  const contact = options.contact === undefined ? BOB_CONTACT : options.contact;
  const rr = options.recordRoute ?? ['<sip:ss2.biloxi.example.com;lr>', '<sip:ss1.atlanta.example.com;lr>'];
  return response([
    `SIP/2.0 ${status} Whatever`,
    'Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101',
    ...rr.map((v) => `Record-Route: ${v}`),
    `From: ${ALICE_FROM}`,
    `To: ${BOB_TO}${tag === null ? '' : `;tag=${tag}`}`,
    `Call-ID: ${CALL_ID}`,
    `CSeq: ${options.cseq ?? '1 INVITE'}`,
    ...(contact === null ? [] : [`Contact: <${contact}>`]),
    'Content-Length: 0',
    '',
    '',
  ]);
}

/** Deep-freezes a record so a test fails if anything mutates it. */
export function frozen<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

/** The stable code of the DialogError `fn` throws; 'other' for any other error, 'none' when it throws nothing. */
export function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof DialogError ? e.code : 'other';
  }
  return 'none';
}
