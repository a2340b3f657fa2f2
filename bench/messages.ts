/** Realistic messages for the parser benchmarks (as a softphone, a PBX and a BLF server send them). */
const crlf = (lines: string[]): string => lines.join('\r\n');

const SDP = crlf([
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.101',
  's=-',
  'c=IN IP4 192.0.2.101',
  't=0 0',
  'm=audio 49172 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
]);

export const INVITE = crlf([
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9;rport',
  'Max-Forwards: 70',
  'From: "Alice" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  'To: Bob <sip:bob@biloxi.example.com>',
  'Call-ID: 3848276298220188511@atlanta.example.com',
  'CSeq: 1 INVITE',
  'Contact: <sip:alice@192.0.2.101:5060;transport=udp>',
  'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO, UPDATE, PRACK',
  'Supported: replaces, timer, 100rel',
  'User-Agent: Softphone/5.1',
  'Content-Type: application/sdp',
  `Content-Length: ${SDP.length}`,
  '',
  SDP,
]);

export const OK_200 = crlf([
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9;rport=5060;received=198.51.100.7',
  'From: "Alice" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  'To: Bob <sip:bob@biloxi.example.com>;tag=8321234356',
  'Call-ID: 3848276298220188511@atlanta.example.com',
  'CSeq: 1 INVITE',
  'Contact: <sip:bob@192.0.2.4:5060>',
  'Record-Route: <sip:sbc.example.net;lr>',
  'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO, UPDATE, PRACK',
  'Supported: replaces, timer',
  'Content-Type: application/sdp',
  `Content-Length: ${SDP.length}`,
  '',
  SDP,
]);

export const REGISTER = crlf([
  'REGISTER sip:registrar.biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bKnashds7;rport',
  'Max-Forwards: 70',
  'From: Bob <sip:bob@biloxi.example.com>;tag=456248',
  'To: Bob <sip:bob@biloxi.example.com>',
  'Call-ID: 843817637684230@998sdasdh09',
  'CSeq: 1826 REGISTER',
  'Contact: <sip:bob@192.168.1.20:5060;transport=udp>;expires=3600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"',
  'Expires: 3600',
  'Authorization: Digest username="bob", realm="biloxi.example.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:registrar.biloxi.example.com", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b"',
  'User-Agent: Softphone/5.1',
  'Content-Length: 0',
  '',
  '',
]);

function dialogInfo(bytes: number): string {
  const parts = ['<?xml version="1.0"?>\r\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="7" state="full" entity="sip:blf@example.com">\r\n'];
  let size = parts[0]!.length;
  for (let i = 0; size < bytes - 40; i++) {
    const d = `<dialog id="d${i}" call-id="c${i}@pbx" local-tag="l${i}" remote-tag="r${i}" direction="recipient"><state>confirmed</state><local><identity>sip:${1000 + i}@example.com</identity></local></dialog>\r\n`;
    parts.push(d);
    size += d.length;
  }
  parts.push('</dialog-info>\r\n');
  return parts.join('');
}

const BLF = dialogInfo(60_000);
export const NOTIFY_60K = crlf([
  'NOTIFY sip:blf@192.0.2.50:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1d8f0;rport',
  'Max-Forwards: 70',
  'From: <sip:pbx@example.com>;tag=n88c1',
  'To: <sip:blf@example.com>;tag=s5512',
  'Call-ID: blf-subscription-77@192.0.2.50',
  'CSeq: 42 NOTIFY',
  'Contact: <sip:pbx@192.0.2.10:5060>',
  'Event: dialog',
  'Subscription-State: active;expires=3600',
  'Content-Type: application/dialog-info+xml',
  `Content-Length: ${BLF.length}`,
  '',
  BLF,
]);

// ---- one benchmark call as Sluice receives it (sipp uac -> Sluice -> sipp uas) ----------------

const sippSdp = (port: number): string =>
  crlf(['v=0', 'o=user1 53655765 2353687637 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', '']);
const uacSdp = sippSdp(6000);
const uasSdp = sippSdp(6002);
/** What sipp uas echoes of the INVITE Sluice sent it. */
const outVia = 'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsl7f3a9c21e04b;rport';
const outFrom = 'From: <sip:sipp@127.0.0.1>;tag=a81f3c0d92';
const outTo = 'To: <sip:service@127.0.0.1:5062>';
const outCallId = 'Call-ID: 5c2e91a0f3b7d4e8@sluice';
const uacRequest = (first: string, branch: string, to: string, cseq: string, rest: string[]): string =>
  crlf([
    first,
    `Via: SIP/2.0/UDP 127.0.0.1:5061;branch=${branch}`,
    'From: sipp <sip:sipp@127.0.0.1:5061>;tag=12345SIPpTag001',
    `To: ${to}`,
    'Call-ID: 1-12345@127.0.0.1',
    `CSeq: ${cseq}`,
    'Contact: sip:sipp@127.0.0.1:5061',
    'Max-Forwards: 70',
    'Subject: Performance Test',
    ...rest,
  ]);

/**
 * The seven messages Sluice parses for each call of the sipp benchmark, in order: the uac's
 * INVITE, the uas's 100, 180 and 200 (to Sluice's INVITE), the uac's ACK and BYE, the uas's 200
 * to Sluice's BYE.
 */
export const CALL_MESSAGES: readonly string[] = [
  uacRequest('INVITE sip:service@127.0.0.1:5060 SIP/2.0', 'z9hG4bK-12345-1-0', 'service <sip:service@127.0.0.1:5060>', '1 INVITE', [
    'Content-Type: application/sdp',
    `Content-Length: ${uacSdp.length}`,
    '',
    uacSdp,
  ]),
  crlf(['SIP/2.0 100 Trying', outVia, outFrom, outTo, outCallId, 'CSeq: 1 INVITE', 'Content-Length: 0', '', '']),
  crlf(['SIP/2.0 180 Ringing', outVia, outFrom, `${outTo};tag=23456SIPpTag011`, outCallId, 'CSeq: 1 INVITE', 'Contact: <sip:127.0.0.1:5062;transport=UDP>', 'Content-Length: 0', '', '']),
  crlf([
    'SIP/2.0 200 OK', outVia, outFrom, `${outTo};tag=23456SIPpTag011`, outCallId, 'CSeq: 1 INVITE', 'Contact: <sip:127.0.0.1:5062;transport=UDP>',
    'Content-Type: application/sdp', `Content-Length: ${uasSdp.length}`, '', uasSdp,
  ]),
  uacRequest('ACK sip:service@127.0.0.1:5060 SIP/2.0', 'z9hG4bK-12345-1-5', 'service <sip:service@127.0.0.1:5060>;tag=b93e01f7c4', '1 ACK', ['Content-Length: 0', '', '']),
  uacRequest('BYE sip:service@127.0.0.1:5060 SIP/2.0', 'z9hG4bK-12345-1-7', 'service <sip:service@127.0.0.1:5060>;tag=b93e01f7c4', '2 BYE', ['Content-Length: 0', '', '']),
  crlf(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsl0b2d77e1a9c3;rport', outFrom, `${outTo};tag=23456SIPpTag011`, outCallId, 'CSeq: 2 BYE', 'Content-Length: 0', '', '']),
];

