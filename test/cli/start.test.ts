import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMessage, type SipResponse } from '../../src/sip/index.js';

// `sluice start` as a user runs it (through tsx, so no build is needed), on free loopback ports.
describe('sluice start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-start-'));
  const config = join(dir, 'sluice.yaml');
  let port = 0;
  let child: ReturnType<typeof spawn>;

  beforeAll(async () => {
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
    port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const dialplan = fileURLToPath(new URL('../../dialplan', import.meta.url));
    writeFileSync(
      config,
      `realms:\n  inside:\n    listen:\n      - { transport: udp, address: 127.0.0.1, port: ${port} }\n    media: { address: 127.0.0.1, portMin: 31000, portMax: 31100 }\n    registrar: true\n` +
        `  outside:\n    listen:\n      - { transport: udp, address: 127.0.0.1, port: 0 }\n    media: { address: 127.0.0.1, portMin: 31100, portMax: 31200 }\n` +
        `dialplan: ${dialplan}\nlog:\n  level: info\n`,
    );
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('Sluice started')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
  });

  afterAll(() => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends one request and returns the final response (provisional ones are skipped). */
  async function ask(text: string): Promise<SipResponse> {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const reply = new Promise<SipResponse>((resolve) => {
      s.on('message', (b) => {
        const res = parseMessage(b, { mode: 'framing' }) as SipResponse;
        if (res.status >= 200) resolve(res);
      });
    });
    s.send(Buffer.from(text), port, '127.0.0.1');
    const res = await reply;
    s.close();
    return res;
  }

  const req = (method: string, cseq = `1 ${method}`) =>
    [`${method} sip:sluice@127.0.0.1 SIP/2.0`, 'Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKs1;rport', 'From: <sip:a@example.com>;tag=1', 'To: <sip:b@example.com>',
      'Call-ID: start-1', `CSeq: ${cseq}`, 'Max-Forwards: 70', 'Content-Length: 0', '', ''].join('\r\n');

  it('answers OPTIONS 200, an INVITE for nobody 404 (dialplan), and a malformed request 400 with the reason', async () => {
    expect((await ask(req('OPTIONS'))).status).toBe(200);
    const invite = req('INVITE').replace('Content-Length: 0', 'Contact: <sip:a@127.0.0.1:9>\r\nContent-Length: 0');
    expect((await ask(invite)).status).toBe(404);
    const bad = await ask(req('OPTIONS', '1 INVITE'));
    expect(bad.status).toBe(400);
    expect(bad.reason).toMatch(/CSeq/);
  });

  it('check-config names the bad key', async () => {
    const badFile = join(dir, 'bad.yaml');
    writeFileSync(badFile, 'realms:\n  inside:\n    listen:\n      - { transport: udp, address: nowhere, port: 5060 }\n');
    const run = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check-config', badFile]);
    let err = '';
    run.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((r) => run.on('exit', r));
    expect(code).toBe(1);
    expect(err).toContain('realms.inside.listen[0].address: expected an IPv4 or IPv6 address');
  });

  it('a second Sluice on the same address exits 1 and says the address is taken, rather than running half started', async () => {
    const second = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    second.stderr.on('data', (c: Buffer) => (err += c.toString()));
    second.stdout.resume();
    // If it hangs (the fault this guards against), the test times out: it must not outlive it.
    const timer = setTimeout(() => second.kill('SIGKILL'), 15_000);
    const code = await new Promise((r) => second.on('exit', r));
    clearTimeout(timer);
    expect(code).toBe(1);
    expect(err).toContain(`sluice: cannot listen on UDP 127.0.0.1:${port}: the address is in use (another process, or another Sluice, holds it) [SLUICE_ERR_TRANSPORT]`);
  }, 20_000);
});
