/**
 * The SBC's call engine: one SIP stack (transport + UA core) per realm, the dialplan, the local
 * registrar, the media relay, the store and the CDR writer, wired so that every INVITE becomes a
 * Call and every REGISTER reaches the registrar of its realm.
 */
import { readFileSync } from 'node:fs';
import { BoxedMap } from '../boxed-map.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { CallsConfig, RealmConfig, SluiceConfig } from '../config/types.js';
import { MediaRelay } from '../media/index.js';
import type { Logger } from '../observability/logger.js';
import type { Binding, Registrar } from '../registrar/index.js';
import { Dialplan, type RouteDecision, type TrunkConfig } from '../routing/index.js';
import type { OverloadGuard } from '../security/index.js';
import type { SipRequest } from '../sip/index.js';
import type { Store } from '../state/index.js';
import type { Destination, MessageSource } from '../transaction/index.js';
import { TransportLayer, type ListenerConfig } from '../transport/index.js';
import { ALLOW, KNOWN_METHODS, randomIds, UserAgent, type IncomingRequest } from '../ua/index.js';
import { AllowList } from './allow.js';
import { userOf } from './users.js';
import { Call, type CallTarget } from './call.js';
import { keepsCallRecords } from './call-store.js';
import { CdrWriter } from './cdr.js';
import type { ActiveCall, RouteResult } from './context.js';
import type { FlatCall } from './flat-call.js';
import { FlatCalls, type FlatEngine } from './flat-calls.js';

/**
 * How often the calls' deadlines are looked at: their maximum duration (hours) and media
 * inactivity (a minute by default) are kept to within a second. One look at every call a second
 * costs less than a timer of its own per call (Call.sweep).
 */
const SWEEP_MS = 1_000;

export interface RealmRuntime {
  name: string;
  config: RealmConfig;
  transport: TransportLayer;
  ua: UserAgent;
  allow: AllowList;
  dropped: number;
}

export interface EngineParts {
  config: SluiceConfig;
  clock: Clock;
  log: Logger;
  store: Store;
  dialplan: Dialplan;
  /** Registrars by realm (realms with `registrar: true`). */
  registrars: Map<string, Registrar>;
  /** Sheds new calls while the process cannot keep up (security/overload.ts); none: never. */
  overload?: OverloadGuard;
}

export class Engine implements FlatEngine {
  readonly realms = new Map<string, RealmRuntime>();
  readonly relay: MediaRelay | null;
  readonly cdr: CdrWriter | null;
  readonly clock: Clock;
  readonly store: Store;
  readonly calls: CallsConfig;
  readonly log: Logger;
  private readonly dialplan: Dialplan;
  private readonly registrars: Map<string, Registrar>;
  private readonly overload: OverloadGuard | undefined;
  private readonly active = new BoxedMap<string, ActiveCall>();
  /** The flat path of the common call (flat-calls.ts), where sip.flatCalls asks for it. */
  private readonly flat: FlatCalls | null;
  /** Per trunk (its configuration object): the flat path's next hop there, or null (flatHop). */
  private readonly flatHops = new WeakMap<TrunkConfig, Destination | null>();
  /** The calls' deadlines looked at (Call.sweep), while calls are up. */
  private sweepTimer: TimerHandle | null = null;

  constructor(parts: EngineParts) {
    const { config } = parts;
    this.clock = parts.clock;
    this.store = parts.store;
    this.calls = config.calls;
    this.log = parts.log;
    this.dialplan = parts.dialplan;
    this.registrars = parts.registrars;
    this.overload = parts.overload;
    this.cdr = config.calls.cdrFile === '' ? null : new CdrWriter(config.calls.cdrFile);
    const media: Record<string, { address: string; advertise?: string; portMin: number; portMax: number }> = {};
    for (const [name, r] of Object.entries(config.realms)) media[name] = r.media;
    this.relay = new MediaRelay({ realms: media, strict: config.calls.strictMedia, workers: config.media.workers, native: config.media.native, clock: parts.clock, logger: parts.log.child({ module: 'media' }) });
    for (const [name, r] of Object.entries(config.realms)) this.realms.set(name, this.realmRuntime(name, r, config));
    const first = this.realms.values().next().value;
    // A ringing flat call is promoted onto the lean INVITE tables: without them it is never taken.
    // Nor where the store keeps call records for a takeover (keepsCallRecords): a flat call writes none.
    this.flat = config.sip.flatCalls && config.sip.leanInvites && !keepsCallRecords(parts.store) && first !== undefined ? new FlatCalls(this, first.ua.t1) : null;
  }

  private realmRuntime(name: string, r: RealmConfig, config: SluiceConfig): RealmRuntime {
    const listeners: ListenerConfig[] = r.listen.map((l) => ({
      transport: l.transport === 'udp' ? 'UDP' : l.transport === 'tcp' ? 'TCP' : 'TLS',
      address: l.address,
      port: l.port,
      ...(l.transport === 'tls' && l.cert && l.key ? { tls: { cert: readFileSync(l.cert), key: readFileSync(l.key) } } : {}),
    }));
    const log = this.log.child({ realm: name });
    const transport = new TransportLayer({ listeners, limits: { maxMessageBytes: config.sip.maxMessageBytes }, udpSendThread: config.sip.udpSendThread, udpSendInline: config.sip.udpSendInline, udpBatchReceive: config.sip.udpBatchReceive, logger: log });
    const overload = this.overload;
    const ua = new UserAgent({
      clock: this.clock,
      transport,
      logger: log,
      ...(r.advertise ? { advertise: r.advertise } : {}),
      ...(overload ? { admission: (request: SipRequest, source: MessageSource) => overload.admission(request, source) } : {}),
      credentials: (_authRealm, request) => this.trunkCredentials(request),
      lean: config.sip.leanInvites,
    });
    overload?.watch(ua.transactions.stats);
    const runtime: RealmRuntime = { name, config: r, transport, ua, allow: new AllowList(r.allow), dropped: 0 };
    transport.setUser({
      onMessage: (message, source) => {
        if (!runtime.allow.admits(source.address)) {
          runtime.dropped++;
          return;
        }
        if (this.flat !== null && this.flat.take(message, source, name, ua)) return;
        ua.onMessage(message, source);
      },
    });
    ua.handler = {
      onInvite: (call) => {
        const c = new Call(this, name, call);
        c.routed = this.flat?.routedFor(call.request) ?? null;
        this.hold(c);
        void c.start();
      },
      onRequest: (incoming) => {
        this.outOfDialog(name, incoming).catch((err: unknown) => log.error({ err, method: incoming.method }, 'request failed'));
      },
    };
    return runtime;
  }

  /** Opens every realm's listeners; if one cannot open, closes what did and throws its error. */
  async start(): Promise<void> {
    try {
      for (const r of this.realms.values()) await r.transport.start();
    } catch (err) {
      // The start's error is the one to report; a failure while closing would only hide it.
      await this.stop().catch(() => undefined);
      throw err;
    }
    this.overload?.start();
  }

  async stop(): Promise<void> {
    this.overload?.stop();
    this.clock.clearTimer(this.sweepTimer);
    this.sweepTimer = null;
    for (const c of [...this.active.values()]) c.hangUp('shutdown');
    this.flat?.dispose();
    for (const r of this.realms.values()) {
      r.ua.dispose();
      await r.transport.stop();
    }
    await this.relay?.close();
    await this.cdr?.flush();
  }

  /** Each call's maximum duration and media inactivity (Call.sweep); again in SWEEP_MS while calls are up. */
  private readonly sweep = (): void => {
    this.sweepTimer = null;
    const now = this.clock.now();
    // A call hung up here leaves the table while it is walked, which the walk allows. One call
    // that fails to hang up is logged; the others are still looked at, now and later.
    for (const c of this.active.values()) {
      try {
        c.sweep(now);
      } catch (err) {
        this.log.error({ err, call: c.id }, 'call deadline not handled');
      }
    }
    if (this.active.size > 0) this.sweepTimer = this.clock.setTimer(SWEEP_MS, this.sweep);
  };

  get activeCalls(): number {
    return this.active.size;
  }

  /** Flat calls held (flat-calls.ts): running, or kept 64*T1 after their end (for tests and metrics). */
  get flatCallCount(): number {
    return this.flat?.size ?? 0;
  }

  private hold(call: ActiveCall): void {
    this.active.set(call.id, call);
    if (this.sweepTimer === null) this.sweepTimer = this.clock.setTimer(SWEEP_MS, this.sweep);
  }

  // ---- FlatEngine ------------------------------------------------------------------------------

  started(call: FlatCall): void {
    this.hold(call);
  }

  adopted(call: Call): void {
    this.active.set(call.id, call);
  }

  flatHop(target: CallTarget): Destination | null {
    const name = target.route.trunk;
    const trunk = name === undefined ? undefined : this.dialplan.trunks.get(name);
    if (trunk === undefined) return null;
    let hop = this.flatHops.get(trunk);
    if (hop === undefined) {
      // Calls to a host we hold credentials for (trunkCredentials) keep the general path's digest retries.
      const next = this.credentialsAt(trunk.host) !== undefined ? null : this.ua(target.realm).numericDestinationOf(target.uri);
      hop = next !== null && next.transport === 'UDP' ? next : null;
      this.flatHops.set(trunk, hop);
    }
    return hop;
  }


  // ---- CallContext -----------------------------------------------------------------------------

  /** 64 random bits in hex per call, drawn in batches (one crypto call per 256 calls). */
  readonly newId: () => string = randomIds();

  ua(realm: string): UserAgent {
    const r = this.realms.get(realm);
    if (r === undefined) throw new Error(`no realm ${realm}`);
    return r.ua;
  }

  mediaAddress(realm: string): string {
    const m = this.realms.get(realm)!.config.media;
    return m.advertise ?? m.address;
  }

  signallingAddress(realm: string): string {
    const r = this.realms.get(realm)!;
    return r.config.advertise ?? r.config.listen[0]!.address;
  }

  ended(call: ActiveCall): void {
    this.active.delete(call.id);
  }

  /** Where the dialplan sends an INVITE: at once for a trunk or a rejection, as a promise where a registration is looked up. */
  route(realm: string, invite: SipRequest): RouteResult | Promise<RouteResult> {
    const user = userOf(invite.uri);
    const fromUser = userOf(invite.from.uri);
    const decision = this.dialplan.route({ realm, user, fromUser, registered: async (u) => (await this.bindings(u)).length > 0 });
    return decision instanceof Promise ? decision.then((d) => this.targetOf(d)) : this.targetOf(decision);
  }

  private targetOf(decision: RouteDecision): RouteResult | Promise<RouteResult> {
    if (decision.kind === 'reject') return { reject: decision.status, ...(decision.reason ? { reason: decision.reason } : {}) };
    if (decision.kind === 'registered') return this.registeredTarget(decision);
    const t = decision.trunk;
    const transport = t.transport ?? 'udp';
    const host = t.host.includes(':') ? `[${t.host}]` : t.host;
    return {
      realm: t.realm,
      uri: `sip:${decision.user}@${host}${t.port ? `:${t.port}` : ''}${transport === 'udp' ? '' : `;transport=${transport}`}`,
      media: decision.media,
      route: { rule: decision.rule, kind: 'trunk', trunk: t.name, user: decision.user },
    };
  }

  private async registeredTarget(decision: Extract<RouteDecision, { kind: 'registered' }>): Promise<RouteResult> {
    const b = (await this.bindings(decision.user))[0];
    if (b === undefined) return { reject: 480, reason: 'Not registered' };
    const flow = b.flow;
    return {
      realm: b.realm,
      uri: b.contact,
      destination: { transport: flow.transport, address: flow.address, port: flow.port, reliable: flow.transport !== 'UDP', ...(flow.local ? { local: flow.local } : {}), ...(flow.connectionId ? { connectionId: flow.connectionId } : {}) },
      media: decision.media,
      route: { rule: decision.rule, kind: 'registered', user: decision.user },
    };
  }

  private async bindings(user: string): Promise<Binding[]> {
    for (const r of this.registrars.values()) {
      const found = await r.lookup(user);
      if (found.length > 0) return found;
    }
    return [];
  }

  private trunkCredentials(request: SipRequest): { username: string; password: string } | undefined {
    const uri = request.uri;
    return this.credentialsAt('host' in uri ? uri.host : '');
  }

  /** The credentials of a trunk at `host`: what answers a challenge from there. */
  private credentialsAt(host: string): { username: string; password: string } | undefined {
    for (const t of this.dialplan.trunks.values()) {
      if (t.host === host && t.username !== undefined && t.password !== undefined) return { username: t.username, password: t.password };
    }
    return undefined;
  }

  private async outOfDialog(realm: string, incoming: IncomingRequest): Promise<void> {
    const method = incoming.method;
    if (method === 'REGISTER') {
      const registrar = this.registrars.get(realm);
      if (registrar === undefined) {
        incoming.respond(405, { headers: [['Allow', ALLOW]] });
        return;
      }
      try {
        await registrar.handle(incoming);
      } catch (err) {
        this.log.error({ err }, 'registrar failed');
        incoming.respond(500);
      }
      return;
    }
    if (method === 'OPTIONS') {
      incoming.respond(200, { headers: [['Accept', 'application/sdp']] });
      return;
    }
    incoming.respond(KNOWN_METHODS.has(method) ? 405 : 501);
  }
}
