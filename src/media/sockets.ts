import { createSocket, type Socket } from 'node:dgram';
import type { LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';

/** One side's even/odd pair, both sockets bound. */
export interface PortPair {
  readonly port: number;
  readonly rtp: Socket;
  readonly rtcp: Socket;
}

// Generous kernel buffers absorb event-loop pauses (GC, a burst of signalling) without loss.
// Linux clamps to net.core.[rw]mem_max; a refusal only costs headroom, so it is ignored.
const RECV_BUFFER = 2 << 20;
const SEND_BUFFER = 1 << 20;

/**
 * dgram resolves every destination (and connect's peer) through dns.lookup, which for an IP
 * literal still costs a process.nextTick. The relay only ever sends to validated literals, so it
 * answers at once: send() and connect() then complete synchronously.
 */
function literalLookup(address: string, _options: LookupOneOptions | number, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  callback(null, address, isIP(address));
}

/**
 * Binds `port` (RTP) and `port + 1` (RTCP) on `address`, exclusively: both or neither. Resolves
 * the bind error of the first that failed (its `code` tells a taken port from an unusable address).
 */
export async function bindPair(address: string, family: 4 | 6, port: number, onError: (err: Error, port: number) => void): Promise<PortPair | Error> {
  const rtp = await bindOne(address, family, port, onError);
  if (rtp instanceof Error) return rtp;
  const rtcp = await bindOne(address, family, port + 1, onError);
  if (!(rtcp instanceof Error)) return { port, rtp, rtcp };
  closeQuietly(rtp);
  return rtcp;
}

function bindOne(address: string, family: 4 | 6, port: number, onError: (err: Error, port: number) => void): Promise<Socket | Error> {
  const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6, lookup: literalLookup });
  return new Promise((resolve) => {
    const onBindError = (err: Error): void => {
      closeQuietly(socket);
      resolve(err);
    };
    socket.once('error', onBindError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onBindError);
      socket.on('error', (err) => onError(err, port));
      try {
        socket.setRecvBufferSize(RECV_BUFFER);
        socket.setSendBufferSize(SEND_BUFFER);
      } catch {
        // Clamped or refused: the default buffers still work.
      }
      resolve(socket);
    });
  });
}

export function closePair(pair: PortPair): void {
  closeQuietly(pair.rtp);
  closeQuietly(pair.rtcp);
}

export function closeQuietly(socket: Socket): void {
  try {
    socket.close();
  } catch {
    // Already closed.
  }
}
