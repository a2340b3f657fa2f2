import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse } from 'yaml';
import { ConfigError } from './errors.js';
import type { ListenConfig, RealmConfig, SluiceConfig } from './types.js';

type Obj = Record<string, unknown>;

/** Reads and validates a configuration file; every problem is a ConfigError naming the key. */
export function loadConfig(file: string): SluiceConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, '', `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new ConfigError(file, '', `is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return validateConfig(doc, file);
}

export function validateConfig(doc: unknown, file = '<config>'): SluiceConfig {
  const fail = (path: string, expected: string): never => {
    throw new ConfigError(file, path, expected);
  };
  const obj = (v: unknown, path: string): Obj =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : fail(path, 'expected a mapping');
  const str = (v: unknown, path: string): string => (typeof v === 'string' && v.length > 0 ? v : fail(path, 'expected a non-empty string'));
  const int = (v: unknown, path: string, min: number, max: number): number =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : fail(path, `expected an integer from ${min} to ${max}`);
  const known = (o: Obj, path: string, keys: string[]): void => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) fail(path ? `${path}.${k}` : k, `unknown key (expected one of: ${keys.join(', ')})`);
  };

  const root = obj(doc ?? {}, '');
  known(root, '', ['node', 'log', 'sip', 'realms']);
  const node = obj(root.node ?? {}, 'node');
  known(node, 'node', ['id']);
  const log = obj(root.log ?? {}, 'log');
  known(log, 'log', ['level']);
  const level = log.level === undefined ? 'info' : str(log.level, 'log.level');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) {
    fail('log.level', 'expected one of fatal, error, warn, info, debug, trace, silent');
  }
  const sip = obj(root.sip ?? {}, 'sip');
  known(sip, 'sip', ['maxMessageBytes']);
  const realmsIn = obj(root.realms, 'realms');
  const realms: Record<string, RealmConfig> = {};
  for (const [name, r] of Object.entries(realmsIn)) {
    const path = `realms.${name}`;
    const realm = obj(r, path);
    known(realm, path, ['listen']);
    if (!Array.isArray(realm.listen) || realm.listen.length === 0) fail(`${path}.listen`, 'expected a list of listeners');
    const listen: ListenConfig[] = (realm.listen as unknown[]).map((l, i) => {
      const lp = `${path}.listen[${i}]`;
      const o = obj(l, lp);
      known(o, lp, ['transport', 'address', 'port']);
      if (o.transport !== 'udp') fail(`${lp}.transport`, "expected 'udp'");
      const address = str(o.address, `${lp}.address`);
      if (isIP(address) === 0) fail(`${lp}.address`, 'expected an IPv4 or IPv6 address');
      return { transport: 'udp', address, port: int(o.port, `${lp}.port`, 0, 65535) };
    });
    realms[name] = { listen };
  }
  if (Object.keys(realms).length === 0) fail('realms', 'expected at least one realm');
  return {
    node: { id: node.id === undefined ? 'sluice-1' : str(node.id, 'node.id') },
    log: { level },
    sip: { maxMessageBytes: sip.maxMessageBytes === undefined ? 65_535 : int(sip.maxMessageBytes, 'sip.maxMessageBytes', 1024, 1 << 20) },
    realms,
  };
}
