import { describe, expect, it } from 'vitest';
import {
  createInDialogRequest,
  createUacDialog,
  createUasDialog,
  inDialogRequestText,
  requestTarget,
  terminateDialog,
  type DialogRecord,
  type InDialogRequestOptions,
} from '../../src/dialog/index.js';
import { parseMessage, serializeMessage, SipRequest } from '../../src/sip/index.js';
import { ALICE_CONTACT, ALICE_FROM, aliceInvite, aliceResponse, BOB_CONTACT, BOB_TO, bobInvite, bobResponse, CALL_ID, frozen, request, response, errorCode } from './fixtures.js';

const OPTS: InDialogRequestOptions = { branch: 'z9hG4bKnashds7', via: { transport: 'tcp', host: 'client.atlanta.example.com', port: 5060 } };

function reparse(r: SipRequest): SipRequest {
  const m = parseMessage(serializeMessage(r), { mode: 'all' });
  expect(m).toBeInstanceOf(SipRequest);
  return m as SipRequest;
}

function routes(r: SipRequest): string[] {
  return r.headerValues('route');
}

/** A confirmed UAS dialog with a given route set and remote target (the shape 12.1.1 gives). */
function dialogWith(routeSet: string[], remoteTarget: string): DialogRecord {
  return { ...createUasDialog(bobInvite(), bobResponse(200)), routeSet, remoteTarget };
}

describe('createInDialogRequest (RFC 3261 12.2.1.1)', () => {
  it('builds a BYE over loose routes: Request-URI = remote target, Route = route set', () => {
    const alice = frozen(createUacDialog(aliceInvite(), aliceResponse(200)));
    const { request: bye, dialog } = createInDialogRequest(alice, 'BYE', OPTS);
    const r = reparse(bye);
    expect(r.method).toBe('BYE');
    expect(r.uriText).toBe(BOB_CONTACT);
    expect(routes(r)).toEqual(['<sip:ss1.atlanta.example.com;lr>', '<sip:ss2.biloxi.example.com;lr>']);
    expect(r.header('via')).toBe('SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bKnashds7');
    expect(r.maxForwards).toBe(70);
    expect(r.header('from')).toBe(ALICE_FROM);
    expect(r.header('to')).toBe(`${BOB_TO};tag=314159`);
    expect(r.fromTag).toBe('9fxced76sl');
    expect(r.toTag).toBe('314159');
    expect(r.callId).toBe(CALL_ID);
    expect(r.cseq).toEqual({ seq: 2, method: 'BYE' });
    expect(r.header('contact')).toBeUndefined(); // BYE is no target refresh
    expect(r.header('content-length')).toBe('0');
    expect(dialog.localSeq).toBe(2);
    expect(alice.localSeq).toBe(1); // the input record is untouched (frozen, too)
    const again = createInDialogRequest(dialog, 'INFO', { ...OPTS, branch: 'z9hG4bKb' });
    expect(again.request.cseq.seq).toBe(3);
    expect(again.dialog.localSeq).toBe(3);
  });

  it('starts a UAS local CSeq from empty at 1', () => {
    const bob = createUasDialog(bobInvite(), bobResponse(200));
    const { request: bye, dialog } = createInDialogRequest(bob, 'BYE', OPTS);
    expect(bye.cseq.seq).toBe(1);
    expect(dialog.localSeq).toBe(1);
    expect(bye.uriText).toBe(ALICE_CONTACT);
    expect(routes(bye)).toEqual(['<sip:ss2.biloxi.example.com;lr>', '<sip:ss1.atlanta.example.com;lr>']);
    expect(bye.header('from')).toBe(`${BOB_TO};tag=314159`);
    expect(bye.header('to')).toBe(ALICE_FROM);
  });

  it('sends straight to the remote target with no route set', () => {
    const { request: r } = createInDialogRequest(dialogWith([], 'sip:alice@192.0.2.101:5070'), 'BYE', OPTS);
    expect(r.uriText).toBe('sip:alice@192.0.2.101:5070');
    expect(r.has('route')).toBe(false);
  });

  it('follows the strict-routing example of 12.2.1.1', () => {
    const d = dialogWith(['<sip:proxy1>', '<sip:proxy2>', '<sip:proxy3;lr>', '<sip:proxy4>'], 'sip:user@remoteua');
    expect(requestTarget(d)).toEqual({
      requestUri: 'sip:proxy1',
      routes: ['<sip:proxy2>', '<sip:proxy3;lr>', '<sip:proxy4>', '<sip:user@remoteua>'],
    });
    const r = reparse(createInDialogRequest(d, 'BYE', OPTS).request);
    expect(r.startLine).toBe('BYE sip:proxy1 SIP/2.0');
    expect(routes(r)).toEqual(['<sip:proxy2>', '<sip:proxy3;lr>', '<sip:proxy4>', '<sip:user@remoteua>']);
  });

  it('strips what a Request-URI may not hold from a strict route (19.1.1 Table 1)', () => {
    const d = dialogWith(['<sip:proxy1;transport=tcp;method=INVITE>', '<sip:proxy2;lr>'], 'sip:user@remoteua');
    expect(requestTarget(d).requestUri).toBe('sip:proxy1;transport=tcp');
  });

  describe('RFC 3261 16.12.1.2, traversing a strict-routing proxy', () => {
    const RR = ['<sip:p4.domain.com;lr>', '<sip:p3.middle.com>', '<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>'];
    const invite = request([
      'INVITE sip:callee@u2.domain.com SIP/2.0',
      'Via: SIP/2.0/UDP p4.domain.com;branch=z9hG4bKp4',
      'From: <sip:caller@u1.example.com>;tag=u1',
      'To: <sip:callee@domain.com>',
      'Call-ID: strict1612',
      'CSeq: 1 INVITE',
      'Contact: sip:caller@u1.example.com',
      ...RR.map((v) => `Record-Route: ${v}`),
      '',
      '',
    ]);
    const ok = response([
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP p4.domain.com;branch=z9hG4bKp4',
      'From: <sip:caller@u1.example.com>;tag=u1',
      'To: <sip:callee@domain.com>;tag=u2',
      'Call-ID: strict1612',
      'CSeq: 1 INVITE',
      'Contact: <sip:callee@u2.domain.com>',
      ...RR.map((v) => `Record-Route: ${v}`),
      '',
      '',
    ]);

    it("U2's BYE: Request-URI caller@u1, Route the Record-Route values in order", () => {
      const u2 = createUasDialog(invite, ok);
      const r = reparse(createInDialogRequest(u2, 'BYE', OPTS).request);
      expect(r.startLine).toBe('BYE sip:caller@u1.example.com SIP/2.0');
      expect(routes(r)).toEqual(RR);
    });

    it('a UA whose next hop is the strict router P3 builds what P4 forwards in the example', () => {
      const r = createInDialogRequest(dialogWith(RR.slice(1), 'sip:caller@u1.example.com'), 'BYE', OPTS).request;
      expect(r.startLine).toBe('BYE sip:p3.middle.com SIP/2.0');
      expect(routes(r)).toEqual(['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>', '<sip:caller@u1.example.com>']);
    });

    it("U1 (the UAC) uses the reversed route set: p1, p2, p3, p4", () => {
      const inviteU1 = request([
        'INVITE sip:callee@domain.com SIP/2.0',
        'Via: SIP/2.0/UDP u1.example.com;branch=z9hG4bKu1',
        'From: <sip:caller@u1.example.com>;tag=u1',
        'To: <sip:callee@domain.com>',
        'Call-ID: strict1612',
        'CSeq: 1 INVITE',
        'Contact: sip:caller@u1.example.com',
        '',
        '',
      ]);
      const u1 = createUacDialog(inviteU1, ok);
      const r = createInDialogRequest(u1, 'BYE', OPTS).request;
      expect(r.uriText).toBe('sip:callee@u2.domain.com');
      expect(routes(r)).toEqual([...RR].reverse());
    });
  });

  it('puts Contact, body and Content-Type in a re-INVITE, and extra headers in order', () => {
    const alice = createUacDialog(aliceInvite(), aliceResponse(200));
    const sdp = 'v=0\r\no=alice 1 2 IN IP4 192.0.2.101\r\n';
    const { request: r0 } = createInDialogRequest(alice, 'INVITE', {
      ...OPTS,
      body: sdp,
      contentType: 'application/sdp',
      maxForwards: 10,
      extraHeaders: [
        ['Supported', 'timer'],
        ['Session-Expires', '1800;refresher=uac'],
      ],
    });
    const r = reparse(r0);
    expect(r.header('contact')).toBe(`<${ALICE_CONTACT}>`);
    expect(r.contact).not.toBe('*');
    expect(r.maxForwards).toBe(10);
    expect(r.contentType).toMatchObject({ type: 'application', subtype: 'sdp' });
    expect(r.body.toString('latin1')).toBe(sdp);
    expect(r.header('content-length')).toBe(String(sdp.length));
    expect(r.header('supported')).toBe('timer');
    expect(r.header('session-expires')).toBe('1800;refresher=uac');
    const names = r.headers.map((h) => h.key);
    expect(names.indexOf('supported')).toBeLessThan(names.indexOf('session-expires'));
    expect(createInDialogRequest(alice, 'UPDATE', OPTS).request.has('contact')).toBe(true);
    expect(createInDialogRequest(alice, 'INFO', { ...OPTS, contact: true }).request.has('contact')).toBe(true);
  });

  it('brackets an IPv6 Via host and can ask for rport', () => {
    const alice = createUacDialog(aliceInvite(), aliceResponse(200));
    const { request: r } = createInDialogRequest(alice, 'BYE', { ...OPTS, via: { transport: 'udp', host: '2001:db8::1', port: 5062, rport: true } });
    expect(r.header('via')).toBe('SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bKnashds7;rport');
    expect(reparse(r).topVia).toMatchObject({ host: '2001:db8::1', port: 5062, rport: true });
  });

  it('refuses ACK, CANCEL, a terminated dialog, a bad branch and a body without type', () => {
    const alice = createUacDialog(aliceInvite(), aliceResponse(200));
    expect(errorCode(() => createInDialogRequest(alice, 'ACK', OPTS))).toBe('SLUICE_ERR_DIALOG_INVALID');
    expect(errorCode(() => createInDialogRequest(alice, 'CANCEL', OPTS))).toBe('SLUICE_ERR_DIALOG_INVALID');
    expect(errorCode(() => createInDialogRequest(terminateDialog(alice), 'BYE', OPTS))).toBe('SLUICE_ERR_DIALOG_TERMINATED');
    expect(errorCode(() => createInDialogRequest(alice, 'BYE', { ...OPTS, branch: 'abc' }))).toBe('SLUICE_ERR_DIALOG_INVALID');
    expect(errorCode(() => createInDialogRequest(alice, 'INFO', { ...OPTS, body: 'x' }))).toBe('SLUICE_ERR_DIALOG_INVALID');
  });
});

describe('inDialogRequestText', () => {
  it('is the text createInDialogRequest serializes to, byte for byte, over loose, strict and no routes', () => {
    const routed = frozen(createUacDialog(aliceInvite(), aliceResponse(200)));
    const dialogs = [routed, { ...routed, routeSet: [] }, { ...routed, routeSet: ['<sip:strict.example.com>', '<sip:ss2.biloxi.example.com;lr>'] }];
    const via = { transport: 'udp', host: '192.0.2.1', port: 5060, rport: true };
    for (const dialog of dialogs) {
      for (const [method, extra] of [
        ['BYE', {}],
        ['BYE', { extraHeaders: [['Proxy-Authorization', 'Digest username="alice"'], ['X-A', '1']] as const }],
        ['INFO', { contact: true }],
        ['UPDATE', {}],
      ] as const) {
        const options = { branch: 'z9hG4bKbye9', via, ...extra };
        const made = createInDialogRequest(dialog, method, options);
        const text = inDialogRequestText(dialog, method, options);
        expect(text.text).toBe(serializeMessage(made.request).toString('latin1'));
        expect(text.dialog).toEqual(made.dialog);
      }
    }
  });

  it('refuses ACK, CANCEL, a terminated dialog, a bad branch and any body', () => {
    const alice = createUacDialog(aliceInvite(), aliceResponse(200));
    expect(errorCode(() => inDialogRequestText(alice, 'ACK', OPTS))).toBe('SLUICE_ERR_DIALOG_INVALID');
    expect(errorCode(() => inDialogRequestText(alice, 'CANCEL', OPTS))).toBe('SLUICE_ERR_DIALOG_INVALID');
    expect(errorCode(() => inDialogRequestText(terminateDialog(alice), 'BYE', OPTS))).toBe('SLUICE_ERR_DIALOG_TERMINATED');
    expect(errorCode(() => inDialogRequestText(alice, 'BYE', { ...OPTS, branch: 'abc' }))).toBe('SLUICE_ERR_DIALOG_INVALID');
    expect(errorCode(() => inDialogRequestText(alice, 'INFO', { ...OPTS, body: 'x', contentType: 'text/plain' }))).toBe('SLUICE_ERR_DIALOG_INVALID');
  });
});
