import { describe as group, expect, it } from 'vitest';
import { createInDialogRequest } from '../../src/dialog/index.js';
import type { UserAgent } from '../../src/ua/index.js';
import { UaError, type IncomingOffer, type Session, type SessionEnd } from '../../src/ua/index.js';
import { ANSWER, Network, OFFER } from './wire.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

/** A call from A to B, answered; both sessions. */
async function established(net: Network, a: UserAgent, b: UserAgent): Promise<{ sa: Session; sb: Session }> {
  let sb: Session | undefined;
  b.handler = { onInvite: (call) => (sb = call.accept({ body: ANSWER })) };
  const call = a.invite({ uri: `sip:bob@${B}:5060`, from: '<sip:alice@example.com>', body: OFFER });
  await net.settle();
  const sa = await call.answered;
  return { sa, sb: sb! };
}

// Each group runs on the general path and on the lean path of the common call (ua/lean-invites.ts).
const PATHS = [{ path: 'general', lean: false }, { path: 'lean', lean: true }];

group.each(PATHS)('sessions ($path path)', ({ lean }) => {
  it('carries a re-INVITE (hold) both ways with the SDP in force updated', async () => {
    const net = new Network({ lean });
    const a = net.ua(A);
    const b = net.ua(B);
    const { sa, sb } = await established(net, a, b);
    const offers: string[] = [];
    sb.handler = {
      onOffer(offer: IncomingOffer) {
        offers.push(offer.sdp ?? '');
        offer.accept({ body: ANSWER.replace('m=audio', 'a=recvonly\r\nm=audio') });
      },
    };
    const hold = OFFER + 'a=sendonly\r\n';
    const r = sa.reinvite({ body: hold });
    await net.settle();
    expect((await r).status).toBe(200);
    expect(offers).toEqual([hold]);
    expect(sa.record.localSdp).toBe(hold);
    expect(sa.record.remoteSdp).toContain('recvonly');
    expect(sb.record.remoteSdp).toBe(hold);
    expect(net.sent('ACK 2', A)).toHaveLength(1);
    // The other way, answered by default with B's SDP in force.
    const r2 = sb.reinvite({ body: ANSWER });
    await net.settle();
    expect((await r2).status).toBe(200);
    expect(sb.record.remoteSdp).toBe(hold);
  });

  it('resolves re-INVITE glare with 491 and the randomised retry of RFC 3261 14.1', async () => {
    const net = new Network({ lean });
    const a = net.ua(A, { random: () => 0.5 });
    const b = net.ua(B, { random: () => 0.5 });
    const { sa, sb } = await established(net, a, b);
    const ra = sa.reinvite({ body: OFFER });
    const rb = sb.reinvite({ body: ANSWER });
    await net.settle();
    expect(net.sent('491 INVITE')).toHaveLength(2);
    // B (not the Call-ID owner) retries after 0-2 s (1.0 s here); A after 2.1-4 s (3.05 s).
    await net.run(1100, 50);
    expect((await rb).status).toBe(200);
    await net.run(2500, 50);
    expect((await ra).status).toBe(200);
    const retries = net.sent('INVITE').filter((s) => s.at > 0).map((s) => [s.from, s.at]);
    expect(retries).toEqual([
      [B, 1000],
      [A, 3050],
    ]);
  });

  it('refuses a second re-INVITE while one is in progress (500 with Retry-After) and a local one with UaError', async () => {
    const net = new Network({ lean });
    const a = net.ua(A);
    const b = net.ua(B);
    const { sa, sb } = await established(net, a, b);
    let held: IncomingOffer | undefined;
    sb.handler = { onOffer: (o) => (held = o) };
    const first = sa.reinvite({ body: OFFER });
    await net.settle();
    expect(held).toBeDefined();
    await expect(sb.reinvite({ body: ANSWER })).rejects.toBeInstanceOf(UaError);
    // A second offer of A's own, on a new dialog request, meets B's open transaction: 500.
    const next = createInDialogRequest(sa.record.dialog, 'UPDATE', { branch: 'z9hG4bKextra', via: { transport: 'UDP', host: A, port: 5060 }, body: OFFER, contentType: 'application/sdp' });
    sa.record.dialog = next.dialog;
    const upd = a.transact(next.request, await sa.destination());
    await net.settle();
    const res = await upd;
    expect(res.status).toBe(500);
    expect(res.header('retry-after')).toBeDefined();
    held!.accept({ body: ANSWER });
    await net.settle();
    expect((await first).status).toBe(200);
  });

  it('takes an UPDATE in an early dialog (RFC 3311) and in a confirmed one', async () => {
    const net = new Network({ lean });
    const a = net.ua(A);
    const b = net.ua(B);
    let early: Session | null = null;
    let accept: (() => void) | undefined;
    b.handler = {
      onInvite(call) {
        call.progress(183, { reliable: true, body: ANSWER });
        accept = () => call.accept({ body: ANSWER });
      },
    };
    const call = a.invite({ uri: `sip:bob@${B}:5060`, from: '<sip:alice@example.com>', body: OFFER });
    // The lean path makes the early session when asked for it (earlySession), not with the 183.
    call.onProvisional = (_r, s) => (early = s ?? call.earlySession());
    await net.settle();
    expect(early).not.toBeNull();
    const upd = early!.update({ body: OFFER + 'a=inactive\r\n' });
    await net.settle();
    expect((await upd).status).toBe(200);
    accept!();
    await net.settle();
    const s = await call.answered;
    expect(s).toBe(early);
    const upd2 = s.update({ body: OFFER });
    await net.settle();
    expect((await upd2).status).toBe(200);
  });

  it('refuses an out-of-order CSeq with 500 and Retry-After (RFC 3261 12.2.2)', async () => {
    const net = new Network({ lean });
    const a = net.ua(A);
    const b = net.ua(B);
    const { sa } = await established(net, a, b);
    const info = sa.request('INFO', { body: 'Signal=5\r\n', contentType: 'application/dtmf-relay' });
    await net.settle();
    expect((await info).status).toBe(405); // no handler for INFO: a known method, not allowed
    const stale = createInDialogRequest({ ...sa.record.dialog, localSeq: 0 }, 'OPTIONS', { branch: 'z9hG4bKold', via: { transport: 'UDP', host: A, port: 5060 } });
    const res = a.transact(stale.request, await sa.destination());
    await net.settle();
    expect((await res).status).toBe(500);
    expect((await res).header('retry-after')).toMatch(/^\d+$/);
  });

  it('hands INFO, MESSAGE and unknown methods in a dialog to the application (501 by default)', async () => {
    const net = new Network({ lean });
    const a = net.ua(A);
    const b = net.ua(B);
    const { sa, sb } = await established(net, a, b);
    const seen: string[] = [];
    sb.handler = {
      onRequest(incoming) {
        seen.push(incoming.method);
        if (incoming.method === 'INFO') incoming.respond(200);
        else incoming.respond(incoming.method === 'MESSAGE' ? 202 : 501);
      },
    };
    const r = [sa.request('INFO', { body: 'x', contentType: 'application/dtmf-relay' }), sa.request('MESSAGE', { body: 'hi', contentType: 'text/plain' }), sa.request('FOO')];
    await net.settle();
    expect((await Promise.all(r)).map((x) => x.status)).toEqual([200, 202, 501]);
    expect(seen).toEqual(['INFO', 'MESSAGE', 'FOO']);
  });
});

group.each(PATHS)('session timers (RFC 4028, $path path)', ({ lean }) => {
  const timer = { interval: 90, minSE: 90 };

  it('negotiates the UAC as refresher; it refreshes by re-INVITE at half the interval', async () => {
    const net = new Network({ lean });
    const a = net.ua(A, { sessionTimer: timer });
    const b = net.ua(B, { sessionTimer: timer });
    const { sa, sb } = await established(net, a, b);
    expect(sa.record.sessionTimer).toMatchObject({ interval: 90, weRefresh: true });
    expect(sb.record.sessionTimer).toMatchObject({ interval: 90, weRefresh: false });
    expect(net.sent('200 INVITE 1')[0]!.message.header('session-expires')).toBe('90;refresher=uac');
    await net.run(200_000, 1000);
    const refreshes = net.sent('INVITE', A).map((s) => s.at);
    expect(refreshes).toEqual([0, 45_000, 90_000, 135_000, 180_000]);
    expect(sa.state).toBe('confirmed');
    expect(sb.state).toBe('confirmed');
  });

  it('ends the session with BYE when no refresh comes (interval minus min(32, interval/3))', async () => {
    const net = new Network({ lean });
    const a = net.ua(A, { sessionTimer: timer });
    const b = net.ua(B, { sessionTimer: timer });
    const { sa, sb } = await established(net, a, b);
    const ends: SessionEnd[] = [];
    sb.handler = { onTerminated: (e) => ends.push(e) };
    net.drop = (s) => s.from === A && s.message.kind === 'request' && s.message.method === 'INVITE';
    await net.run(70_000, 1000);
    expect(ends).toEqual([{ by: 'local', cause: 'session-expired' }]);
    expect(net.sent('BYE', B)[0]!.at).toBe(60_000);
    expect(sa.state).toBe('terminated');
  });

  it('answers a too-small Session-Expires with 422 and Min-SE; the UAC asks again with it', async () => {
    const net = new Network({ lean });
    const a = net.ua(A, { sessionTimer: { interval: 90, minSE: 90 } });
    const b = net.ua(B, { sessionTimer: { interval: 1800, minSE: 300 } });
    const { sa } = await established(net, a, b);
    expect(net.sent('422 INVITE 1')).toHaveLength(1);
    expect(net.sent('422 INVITE 1')[0]!.message.header('min-se')).toBe('300');
    expect(net.sent('INVITE 2')[0]!.message.header('session-expires')).toBe('300');
    expect(sa.record.sessionTimer).toMatchObject({ interval: 300, weRefresh: true });
  });

  it('refreshes by UPDATE when configured so', async () => {
    const net = new Network({ lean });
    const a = net.ua(A, { sessionTimer: { ...timer, refreshWith: 'UPDATE' } });
    const b = net.ua(B, { sessionTimer: timer });
    await established(net, a, b);
    await net.run(50_000, 1000);
    expect(net.sent('UPDATE', A).map((s) => s.at)).toEqual([45_000]);
    expect(net.sent('200 UPDATE', B)[0]!.message.header('session-expires')).toBe('90;refresher=uac');
  });
});
