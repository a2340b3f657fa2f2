/**
 * The least a SIP middle box written in Node has to do: a stateless proxy (RFC 3261 16.11) in
 * front of one fixed next hop, the floor that Sluice's and Kamailio's call rates are set against
 * (bench/node-floor.bench.ts). It does per message what every proxy must, and what Kamailio's
 * benchmark configuration does (stateless-proxy-rewrite.ts), but keeps no transaction and no
 * dialog and does no DNS.
 *
 * Also a script: `node --import tsx bench/lib/stateless-proxy.ts PORT NEXT_HOP_PORT` binds
 * 127.0.0.1:PORT, prints `ready`, and on SIGTERM (or its parent's IPC channel closing) prints its
 * counts as one JSON line and exits.
 */
import { createSocket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { runFloorScript } from './floor-script.js';
import { forwardResponse, proxyRequest, type HostPort } from './stateless-proxy-rewrite.js';

export interface ProxyCounts {
  requests: number;
  responses: number;
  trying: number;
  /** Messages dropped: malformed, not ours, out of hops, or a next hop that is not an IPv4 literal. */
  dropped: number;
  sendErrors: number;
}

export interface StatelessProxy {
  port: number;
  counts: ProxyCounts;
  close(): Promise<void>;
}

// As sipp gets (bench/lib/kamailio-parts.ts SIPP_BUFFER_ARGS): the default drops bursts. The kernel caps it at net.core.[rw]mem_max.
const SOCKET_BUFFER = 4 * 1024 * 1024;

/** The proxy on 127.0.0.1:port, forwarding every request to 127.0.0.1:nextHopPort. */
export function runStatelessProxy(port: number, nextHopPort: number): Promise<StatelessProxy> {
  const self: HostPort = { host: '127.0.0.1', port };
  const counts: ProxyCounts = { requests: 0, responses: 0, trying: 0, dropped: 0, sendErrors: 0 };
  const sock = createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER });
  const sent = (err: Error | null): void => {
    if (err !== null) counts.sendErrors++;
  };
  const send = (text: string, toPort: number, toHost: string): void => {
    sock.send(Buffer.from(text, 'latin1'), toPort, toHost, sent);
  };
  sock.on('message', (buf, rinfo) => {
    try {
      const text = buf.toString('latin1');
      if (text.startsWith('SIP/2.0 ')) {
        const r = forwardResponse(text, self);
        // Only literal IPv4 next hops: no DNS lookup, and this socket is udp4.
        if (r === null || !isIPv4(r.host)) counts.dropped++;
        else {
          counts.responses++;
          send(r.text, r.port, r.host);
        }
        return;
      }
      const r = proxyRequest(text, self);
      if (r === null) {
        counts.dropped++;
        return;
      }
      counts.requests++;
      if (r.trying !== null) {
        counts.trying++;
        send(r.trying, rinfo.port, rinfo.address);
      }
      send(r.forward, nextHopPort, '127.0.0.1');
    } catch {
      // The functions above do not throw on any input; this only keeps a surprise from ending the proxy.
      counts.dropped++;
    }
  });
  return new Promise((resolveBound, reject) => {
    sock.once('error', reject);
    sock.bind(port, '127.0.0.1', () => {
      sock.off('error', reject);
      // Send errors reach the callback; anything else is counted, never fatal.
      sock.on('error', () => counts.sendErrors++);
      resolveBound({ port, counts, close: () => new Promise<void>((done) => sock.close(() => done())) });
    });
  });
}

// ---- as a script ----

runFloorScript(import.meta.url, 'node --import tsx bench/lib/stateless-proxy.ts PORT NEXT_HOP_PORT', (port, nextHop) => runStatelessProxy(port, nextHop));
