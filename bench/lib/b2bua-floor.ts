/**
 * The least a B2BUA written in Node has to do for the benchmark's calls (sipp uac-rr -> B2BUA ->
 * sipp uas-rr: INVITE, 100, 180, 200, ACK, BYE, 200), the floor that Sluice's CPU per call is set
 * against beside the stateless proxy's (stateless-proxy.ts):
 * - each call is two dialogs: the callee's leg gets a Call-ID, From tag, Via and Contact of ours,
 *   the caller's leg our To tag and Contact, and the SDP passes as it came (media direct);
 * - per leg the transaction state RFC 3261 asks for over UDP: the INVITE retransmitted (Timers A
 *   and B), our 2xx retransmitted until the ACK (Timers G and H), our BYE retransmitted (Timers
 *   E and F), a retransmitted request answered again, and each call kept 32 s after its end for
 *   late retransmissions;
 * - nothing else: no CANCEL, re-INVITE, forking, authentication, NAT, routing or DNS, and one
 *   fixed next hop.
 * With `uses`, parts of Sluice replace the floor's own: Sluice's SIP parser, its SDP regeneration
 * (b2bua/sdp-bridge.ts: a new o= line, our address) and its store with a call's records. Each adds
 * what that part costs above the least (bench/build-up.bench.ts). `sendThread` is the other way:
 * the floor sends through Sluice's UDP send thread (transport/native-send.ts), which takes the
 * send system calls, and on loopback the receiver's delivery, off the main thread; it is what a
 * Node B2BUA at its cheapest would use; `batchReceive` likewise reads through Sluice's batched
 * reader (transport/native-recv.ts).
 *
 * Also a script: `node --import tsx bench/lib/b2bua-floor.ts PORT NEXT_HOP_PORT [parser,sdp,store,sendThread,batchReceive]`
 * binds 127.0.0.1:PORT, prints `ready`, and on SIGTERM (or its parent's IPC channel closing)
 * prints its counts as one JSON line and exits.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { newOrigin, regenerate, signalledStreams, type OriginState, type StreamTarget } from '../../src/b2bua/sdp-bridge.js';
import { parseSdp } from '../../src/sdp/index.js';
import { parseMessage } from '../../src/sip/index.js';
import { MemoryStore } from '../../src/state/index.js';
import { readInBatches, type NativeUdpReceiver } from '../../src/transport/native-recv.js';
import { NativeUdpSender, socketFd } from '../../src/transport/native-send.js';
import { cseqMethod, hostPortOfUri, parseFloorMessage, requestText, responseTarget, responseText, tagOf, uriOf, withTag, type FloorMessage, type HostPort } from './b2bua-floor-messages.js';
import { runFloorScript } from './floor-script.js';

/** Parts of Sluice that can stand in for the floor's own. */
export interface FloorUses {
  parser?: boolean;
  sdp?: boolean;
  store?: boolean;
  /** Send through Sluice's send thread (where its addon is built) instead of node:dgram. */
  sendThread?: boolean;
  /** Read through Sluice's batched reader (transport/native-recv.ts) instead of node:dgram. */
  batchReceive?: boolean;
}

export interface FloorCounts {
  received: number;
  sent: number;
  calls: number;
  /** Unparseable, or not of a call we know. */
  dropped: number;
  /** Transactions that ran out of retransmissions (Timers B, F, H). */
  timeouts: number;
  sendErrors: number;
}

export interface B2buaFloor {
  port: number;
  counts: FloorCounts;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const T1 = 500;
/** 64*T1: Timers B, F and H, and how long an ended call is kept. */
const TIMEOUT_MS = 64 * T1;
// As the other middle boxes get (stateless-proxy.ts): the default drops bursts.
const SOCKET_BUFFER = 4 * 1024 * 1024;

/** A request (or our 2xx) retransmitted every T1, doubling up to `cap`, until stopped or 64*T1. */
interface Retransmission {
  interval: number;
  timer: NodeJS.Timeout;
  giveUp: NodeJS.Timeout;
}

interface Call {
  state: 'calling' | 'answered' | 'confirmed' | 'ended';
  /** The caller's leg, as the caller wrote it (our To tag added in what we send). */
  a: { callId: string; from: string; to: string; vias: string[]; cseq: string; target: HostPort; tag: string };
  /** The callee's leg: our Call-ID and From tag, its To tag once answered. */
  b: { callId: string; from: string; to: string; target: HostPort; remoteUri: string; seq: number; inviteVia: string };
  /** What the caller gets again when it retransmits its INVITE (or BYE). */
  lastToCaller: string | null;
  byeAnswer: string | null;
  ack: string | null;
  invite: Retransmission | null;
  ok: Retransmission | null;
  bye: Retransmission | null;
  origin: { a: OriginState; b: OriginState };
  /** The SDP each side sent, as the leg records hold it. */
  sdp: { offer: string; answer: string };
}

/** The B2BUA on 127.0.0.1:port, placing every call's second leg at 127.0.0.1:nextHopPort. */
export function runB2buaFloor(port: number, nextHopPort: number, uses: FloorUses = {}): Promise<B2buaFloor> {
  const counts: FloorCounts = { received: 0, sent: 0, calls: 0, dropped: 0, timeouts: 0, sendErrors: 0 };
  const byCaller = new Map<string, Call>();
  const byCallee = new Map<string, Call>();
  const store = uses.store === true ? new MemoryStore() : null;
  const contact = `<sip:b2bua@${HOST}:${port}>`;
  const prefix = randomBytes(6).toString('hex');
  let seq = 0;
  const newId = (): string => `${prefix}${(seq++).toString(36)}`;
  const ourVia = (): string => `SIP/2.0/UDP ${HOST}:${port};branch=z9hG4bK${newId()}`;
  const sock = createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER });
  const sent = (err: Error | null): void => {
    if (err !== null) counts.sendErrors++;
  };
  // Set once the socket is bound, where `sendThread` asks for it and the addon loads.
  let thread: { sender: NativeUdpSender; fd: number } | null = null;
  const send = (text: string, to: HostPort): void => {
    counts.sent++;
    const bytes = Buffer.from(text, 'latin1');
    if (thread !== null && thread.sender.send(thread.fd, 4, bytes, to.port, to.host, sent)) return;
    sock.send(bytes, to.port, to.host, sent);
  };

  const retransmit = (text: string, to: HostPort, cap: number, onTimeout: () => void): Retransmission => {
    const r: Retransmission = {
      interval: T1,
      timer: setTimeout(function again() {
        send(text, to);
        r.interval = Math.min(r.interval * 2, cap);
        r.timer = setTimeout(again, r.interval);
      }, T1),
      giveUp: setTimeout(() => {
        clearTimeout(r.timer);
        counts.timeouts++;
        onTimeout();
      }, TIMEOUT_MS),
    };
    return r;
  };
  const stop = (r: Retransmission | null): null => {
    if (r !== null) {
      clearTimeout(r.timer);
      clearTimeout(r.giveUp);
    }
    return null;
  };
  const forget = (call: Call): void => {
    setTimeout(() => {
      byCaller.delete(call.a.callId);
      byCallee.delete(call.b.callId);
    }, TIMEOUT_MS).unref();
  };
  const toCaller = (call: Call, status: number, reason: string, body = '', contentType = ''): string =>
    responseText({ ...call.a, to: status === 100 ? call.a.to : withTag(call.a.to, call.a.tag) }, status, reason, contact, body, contentType);

  /** The SDP as the far side gets it: as it came, or regenerated by Sluice's SDP code. */
  const sdpFor = (body: string, origin: OriginState): string => {
    if (uses.sdp !== true || body === '') return body;
    const sdp = parseSdp(body);
    const targets: StreamTarget[] = signalledStreams(sdp).map((s) => (s.port === null ? { kind: 'disabled' } : { kind: 'direct', address: s.address ?? HOST, rtpPort: s.port, rtcpPort: s.rtcpPort }));
    origin.version++;
    return regenerate(sdp, origin, HOST, targets, false);
  };

  /**
   * The records Sluice writes for a call (b2bua/call-store.ts), put and deleted at the same
   * moments: the call at routing, at the answer and at the end (kept 32 s); each leg's dialog and
   * SDP at the answer, deleted at the end (media direct opens no pinholes: no media record).
   * They hold fewer fields than Sluice's.
   */
  const save = (call: Call, what: 'routing' | 'answered' | 'ended'): void => {
    if (store === null) return;
    const id = call.a.callId;
    const record = { id, state: what, caller: { callId: call.a.callId, from: call.a.from, to: call.a.to, source: `${call.a.target.host}:${call.a.target.port}` }, callee: { callId: call.b.callId, from: call.b.from, to: call.b.to }, at: Date.now() };
    const leg = (side: 'a' | 'b'): unknown => ({
      call: id,
      side,
      dialog: side === 'a' ? { callId: call.a.callId, localTag: call.a.tag, remote: call.a.from, cseq: call.a.cseq } : { callId: call.b.callId, local: call.b.from, remote: call.b.to, remoteTarget: call.b.remoteUri, seq: call.b.seq },
      sdp: side === 'a' ? { remote: call.sdp.offer, local: call.sdp.answer } : { remote: call.sdp.answer, local: call.sdp.offer },
      origin: call.origin[side],
    });
    const done = (p: Promise<void>): void => {
      p.catch(() => counts.dropped++);
    };
    if (what === 'ended') {
      done(store.put('call', id, record, TIMEOUT_MS));
      done(store.delete('leg', `${id}a`));
      done(store.delete('leg', `${id}b`));
      return;
    }
    done(store.put('call', id, record));
    if (what === 'answered') {
      done(store.put('leg', `${id}a`, leg('a')));
      done(store.put('leg', `${id}b`, leg('b')));
    }
  };

  const onInvite = (m: FloorMessage, source: HostPort): void => {
    const known = byCaller.get(m.callId);
    if (known !== undefined) {
      if (known.lastToCaller !== null) send(known.lastToCaller, known.a.target);
      return;
    }
    if (tagOf(m.to) !== null) {
      // A re-INVITE: not in the benchmark's calls.
      counts.dropped++;
      return;
    }
    const sp = m.startLine.indexOf(' ');
    const ruri = m.startLine.slice(sp + 1, m.startLine.lastIndexOf(' '));
    const call: Call = {
      state: 'calling',
      a: { callId: m.callId, from: m.from, to: m.to, vias: m.vias, cseq: m.cseq, target: responseTarget(m.vias[0]!, source), tag: newId() },
      b: { callId: newId(), from: withTag(m.from, newId()), to: m.to, target: { host: HOST, port: nextHopPort }, remoteUri: ruri, seq: 1, inviteVia: ourVia() },
      lastToCaller: null,
      byeAnswer: null,
      ack: null,
      invite: null,
      ok: null,
      bye: null,
      origin: { a: newOrigin(Math.random), b: newOrigin(Math.random) },
      sdp: { offer: m.body, answer: '' },
    };
    counts.calls++;
    byCaller.set(call.a.callId, call);
    byCallee.set(call.b.callId, call);
    call.lastToCaller = toCaller(call, 100, 'Trying');
    send(call.lastToCaller, call.a.target);
    const invite = requestText(call.b, 'INVITE', ruri, 1, call.b.inviteVia, contact, sdpFor(m.body, call.origin.b), m.contentType);
    send(invite, call.b.target);
    call.invite = retransmit(invite, call.b.target, TIMEOUT_MS, () => {
      call.state = 'ended';
      call.lastToCaller = toCaller(call, 408, 'Request Timeout');
      send(call.lastToCaller, call.a.target);
      forget(call);
    });
    save(call, 'routing');
  };

  const onInviteResponse = (call: Call, status: number, reason: string, m: FloorMessage): void => {
    // Any response stops Timer A; a final one Timer B too.
    if (call.invite !== null) clearTimeout(call.invite.timer);
    if (status === 100) return;
    if (status < 200) {
      if (call.state !== 'calling') return;
      call.lastToCaller = toCaller(call, status, reason, sdpFor(m.body, call.origin.a), m.contentType);
      send(call.lastToCaller, call.a.target);
      return;
    }
    if (call.state !== 'calling') {
      // A retransmitted 2xx: our ACK again (RFC 3261 13.2.2.4).
      if (status < 300 && call.ack !== null) send(call.ack, call.b.target);
      return;
    }
    call.invite = stop(call.invite);
    call.b.to = m.to;
    if (status >= 300) {
      // The ACK of a failure is hop-by-hop: the INVITE's branch and Request-URI.
      send(requestText(call.b, 'ACK', call.b.remoteUri, 1, call.b.inviteVia, contact), call.b.target);
      call.state = 'ended';
      call.lastToCaller = toCaller(call, status, reason);
      send(call.lastToCaller, call.a.target);
      forget(call);
      return;
    }
    call.state = 'answered';
    call.sdp.answer = m.body;
    call.b.remoteUri = uriOf(m.contact);
    call.b.target = hostPortOfUri(call.b.remoteUri);
    call.lastToCaller = toCaller(call, status, reason, sdpFor(m.body, call.origin.a), m.contentType);
    send(call.lastToCaller, call.a.target);
    call.ok = retransmit(call.lastToCaller, call.a.target, 4 * T1, () => {
      call.state = 'ended';
      forget(call);
    });
    save(call, 'answered');
  };

  const onResponse = (m: FloorMessage): void => {
    const call = byCallee.get(m.callId);
    if (call === undefined) {
      counts.dropped++;
      return;
    }
    const sp = m.startLine.indexOf(' ');
    const status = Number(m.startLine.slice(sp + 1, sp + 4));
    const method = cseqMethod(m.cseq);
    if (method === 'INVITE') onInviteResponse(call, status, m.startLine.slice(sp + 5), m);
    else if (method === 'BYE' && status >= 200) call.bye = stop(call.bye);
  };

  const onAck = (m: FloorMessage): void => {
    const call = byCaller.get(m.callId);
    if (call === undefined || call.state !== 'answered') return;
    call.ok = stop(call.ok);
    call.state = 'confirmed';
    call.ack = requestText(call.b, 'ACK', call.b.remoteUri, 1, ourVia(), contact, m.body, m.contentType);
    send(call.ack, call.b.target);
  };

  const onBye = (m: FloorMessage, source: HostPort): void => {
    const call = byCaller.get(m.callId);
    if (call === undefined) {
      send(responseText(m, 481, 'Call/Transaction Does Not Exist', ''), responseTarget(m.vias[0]!, source));
      return;
    }
    if (call.byeAnswer !== null) {
      send(call.byeAnswer, call.a.target);
      return;
    }
    call.ok = stop(call.ok);
    const answer = responseText(m, 200, 'OK', '');
    call.byeAnswer = answer;
    send(answer, call.a.target);
    const wasUp = call.state === 'confirmed' || call.state === 'answered';
    call.state = 'ended';
    if (wasUp) {
      const bye = requestText(call.b, 'BYE', call.b.remoteUri, ++call.b.seq, ourVia(), contact);
      send(bye, call.b.target);
      call.bye = retransmit(bye, call.b.target, 4 * T1, () => {});
    }
    save(call, 'ended');
    forget(call);
  };

  /** A datagram as dgram reads it (bytes) or as the batched reader does (latin1 text). */
  const parse = (bytes: Buffer | string): FloorMessage | null => {
    if (uses.parser !== true) return parseFloorMessage(typeof bytes === 'string' ? bytes : bytes.toString('latin1'));
    try {
      const msg = parseMessage(bytes);
      return {
        startLine: msg.startLine,
        vias: msg.headerValues('via'),
        from: msg.header('from') ?? '',
        to: msg.header('to') ?? '',
        callId: msg.callId,
        cseq: msg.header('cseq') ?? '',
        contact: msg.header('contact') ?? '',
        contentType: msg.header('content-type') ?? '',
        body: msg.body.length === 0 ? '' : msg.body.toString('latin1'),
      };
    } catch {
      return null;
    }
  };

  const onDatagram = (bytes: Buffer | string, address: string, rport: number): void => {
    counts.received++;
    try {
      const m = parse(bytes);
      if (m === null) {
        counts.dropped++;
        return;
      }
      if (m.startLine.startsWith('SIP/2.0 ')) {
        onResponse(m);
        return;
      }
      const method = m.startLine.slice(0, m.startLine.indexOf(' '));
      const source = { host: address, port: rport };
      if (method === 'INVITE') onInvite(m, source);
      else if (method === 'ACK') onAck(m);
      else if (method === 'BYE') onBye(m, source);
      else counts.dropped++;
    } catch {
      // Nothing above throws on a message it parsed; this only keeps a surprise from ending the floor.
      counts.dropped++;
    }
  };
  sock.on('message', (bytes: Buffer, rinfo: RemoteInfo) => onDatagram(bytes, rinfo.address, rinfo.port));
  let reader: NativeUdpReceiver | null = null;

  return new Promise((resolveBound, reject) => {
    sock.once('error', reject);
    sock.bind(port, HOST, () => {
      sock.off('error', reject);
      sock.on('error', () => counts.sendErrors++);
      if (uses.sendThread === true) {
        const sender = NativeUdpSender.open();
        const fd = socketFd(sock);
        if (sender instanceof Error || fd === null) {
          if (!(sender instanceof Error)) sender.close();
          sock.close();
          reject(sender instanceof Error ? sender : new Error('the socket has no descriptor for the send thread'));
          return;
        }
        thread = { sender, fd };
      }
      if (uses.batchReceive === true) {
        const opened = readInBatches(sock, socketFd(sock), onDatagram);
        if (opened instanceof Error) {
          thread?.sender.close();
          sock.close();
          reject(opened);
          return;
        }
        reader = opened;
      }
      resolveBound({
        port,
        counts,
        close: async () => {
          await store?.close();
          reader?.close();
          reader = null;
          // Everything queued leaves before the descriptor closes (native-send.ts, drain).
          thread?.sender.close();
          thread = null;
          await new Promise<void>((done) => sock.close(() => done()));
        },
      });
    });
  });
}

const USES: readonly (keyof FloorUses)[] = ['parser', 'sdp', 'store', 'sendThread', 'batchReceive'];

/** `parser,sdp,store,sendThread,batchReceive` (any of them) as FloorUses; throws on anything else. */
export function parseUses(list: string): FloorUses {
  const uses: FloorUses = {};
  for (const part of list.split(',').filter((p) => p !== '')) {
    if (!(USES as readonly string[]).includes(part)) throw new Error(`unknown part '${part}': expected ${USES.join(', ')}`);
    uses[part as keyof FloorUses] = true;
  }
  return uses;
}

// ---- as a script ----

runFloorScript(import.meta.url, 'node --import tsx bench/lib/b2bua-floor.ts PORT NEXT_HOP_PORT [parser,sdp,store,sendThread,batchReceive]', (port, nextHop, extra) =>
  runB2buaFloor(port, nextHop, parseUses(extra[0] ?? '')),
);
