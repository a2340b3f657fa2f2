/**
 * Turns one parsed YAML document into rules and trunks, or throws a DialplanError naming the
 * file, the key's path (`rules[2].match.userPrefix`) and what was expected. The patterns below
 * check operator-written configuration only; request data is never matched by a pattern.
 */
import { DialplanError } from './errors.js';
import type { DialplanPart, MediaPolicy, Rule, RuleAction, RuleMatch, TrunkConfig } from './types.js';

type Obj = Record<string, unknown>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** What may stand in a Request-URI user we build (digits, +, *, # and unreserved marks). */
const DIGITS = /^[A-Za-z0-9+*#._-]{1,32}$/;
/** A host name or address (IPv6 without brackets), without spaces or URI delimiters. */
const HOST = /^[A-Za-z0-9._:-]{1,253}$/;
/** A reason phrase: printable ASCII only, since it is written into the status line as is. */
const REASON = /^[\x20-\x7e]{1,100}$/;

const TOP_KEYS = ['rules', 'trunks'];
const RULE_KEYS = ['name', 'match', 'to', 'trunk', 'reject', 'media'];
const MATCH_KEYS = ['realm', 'user', 'userPrefix', 'fromUser', 'registered'];
const TRUNK_KEYS = ['name', 'realm', 'host', 'port', 'transport', 'username', 'password', 'stripPrefix', 'addPrefix'];

export function validatePart(doc: unknown, source: string): DialplanPart {
  const fail: (path: string, expected: string) => never = (path, expected) => {
    throw new DialplanError(source, path, expected);
  };
  const obj = (v: unknown, path: string): Obj =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : fail(path, 'expected a mapping');
  const list = (v: unknown, path: string): unknown[] => (Array.isArray(v) ? v : fail(path, 'expected a list'));
  const str = (v: unknown, path: string): string => {
    if (typeof v === 'string' && v.length > 0) return v;
    // YAML reads 0049 as the integer 49: say how to keep the digits.
    if (typeof v === 'number') return fail(path, `expected a string: quote numbers ('${String(v)}' reads as the number ${String(v)})`);
    return fail(path, 'expected a non-empty string');
  };
  const matching = (v: unknown, path: string, re: RegExp, what: string): string => {
    const s = str(v, path);
    return re.test(s) ? s : fail(path, `expected ${what} (got ${JSON.stringify(s)})`);
  };
  const known = (o: Obj, path: string, keys: readonly string[]): void => {
    for (const k of Object.keys(o)) {
      if (!keys.includes(k)) fail(path ? `${path}.${k}` : k, `unknown key (expected one of: ${keys.join(', ')})`);
    }
  };
  /** A string or a non-empty list of strings (any of them matches). */
  const strings = (v: unknown, path: string): string[] => {
    if (!Array.isArray(v)) return [str(v, path)];
    if (v.length === 0) fail(path, 'expected a string or a non-empty list of strings');
    return v.map((x, i) => str(x, `${path}[${i}]`));
  };

  const root = obj(doc ?? {}, '');
  known(root, '', TOP_KEYS);

  const trunks = (root.trunks === undefined ? [] : list(root.trunks, 'trunks')).map((t, i) => {
    const path = `trunks[${i}]`;
    const o = obj(t, path);
    known(o, path, TRUNK_KEYS);
    const trunk: TrunkConfig = {
      name: matching(o.name, `${path}.name`, NAME, "a name of letters, digits, '.', '_' or '-'"),
      realm: str(o.realm, `${path}.realm`),
      host: matching(o.host, `${path}.host`, HOST, 'a host name or an IP address (IPv6 without brackets)'),
    };
    if (o.port !== undefined) {
      if (!Number.isInteger(o.port) || (o.port as number) < 1 || (o.port as number) > 65535) fail(`${path}.port`, 'expected an integer from 1 to 65535');
      trunk.port = o.port as number;
    }
    if (o.transport !== undefined) {
      if (o.transport !== 'udp' && o.transport !== 'tcp' && o.transport !== 'tls') fail(`${path}.transport`, 'expected one of udp, tcp, tls');
      trunk.transport = o.transport;
    }
    if ((o.username === undefined) !== (o.password === undefined)) {
      fail(`${path}.${o.username === undefined ? 'username' : 'password'}`, 'expected username and password together (or neither)');
    }
    if (o.username !== undefined) {
      trunk.username = str(o.username, `${path}.username`);
      trunk.password = str(o.password, `${path}.password`);
    }
    const digits = "digits and '+', '*', '#', '.', '_', '-' or letters (at most 32)";
    if (o.stripPrefix !== undefined) trunk.stripPrefix = matching(o.stripPrefix, `${path}.stripPrefix`, DIGITS, digits);
    if (o.addPrefix !== undefined) trunk.addPrefix = matching(o.addPrefix, `${path}.addPrefix`, DIGITS, digits);
    return { trunk: Object.freeze(trunk), path };
  });

  const rules = (root.rules === undefined ? [] : list(root.rules, 'rules')).map((r, i): Rule => {
    const path = `rules[${i}]`;
    const o = obj(r, path);
    known(o, path, RULE_KEYS);
    const name = matching(o.name, `${path}.name`, NAME, "a name of letters, digits, '.', '_' or '-'");

    const match: RuleMatch = {};
    if (o.match !== undefined) {
      const m = obj(o.match, `${path}.match`);
      known(m, `${path}.match`, MATCH_KEYS);
      if (m.realm !== undefined) match.realm = strings(m.realm, `${path}.match.realm`);
      if (m.user !== undefined) match.user = strings(m.user, `${path}.match.user`);
      if (m.userPrefix !== undefined) match.userPrefix = strings(m.userPrefix, `${path}.match.userPrefix`);
      if (m.fromUser !== undefined) match.fromUser = strings(m.fromUser, `${path}.match.fromUser`);
      if (m.registered !== undefined) {
        if (typeof m.registered !== 'boolean') fail(`${path}.match.registered`, 'expected true or false');
        match.registered = m.registered;
      }
    }

    const actions = ['to', 'trunk', 'reject'].filter((k) => o[k] !== undefined);
    if (actions.length !== 1) {
      fail(path, `expected exactly one action of to: registered, trunk: NAME, reject: { status, reason? } (found ${actions.length === 0 ? 'none' : actions.join(', ')})`);
    }
    let action: RuleAction;
    if (o.to !== undefined) {
      if (o.to !== 'registered') fail(`${path}.to`, "expected 'registered'");
      action = { to: 'registered' };
    } else if (o.trunk !== undefined) {
      action = { trunk: str(o.trunk, `${path}.trunk`) };
    } else {
      const rj = obj(o.reject, `${path}.reject`);
      known(rj, `${path}.reject`, ['status', 'reason']);
      if (!Number.isInteger(rj.status) || (rj.status as number) < 400 || (rj.status as number) > 699) {
        fail(`${path}.reject.status`, 'expected a SIP failure status, an integer from 400 to 699');
      }
      const reject: { status: number; reason?: string } = { status: rj.status as number };
      if (rj.reason !== undefined) reject.reason = matching(rj.reason, `${path}.reject.reason`, REASON, 'a reason phrase of printable ASCII (at most 100 characters)');
      action = { reject };
    }

    let media: MediaPolicy = 'anchor';
    if (o.media !== undefined) {
      if ('reject' in action) fail(`${path}.media`, 'has no meaning on a reject rule: remove it');
      if (o.media !== 'anchor' && o.media !== 'direct') fail(`${path}.media`, 'expected anchor or direct');
      media = o.media;
    }
    return { name, source, path, match, action, media };
  });

  return { source, rules, trunks };
}
