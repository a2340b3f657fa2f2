import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { UDP_SEND_INLINE, type CallsConfig, type ListenConfig, type RealmConfig, type SluiceConfig } from './types.js';
import { readYaml } from './yaml.js';

type Obj = Record<string, unknown>;

/** Reads and validates a configuration file; every problem is a ConfigError naming the key. */
export function loadConfig(file: string): SluiceConfig {
  const doc = readYaml(file, (problem) => {
    throw new ConfigError(file, '', problem);
  });
  return validateConfig(doc, file);
}

/** A small checker that names the file and the key's path in every error. */
function checker(file: string) {
  const fail = (path: string, expected: string): never => {
    throw new ConfigError(file, path, expected);
  };
  return {
    fail,
    obj: (v: unknown, path: string): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : fail(path, 'expected a mapping')),
    str: (v: unknown, path: string): string => (typeof v === 'string' && v.length > 0 ? v : fail(path, 'expected a non-empty string')),
    bool: (v: unknown, path: string, fallback: boolean): boolean => (v === undefined ? fallback : typeof v === 'boolean' ? v : fail(path, 'expected true or false')),
    int: (v: unknown, path: string, min: number, max: number, fallback?: number): number => {
      if (v === undefined && fallback !== undefined) return fallback;
      return Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : fail(path, `expected an integer from ${min} to ${max}`);
    },
    ip: (v: unknown, path: string): string => {
      const s = typeof v === 'string' ? v : '';
      return isIP(s) !== 0 ? s : fail(path, 'expected an IPv4 or IPv6 address');
    },
    known: (o: Obj, path: string, keys: string[]): void => {
      for (const k of Object.keys(o)) if (!keys.includes(k)) fail(path ? `${path}.${k}` : k, `unknown key (expected one of: ${keys.join(', ')})`);
    },
  };
}

export function validateConfig(doc: unknown, file = '<config>'): SluiceConfig {
  const c = checker(file);
  const base = file.startsWith('<') ? process.cwd() : dirname(resolve(file));
  const root = c.obj(doc ?? {}, '');
  c.known(root, '', ['node', 'log', 'sip', 'realms', 'dialplan', 'store', 'calls', 'media']);
  const node = c.obj(root.node ?? {}, 'node');
  c.known(node, 'node', ['id']);
  const log = c.obj(root.log ?? {}, 'log');
  c.known(log, 'log', ['level']);
  const level = log.level === undefined ? 'info' : c.str(log.level, 'log.level');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) {
    c.fail('log.level', 'expected one of fatal, error, warn, info, debug, trace, silent');
  }
  const sip = c.obj(root.sip ?? {}, 'sip');
  c.known(sip, 'sip', ['maxMessageBytes', 'overloadControl', 'udpSendThread', 'udpSendInline', 'udpBatchReceive', 'leanInvites', 'flatCalls']);
  const realmsIn = c.obj(root.realms, 'realms');
  const realms: Record<string, RealmConfig> = {};
  for (const [name, r] of Object.entries(realmsIn)) realms[name] = realm(c, `realms.${name}`, r, base);
  if (Object.keys(realms).length === 0) c.fail('realms', 'expected at least one realm');
  const store = c.obj(root.store ?? {}, 'store');
  c.known(store, 'store', ['kind']);
  if (store.kind !== undefined && store.kind !== 'memory') c.fail('store.kind', "expected 'memory' (the Redis store comes with clustering)");
  const media = c.obj(root.media ?? {}, 'media');
  c.known(media, 'media', ['workers', 'native']);
  return {
    node: { id: node.id === undefined ? 'sluice-1' : c.str(node.id, 'node.id') },
    log: { level },
    sip: {
      maxMessageBytes: c.int(sip.maxMessageBytes, 'sip.maxMessageBytes', 1024, 1 << 20, 65_535),
      overloadControl: c.bool(sip.overloadControl, 'sip.overloadControl', true),
      udpSendThread: c.bool(sip.udpSendThread, 'sip.udpSendThread', true),
      udpSendInline: c.int(sip.udpSendInline, 'sip.udpSendInline', 0, UDP_SEND_INLINE.max, UDP_SEND_INLINE.default),
      udpBatchReceive: c.bool(sip.udpBatchReceive, 'sip.udpBatchReceive', true),
      leanInvites: c.bool(sip.leanInvites, 'sip.leanInvites', true),
      flatCalls: c.bool(sip.flatCalls, 'sip.flatCalls', true),
    },
    realms,
    dialplan: resolve(base, root.dialplan === undefined ? '../dialplan' : c.str(root.dialplan, 'dialplan')),
    store: { kind: 'memory' },
    calls: calls(c, root.calls, base),
    // One forwarding thread per core by default, as rtpengine runs one per core.
    // The native addon where it was built (native/); MediaRelay falls back to node:dgram.
    media: { workers: c.int(media.workers, 'media.workers', 0, 64, availableParallelism()), native: c.bool(media.native, 'media.native', true) },
  };
}

type Checker = ReturnType<typeof checker>;

function realm(c: Checker, path: string, r: unknown, base: string): RealmConfig {
  const o = c.obj(r, path);
  c.known(o, path, ['listen', 'advertise', 'media', 'allow', 'registrar']);
  if (!Array.isArray(o.listen) || o.listen.length === 0) c.fail(`${path}.listen`, 'expected a list of listeners');
  const listen = (o.listen as unknown[]).map((l, i) => listener(c, `${path}.listen[${i}]`, l, base));
  const m = c.obj(o.media, `${path}.media`);
  c.known(m, `${path}.media`, ['address', 'advertise', 'portMin', 'portMax']);
  const portMin = c.int(m.portMin, `${path}.media.portMin`, 1024, 65534);
  const portMax = c.int(m.portMax, `${path}.media.portMax`, 1025, 65535);
  if (portMin % 2 !== 0) c.fail(`${path}.media.portMin`, 'expected an even port (RTP on even, RTCP on the next odd port)');
  if (portMax - portMin < 2) c.fail(`${path}.media.portMax`, `expected a port above portMin + 1 (${portMin + 2} at least)`);
  const allow = o.allow === undefined ? [] : Array.isArray(o.allow) ? o.allow.map((a, i) => cidr(c, `${path}.allow[${i}]`, a)) : c.fail(`${path}.allow`, 'expected a list of CIDR networks');
  return {
    listen,
    ...(o.advertise === undefined ? {} : { advertise: c.ip(o.advertise, `${path}.advertise`) }),
    media: {
      address: c.ip(m.address, `${path}.media.address`),
      ...(m.advertise === undefined ? {} : { advertise: c.ip(m.advertise, `${path}.media.advertise`) }),
      portMin,
      portMax,
    },
    allow,
    registrar: c.bool(o.registrar, `${path}.registrar`, false),
  };
}

function listener(c: Checker, path: string, l: unknown, base: string): ListenConfig {
  const o = c.obj(l, path);
  c.known(o, path, ['transport', 'address', 'port', 'cert', 'key']);
  if (o.transport !== 'udp' && o.transport !== 'tcp' && o.transport !== 'tls') c.fail(`${path}.transport`, "expected 'udp', 'tcp' or 'tls'");
  const transport = o.transport as ListenConfig['transport'];
  const out: ListenConfig = { transport, address: c.ip(o.address, `${path}.address`), port: c.int(o.port, `${path}.port`, 0, 65535) };
  if (transport === 'tls') {
    out.cert = resolve(base, c.str(o.cert, `${path}.cert`));
    out.key = resolve(base, c.str(o.key, `${path}.key`));
  } else if (o.cert !== undefined || o.key !== undefined) {
    c.fail(`${path}.cert`, 'cert and key apply to tls listeners only');
  }
  return out;
}

function cidr(c: Checker, path: string, v: unknown): string {
  const s = typeof v === 'string' ? v : '';
  const [addr, bits, extra] = s.split('/');
  const family = isIP(addr ?? '');
  const n = Number(bits);
  if (family === 0 || extra !== undefined || !Number.isInteger(n) || n < 0 || n > (family === 4 ? 32 : 128)) {
    c.fail(path, 'expected a CIDR network such as 192.0.2.0/24 or 2001:db8::/32');
  }
  return s;
}

function calls(c: Checker, v: unknown, base: string): CallsConfig {
  const o = c.obj(v ?? {}, 'calls');
  c.known(o, 'calls', ['cdrFile', 'maxDurationSeconds', 'mediaTimeoutSeconds', 'releaseOnHold', 'strictMedia']);
  return {
    cdrFile: o.cdrFile === undefined || o.cdrFile === '' ? '' : resolve(base, c.str(o.cdrFile, 'calls.cdrFile')),
    maxDurationSeconds: c.int(o.maxDurationSeconds, 'calls.maxDurationSeconds', 0, 7 * 86_400, 4 * 3600),
    mediaTimeoutSeconds: c.int(o.mediaTimeoutSeconds, 'calls.mediaTimeoutSeconds', 0, 86_400, 60),
    releaseOnHold: c.bool(o.releaseOnHold, 'calls.releaseOnHold', false),
    strictMedia: c.bool(o.strictMedia, 'calls.strictMedia', false),
  };
}
