import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { SipUri } from '../sip/types.js';
import { TransportError, type Destination, type TransportProtocol } from './types.js';
import { defaultPort } from './via.js';

/** The DNS queries RFC 3263 needs; node:dns/promises' Resolver fits, and tests may pass another. */
export interface DnsPort {
  resolveNaptr(name: string): Promise<{ flags: string; service: string; regexp: string; replacement: string; order: number; preference: number }[]>;
  resolveSrv(name: string): Promise<{ priority: number; weight: number; port: number; name: string }[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

export interface ResolverOptions {
  /** Static name-to-address table, consulted before DNS (trunks and PBXs by name). */
  hosts?: Record<string, string[]>;
  dns?: DnsPort;
  /** Transports this node can send on, in order of preference. */
  transports?: TransportProtocol[];
  /** For weighted SRV choice (RFC 2782); injectable for deterministic tests. */
  random?: () => number;
}

const NAPTR_SERVICE: Record<string, TransportProtocol> = { 'SIP+D2U': 'UDP', 'SIP+D2T': 'TCP', 'SIPS+D2T': 'TLS' };
const SRV_PREFIX: Record<TransportProtocol, string> = { UDP: '_sip._udp.', TCP: '_sip._tcp.', TLS: '_sips._tcp.' };

/**
 * RFC 3263 section 4: from a SIP URI to an ordered list of next hops (transport, address, port).
 * Numeric hosts need no lookup; configured hosts come next; otherwise NAPTR, then SRV, then
 * A/AAAA. A name that resolves to nothing is a TransportError (the caller answers 503).
 */
export class TargetResolver {
  private readonly hosts: Map<string, string[]>;
  private readonly dns: DnsPort;
  private readonly transports: TransportProtocol[];
  private readonly random: () => number;

  constructor(options: ResolverOptions = {}) {
    this.hosts = new Map(Object.entries(options.hosts ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    this.dns = options.dns ?? new Resolver({ timeout: 2000, tries: 2 });
    this.transports = options.transports ?? ['UDP', 'TCP', 'TLS'];
    this.random = options.random ?? Math.random;
  }

  async resolve(uri: SipUri): Promise<Destination[]> {
    const maddr = paramOf(uri, 'maddr');
    const host = maddr ?? uri.host;
    const tparam = paramOf(uri, 'transport');
    const secure = uri.scheme === 'sips';
    let transport: TransportProtocol | null = tparam ? toTransport(tparam, secure) : secure ? 'TLS' : null;
    const numeric = isIP(host) !== 0;
    const serverName = numeric ? undefined : host;

    // 4.1: a numeric host or an explicit port means no NAPTR/SRV.
    if (numeric || uri.port !== null || this.hosts.has(host.toLowerCase())) {
      transport ??= 'UDP';
      const port = uri.port ?? defaultPort(transport);
      const addresses = numeric ? [host] : await this.addresses(host);
      return addresses.map((address) => dest(transport!, address, port, serverName));
    }

    // 4.1: NAPTR, when no transport was asked for.
    if (transport === null) {
      const naptr = await this.dns.resolveNaptr(host).catch(() => []);
      const usable = naptr
        .filter((r) => r.flags.toLowerCase() === 's' && NAPTR_SERVICE[r.service.toUpperCase()] !== undefined)
        .filter((r) => this.transports.includes(NAPTR_SERVICE[r.service.toUpperCase()]!))
        .filter((r) => !secure || NAPTR_SERVICE[r.service.toUpperCase()] === 'TLS')
        .sort((a, b) => a.order - b.order || a.preference - b.preference);
      for (const r of usable) {
        const out = await this.fromSrv(r.replacement, NAPTR_SERVICE[r.service.toUpperCase()]!, host);
        if (out.length > 0) return out;
      }
    }

    // SRV for the asked transport, or for each supported one in order.
    const candidates = transport !== null ? [transport] : this.transports.filter((t) => !secure || t === 'TLS');
    for (const t of candidates) {
      const out = await this.fromSrv(SRV_PREFIX[t] + host, t, host);
      if (out.length > 0) return out;
    }

    // 4.2: no SRV: A/AAAA at the default port.
    transport ??= 'UDP';
    const addresses = await this.addresses(host);
    return addresses.map((address) => dest(transport!, address, defaultPort(transport!), serverName));
  }

  private async fromSrv(name: string, transport: TransportProtocol, serverName: string): Promise<Destination[]> {
    const records = await this.dns.resolveSrv(name).catch(() => []);
    const out: Destination[] = [];
    for (const r of orderSrv(records, this.random)) {
      if (r.name === '.' || r.name === '') continue;
      const addresses = await this.addresses(r.name).catch(() => []);
      for (const a of addresses) out.push(dest(transport, a, r.port, serverName));
    }
    return out;
  }

  private async addresses(host: string): Promise<string[]> {
    const configured = this.hosts.get(host.toLowerCase());
    if (configured) return configured;
    const [v4, v6] = await Promise.all([this.dns.resolve4(host).catch(() => []), this.dns.resolve6(host).catch(() => [])]);
    const all = [...v4, ...v6];
    if (all.length === 0) throw new TransportError(`cannot resolve ${host}`);
    return all;
  }
}

function dest(transport: TransportProtocol, address: string, port: number, serverName: string | undefined): Destination {
  return { transport, address, port, reliable: transport !== 'UDP', ...(serverName ? { serverName } : {}) };
}

function toTransport(t: string, secure: boolean): TransportProtocol {
  const u = t.toUpperCase();
  if (u === 'TCP') return secure ? 'TLS' : 'TCP';
  if (u === 'TLS') return 'TLS';
  if (u === 'UDP') return 'UDP';
  throw new TransportError(`unsupported transport ${t}`);
}

function paramOf(uri: SipUri, name: string): string | null {
  for (const p of uri.params) if (p.name.toLowerCase() === name) return p.value;
  return null;
}

/** RFC 2782: by priority, then a weighted random order within one priority. */
export function orderSrv<T extends { priority: number; weight: number }>(records: T[], random: () => number): T[] {
  const byPriority = new Map<number, T[]>();
  for (const r of records) {
    const list = byPriority.get(r.priority) ?? [];
    list.push(r);
    byPriority.set(r.priority, list);
  }
  const out: T[] = [];
  for (const p of [...byPriority.keys()].sort((a, b) => a - b)) {
    const pool = byPriority.get(p)!.slice().sort((a, b) => a.weight - b.weight); // zero weights first (2782)
    while (pool.length > 0) {
      const total = pool.reduce((s, r) => s + r.weight, 0);
      let pick = random() * (total + 1);
      let i = 0;
      for (; i < pool.length - 1; i++) {
        pick -= pool[i]!.weight;
        if (pick <= 0) break;
      }
      out.push(pool.splice(i, 1)[0]!);
    }
  }
  return out;
}
