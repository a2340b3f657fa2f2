import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DIALPLAN_DIR, Dialplan, DialplanError, NO_MATCH_RULE, type RouteRequest } from '../../src/routing/index.js';

const TRUNK = { name: 't1', realm: 'outside', host: '192.0.2.10', port: 5060, transport: 'udp' };

function req(over: Partial<RouteRequest> & { regs?: string[] } = {}): RouteRequest & { asked: string[] } {
  const asked: string[] = [];
  const regs = new Set(over.regs ?? []);
  return {
    realm: over.realm ?? 'inside',
    user: over.user ?? '',
    fromUser: over.fromUser ?? 'alice',
    registered: async (u) => {
      asked.push(u);
      return regs.has(u);
    },
    asked,
  };
}

function plan(rules: unknown[], trunks: unknown[] = [TRUNK]): Dialplan {
  return Dialplan.fromObject({ rules, trunks }, 'test.yaml');
}

function errorOf(fn: () => unknown): DialplanError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DialplanError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('rules', () => {
  it('tries rules in order: the first that matches decides', async () => {
    const dp = plan([
      { name: 'a', match: { user: '100' }, reject: { status: 403 } },
      { name: 'b', match: { userPrefix: '1' }, trunk: 't1' },
      { name: 'c', to: 'registered' },
    ]);
    expect((await dp.route(req({ user: '100' }))).rule).toBe('a');
    expect((await dp.route(req({ user: '101' }))).rule).toBe('b');
    expect((await dp.route(req({ user: '200' }))).rule).toBe('c');
    expect(dp.ruleNames).toEqual(['a', 'b', 'c']);
  });

  it('refuses with 404 when no rule matches', async () => {
    const dp = plan([{ name: 'only', match: { realm: 'outside' }, to: 'registered' }]);
    expect(await dp.route(req())).toEqual({ kind: 'reject', status: 404, reason: 'Not Found', rule: NO_MATCH_RULE });
    expect(await plan([]).route(req())).toMatchObject({ kind: 'reject', status: 404 });
  });

  it('matches realm, user, userPrefix and fromUser exactly or by prefix, strings or lists', async () => {
    const dp = plan([
      { name: 'realm', match: { realm: ['dmz', 'lab'] }, reject: { status: 480 } },
      { name: 'user', match: { user: '911' }, reject: { status: 481 } },
      { name: 'prefix', match: { userPrefix: ['*', '#'] }, reject: { status: 482 } },
      { name: 'from', match: { fromUser: 'mallory' }, reject: { status: 483 } },
      { name: 'all', match: { realm: 'inside', user: '7', fromUser: 'bob', userPrefix: '7' }, reject: { status: 484 } },
    ]);
    const status = async (r: RouteRequest) => {
      const d = await dp.route(r);
      return d.kind === 'reject' ? d.status : 0;
    };
    expect(await status(req({ realm: 'lab' }))).toBe(480);
    expect(await status(req({ user: '911' }))).toBe(481);
    expect(await status(req({ user: '9111' }))).toBe(404); // exact, not prefix
    expect(await status(req({ user: '*21' }))).toBe(482);
    expect(await status(req({ fromUser: 'mallory' }))).toBe(483);
    expect(await status(req({ fromUser: 'Mallory' }))).toBe(404); // case matters
    expect(await status(req({ user: '7', fromUser: 'bob' }))).toBe(484);
    expect(await status(req({ user: '7', fromUser: 'bob', realm: 'outside' }))).toBe(404);
  });

  it('treats request data as plain text: no pattern syntax applies', async () => {
    const dp = plan([{ name: 'dot', match: { userPrefix: '.*' }, reject: { status: 403 } }]);
    expect((await dp.route(req({ user: '.*x' }))).rule).toBe('dot');
    expect((await dp.route(req({ user: 'anything' }))).rule).toBe(NO_MATCH_RULE);
  });

  it('asks whether the user is registered only when a rule needs it, at most once', async () => {
    const dp = plan([
      { name: 'first', match: { realm: 'outside' }, reject: { status: 403 } },
      { name: 'reg', match: { registered: true, fromUser: 'x' }, to: 'registered' },
      { name: 'reg2', match: { registered: true }, to: 'registered', media: 'direct' },
      { name: 'unreg', match: { registered: false }, reject: { status: 480, reason: 'Offline' } },
    ]);
    const r1 = req({ realm: 'outside', user: 'bob', regs: ['bob'] });
    await dp.route(r1);
    expect(r1.asked).toEqual([]);
    const r2 = req({ user: 'bob', regs: ['bob'] });
    expect(await dp.route(r2)).toEqual({ kind: 'registered', user: 'bob', media: 'direct', rule: 'reg2' });
    expect(r2.asked).toEqual(['bob']);
    const r3 = req({ user: 'carol', regs: ['bob'] });
    expect(await dp.route(r3)).toEqual({ kind: 'reject', status: 480, reason: 'Offline', rule: 'unreg' });
    expect(r3.asked).toEqual(['carol']);
    const r4 = req({ user: '' });
    expect((await dp.route(r4)).rule).toBe('unreg');
    expect(r4.asked).toEqual([]); // no user: nobody to look up
  });

  it('decides at once, not as a promise, until a rule needs the registration lookup', async () => {
    const dp = plan([
      { name: 'deny', match: { user: ['666'] }, reject: { status: 403 } },
      { name: 'out', match: { realm: 'inside', userPrefix: ['0'] }, trunk: 't1' },
      { name: 'reg', match: { realm: 'inside', registered: true }, to: 'registered' },
    ]);
    const trunk = dp.route(req({ user: '0123' }));
    expect(trunk).not.toBeInstanceOf(Promise);
    expect(trunk).toMatchObject({ kind: 'trunk', user: '0123', rule: 'out' });
    expect(dp.route(req({ user: '666' }))).toMatchObject({ kind: 'reject', status: 403, rule: 'deny' });
    expect(dp.route(req({ realm: 'outside', user: '' }))).toMatchObject({ kind: 'reject', status: 404, rule: NO_MATCH_RULE });
    const r = req({ user: 'bob', regs: ['bob'] });
    const asking = dp.route(r);
    expect(asking).toBeInstanceOf(Promise);
    expect(await asking).toEqual({ kind: 'registered', user: 'bob', media: 'anchor', rule: 'reg' });
    expect(r.asked).toEqual(['bob']);
  });

  it('passes a failure of the registration lookup on', async () => {
    const dp = plan([{ name: 'reg', match: { registered: true }, to: 'registered' }]);
    const r = { ...req({ user: 'bob' }), registered: () => Promise.reject(new Error('store down')) };
    await expect(dp.route(r)).rejects.toThrow('store down');
  });

  it('routes to a trunk with its digits handling, anchored by default', async () => {
    const trunks = [
      { name: 'strip', realm: 'outside', host: 'a.example', stripPrefix: '00', addPrefix: '+' },
      { name: 'add', realm: 'outside', host: 'b.example', addPrefix: '9' },
      { name: 'cut', realm: 'outside', host: 'c.example', stripPrefix: '8' },
      TRUNK,
    ];
    const dp = plan(
      [
        { name: 'intl', match: { userPrefix: '00' }, trunk: 'strip' },
        { name: 'plus', match: { userPrefix: '+' }, trunk: 'strip', media: 'direct' },
        { name: 'local', match: { userPrefix: '5' }, trunk: 'add' },
        { name: 'cut', match: { userPrefix: ['8', '7'] }, trunk: 'cut' },
        { name: 'plain', trunk: 't1' },
      ],
      trunks,
    );
    const d = await dp.route(req({ user: '0049301234' }));
    expect(d).toMatchObject({ kind: 'trunk', user: '+49301234', media: 'anchor', rule: 'intl' });
    expect(d.kind === 'trunk' && d.trunk).toEqual(trunks[0]);
    expect(await dp.route(req({ user: '+4930' }))).toMatchObject({ user: '+4930', media: 'direct', rule: 'plus' }); // no 00 to strip: only added
    expect(await dp.route(req({ user: '555' }))).toMatchObject({ user: '9555', rule: 'local' });
    expect(await dp.route(req({ user: '8123' }))).toMatchObject({ user: '123', rule: 'cut' });
    expect(await dp.route(req({ user: '7123' }))).toMatchObject({ user: '7123', rule: 'cut' }); // nothing to strip
    expect(await dp.route(req({ user: '123' }))).toMatchObject({ user: '123', rule: 'plain' });
    expect(dp.trunks.get('t1')).toEqual(TRUNK);
    expect(Object.isFrozen(dp.trunks.get('t1'))).toBe(true);
  });
});

describe('validation', () => {
  const cases: [string, unknown, string, RegExp][] = [
    ['a top level that is not a mapping', ['x'], '', /expected a mapping/],
    ['an unknown top-level key', { rule: [] }, 'rule', /unknown key \(expected one of: rules, trunks\)/],
    ['rules that are not a list', { rules: {} }, 'rules', /expected a list/],
    ['a rule without a name', { rules: [{ to: 'registered' }] }, 'rules[0].name', /non-empty string/],
    ['a rule name with spaces', { rules: [{ name: 'a b', to: 'registered' }] }, 'rules[0].name', /letters, digits/],
    ['no action', { rules: [{ name: 'a' }] }, 'rules[0]', /exactly one action.*found none/],
    ['two actions', { rules: [{ name: 'a', to: 'registered', reject: { status: 404 } }] }, 'rules[0]', /found to, reject/],
    ['a bad to', { rules: [{ name: 'a', to: 'everyone' }] }, 'rules[0].to', /'registered'/],
    ['an unknown match key', { rules: [{ name: 'a', match: { userRegex: '^1' }, to: 'registered' }] }, 'rules[0].match.userRegex', /unknown key.*userPrefix/],
    ['a numeric user', { rules: [{ name: 'a', match: { user: 100 }, to: 'registered' }] }, 'rules[0].match.user', /quote numbers/],
    ['an empty prefix in a list', { rules: [{ name: 'a', match: { userPrefix: ['0', ''] }, to: 'registered' }] }, 'rules[0].match.userPrefix[1]', /non-empty/],
    ['an empty list', { rules: [{ name: 'a', match: { realm: [] }, to: 'registered' }] }, 'rules[0].match.realm', /non-empty list/],
    ['registered: yes-ish', { rules: [{ name: 'a', match: { registered: 'yes' }, to: 'registered' }] }, 'rules[0].match.registered', /true or false/],
    ['a reject status out of range', { rules: [{ name: 'a', reject: { status: 200 } }] }, 'rules[0].reject.status', /400 to 699/],
    ['a reason with CR LF', { rules: [{ name: 'a', reject: { status: 403, reason: 'x\r\nVia: evil' } }] }, 'rules[0].reject.reason', /printable ASCII/],
    ['media on a reject', { rules: [{ name: 'a', reject: { status: 403 }, media: 'direct' }] }, 'rules[0].media', /no meaning/],
    ['a bad media', { rules: [{ name: 'a', to: 'registered', media: 'relay' }] }, 'rules[0].media', /anchor or direct/],
    ['a trunk without host', { trunks: [{ name: 't', realm: 'o' }] }, 'trunks[0].host', /non-empty string/],
    ['a trunk port out of range', { trunks: [{ ...TRUNK, port: 70000 }] }, 'trunks[0].port', /1 to 65535/],
    ['a trunk transport', { trunks: [{ ...TRUNK, transport: 'sctp' }] }, 'trunks[0].transport', /udp, tcp, tls/],
    ['a password alone', { trunks: [{ ...TRUNK, password: 'p' }] }, 'trunks[0].username', /together/],
    ['a prefix with spaces', { trunks: [{ ...TRUNK, addPrefix: '0 0' }] }, 'trunks[0].addPrefix', /digits/],
    ['a numeric strip prefix', { trunks: [{ ...TRUNK, stripPrefix: 0 }] }, 'trunks[0].stripPrefix', /quote numbers/],
    ['an unknown trunk', { rules: [{ name: 'a', trunk: 'nope' }], trunks: [TRUNK] }, 'rules[0].trunk', /unknown trunk 'nope' \(declared: t1\)/],
    ['duplicate rule names', { rules: [{ name: 'a', to: 'registered' }, { name: 'a', to: 'registered' }] }, 'rules[1].name', /already declared \(x\.yaml: rules\[0\]\)/],
    ['duplicate trunk names', { trunks: [TRUNK, TRUNK] }, 'trunks[1].name', /already declared/],
  ];
  for (const [what, doc, path, message] of cases) {
    it(`refuses ${what}, naming the file and ${path || 'the top level'}`, () => {
      const e = errorOf(() => Dialplan.fromObject(doc, 'x.yaml'));
      expect(e.code).toBe('SLUICE_ERR_DIALPLAN');
      expect(e.file).toBe('x.yaml');
      expect(e.path).toBe(path);
      expect(e.message).toMatch(message);
      expect(e.message.startsWith(`x.yaml: ${path || '(top level)'}: `)).toBe(true);
    });
  }

  it('accepts an empty document (no rules: everything 404)', async () => {
    expect(await Dialplan.fromObject(null).route(req())).toMatchObject({ status: 404 });
  });
});

describe('Dialplan.load', () => {
  const dirs: string[] = [];
  const dir = (files: Record<string, string>): string => {
    const d = mkdtempSync(join(tmpdir(), 'sluice-dialplan-'));
    dirs.push(d);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('reads the files in name order; trunks may be used across files', async () => {
    const d = dir({
      'b.yaml': 'rules:\n  - name: second\n    trunk: t1\n',
      'a.yml': 'rules:\n  - name: first\n    match: { user: "1" }\n    reject: { status: 403 }\n',
      'z.yaml': `trunks:\n  - { name: t1, realm: outside, host: 192.0.2.1 }\n`,
      'notes.txt': 'not a dialplan',
    });
    const dp = Dialplan.load(d);
    expect(dp.ruleNames).toEqual(['first', 'second']);
    expect((await dp.route(req({ user: '2' }))).rule).toBe('second');
  });

  it('names the file and key path of a mistake', () => {
    const d = dir({ 'a.yaml': 'rules:\n  - name: ok\n    to: registered\n  - name: bad\n    trunk: carrier\n' });
    const e = errorOf(() => Dialplan.load(d));
    expect(e.file).toBe(join(d, 'a.yaml'));
    expect(e.path).toBe('rules[1].trunk');
    expect(e.message).toContain("unknown trunk 'carrier' (none is declared)");
  });

  it('reports YAML syntax errors, duplicate keys, an empty or missing folder', () => {
    expect(errorOf(() => Dialplan.load(dir({ 'a.yaml': 'rules: [\n' }))).message).toMatch(/a\.yaml: \(top level\): is not valid YAML/);
    expect(errorOf(() => Dialplan.load(dir({ 'a.yaml': 'rules: []\nrules: []\n' }))).message).toMatch(/not valid YAML/);
    expect(errorOf(() => Dialplan.load(dir({ 'x.txt': '' }))).message).toMatch(/holds no \*\.yaml file/);
    expect(errorOf(() => Dialplan.load(join(tmpdir(), 'sluice-no-such-dir'))).message).toMatch(/cannot be read as a directory \(ENOENT\)/);
  });

  it('refuses a rule name used in two files, naming both', () => {
    const d = dir({ 'a.yaml': 'rules:\n  - { name: r, to: registered }\n', 'b.yaml': 'rules:\n  - { name: r, to: registered }\n' });
    const e = errorOf(() => Dialplan.load(d));
    expect(e.file).toBe(join(d, 'b.yaml'));
    expect(e.message).toContain(`already declared (${join(d, 'a.yaml')}: rules[0])`);
  });
});

describe('the default dialplan (dialplan/)', () => {
  const dp = Dialplan.load(DEFAULT_DIALPLAN_DIR);

  it('declares example-trunk in realm outside at 127.0.0.1:5090 over udp', () => {
    expect(dp.trunks.get('example-trunk')).toEqual({ name: 'example-trunk', realm: 'outside', host: '127.0.0.1', port: 5090, transport: 'udp' });
  });

  it('sends a call from any realm to a registered user to that user, anchored', async () => {
    for (const realm of ['inside', 'outside']) {
      expect(await dp.route(req({ realm, user: 'alice', regs: ['alice'] }))).toEqual({ kind: 'registered', user: 'alice', media: 'anchor', rule: 'registered-user' });
    }
    // A registered user wins over the trunk prefixes.
    expect(await dp.route(req({ user: '0100', regs: ['0100'] }))).toMatchObject({ kind: 'registered' });
  });

  it('sends calls from inside to +, 00 and 0 numbers to example-trunk', async () => {
    for (const user of ['+4930123', '004930123', '030123']) {
      const d = await dp.route(req({ user }));
      expect(d).toMatchObject({ kind: 'trunk', user, media: 'anchor', rule: 'inside-to-trunk' });
      expect(d.kind === 'trunk' && d.trunk.name).toBe('example-trunk');
    }
  });

  it('refuses everything else with 404', async () => {
    expect(await dp.route(req({ realm: 'outside', user: '+4930123' }))).toEqual({ kind: 'reject', status: 404, reason: 'Not Found', rule: 'not-found' });
    expect(await dp.route(req({ user: 'bob' }))).toMatchObject({ kind: 'reject', status: 404 });
    expect(await dp.route(req({ user: '' }))).toMatchObject({ kind: 'reject', status: 404 });
  });
});
