import { describe as group, expect, it } from 'vitest';
import { createChallenge, parseMessage, serializeMessage, verifyCredentials, type AuthValue, type SipRequest } from '../../src/sip/index.js';
import { CallFailed, type IncomingInvite, type OutgoingInvite, type Session, type SessionEnd, type UserAgent } from '../../src/ua/index.js';
import { collectAfterTurns } from '../../bench/lib/heap.js';
import { ANSWER, Network, OFFER } from './wire.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const callB = (net: Network, a = net.ua(A)) => a.invite({ uri: `sip:bob@${B}:5060`, from: '<sip:alice@example.com>', body: OFFER });

/** A message B sent (its text) as another fork would send it: the same but for its To tag. */
const withToTag = (text: string, tag: string): string => text.replace(/^(To: .*;tag=)[^;\r\n]+/m, (_, head: string) => head + tag);

/** Hands A a message as B would send it over UDP. */
const fromB = (a: UserAgent, text: string): void =>
  a.onMessage(parseMessage(Buffer.from(text, 'latin1')), { transport: 'UDP', address: B, port: 5060, local: { address: A, port: 5060 }, reliable: false });

/**
 * A call from A answered by B, whose OutgoingCall the test then holds only weakly: the tests of
 * what Timer M keeps read it back through `weak`.
 */
async function answeredCallLetGo(lean: boolean): Promise<{ net: Network; a: UserAgent; session: Session; weak: WeakRef<OutgoingInvite> }> {
  const net = new Network({ lean });
  const b = net.ua(B);
  const a = net.ua(A);
  b.handler = { onInvite: (c) => void c.accept({ body: ANSWER }) };
  const call = callB(net, a);
  const weak = new WeakRef(call);
  await net.settle();
  return { net, a, session: await call.answered, weak };
}

// Each test runs on the general path and on the lean path of the common call (ua/lean-invites.ts).
group.each([{ path: 'general', lean: false }, { path: 'lean', lean: true }])('UAC and UAS cores ($path path)', ({ lean }) => {
  it('places a call: INVITE, 180, 200, ACK; then BYE ends both sides', async () => {
    const net = new Network({ lean });
    const b = net.ua(B);
    let incoming: IncomingInvite | undefined;
    let bSession: Session | undefined;
    const ends: SessionEnd[] = [];
    let acked = 0;
    b.handler = {
      onInvite(call) {
        incoming = call;
        call.progress(180);
        bSession = call.accept({ body: ANSWER });
        bSession.handler = { onAck: () => acked++, onTerminated: (e) => ends.push(e) };
      },
    };
    const call = callB(net);
    await net.settle();
    const session = await call.answered;
    expect(incoming?.offer).toBe(OFFER);
    expect(session.state).toBe('confirmed');
    expect(session.record.remoteSdp).toBe(ANSWER);
    expect(bSession?.record.remoteSdp).toBe(OFFER);
    expect(acked).toBe(1);
    expect(net.sent('100 INVITE')).toHaveLength(1);
    expect(net.sent('180 INVITE')).toHaveLength(1);
    expect(net.sent('ACK 1')).toHaveLength(1);
    const bye = session.bye();
    await net.settle();
    expect((await bye)?.status).toBe(200);
    expect(ends).toEqual([{ by: 'remote', cause: 'bye' }]);
    expect(b.sessionCount).toBe(0);
    // Retransmissions of the 2xx stopped at the ACK: none after.
    await net.run(40_000, 1000);
    expect(net.sent('200 INVITE')).toHaveLength(1);
  });

  it('retransmits the 2xx at T1, 2T1 ... T2 until the ACK, and sends BYE after 64*T1 without one', async () => {
    const net = new Network({ lean });
    const b = net.ua(B);
    const ends: SessionEnd[] = [];
    b.handler = { onInvite: (call) => (call.accept({ body: ANSWER }).handler = { onTerminated: (e) => ends.push(e) }) };
    net.drop = (s) => s.message.kind === 'request' && s.message.method === 'ACK';
    const call = callB(net);
    await net.settle();
    await call.answered;
    await net.run(33_000, 250);
    const times = net.sent('200 INVITE', B).map((s) => s.at);
    // 0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5 ... every 4 s (T2) until 32 s.
    expect(times.slice(0, 6)).toEqual([0, 500, 1500, 3500, 7500, 11500]);
    expect(times.every((t, i) => i === 0 || t - times[i - 1]! <= 4000)).toBe(true);
    expect(net.sent('BYE', B)).toHaveLength(1);
    expect(net.sent('BYE', B)[0]!.at).toBe(32_000);
    expect(ends).toEqual([{ by: 'local', cause: 'no-ack' }]);
    // The UAC ACKed every 2xx it got (13.2.2.4), each ACK the same.
    expect(net.sent('ACK', A).length).toBe(times.length);
  });

  it('reports a rejection as CallFailed with the status, the ACK sent by the transaction', async () => {
    const net = new Network({ lean });
    const b = net.ua(B);
    b.handler = { onInvite: (call) => call.reject(486) };
    const call = callB(net);
    await net.settle();
    await expect(call.answered).rejects.toMatchObject({ status: 486 });
    expect(net.sent('ACK 1', A)).toHaveLength(1);
  });

  it('cancels a ringing call: 200 to CANCEL, 487 to the INVITE, both sides told', async () => {
    const net = new Network({ lean });
    const b = net.ua(B);
    let cancelled = 0;
    b.handler = {
      onInvite(call) {
        call.onCancel = () => cancelled++;
        call.progress(180);
      },
    };
    const call = callB(net);
    await net.settle();
    call.cancel();
    await net.settle();
    await expect(call.answered).rejects.toBeInstanceOf(CallFailed);
    await expect(call.answered).rejects.toMatchObject({ status: 487 });
    expect(net.sent('200 CANCEL')).toHaveLength(1);
    expect(cancelled).toBe(1);
    expect(b.pendingCallCount).toBe(0);
  });

  it('does PRACK for a reliable 183 with early media (RFC 3262), and stops its retransmission', async () => {
    const net = new Network({ lean });
    // The lean UAS never sends a reliable provisional: B answers on the general path.
    const b = net.ua(B, { lean: false });
    let pracked = 0;
    let call2: IncomingInvite | undefined;
    b.handler = {
      onInvite(call) {
        call2 = call;
        call.onPrack = () => pracked++;
        call.progress(183, { reliable: true, body: ANSWER });
      },
    };
    const call = callB(net);
    const early: (Session | null)[] = [];
    call.onProvisional = (_r, s) => early.push(s);
    await net.settle();
    expect(pracked).toBe(1);
    expect(net.sent('PRACK')).toHaveLength(1);
    expect(net.sent('200 PRACK')).toHaveLength(1);
    expect(net.sent('183 INVITE')[0]!.message.header('rseq')).toBeDefined();
    expect(early.at(-1)?.record.remoteSdp).toBe(ANSWER);
    await net.run(5000, 250);
    expect(net.sent('183 INVITE')).toHaveLength(1);
    call2!.accept({ body: ANSWER });
    await net.settle();
    const s = await call.answered;
    expect(s.state).toBe('confirmed');
  });

  it('retransmits an unacknowledged reliable provisional and rejects the INVITE with 5xx after 64*T1', async () => {
    const net = new Network({ lean });
    const b = net.ua(B, { lean: false });
    b.handler = { onInvite: (call) => call.progress(180, { reliable: true }) };
    net.drop = (s) => s.message.kind === 'request' && s.message.method === 'PRACK';
    const call = callB(net);
    await net.settle();
    await net.run(33_000, 250);
    const times = net.sent('180 INVITE', B).map((s) => s.at);
    expect(times.slice(0, 5)).toEqual([0, 500, 1500, 3500, 7500]);
    await expect(call.answered).rejects.toMatchObject({ status: 500 });
  });

  it('answers a late-offer INVITE with an offer in the 2xx; the ACK carries the answer', async () => {
    const net = new Network({ lean });
    const b = net.ua(B);
    let bSession: Session | undefined;
    b.handler = { onInvite: (call) => (bSession = call.accept({ body: ANSWER })) };
    const a = net.ua(A);
    const call = a.invite({ uri: `sip:bob@${B}:5060`, from: '<sip:alice@example.com>' });
    await net.settle();
    const s = await call.answered;
    expect(s.record.remoteSdp).toBe(ANSWER);
    // Our UAC has no SDP of its own here, so the ACK carries none; the UAS still sees the ACK.
    expect(net.sent('ACK 1')).toHaveLength(1);
    expect(bSession?.record.localSdp).toBe(ANSWER);
  });

  it('retries with digest credentials after a 401 (RFC 3261 22.2)', async () => {
    const net = new Network({ lean });
    const b = net.ua(B);
    const a = net.ua(A, { credentials: (realm) => (realm === 'trunk.example' ? { username: 'alice', password: 's3cret' } : undefined) });
    let checked = false;
    b.handler = {
      onInvite(call) {
        const auth = call.request.parsed<AuthValue[]>('authorization')?.[0];
        if (auth === undefined) {
          call.reject(401, { headers: [['WWW-Authenticate', createChallenge({ realm: 'trunk.example', nonce: 'n0nce', algorithm: 'SHA-256', qop: 'auth' })]] });
          return;
        }
        const v = verifyCredentials({ credentials: auth, method: 'INVITE', realm: 'trunk.example', password: 's3cret', body: call.request.body });
        checked = v.ok;
        call.accept({ body: ANSWER });
      },
    };
    const call = callB(net, a);
    await net.settle();
    const s = await call.answered;
    expect(checked).toBe(true);
    expect(s.state).toBe('confirmed');
    expect(net.sent('INVITE 2')).toHaveLength(1);
  });

  it('ACKs a later fork\'s 2xx with the INVITE\'s credentials and ends it with BYE, and re-ACKs a repeated 2xx (13.2.2.4)', async () => {
    const net = new Network({ lean });
    const b = net.ua(B);
    const a = net.ua(A, { credentials: (realm) => (realm === 'trunk.example' ? { username: 'alice', password: 's3cret' } : undefined) });
    b.handler = {
      onInvite(call) {
        if (call.request.header('authorization') === undefined) {
          call.reject(401, { headers: [['WWW-Authenticate', createChallenge({ realm: 'trunk.example', nonce: 'n0nce', algorithm: 'SHA-256', qop: 'auth' })]] });
          return;
        }
        call.accept({ body: ANSWER });
      },
    };
    const call = callB(net, a);
    await net.settle();
    const session = await call.answered;
    const invite = net.sent('INVITE 2', A)[0]!.message as SipRequest;
    const credentials = invite.header('authorization');
    expect(credentials).toBeDefined();

    // The 2xx again, and the same 2xx from another fork (another To tag), while Timer M runs.
    const ok = serializeMessage(net.sent('200 INVITE 2', B)[0]!.message).toString('latin1');
    const fork = withToTag(ok, 'fork2');
    expect(fork).not.toBe(ok);
    fromB(a, ok);
    fromB(a, fork);
    await net.settle();

    const acks = net.sent('ACK 2', A).map((s) => s.message as SipRequest);
    expect(acks).toHaveLength(3);
    expect(serializeMessage(acks[1]!).equals(serializeMessage(acks[0]!))).toBe(true);
    expect(acks[2]!.toTag).toBe('fork2');
    expect(acks[2]!.header('authorization')).toBe(credentials);
    // The INVITE made the offer: no ACK carries a body (the fork's 2xx has its SDP all the same).
    expect(invite.body.length).toBeGreaterThan(0);
    expect(acks.map((x) => [x.body.length, x.header('content-type')])).toEqual([[0, undefined], [0, undefined], [0, undefined]]);
    const byes = net.sent('BYE', A).map((s) => s.message as SipRequest);
    expect(byes).toHaveLength(1);
    expect(byes[0]!.toTag).toBe('fork2');
    expect(session.state).toBe('confirmed');
  });

  it('once its session ended, still re-ACKs a repeated 2xx and ends a late fork until Timer M, without keeping the outgoing call', async () => {
    const { net, a, session, weak } = await answeredCallLetGo(lean);
    expect((await Promise.all([session.bye(), net.settle()]))[0]?.status).toBe(200);
    await net.settle();
    expect(session.state).toBe('terminated');

    const ok = serializeMessage(net.sent('200 INVITE', B)[0]!.message).toString('latin1');
    fromB(a, ok);
    fromB(a, withToTag(ok, 'late'));
    await net.settle();

    const acks = net.sent('ACK', A).map((x) => x.message as SipRequest);
    expect(acks).toHaveLength(3);
    expect(serializeMessage(acks[1]!).equals(serializeMessage(acks[0]!))).toBe(true);
    expect([acks[2]!.toTag, acks[2]!.body.length]).toEqual(['late', 0]);
    expect(net.sent('BYE', A).map((x) => (x.message as SipRequest).toTag)).toEqual([acks[0]!.toTag, 'late']);

    // The INVITE's transaction (or on the lean path what stands for it) waits out Timer M; the
    // call it was made for is gone.
    expect(a.transactions.counts.inviteClient + a.leanCallCount).toBe(1);
    await collectAfterTurns();
    expect(weak.deref()).toBeUndefined();
  });

  it('once its session ended, ends a fork that was early and answers late with a CSeq above the PRACK it had', async () => {
    const net = new Network({ lean });
    const b = net.ua(B);
    const a = net.ua(A);
    let held: IncomingInvite | undefined;
    b.handler = {
      onInvite(c) {
        held = c;
        c.progress(180);
      },
    };
    const call = callB(net, a);
    await net.settle();
    // Another fork rings reliably (RFC 3262): A PRACKs it in its early dialog.
    const ringing = serializeMessage(net.sent('180 INVITE', B)[0]!.message).toString('latin1');
    fromB(a, withToTag(ringing, 'early1').replace(/\r\nContent-Length:/i, '\r\nRequire: 100rel\r\nRSeq: 1\r\nContent-Length:'));
    await net.settle();
    const prack = net.sent('PRACK', A)[0]!.message as SipRequest;
    expect(prack.toTag).toBe('early1');
    held!.accept({ body: ANSWER });
    await net.settle();
    const session = await call.answered;
    await Promise.all([session.bye(), net.settle()]);
    await net.settle();

    const ok = serializeMessage(net.sent('200 INVITE', B)[0]!.message).toString('latin1');
    fromB(a, withToTag(ok, 'early1'));
    await net.settle();
    const lateAck = net.sent('ACK', A).map((x) => x.message as SipRequest).find((x) => x.toTag === 'early1');
    expect(lateAck?.cseq.seq).toBe(1);
    const bye = net.sent('BYE', A).map((x) => x.message as SipRequest).find((x) => x.toTag === 'early1');
    expect(bye?.cseq.seq).toBeGreaterThan(prack.cseq.seq);
  });

  it('lets the outgoing call go once Timer M is over while its session goes on', async () => {
    const { net, a, session, weak } = await answeredCallLetGo(lean);
    await net.run(33_000, 1_000);
    expect(a.transactions.counts.inviteClient).toBe(0);
    expect(session.state).toBe('confirmed');
    await collectAfterTurns();
    expect(weak.deref()).toBeUndefined();
  });

  it('answers OPTIONS 200, an unknown method 501, an unknown dialog 481 and a required unknown extension 420', async () => {
    const net = new Network({ lean });
    net.ua(B);
    const a = net.ua(A);
    const opts = a.request('OPTIONS', { uri: `sip:${B}`, from: '<sip:alice@example.com>' });
    const odd = a.request('FROBNICATE', { uri: `sip:${B}`, from: '<sip:alice@example.com>' });
    const ext = a.request('MESSAGE', { uri: `sip:${B}`, from: '<sip:alice@example.com>', headers: [['Require', 'foo']] });
    const stray = a.request('INFO', { uri: `sip:${B}`, from: '<sip:alice@example.com>', to: `<sip:${B}>;tag=nosuch` });
    await net.settle();
    expect((await opts).status).toBe(200);
    expect((await odd).status).toBe(501);
    const e = await ext;
    expect([e.status, e.header('unsupported')]).toEqual([420, 'foo']);
    expect((await stray).status).toBe(481);
  });
});

