import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamConnection } from '../../src/transport/connection.js';
import { DEFAULT_LIMITS } from '../../src/sip/limits.js';

let server: Server | null = null;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

const noEvents = { onMessage: () => undefined, onFramingError: () => undefined, onClose: () => undefined };

/** A connected client socket and what the server side of it receives, chunk by chunk. */
async function pair(): Promise<{ client: Socket; chunks: string[]; received(text: string): Promise<void> }> {
  const chunks: string[] = [];
  const waiters: (() => void)[] = [];
  server = createServer((s) => {
    sockets.push(s);
    s.on('data', (c: Buffer) => {
      chunks.push(c.toString());
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  sockets.push(client);
  await new Promise<void>((r) => client.once('connect', () => r()));
  const received = async (text: string): Promise<void> => {
    while (chunks.join('') !== text) await new Promise<void>((r) => waiters.push(r));
  };
  return { client, chunks, received };
}

describe('StreamConnection writes', () => {
  it('holds the messages of one event-loop turn and writes them together after it', async () => {
    const { client, received } = await pair();
    const conn = new StreamConnection(client, { id: 'c1', transport: 'TCP', remoteAddress: '127.0.0.1', remotePort: 0, connected: true, idleTimeoutMs: 60_000, limits: DEFAULT_LIMITS, events: noEvents });
    expect(conn.write(Buffer.from('first;'))).toBe(true);
    expect(conn.write(Buffer.from('second;'))).toBe(true);
    expect(client.writableCorked).toBe(1);
    expect(client.writableLength).toBe('first;second;'.length);
    await new Promise((r) => setImmediate(r));
    expect(client.writableCorked).toBe(0);
    await received('first;second;');
  });

  it('sends what was written in the turn it is closed in', async () => {
    const { client, received } = await pair();
    const conn = new StreamConnection(client, { id: 'c2', transport: 'TCP', remoteAddress: '127.0.0.1', remotePort: 0, connected: true, idleTimeoutMs: 60_000, limits: DEFAULT_LIMITS, events: noEvents });
    conn.write(Buffer.from('bye;'));
    conn.close();
    await received('bye;');
  });
});
