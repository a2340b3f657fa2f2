/**
 * The dialplan engine: rules as data (DESIGN.md `routing/`), tried in order against what an
 * INVITE says. Matching is exact or by prefix only: the user parts come from the network, and
 * a pattern engine over attacker-controlled text invites catastrophic backtracking.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readYaml } from '../config/yaml.js';
import { DialplanError } from './errors.js';
import type { DialplanPart, RouteDecision, RouteRequest, Rule, TrunkConfig } from './types.js';
import { validatePart } from './validate.js';

/** The dialplan shipped with Sluice (top-level `dialplan/`), from src/routing or dist/routing alike. */
export const DEFAULT_DIALPLAN_DIR = fileURLToPath(new URL('../../dialplan/', import.meta.url));

/** The `rule` of the decision when no rule matched; never a valid rule name, so never ambiguous. */
export const NO_MATCH_RULE = '(no match)';

export class Dialplan {
  readonly trunks: ReadonlyMap<string, TrunkConfig>;
  private readonly rules: readonly Rule[];

  private constructor(rules: readonly Rule[], trunks: ReadonlyMap<string, TrunkConfig>) {
    this.rules = rules;
    this.trunks = trunks;
  }

  /**
   * Reads every `*.yaml` (and `*.yml`) file of `dir` in file name order: rules keep that order
   * (file by file, then as written), trunks may be declared in any file and used from any other.
   */
  static load(dir: string): Dialplan {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      throw new DialplanError(dir, '', `cannot be read as a directory (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const files = names.filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
    if (files.length === 0) throw new DialplanError(dir, '', 'holds no *.yaml file: put the rules and trunks there (see dialplan/README.md)');
    return Dialplan.build(files.map((f) => Dialplan.readPart(join(dir, f))));
  }

  /** One document (`{ rules, trunks }`) already parsed; `source` names it in errors. */
  static fromObject(doc: unknown, source = '<dialplan>'): Dialplan {
    return Dialplan.build([validatePart(doc, source)]);
  }

  /** The rule names in the order they are tried (for logs and the admin interface). */
  get ruleNames(): string[] {
    return this.rules.map((r) => r.name);
  }

  /**
   * The first rule whose conditions all hold decides; none: 404. `registered` is asked only
   * when a rule needs it, and at most once (a rejection from it propagates). Until a rule asks
   * it, the decision is made at once, not as a promise: a dialplan of trunks routes the common
   * call without a wait.
   */
  route(req: RouteRequest): RouteDecision | Promise<RouteDecision> {
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (!matchesRequest(rule, req)) continue;
      if (rule.match.registered !== undefined) return this.routeAsking(i, req);
      return this.decide(rule, req);
    }
    return notFound();
  }

  /** route() from rule `from` on, which needs `registered` asked. */
  private async routeAsking(from: number, req: RouteRequest): Promise<RouteDecision> {
    let registered: boolean | undefined;
    for (let i = from; i < this.rules.length; i++) {
      const rule = this.rules[i]!;
      if (!matchesRequest(rule, req)) continue;
      const m = rule.match;
      if (m.registered !== undefined) {
        registered ??= req.user !== '' && (await req.registered(req.user));
        if (registered !== m.registered) continue;
      }
      return this.decide(rule, req);
    }
    return notFound();
  }

  private decide(rule: Rule, req: RouteRequest): RouteDecision {
    const a = rule.action;
    if ('to' in a) return { kind: 'registered', user: req.user, media: rule.media, rule: rule.name };
    if ('reject' in a) {
      const d: RouteDecision = { kind: 'reject', status: a.reject.status, rule: rule.name };
      if (a.reject.reason !== undefined) d.reason = a.reject.reason;
      return d;
    }
    const trunk = this.trunks.get(a.trunk)!; // checked in build()
    return { kind: 'trunk', trunk, user: rewriteUser(trunk, req.user), media: rule.media, rule: rule.name };
  }

  private static readPart(file: string): DialplanPart {
    const doc = readYaml(file, (problem) => {
      throw new DialplanError(file, '', problem);
    });
    return validatePart(doc, file);
  }

  /** Joins the parts: names unique across files, every trunk a rule names declared somewhere. */
  private static build(parts: DialplanPart[]): Dialplan {
    const trunks = new Map<string, TrunkConfig>();
    const trunkAt = new Map<string, string>();
    for (const part of parts) {
      for (const { trunk, path } of part.trunks) {
        const first = trunkAt.get(trunk.name);
        if (first !== undefined) throw new DialplanError(part.source, `${path}.name`, `trunk '${trunk.name}' is already declared (${first})`);
        trunks.set(trunk.name, trunk);
        trunkAt.set(trunk.name, `${part.source}: ${path}`);
      }
    }
    const rules: Rule[] = [];
    const ruleAt = new Map<string, string>();
    for (const part of parts) {
      for (const rule of part.rules) {
        const first = ruleAt.get(rule.name);
        if (first !== undefined) throw new DialplanError(rule.source, `${rule.path}.name`, `rule '${rule.name}' is already declared (${first}): names must be unique`);
        ruleAt.set(rule.name, `${rule.source}: ${rule.path}`);
        if ('trunk' in rule.action && !trunks.has(rule.action.trunk)) {
          const known = trunks.size === 0 ? 'none is declared' : `declared: ${[...trunks.keys()].join(', ')}`;
          throw new DialplanError(rule.source, `${rule.path}.trunk`, `unknown trunk '${rule.action.trunk}' (${known})`);
        }
        rules.push(rule);
      }
    }
    return new Dialplan(rules, trunks);
  }
}

/**
 * The trunk's digits handling. With stripPrefix, addPrefix replaces it: only a number that
 * started with stripPrefix gets addPrefix, so `00` -> `+` leaves an already-`+` number alone
 * instead of making `++49...`. Without stripPrefix, addPrefix goes in front of every number.
 */
export function rewriteUser(trunk: TrunkConfig, user: string): string {
  const strip = trunk.stripPrefix;
  if (strip !== undefined) {
    if (!user.startsWith(strip)) return user;
    return (trunk.addPrefix ?? '') + user.slice(strip.length);
  }
  return trunk.addPrefix === undefined ? user : trunk.addPrefix + user;
}

/** The conditions of `rule` other than `registered`. */
function matchesRequest(rule: Rule, req: RouteRequest): boolean {
  const m = rule.match;
  if (m.realm !== undefined && !m.realm.includes(req.realm)) return false;
  if (m.user !== undefined && !m.user.includes(req.user)) return false;
  if (m.userPrefix !== undefined && !m.userPrefix.some((p) => req.user.startsWith(p))) return false;
  if (m.fromUser !== undefined && !m.fromUser.includes(req.fromUser)) return false;
  return true;
}

function notFound(): RouteDecision {
  return { kind: 'reject', status: 404, reason: 'Not Found', rule: NO_MATCH_RULE };
}
