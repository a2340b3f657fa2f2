/**
 * The flat path (sip.flatCalls, b2bua/flat-call.ts) puts the same bytes on the wire as the
 * general path (a Call over the UA core). Each scenario is played twice, once per path, between
 * two raw UDP sockets scripted by hand (the caller on the inside realm, the callee as the trunk on
 * the outside realm); every datagram each socket gets from Sluice is recorded, in order. The two
 * recordings are then normalized (Call-IDs, tags, branches, Contact user parts, SDP o= session id
 * and version, ports and the per-run user names become placeholders numbered by first appearance)
 * and must be equal, line by line.
 */
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/b2bua/index.js';
import { engineSuite, until } from './fixtures.js';
import { Callee, Caller, isRequest, isResponse, next, peer, respond, send } from './raw-sip.js';

const suite = engineSuite('flat-wire');

/** Media ports written in the parties' SDP (media direct: nothing is sent to them). */
const CALLER_RTP = 41000;
const CALLEE_RTP = 41002;
/** After the last message expected: long enough for an unexpected one, short of any retransmission timer (T1 = 500 ms). */
const SETTLE_MS = 200;

// ---- one run: an engine, the two parties ---------------------------------------------------------

interface Run {
  engine: Engine;
  caller: Caller;
  callee: Callee;
  /** The names of the run's ports and users, for the normalization. */
  names: Map<string, string>;
}

async function startRun(flat: boolean): Promise<Run> {
  const a = await peer();
  const b = await peer();
  const { engine, insidePort } = await suite.start({
    sip: { flatCalls: flat },
    dialplan: { trunks: [{ name: 'pbx', realm: 'outside', host: '127.0.0.1', port: b.port, transport: 'udp' }], rules: [{ name: 'out', match: { realm: 'inside' }, trunk: 'pbx', media: 'direct' }] },
  });
  const outsidePort = engine.realms.get('outside')!.transport.locals[0]!.port;
  const caller = new Caller(a, insidePort, CALLER_RTP);
  const callee = new Callee(b, outsidePort, caller.callee, CALLEE_RTP);
  const names = new Map([
    [String(insidePort), 'INSIDE_PORT'],
    [String(outsidePort), 'OUTSIDE_PORT'],
    [String(a.port), 'CALLER_PORT'],
    [String(b.port), 'CALLEE_PORT'],
    [caller.user, 'CALLER_USER'],
    [caller.callee, 'CALLEE_USER'],
  ]);
  return { engine, caller, callee, names };
}

/** The INVITE out: the caller's INVITE, Sluice's 100 to it, Sluice's INVITE to the callee. */
async function dial(run: Run): Promise<void> {
  run.caller.sendInvite();
  await next(run.caller.p, isResponse(100, 'INVITE'), 'the caller\'s 100');
  run.callee.invite = await next(run.callee.p, isRequest('INVITE'), 'the callee\'s INVITE');
}

async function ringAndAnswer(run: Run): Promise<void> {
  const { caller, callee } = run;
  callee.ring();
  await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
  callee.answer();
  caller.learn(await next(caller.p, isResponse(200, 'INVITE'), 'the caller\'s 200'));
  await next(callee.p, isRequest('ACK'), 'the callee\'s ACK');
  caller.inDialog('ACK');
}

/** Everything each socket got, normalized; after a moment for anything not expected. */
async function finish(run: Run, flat: boolean): Promise<{ caller: string[][]; callee: string[][] }> {
  await until(() => run.engine.activeCalls === 0);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  // The path asked for is the path taken.
  expect(run.engine.flatCallCount > 0).toBe(flat);
  return normalize(run.names, run.caller.p.got.map((g) => g.raw), run.callee.p.got.map((g) => g.raw));
}

// ---- normalization -------------------------------------------------------------------------------

/**
 * Each message as lines (start line, header lines, '', body lines), with what is random per call
 * replaced by placeholders numbered by first appearance over the run (the caller's messages, then
 * the callee's), and the run's ports and user names by their names. Content-Length is checked
 * against the body (the body itself is compared after normalization) rather than compared raw,
 * since the length of an SDP o= session id varies.
 */
function normalize(names: Map<string, string>, callerGot: string[], calleeGot: string[]): { caller: string[][]; callee: string[][] } {
  const seen = new Map<string, string>();
  const counts = new Map<string, number>();
  const ph = (kind: string, value: string): string => {
    const key = `${kind}\0${value}`;
    let p = seen.get(key);
    if (p === undefined) {
      const n = (counts.get(kind) ?? 0) + 1;
      counts.set(kind, n);
      p = `<${kind}-${n}>`;
      seen.set(key, p);
    }
    return p;
  };
  const users = [...names].filter(([k]) => !/^\d+$/.test(k));
  const line = (l: string): string => {
    for (const [user, name] of users) l = l.split(user).join(name);
    l = l.replace(/(127\.0\.0\.1:|rport=)(\d+)/g, (_, p: string, port: string) => p + (names.get(port) ?? ph('PORT', port)));
    // A Call-ID's host part and a branch's magic cookie are not random: kept.
    l = l.replace(/^((?:Call-ID|i)\s*:\s*)([^@\s]+)/i, (_, p: string, v: string) => p + ph('CALLID', v));
    l = l.replace(/(;tag=)([^;>\s,]+)/gi, (_, p: string, v: string) => p + ph('TAG', v));
    l = l.replace(/(;branch=(?:z9hG4bK)?)([^;>\s,]+)/gi, (_, p: string, v: string) => p + ph('BRANCH', v));
    l = l.replace(/^((?:Contact|m)\s*:.*?<?sips?:)([^@>;]+)@/i, (_, p: string, v: string) => `${p + ph('CONTACT_USER', v)}@`);
    l = l.replace(/^o=(\S+) (\d+) (\d+) /, (_, u: string, id: string, version: string) => `o=${u} ${ph('SESS_ID', id)} ${ph('SESS_VERSION', version)} `);
    return l;
  };
  const one = (raw: string): string[] => {
    const cut = raw.indexOf('\r\n\r\n');
    const head = (cut < 0 ? raw : raw.slice(0, cut)).split('\r\n');
    const body = cut < 0 ? '' : raw.slice(cut + 4);
    const out = head.map((h) => {
      const cl = /^(Content-Length|l)\s*:\s*(\d+)\s*$/i.exec(h);
      if (cl !== null) return Number(cl[2]) === Buffer.byteLength(body, 'latin1') ? `${cl[1]}: <the body's length>` : h;
      return line(h);
    });
    out.push('');
    if (body !== '') out.push(...body.split('\r\n').map(line));
    return out;
  };
  const caller = callerGot.map(one);
  const callee = calleeGot.map(one);
  return { caller, callee };
}

// ---- the scenarios -------------------------------------------------------------------------------

type Scenario = (run: Run) => Promise<void>;

async function both(scenario: Scenario): Promise<void> {
  const recorded: { caller: string[][]; callee: string[][] }[] = [];
  for (const flat of [true, false]) {
    const run = await startRun(flat);
    await scenario(run);
    recorded.push(await finish(run, flat));
  }
  const [flat, general] = recorded;
  expect(flat!.caller.length).toBeGreaterThan(0);
  expect(flat!.callee.length).toBeGreaterThan(0);
  expect(flat).toEqual(general);
}

describe('the flat path on the wire, against the general path', () => {
  it('answered, ended by the caller\'s BYE', async () => {
    await both(async (run) => {
      const { caller, callee } = run;
      await dial(run);
      await ringAndAnswer(run);
      caller.inDialog('BYE');
      await next(caller.p, isResponse(200, 'BYE'), 'the 200 to the caller\'s BYE');
      const bye = await next(callee.p, isRequest('BYE'), 'the callee\'s BYE');
      callee.reply(bye, 200, 'OK');
    });
  });

  it('answered, ended by the callee\'s BYE', async () => {
    await both(async (run) => {
      const { caller, callee } = run;
      await dial(run);
      await ringAndAnswer(run);
      callee.bye();
      await next(callee.p, isResponse(200, 'BYE'), 'the 200 to the callee\'s BYE');
      const bye = await next(caller.p, isRequest('BYE'), 'the caller\'s BYE');
      send(caller.p, respond(bye, 200, 'OK'), caller.sluicePort);
    });
  });

  it('rejected with 486 Busy Here', async () => {
    await both(async (run) => {
      const { caller, callee } = run;
      await dial(run);
      callee.reply(callee.invite!, 100, 'Trying');
      callee.reply(callee.invite!, 486, 'Busy Here', { toTag: callee.tag });
      await next(callee.p, isRequest('ACK'), 'the ACK of the callee\'s 486');
      caller.ackFailure(await next(caller.p, isResponse(486, 'INVITE'), 'the caller\'s 486'));
    });
  });

  it('cancelled by the caller while ringing', async () => {
    await both(async (run) => {
      const { caller, callee } = run;
      await dial(run);
      callee.ring();
      await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
      caller.cancel();
      await next(caller.p, isResponse(200, 'CANCEL'), 'the 200 to the caller\'s CANCEL');
      const cancel = await next(callee.p, isRequest('CANCEL'), 'the callee\'s CANCEL');
      callee.reply(cancel, 200, 'OK', { toTag: callee.tag });
      callee.reply(callee.invite!, 487, 'Request Terminated', { toTag: callee.tag });
      await next(callee.p, isRequest('ACK'), 'the ACK of the callee\'s 487');
      caller.ackFailure(await next(caller.p, isResponse(487, 'INVITE'), 'the caller\'s 487'));
    });
  });

  it('a retransmitted INVITE gets the 180 again, a retransmitted BYE the 200 again', async () => {
    await both(async (run) => {
      const { caller, callee } = run;
      await dial(run);
      callee.ring();
      await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180');
      caller.sendInvite();
      await next(caller.p, isResponse(180, 'INVITE'), 'the caller\'s 180 again');
      callee.answer();
      caller.learn(await next(caller.p, isResponse(200, 'INVITE'), 'the caller\'s 200'));
      await next(callee.p, isRequest('ACK'), 'the callee\'s ACK');
      caller.inDialog('ACK');
      const bye = caller.inDialog('BYE');
      await next(caller.p, isResponse(200, 'BYE'), 'the 200 to the caller\'s BYE');
      const calleeBye = await next(callee.p, isRequest('BYE'), 'the callee\'s BYE');
      send(caller.p, bye, caller.sluicePort);
      await next(caller.p, isResponse(200, 'BYE'), 'the 200 to the caller\'s BYE again');
      callee.reply(calleeBye, 200, 'OK');
    });
  });
});
