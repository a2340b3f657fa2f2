/**
 * A local registrar (RFC 3261 10.3) for phones, bindings kept as records of kind
 * 'registration' with the REGISTER's true source, so requests reach a phone through its NAT.
 */
import type { Clock } from '../clock.js';
import { parseUri, uriEquals, type SipRequest, type Uri } from '../sip/index.js';
import type { Store } from '../state/index.js';
import type { IncomingRequest } from '../ua/index.js';
import { DigestGate } from './auth.js';
import { RegistrarError, RegistrarErrorCode, RegistrationRefused } from './errors.js';
import { readContacts, readHead, type ContactRequest, type ExpiryLimits, type RegisterRequest } from './request.js';
import type { Binding, RegistrarOptions } from './types.js';

/** A stored binding with its store key. */
interface Held {
  key: string;
  binding: Binding;
}

const USER_AGENT_MAX = 256;

export class Registrar {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly realm: string;
  private readonly limits: ExpiryLimits;
  private readonly maxBindings: number;
  private readonly gate: DigestGate | null;
  /** Per-user chains: REGISTERs of one user are applied one at a time (read, decide, write). */
  private readonly locks = new Map<string, Promise<void>>();

  constructor(options: RegistrarOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.realm = options.realm;
    const min = seconds(options.minExpires, 'minExpires', 60);
    const max = seconds(options.maxExpires, 'maxExpires', 3600);
    if (min > max) throw config(`minExpires (${min}) is above maxExpires (${max})`);
    const def = seconds(options.defaultExpires, 'defaultExpires', Math.min(3600, max));
    if (def < min || def > max) throw config(`defaultExpires (${def}) must lie between minExpires (${min}) and maxExpires (${max})`);
    this.limits = { min, max, default: def };
    this.maxBindings = seconds(options.maxBindings, 'maxBindings', 10);
    const algorithms = options.digestAlgorithms ?? ['SHA-256', 'MD5'];
    if (algorithms.length === 0) throw config('digestAlgorithms must name at least one algorithm');
    this.gate =
      options.users === undefined
        ? null
        : new DigestGate({
            clock: options.clock,
            realm: options.authRealm ?? options.realm,
            users: options.users,
            algorithms,
            nonceTtlMs: options.nonceTtlMs ?? 300_000,
            nonceSecret: options.nonceSecret,
          });
  }

  /**
   * Answers one REGISTER completely (RFC 3261 10.3). Resolves once answered; rejects with a
   * RegistrarError (SLUICE_ERR_REGISTRAR_STORE) only when the store failed, after answering 500.
   */
  async handle(incoming: IncomingRequest): Promise<void> {
    const request = incoming.request;
    if (request.method !== 'REGISTER') {
      incoming.respond(405, { headers: [['Allow', 'REGISTER']] });
      return;
    }
    try {
      const head = readHead(request);
      this.gate?.authenticate(request, head.user);
      const contacts = readContacts(request, this.limits);
      const bindings = await this.serial(head.user, () => this.apply(incoming, { ...head, contacts }));
      incoming.respond(200, { headers: this.contactHeaders(bindings) });
    } catch (e) {
      if (e instanceof RegistrationRefused) {
        incoming.respond(e.status ?? 400, { reason: e.reason, headers: e.headers });
        return;
      }
      incoming.respond(500, { reason: 'Registrar store unavailable' });
      throw new RegistrarError(RegistrarErrorCode.store, `REGISTER could not be applied: ${(e as Error).message}`, 500, { cause: e });
    }
  }

  /**
   * Live bindings of a user name (the user part of the AOR), best q first (absent q ranks as 1),
   * then the freshest. Registrars sharing a store share this namespace: a phone that moves from
   * one realm to another keeps one binding, whose `realm` says where it registered last.
   */
  async lookup(user: string): Promise<Binding[]> {
    return (await this.held(user)).map((h) => h.binding);
  }

  /** 10.3 steps 6-8 for one user, with its other REGISTERs held off; returns the bindings now current. */
  private async apply(incoming: IncomingRequest, r: RegisterRequest): Promise<Binding[]> {
    const held = await this.held(r.user);
    if (r.contacts === null) return held.map((h) => h.binding);
    const removals: Held[] = [];
    const writes: { key: string; binding: Binding; ttlMs: number }[] = [];
    if (r.contacts === '*') {
      for (const h of held) this.checkOrder(h.binding, r.callId, r.cseq);
      removals.push(...held);
    } else {
      const now = this.clock.wallNow();
      for (const c of r.contacts) {
        const match = held.find((h) => sameContact(h.binding.contact, c.uri));
        if (match !== undefined) this.checkOrder(match.binding, r.callId, r.cseq);
        if (c.expires === 0) {
          if (match !== undefined) removals.push(match);
          continue;
        }
        const binding = this.binding(incoming.request, incoming.source, r, c, now);
        writes.push({ key: match?.key ?? bindingKey(r.user, c.contact), binding, ttlMs: c.expires * 1000 });
      }
    }
    const kept = held.filter((h) => !removals.includes(h) && !writes.some((w) => w.key === h.key));
    if (writes.length > 0 && kept.length + writes.length > this.maxBindings) {
      throw new RegistrationRefused(403, `Too many contacts for this user (at most ${this.maxBindings})`);
    }
    // 10.3 step 7: commit only once every contact has been checked.
    // One write: a REGISTER's removals and bindings change together, or not at all.
    await this.store.write([
      ...removals.map((h) => ({ op: 'delete' as const, kind: 'registration' as const, key: h.key })),
      ...writes.map((w) => ({ op: 'put' as const, kind: 'registration' as const, key: w.key, value: w.binding, ttlMs: w.ttlMs })),
    ]);
    return sortBindings([...kept.map((h) => h.binding), ...writes.map((w) => w.binding)]);
  }

  /** 10.3 step 7: the same Call-ID with a CSeq not above the stored one is an old request. */
  private checkOrder(b: Binding, callId: string, cseq: number): void {
    if (b.callId === callId && cseq <= b.cseq) {
      throw new RegistrationRefused(500, `Out of order CSeq (${cseq}, binding has ${b.cseq})`);
    }
  }

  private binding(request: SipRequest, source: IncomingRequest['source'], r: RegisterRequest, c: ContactRequest, now: number): Binding {
    const flow: Binding['flow'] = { transport: source.transport, address: source.address, port: source.port };
    if (source.local !== undefined) flow.local = { address: source.local.address, port: source.local.port };
    if (source.connectionId !== undefined) flow.connectionId = source.connectionId;
    const b: Binding = { aor: r.aor, user: r.user, contact: c.contact, flow, realm: this.realm, expiresAt: now + c.expires * 1000, callId: r.callId, cseq: r.cseq };
    const ua = request.header('user-agent');
    if (ua !== undefined) b.userAgent = ua.slice(0, USER_AGENT_MAX);
    if (c.q !== undefined) b.q = c.q;
    return b;
  }

  private async held(user: string): Promise<Held[]> {
    const now = this.clock.wallNow();
    const records = await this.store.list<Binding>('registration', `${encodeUser(user)}|`);
    const live = records.filter((x) => x.value.expiresAt > now).map((x) => ({ key: x.key, binding: x.value }));
    return live.sort((a, b) => compareBindings(a.binding, b.binding));
  }

  /** 10.3 step 8: every current binding with the seconds it has left. */
  private contactHeaders(bindings: Binding[]): [string, string][] {
    const now = this.clock.wallNow();
    return bindings.map((b) => {
      const left = Math.max(1, Math.ceil((b.expiresAt - now) / 1000));
      return ['Contact', `<${b.contact}>;expires=${left}${b.q === undefined ? '' : `;q=${b.q}`}`];
    });
  }

  private async serial<T>(user: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(user);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = (previous ?? Promise.resolve()).then(() => mine);
    this.locks.set(user, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(user) === tail) this.locks.delete(user);
    }
  }
}

/** The store key of a binding; the user is %-encoded so that no user's prefix reaches into another's keys. */
export function bindingKey(user: string, contact: string): string {
  return `${encodeUser(user)}|${contact}`;
}

function encodeUser(user: string): string {
  return encodeURIComponent(user);
}

/** Best q first (absent: 1.0), then the binding that lasts longest (the freshest registration), then by contact. */
function compareBindings(a: Binding, b: Binding): number {
  return (b.q ?? 1) - (a.q ?? 1) || b.expiresAt - a.expiresAt || (a.contact < b.contact ? -1 : a.contact > b.contact ? 1 : 0);
}

function sortBindings(bindings: Binding[]): Binding[] {
  return [...bindings].sort(compareBindings);
}

/** Contacts compare as URIs (RFC 3261 10.3 step 7, 19.1.4), not as text. */
function sameContact(stored: string, uri: Uri): boolean {
  try {
    return uriEquals(parseUri(stored), uri);
  } catch {
    return false;
  }
}

function seconds(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw config(`${name} must be a positive integer (got ${value})`);
  return value;
}

function config(message: string): RegistrarError {
  return new RegistrarError(RegistrarErrorCode.config, `Registrar options: ${message}`);
}
