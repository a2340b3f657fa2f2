import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { terminate, udpDropsByInode, udpDropsOf } from '../../bench/lib/proc.js';

const TABLE = [
  '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
  '  123: 0100007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 6281006 2 ffff8f2a0b3e1a40 392',
  '  124: 0100007F:9DBA 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 6281677 2 ffff8f2a0b3e1b80 0',
  'not a socket line',
].join('\n');

describe('udpDropsByInode', () => {
  it('reads the drops column of /proc/net/udp by inode and skips the header and junk', () => {
    expect([...udpDropsByInode(TABLE)]).toEqual([
      [6281006, 392],
      [6281677, 0],
    ]);
  });
});

describe.skipIf(process.platform !== 'linux')('udpDropsOf', () => {
  it('counts the datagrams a process that does not read lost at its socket', async () => {
    // A child binds a small-buffered socket, says its port, then blocks its event loop for 3 s:
    // the kernel queues what fits and drops the rest.
    const script =
      "const s=require('node:dgram').createSocket({type:'udp4',recvBufferSize:4096});" +
      "s.bind(0,'127.0.0.1',()=>{console.log(s.address().port);setTimeout(()=>Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,3000),50);});";
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const sender = createSocket('udp4');
    try {
      const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
      await new Promise((r) => setTimeout(r, 300)); // the child is blocked now
      const before = udpDropsOf([child.pid!]);
      const payload = Buffer.alloc(1_000, 0x61);
      for (let i = 0; i < 200; i++) await new Promise<void>((resolve) => sender.send(payload, port, '127.0.0.1', () => resolve()));
      const after = udpDropsOf([child.pid!]);
      expect(after - before).toBeGreaterThan(100);
      // A socket shared by several processes (forked children) counts once.
      expect(udpDropsOf([child.pid!, child.pid!])).toBe(after);
      expect(udpDropsOf([2 ** 22 + 12_345])).toBe(0); // no such process
    } finally {
      sender.close();
      await terminate(child.pid!, exited, 2_000);
    }
  });
});
