import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig, validateConfig } from '../../src/config/load.js';

const realm = { listen: [{ transport: 'udp', address: '127.0.0.1', port: 5060 }], media: { address: '127.0.0.1', portMin: 20000, portMax: 20100 } };

function refused(doc: unknown): ConfigError {
  try {
    validateConfig(doc, 'test.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('configuration', () => {
  it('loads the embedded default: two realms, the registrar inside, the dialplan folder beside', () => {
    const file = fileURLToPath(new URL('../../config/sluice.yaml', import.meta.url));
    const c = loadConfig(file);
    expect(Object.keys(c.realms)).toEqual(['inside', 'outside']);
    expect(c.realms.inside!.registrar).toBe(true);
    expect(c.realms.inside!.media).toMatchObject({ portMin: 20000 });
    expect(c.dialplan).toBe(fileURLToPath(new URL('../../dialplan', import.meta.url)));
    expect(c.store.kind).toBe('memory');
  });

  it('names the file, the key path and what is expected', () => {
    expect(refused({ realms: { inside: { ...realm, listen: [{ transport: 'sctp', address: '127.0.0.1', port: 5060 }] } } }).message).toBe(
      "test.yaml: realms.inside.listen[0].transport: expected 'udp', 'tcp' or 'tls'",
    );
    expect(refused({ realms: { inside: { ...realm, media: { address: '127.0.0.1', portMin: 20001, portMax: 20100 } } } }).path).toBe('realms.inside.media.portMin');
    expect(refused({ realms: { inside: { ...realm, allow: ['10.0.0.0/33'] } } }).path).toBe('realms.inside.allow[0]');
    expect(refused({ realms: { inside: realm }, calls: { maxDurationSeconds: -1 } }).path).toBe('calls.maxDurationSeconds');
    expect(refused({ realms: { inside: realm }, nonsense: 1 }).message).toContain('nonsense: unknown key');
    expect(refused({ realms: { inside: { ...realm, listen: [{ transport: 'tls', address: '127.0.0.1', port: 5061 }] } } }).path).toBe('realms.inside.listen[0].cert');
  });

  it('runs one media worker per core, with native I/O, unless told otherwise, 0 meaning in the signalling thread', () => {
    expect(validateConfig({ realms: { inside: realm } }).media).toEqual({ workers: availableParallelism(), native: true });
    expect(validateConfig({ realms: { inside: realm }, media: { native: false } }).media.native).toBe(false);
    expect(refused({ realms: { inside: realm }, media: { native: 'yes' } }).path).toBe('media.native');
    expect(validateConfig({ realms: { inside: realm }, media: { workers: 0 } }).media.workers).toBe(0);
    expect(validateConfig({ realms: { inside: realm }, media: { workers: 3 } }).media.workers).toBe(3);
    for (const workers of [-1, 1.5, 65, 'two']) expect(refused({ realms: { inside: realm }, media: { workers } }).path).toBe('media.workers');
    expect(refused({ realms: { inside: realm }, media: { threads: 2 } }).message).toContain('media.threads: unknown key');
  });

  it('turns overload control, the UDP send thread, batched UDP receive, lean INVITEs and flat calls on unless told otherwise', () => {
    expect(validateConfig({ realms: { inside: realm } }).sip).toEqual({ maxMessageBytes: 65_535, overloadControl: true, udpSendThread: true, udpSendInline: 16, udpBatchReceive: true, leanInvites: true, flatCalls: true });
    expect(validateConfig({ realms: { inside: realm }, sip: { flatCalls: false } }).sip.flatCalls).toBe(false);
    expect(refused({ realms: { inside: realm }, sip: { flatCalls: 1 } }).path).toBe('sip.flatCalls');
    expect(validateConfig({ realms: { inside: realm }, sip: { leanInvites: false } }).sip.leanInvites).toBe(false);
    expect(refused({ realms: { inside: realm }, sip: { leanInvites: 'no' } }).path).toBe('sip.leanInvites');
    expect(validateConfig({ realms: { inside: realm }, sip: { overloadControl: false } }).sip.overloadControl).toBe(false);
    expect(refused({ realms: { inside: realm }, sip: { overloadControl: 'yes' } }).path).toBe('sip.overloadControl');
    expect(validateConfig({ realms: { inside: realm }, sip: { udpSendThread: false } }).sip.udpSendThread).toBe(false);
    expect(refused({ realms: { inside: realm }, sip: { udpSendThread: 1 } }).path).toBe('sip.udpSendThread');
    expect(validateConfig({ realms: { inside: realm }, sip: { udpBatchReceive: false } }).sip.udpBatchReceive).toBe(false);
    expect(refused({ realms: { inside: realm }, sip: { udpBatchReceive: 'yes' } }).path).toBe('sip.udpBatchReceive');
    expect(validateConfig({ realms: { inside: realm }, sip: { udpSendInline: 0 } }).sip.udpSendInline).toBe(0);
    expect(refused({ realms: { inside: realm }, sip: { udpSendInline: 1_025 } }).path).toBe('sip.udpSendInline');
    expect(refused({ realms: { inside: realm }, sip: { udpSendInline: -1 } }).path).toBe('sip.udpSendInline');
  });

  it('refuses an unreadable file and bad YAML with the file named', () => {
    expect(() => loadConfig('/nonexistent/sluice.yaml')).toThrow(/\/nonexistent\/sluice.yaml: \(top level\): cannot be read/);
  });
});
