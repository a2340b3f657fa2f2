/**
 * Edge cases of the flat path (sip.flatCalls, b2bua/flat-call.ts and flat-callee.ts), each
 * played between two raw UDP sockets scripted by hand: the caller on the inside realm, the callee
 * as the trunk on the outside realm. Every datagram each socket gets from Sluice is recorded with
 * the time it came, and the tests wait for what they expect (and check that nothing else came
 * where that matters).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/b2bua/index.js';
import { SystemClock } from '../../src/clock.js';
import { validateConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Registrar } from '../../src/registrar/index.js';
import { Dialplan } from '../../src/routing/index.js';
import { MemoryStore } from '../../src/state/index.js';
import { engineSuite, startEngine, stops, until } from './fixtures.js';
import { branchOf, Callee, Caller, header, isRequest, isResponse, next, parse, peer, received, sdp, send, tagOf, token, uriOf, type Msg } from './raw-sip.js';

const suite = engineSuite('flat-edges');

/** Media ports written in the parties' SDP (media direct: nothing is sent to them). */
const CALLER_RTP = 41100;
const CALLEE_RTP = 41102;
/** After the last message expected: long enough for an unexpected one, short of a retransmission (T1 = 500 ms). */
const SETTLE_MS = 250;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- one run: an engine, the two parties ---------------------------------------------------------

interface Run {
  engine: Engine;
  caller: Caller;
  callee: Callee;
}

function dialplanTo(calleePort: number): unknown {
  return { trunks: [{ name: 'pbx', realm: 'outside', host: '127.0.0.1', port: calleePort, transport: 'udp' }], rules: [{ name: 'out', match: { realm: 'inside' }, trunk: 'pbx', media: 'direct' }] };
}

/** The two parties and an engine (the suite's, unless `engine` makes one) routing the caller's calls to the callee. */
async function startRun(make?: (calleePort: number) => Promise<{ engine: Engine; insidePort: number }>): Promise<Run> {
  const a = await peer();
  const b = await peer();
  const { engine, insidePort } = make !== undefined ? await make(b.port) : await suite.start({ sip: { flatCalls: true }, dialplan: dialplanTo(b.port) });
  const outsidePort = engine.realms.get('outside')!.transport.locals[0]!.port;
  const caller = new Caller(a, insidePort, CALLER_RTP);
  return { engine, caller, callee: new Callee(b, outsidePort, caller.callee, CALLEE_RTP) };
}

/** The caller's INVITE, Sluice's 100 to it, Sluice's INVITE to the callee; the flat path took it. */
async function dial(run: Run): Promise<void> {
  run.caller.sendInvite();
  await next(run.caller.p, isResponse(100, 'INVITE'), 'the caller\'s 100');
  run.callee.invite = await next(run.callee.p, isRequest('INVITE'), 'the callee\'s INVITE');
  expect(run.engine.flatCallCount).toBeGreaterThan(0);
}

/** 180 and 200 from the callee, across to the caller; Sluice's ACK to the callee; the caller's ACK. */
async function ringAndAnswer(run: Run): Promise<Msg> {
  const { caller, callee } = run;
  callee.ring();
  await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
  callee.answer();
  const ok = await next(caller.p, isResponse(200, 'INVITE'), 'the caller\'s 200');
  caller.learn(ok);
  await next(callee.p, isRequest('ACK'), 'the callee\'s ACK');
  caller.inDialog('ACK');
  return ok;
}

/** The caller's BYE: 200 to it, and BYE to the callee (answered 200) in the dialog with `tag`. */
async function hangUp(run: Run, tag = run.callee.tag): Promise<void> {
  const { caller, callee } = run;
  caller.inDialog('BYE');
  await next(caller.p, isResponse(200, 'BYE'), 'the 200 to the caller\'s BYE');
  const bye = await next(callee.p, isRequest('BYE'), 'the callee\'s BYE');
  expect(tagOf(header(bye, 'to'))).toBe(tag);
  callee.reply(bye, 200, 'OK');
  await until(() => run.engine.activeCalls === 0);
}

/** `text` (a message) with `body` in place of its own, and its Content-Length. */
function withBody(text: string, body: string): string {
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  return `${head.replace(/Content-Length: \d+/, `Content-Length: ${body.length}`)}\r\n\r\n${body}`;
}

// ---- the cases -----------------------------------------------------------------------------------

describe('the flat path at its edges', () => {
  it('retries after 422 with the Min-SE asked for, then completes the call', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    await dial(run);
    const first = callee.invite!;
    expect(header(first, 'cseq')).toBe('1 INVITE');
    expect(header(first, 'session-expires')).toBe('1800');
    callee.reply(first, 422, 'Session Interval Too Small', { toTag: callee.tag, headers: [['Min-SE', '3600']] });
    // 17.1.1.3: the 422 ACKed in its transaction (the INVITE's branch and CSeq number).
    const ack = await next(callee.p, isRequest('ACK'), 'the ACK of the 422');
    expect(branchOf(ack)).toBe(branchOf(first));
    expect(header(ack, 'cseq')).toBe('1 ACK');
    expect(tagOf(header(ack, 'to'))).toBe(callee.tag);
    // RFC 4028 7.4: the INVITE again, a new transaction, with the interval asked for.
    const second = await next(callee.p, isRequest('INVITE'), 'the second INVITE');
    expect(branchOf(second)).not.toBe(branchOf(first));
    expect(header(second, 'cseq')).toBe('2 INVITE');
    expect(header(second, 'session-expires')).toBe('3600');
    expect(header(second, 'call-id')).toBe(header(first, 'call-id'));
    expect(tagOf(header(second, 'from'))).toBe(tagOf(header(first, 'from')));
    expect(tagOf(header(second, 'to'))).toBeNull();
    // The caller heard nothing of the 422.
    expect(received(caller.p, (m) => m.start.startsWith('SIP/2.0 4'))).toEqual([]);
    callee.invite = second;
    const ok = await ringAndAnswer(run);
    expect(ok.body).toContain(`m=audio ${CALLEE_RTP} `);
    const ack2 = received(callee.p, isRequest('ACK')).at(-1)!;
    expect(header(ack2, 'cseq')).toBe('2 ACK');
    await hangUp(run);
    // The BYE goes on from the second INVITE's CSeq.
    expect(header(received(callee.p, isRequest('BYE'))[0]!, 'cseq')).toBe('3 BYE');
  });

  it('ACKs and ends a second fork\'s 2xx, keeping the call with the first', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    await dial(run);
    await ringAndAnswer(run);
    const forkTag = token();
    const forkContact = `<sip:fork@127.0.0.1:${callee.p.port}>`;
    callee.answer({ tag: forkTag, contact: forkContact });
    const ack = await next(callee.p, isRequest('ACK'), 'the ACK of the second fork\'s 200');
    expect(tagOf(header(ack, 'to'))).toBe(forkTag);
    expect(ack.start).toBe('ACK sip:fork@127.0.0.1:' + callee.p.port + ' SIP/2.0');
    expect(header(ack, 'cseq')).toBe('1 ACK');
    const bye = await next(callee.p, isRequest('BYE'), 'the BYE of the second fork\'s dialog');
    expect(tagOf(header(bye, 'to'))).toBe(forkTag);
    expect(bye.start).toBe('BYE sip:fork@127.0.0.1:' + callee.p.port + ' SIP/2.0');
    expect(header(bye, 'call-id')).toBe(header(callee.invite!, 'call-id'));
    callee.reply(bye, 200, 'OK');
    await sleep(SETTLE_MS);
    // The caller heard of neither; the call with the first fork is up.
    expect(received(caller.p, (m) => !isResponse(100, 'INVITE')(m) && !isResponse(180, 'INVITE')(m) && !isResponse(200, 'INVITE')(m))).toEqual([]);
    expect(received(caller.p, isResponse(200, 'INVITE'))).toHaveLength(1);
    expect(run.engine.activeCalls).toBe(1);
    await hangUp(run, callee.tag);
    // One BYE in each of the callee's dialogs, and nothing more.
    expect(received(callee.p, isRequest('BYE')).map((m) => tagOf(header(m, 'to')))).toEqual([forkTag, callee.tag]);
  });

  it('answers the messages of a call over from where it lingers: a BYE again gets its 200 again, an INVITE again starts no call', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    await dial(run);
    const invite = callee.invite!;
    await ringAndAnswer(run);
    const bye = caller.inDialog('BYE');
    await next(caller.p, isResponse(200, 'BYE'), 'the 200 to the caller\'s BYE');
    callee.reply(await next(callee.p, isRequest('BYE'), 'the callee\'s BYE'), 200, 'OK');
    await until(() => run.engine.activeCalls === 0);
    // Over, and held 64*T1 for what is sent again.
    expect(run.engine.flatCallCount).toBe(1);
    const before = { caller: caller.p.got.length, callee: callee.p.got.length };
    send(caller.p, bye, caller.sluicePort);
    await next(caller.p, isResponse(200, 'BYE'), 'the 200 to the caller\'s BYE again');
    caller.sendInvite();
    callee.reply(invite, 200, 'OK', { toTag: callee.tag });
    await sleep(SETTLE_MS);
    // The callee heard nothing new but, at most, the ACK of its repeated 200; no new call began.
    const got = (p: typeof callee.p, from: number) => p.got.slice(from).map((g) => parse(g.raw, g.at));
    expect(got(callee.p, before.callee).filter((m) => !isRequest('ACK')(m))).toEqual([]);
    expect(run.engine.activeCalls).toBe(0);
    expect(run.engine.flatCallCount).toBe(1);
    expect(got(caller.p, before.caller).filter((m) => isResponse(100, 'INVITE')(m) || isResponse(180, 'INVITE')(m))).toEqual([]);
  });

  it('answers 400 to an INVITE whose Contact is malformed, and ends a call on a BYE whose Contact (never read) is', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    // The transport leaves Contact to whoever reads it; an INVITE's is read before a call starts.
    const bad = caller.invite.replace(/Contact: [^\r]*/, 'Contact: <sip:x@[bad>').replace(/branch=[^;\r]*/, `branch=z9hG4bK${token()}`);
    send(caller.p, bad, caller.sluicePort);
    const refused = await next(caller.p, isResponse(400, 'INVITE'), 'the 400 to the INVITE with a malformed Contact');
    expect(refused.start).toMatch(/contact/i);
    expect(run.engine.flatCallCount).toBe(0);
    await dial(run);
    await ringAndAnswer(run);
    // The caller's BYE: the flat call matches it by Call-ID and tags and reads neither its Contact nor its Request-URI.
    const bye = caller.dialogRequest('BYE', 2, [['Contact', '<sip:x@[bad>']]);
    send(caller.p, bye, caller.sluicePort);
    await next(caller.p, isResponse(200, 'BYE'), 'the 200 to the caller\'s BYE');
    callee.reply(await next(callee.p, isRequest('BYE'), 'the callee\'s BYE'), 200, 'OK');
    await until(() => run.engine.activeCalls === 0);
  });

  it('resends its BYE to the second fork until that BYE is answered', async () => {
    const run = await startRun();
    const { callee } = run;
    await dial(run);
    await ringAndAnswer(run);
    const forkTag = token();
    callee.answer({ tag: forkTag, contact: `<sip:fork@127.0.0.1:${callee.p.port}>` });
    await next(callee.p, isRequest('ACK'), 'the ACK of the second fork\'s 200');
    const bye = await next(callee.p, isRequest('BYE'), 'the BYE of the second fork\'s dialog');
    // Unanswered: Timer E (RFC 3261 17.1.2.2) resends it, T1 later, as the general path does.
    const again = await next(callee.p, isRequest('BYE'), 'the second fork\'s BYE again', 1500);
    expect(again.raw).toBe(bye.raw);
    callee.reply(again, 200, 'OK');
    const count = received(callee.p, isRequest('BYE')).length;
    // Answered: not resent any more (the next copy would come 1 s after the last).
    await sleep(1200);
    expect(received(callee.p, isRequest('BYE'))).toHaveLength(count);
    expect(run.engine.activeCalls).toBe(1);
    await hangUp(run);
  });

  it('ACKs a repeated 2xx of the second fork with the same ACK, and ends that dialog only once', async () => {
    const run = await startRun();
    const { callee } = run;
    await dial(run);
    await ringAndAnswer(run);
    const forkTag = token();
    const fork = { tag: forkTag, contact: `<sip:fork@127.0.0.1:${callee.p.port}>` };
    callee.answer(fork);
    const ack = await next(callee.p, isRequest('ACK'), 'the ACK of the second fork\'s 200');
    const bye = await next(callee.p, isRequest('BYE'), 'the BYE of the second fork\'s dialog');
    callee.reply(bye, 200, 'OK');
    await sleep(SETTLE_MS);
    // The fork's 200 again (its UAS had not seen our ACK): 13.2.2.4, the same ACK again, as the general path does.
    callee.answer(fork);
    const again = await next(callee.p, isRequest('ACK'), 'the ACK of the second fork\'s 200 again');
    expect(again.raw).toBe(ack.raw);
    await sleep(SETTLE_MS);
    // That dialog is over already: no second BYE in it.
    expect(received(callee.p, isRequest('BYE'))).toHaveLength(1);
    expect(run.engine.activeCalls).toBe(1);
    await hangUp(run);
  });

  it('takes a leg\'s requests only from its own realm: the caller\'s BYE sent to the outside realm ends nothing', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    await dial(run);
    await ringAndAnswer(run);
    // The caller's BYE, as it would send it, but to the other realm's port.
    const bye = caller.dialogRequest('BYE', 9);
    send(caller.p, bye, callee.sluicePort);
    const refused = await next(caller.p, isResponse(481, 'BYE'), 'the 481 to the BYE sent to the wrong realm');
    expect(header(refused, 'call-id')).toBe(caller.callId);
    await sleep(SETTLE_MS);
    expect(received(callee.p, isRequest('BYE'))).toEqual([]);
    expect(run.engine.activeCalls).toBe(1);
    caller.inDialog('BYE');
    await next(caller.p, isResponse(200, 'BYE'), 'the 200 to the caller\'s BYE');
    await next(callee.p, isRequest('BYE'), 'the callee\'s BYE');
  });

  it('ACKs a repeated 2xx with the same ACK, and does nothing else', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    await dial(run);
    await ringAndAnswer(run);
    const ack = received(callee.p, isRequest('ACK'))[0]!;
    await sleep(SETTLE_MS);
    const before = { caller: caller.p.got.length, callee: callee.p.got.length };
    send(callee.p, callee.ok(), callee.sluicePort);
    const again = await next(callee.p, isRequest('ACK'), 'the ACK again');
    expect(again.raw).toBe(ack.raw);
    await sleep(SETTLE_MS);
    expect(callee.p.got.length).toBe(before.callee + 1);
    expect(caller.p.got.length).toBe(before.caller);
    expect(run.engine.activeCalls).toBe(1);
    await hangUp(run);
  });

  it('resends its 200 to a caller that does not ACK it, until the ACK', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    await dial(run);
    callee.ring();
    await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
    callee.answer();
    const ok = await next(caller.p, isResponse(200, 'INVITE'), 'the caller\'s 200');
    caller.learn(ok);
    // 13.3.1.4: at T1, then 2*T1 later (0.5 s, 1.5 s after the first).
    const copy1 = await next(caller.p, isResponse(200, 'INVITE'), 'the 200 again', 1500);
    const copy2 = await next(caller.p, isResponse(200, 'INVITE'), 'the 200 a third time', 2000);
    expect(copy1.raw).toBe(ok.raw);
    expect(copy2.raw).toBe(ok.raw);
    expect(copy1.at - ok.at).toBeGreaterThanOrEqual(400);
    expect(copy1.at - ok.at).toBeLessThan(1000);
    expect(copy2.at - copy1.at).toBeGreaterThanOrEqual(900);
    expect(copy2.at - copy1.at).toBeLessThan(1900);
    caller.inDialog('ACK');
    const after = received(caller.p, isResponse(200, 'INVITE')).length;
    // The next copy would have come 2 s after the last.
    await sleep(2500);
    expect(received(caller.p, isResponse(200, 'INVITE'))).toHaveLength(after);
    // No BYE either way: the call is up.
    expect(received(caller.p, isRequest('BYE'))).toEqual([]);
    expect(received(callee.p, isRequest('BYE'))).toEqual([]);
    expect(run.engine.activeCalls).toBe(1);
    await hangUp(run);
  });

  it('hands the callee a domain name in the offer\'s c= as it came, and not the offer\'s a=ssrc (a cname that is the caller\'s Contact)', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    const offer = sdp(caller.user, CALLER_RTP).replace('c=IN IP4 127.0.0.1', 'c=IN IP4 media.example.com') + `a=ssrc:1 cname:sip:${caller.user}@10.0.0.5:5060\r\n`;
    send(caller.p, withBody(caller.invite, offer), caller.sluicePort);
    await next(caller.p, isResponse(100, 'INVITE'), 'the caller\'s 100');
    callee.invite = await next(callee.p, isRequest('INVITE'), 'the callee\'s INVITE');
    expect(run.engine.flatCallCount).toBeGreaterThan(0);
    expect(callee.invite.body).toContain(`m=audio ${CALLER_RTP} RTP/AVP 0\r\nc=IN IP4 media.example.com\r\n`);
    expect(callee.invite.body).not.toMatch(/ssrc|cname|10\.0\.0\.5/);
    await ringAndAnswer(run);
    await hangUp(run);
  });

  const refused: [string, string][] = [
    ['a c= address that is neither an IP address nor a domain name', 'c=IN IP4 1.2.3\r\n'],
    ['no c= at all', ''],
  ];
  for (const [what, c] of refused) {
    it(`answers 488 to an offer with ${what}, and calls no one`, async () => {
      const run = await startRun();
      const { caller, callee } = run;
      send(caller.p, withBody(caller.invite, sdp(caller.user, CALLER_RTP).replace('c=IN IP4 127.0.0.1\r\n', c)), caller.sluicePort);
      const rejected = await next(caller.p, isResponse(488, 'INVITE'), 'the caller\'s 488');
      caller.ackFailure(rejected);
      await until(() => run.engine.activeCalls === 0);
      await sleep(SETTLE_MS);
      expect(received(callee.p, isRequest('INVITE'))).toEqual([]);
    });
  }

  it('answers 488 to the caller and ends the callee\'s dialog when the callee\'s 200 has unreadable SDP', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    await dial(run);
    callee.ring();
    await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
    callee.answer({ body: 'garbage' });
    const ack = await next(callee.p, isRequest('ACK'), 'the ACK of the callee\'s 200');
    expect(tagOf(header(ack, 'to'))).toBe(callee.tag);
    expect(header(ack, 'cseq')).toBe('1 ACK');
    const bye = await next(callee.p, isRequest('BYE'), 'the callee\'s BYE');
    expect(tagOf(header(bye, 'to'))).toBe(callee.tag);
    expect(header(bye, 'cseq')).toBe('2 BYE');
    callee.reply(bye, 200, 'OK');
    const rejected = await next(caller.p, isResponse(488, 'INVITE'), 'the caller\'s 488');
    // The same To tag as the 180's.
    expect(tagOf(header(rejected, 'to'))).toBe(tagOf(header(received(caller.p, isResponse(180, 'INVITE'))[0]!, 'to')));
    caller.ackFailure(rejected);
    await until(() => run.engine.activeCalls === 0);
    // ACKed: the 488 is not resent (it would be at 0.5 s), nor the BYE answered.
    const count488 = received(caller.p, isResponse(488, 'INVITE')).length;
    await sleep(700);
    expect(received(caller.p, isResponse(488, 'INVITE'))).toHaveLength(count488);
    expect(received(caller.p, isResponse(200, 'INVITE'))).toEqual([]);
    expect(received(callee.p, isRequest('BYE'))).toHaveLength(1);
  });

  it('ends a ringing call on the caller\'s BYE in the early dialog: 200, 487, CANCEL', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    await dial(run);
    callee.ring();
    const ringing = await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
    caller.learn(ringing);
    caller.inDialog('BYE');
    const ok = await next(caller.p, isResponse(200, 'BYE'), 'the 200 to the caller\'s BYE');
    expect(tagOf(header(ok, 'to'))).toBe(caller.remoteTag);
    const terminated = await next(caller.p, isResponse(487, 'INVITE'), 'the caller\'s 487');
    expect(tagOf(header(terminated, 'to'))).toBe(caller.remoteTag);
    const cancel = await next(callee.p, isRequest('CANCEL'), 'the callee\'s CANCEL');
    expect(branchOf(cancel)).toBe(branchOf(callee.invite!));
    expect(header(cancel, 'cseq')).toBe('1 CANCEL');
    callee.reply(cancel, 200, 'OK', { toTag: callee.tag });
    callee.reply(callee.invite!, 487, 'Request Terminated', { toTag: callee.tag });
    await next(callee.p, isRequest('ACK'), 'the ACK of the callee\'s 487');
    caller.ackFailure(terminated);
    await until(() => run.engine.activeCalls === 0);
    expect(received(caller.p, isResponse(200, 'INVITE'))).toEqual([]);
  });

  it('CANCELs the callee once its first provisional comes when the caller cancelled before it', async () => {
    const run = await startRun();
    const { caller, callee } = run;
    await dial(run);
    caller.cancel();
    await next(caller.p, isResponse(200, 'CANCEL'), 'the 200 to the caller\'s CANCEL');
    const terminated = await next(caller.p, isResponse(487, 'INVITE'), 'the caller\'s 487');
    caller.ackFailure(terminated);
    // No provisional from the callee yet: nothing to CANCEL (9.1) until one comes.
    await sleep(SETTLE_MS);
    expect(received(callee.p, isRequest('CANCEL'))).toEqual([]);
    callee.ring();
    const cancel = await next(callee.p, isRequest('CANCEL'), 'the callee\'s CANCEL');
    expect(branchOf(cancel)).toBe(branchOf(callee.invite!));
    callee.reply(cancel, 200, 'OK', { toTag: callee.tag });
    callee.reply(callee.invite!, 487, 'Request Terminated', { toTag: callee.tag });
    await next(callee.p, isRequest('ACK'), 'the ACK of the callee\'s 487');
    // The 180 did not cross: the caller's call is over.
    expect(received(caller.p, isResponse(180, 'INVITE'))).toEqual([]);
    await until(() => run.engine.activeCalls === 0);
  });

  it('answers 503 to the caller and CANCELs the callee when the engine stops while a call rings', async () => {
    // Its own engine, stopped here (not in the suite's afterAll), in a folder of its own.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-flat-edges-stop-'));
    let started: Engine | null = null;
    try {
      const run = await startRun(async (calleePort) => {
        const s = await startEngine(dir, { sip: { flatCalls: true }, dialplan: dialplanTo(calleePort) });
        started = s.engine;
        return s;
      });
      const { caller, callee, engine } = run;
      await dial(run);
      callee.ring();
      const ringing = await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
      await engine.stop();
      const unavailable = await next(caller.p, isResponse(503, 'INVITE'), 'the caller\'s 503');
      expect(tagOf(header(unavailable, 'to'))).toBe(tagOf(header(ringing, 'to')));
      const cancel = await next(callee.p, isRequest('CANCEL'), 'the callee\'s CANCEL');
      expect(branchOf(cancel)).toBe(branchOf(callee.invite!));
      expect(engine.activeCalls).toBe(0);
      // A second stop (as a suite's afterAll would do) is harmless.
      await expect(engine.stop()).resolves.toBeUndefined();
    } finally {
      await (started as Engine | null)?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is promoted to a Call at its session timer\'s deadline, which refreshes the caller\'s leg', async () => {
    const clock = new MovableClock();
    const run = await startRun(async (calleePort) => {
      const started = await engineWith(clock, suite.dir, dialplanTo(calleePort));
      stops.push(() => started.engine.stop());
      return started;
    });
    const { caller, callee, engine } = run;
    await dial(run);
    const ok = await ringAndAnswer(run);
    // Sluice is the caller's UAS and took the refresh on itself (RFC 4028 9): at half the interval.
    expect(header(ok, 'session-expires')).toBe('1800;refresher=uas');
    await sleep(SETTLE_MS);
    expect(received(caller.p, isRequest('INVITE'))).toEqual([]);
    clock.offset = 901_000;
    // The sweep (once a second) finds the deadline passed: the Call's session refreshes at once.
    const refresh = await next(caller.p, isRequest('INVITE'), 'the refreshing re-INVITE', 3000);
    expect(header(refresh, 'call-id')).toBe(caller.callId);
    expect(tagOf(header(refresh, 'from'))).toBe(caller.remoteTag);
    expect(tagOf(header(refresh, 'to'))).toBe(caller.tag);
    expect(uriOf(refresh.start.split(' ')[1]!)).toBe(`sip:${caller.user}@127.0.0.1:${caller.p.port}`);
    expect(header(refresh, 'session-expires')).toBe('1800;refresher=uac');
    // The same SDP as our 200's (a refresh changes nothing).
    expect(refresh.body).toBe(ok.body);
    caller.reply(refresh, 200, 'OK', { contact: `<sip:${caller.user}@127.0.0.1:${caller.p.port}>`, body: sdp(caller.user, CALLER_RTP), headers: [['Session-Expires', '1800;refresher=uac'], ['Require', 'timer']] });
    const ack = await next(caller.p, isRequest('ACK'), 'the ACK of the refresh\'s 200');
    expect(header(ack, 'cseq')).toBe(header(refresh, 'cseq').replace('INVITE', 'ACK'));
    expect(tagOf(header(ack, 'to'))).toBe(caller.tag);
    expect(engine.activeCalls).toBe(1);
    // The callee heard nothing of it.
    expect(received(callee.p, isRequest('INVITE'))).toHaveLength(1);
    // The Call ends as any: the caller's BYE crosses.
    await hangUp(run);
  });
});

// ---- an engine on a clock that can be moved on ---------------------------------------------------

/** The system clock, both wall and monotonic time moved on by `offset` ms. */
class MovableClock extends SystemClock {
  offset = 0;

  override now(): number {
    return super.now() + this.offset;
  }

  override wallNow(): number {
    return super.wallNow() + this.offset;
  }
}

/** As fixtures.ts startEngine does, with a clock of our own and flat calls on. */
async function engineWith(clock: MovableClock, dir: string, dialplan: unknown): Promise<{ engine: Engine; insidePort: number }> {
  const base = 32000 + Math.floor(Math.random() * 300) * 100;
  const config = validateConfig({
    realms: {
      inside: { listen: [{ transport: 'udp', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1', portMin: base, portMax: base + 40 }, registrar: true },
      outside: { listen: [{ transport: 'udp', address: '127.0.0.1', port: 0 }], media: { address: '127.0.0.1', portMin: base + 50, portMax: base + 90 } },
    },
    calls: { cdrFile: join(dir, `cdr-${base}.jsonl`), mediaTimeoutSeconds: 0 },
    sip: { flatCalls: true },
  });
  const store = new MemoryStore({ clock, shared: false });
  const registrars = new Map([['inside', new Registrar({ store, clock, realm: 'inside' })]]);
  const engine = new Engine({ config, clock, log: silentLogger, store, dialplan: Dialplan.fromObject(dialplan), registrars });
  await engine.start();
  return { engine, insidePort: engine.realms.get('inside')!.transport.locals[0]!.port };
}
