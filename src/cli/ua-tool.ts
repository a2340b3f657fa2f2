/**
 * `sluice ua`: Sluice's own SIP stack as a bare user agent, for testing a network or a peer
 * (and for the interop tests and bench:stack, which drive it against sipp).
 *   sluice ua answer --listen udp:IP:PORT [--listen tcp:IP:PORT] [--listen tls:IP:PORT --cert F --key F] [--ring] [--exit-after N] [--max-seconds S]
 *   sluice ua call --listen udp:IP:PORT --target URI [--calls N] [--rate R] [--hold-ms D] [--max-seconds S]
 * Both take --linger-ms L: stay that long after the end, so the transactions still answer a
 * peer's retransmissions (a lost 200 to BYE) before the process goes. Prints one JSON line of counters when it ends (SIGINT/SIGTERM, --exit-after, or the calls are done).
 */
import { readFileSync } from 'node:fs';
import { SystemClock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import { TransportLayer, type ListenerConfig, type TransportProtocol } from '../transport/index.js';
import { CallFailed, UserAgent, type Session, type SessionEnd } from '../ua/index.js';

function options(args: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length - 1; i++) if (args[i] === name) out.push(args[i + 1]!);
  return out;
}

function option(args: string[], name: string, fallback: string): string {
  return options(args, name)[0] ?? fallback;
}

function listener(spec: string, args: string[]): ListenerConfig {
  const m = /^(udp|tcp|tls):(.+):(\d+)$/i.exec(spec);
  if (m === null) throw new Error(`--listen wants udp:, tcp: or tls:ADDRESS:PORT, got ${spec}`);
  const address = m[2]!.replace(/^\[|\]$/g, '');
  const transport = m[1]!.toUpperCase() as TransportProtocol;
  if (transport !== 'TLS') return { transport, address, port: Number(m[3]) };
  const cert = options(args, '--cert')[0];
  const key = options(args, '--key')[0];
  if (cert === undefined || key === undefined) throw new Error('a tls: listener needs --cert FILE and --key FILE (PEM)');
  return { transport, address, port: Number(m[3]), tls: { cert: readFileSync(cert), key: readFileSync(key) } };
}

function sdp(address: string): string {
  const ip = address.includes(':') ? 'IP6' : 'IP4';
  return `v=0\r\no=sluice 1 1 IN ${ip} ${address}\r\ns=-\r\nc=IN ${ip} ${address}\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n`;
}

export async function runUaTool(args: string[], log: Logger): Promise<number> {
  const mode = args[0];
  if (mode !== 'answer' && mode !== 'call') throw new Error('sluice ua answer|call ... (see src/cli/ua-tool.ts)');
  const listeners = options(args, '--listen').map((l) => listener(l, args));
  if (listeners.length === 0) throw new Error('--listen is required');
  const transport = new TransportLayer({ listeners, logger: log });
  const clock = new SystemClock();
  const ua = new UserAgent({ clock, transport, logger: log, product: 'Sluice-ua' });
  transport.setUser(ua);
  await transport.start();
  const maxSeconds = Number(option(args, '--max-seconds', '3600'));
  const counters: Record<string, number> = {};
  const count = (k: string): void => {
    counters[k] = (counters[k] ?? 0) + 1;
  };
  const ended = (e: SessionEnd): void => count(`ended_${e.by}_${e.cause}`);
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const stopTimer = setTimeout(() => finish(mode === 'call' ? 1 : 0), maxSeconds * 1000);
  process.once('SIGINT', () => finish(0));
  process.once('SIGTERM', () => finish(0));

  if (mode === 'answer') {
    const exitAfter = Number(option(args, '--exit-after', '0'));
    const ring = args.includes('--ring');
    ua.handler = {
      onInvite(call) {
        count('invites');
        if (ring) call.progress(180);
        const session = call.accept({ body: sdp(call.source.local?.address ?? listeners[0]!.address) });
        session.handler = {
          onAck: () => count('acks'),
          onTerminated: (e) => {
            ended(e);
            if (exitAfter > 0 && (counters.ended ?? 0) + 1 >= exitAfter) finish(0);
            count('ended');
          },
        };
      },
    };
  } else {
    const target = option(args, '--target', '');
    const calls = Number(option(args, '--calls', '1'));
    const rate = Number(option(args, '--rate', '10'));
    const holdMs = Number(option(args, '--hold-ms', '1000'));
    const local = transport.locals[0]!;
    const one = async (): Promise<void> => {
      count('attempted');
      const call = ua.invite({ uri: target, from: `<sip:sluice@${local.address.includes(':') ? `[${local.address}]` : local.address}>`, body: sdp(local.address) });
      let session: Session;
      try {
        session = await call.answered;
      } catch (e) {
        count(e instanceof CallFailed ? `failed_${e.status}` : 'failed_other');
        return;
      }
      count('answered');
      session.handler = { onTerminated: ended };
      await new Promise((r) => setTimeout(r, holdMs));
      if (session.state === 'terminated') return;
      const bye = await session.bye();
      if (bye !== null && bye.status === 200) count('completed');
      else count(`bye_${bye?.status ?? 'none'}`);
    };
    void (async () => {
      const all: Promise<void>[] = [];
      for (let i = 0; i < calls; i++) {
        all.push(one());
        await new Promise((r) => setTimeout(r, 1000 / rate));
      }
      await Promise.all(all);
      finish((counters.completed ?? 0) === calls ? 0 : 1);
    })();
  }

  const code = await finished;
  clearTimeout(stopTimer);
  const linger = Number(option(args, '--linger-ms', '0'));
  if (linger > 0) await new Promise((r) => setTimeout(r, linger));
  console.log(JSON.stringify({ mode, ...counters, transport: transport.counters, transactions: ua.transactions.stats }));
  ua.dispose();
  await transport.stop();
  return code;
}
