/**
 * resolveRunConfig: flags > JSON config file > RESP_ELECT_* environment >
 * defaults, and every validation error names the option (and where its value
 * came from when that is not a flag). Pure: files come from an in-memory map.
 */
import { describe, expect, it } from 'vitest';
import { parseMember, resolveRunConfig, type RunSources } from '../../src/cli/resolve-run-config.js';
import { envName, RUN_OPTIONS } from '../../src/cli/run-options.js';
import { OptionError } from '../../src/sidecar/config.js';

const SECRET = 'a-shared-secret-of-32-bytes-long';

const MEMBERS = ['n1=10.0.0.1:26379,redis=10.0.0.1:6379', 'n2=10.0.0.2:26379,redis=10.0.0.2:6379', 'n3=10.0.0.3:26379,redis=10.0.0.3:6379'];

function files(extra: Record<string, string | Buffer> = {}): (p: string) => Buffer {
  const all: Record<string, string | Buffer> = { '/etc/secret': SECRET, ...extra };
  return (p) => {
    const v = all[p];
    if (v === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
    return Buffer.isBuffer(v) ? v : Buffer.from(v);
  };
}

/** A complete, valid node n1 given as flags (kebab-case keys, as yargs hands them over). */
function baseFlags(over: Record<string, unknown> = {}): Record<string, unknown> {
  const flags: Record<string, unknown> = { id: 'n1', listen: '0.0.0.0:26379', member: MEMBERS, 'secret-file': '/etc/secret', ...over };
  for (const [k, v] of Object.entries(flags)) if (v === undefined) delete flags[k];
  return flags;
}

function resolve(sources: Partial<RunSources> & { files?: Record<string, string | Buffer> }) {
  return resolveRunConfig({ flags: sources.flags ?? baseFlags(), env: sources.env ?? {}, readFile: sources.readFile ?? files(sources.files) });
}

function errorOf(fn: () => unknown): OptionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptionError);
    return err as OptionError;
  }
  throw new Error('expected an OptionError, nothing was thrown');
}

describe('resolveRunConfig: sources and precedence', () => {
  it('a complete node from flags, with defaults filled in', () => {
    const c = resolve({});
    expect(c.id).toBe('n1');
    expect(c.listen).toEqual({ host: '0.0.0.0', port: 26379 });
    expect(c.members.map((m) => m.id)).toEqual(['n1', 'n2', 'n3']);
    expect(c.redis).toEqual({ addr: { host: '10.0.0.1', port: 6379 }, username: undefined, password: undefined });
    expect(c.announce).toEqual({ host: '10.0.0.1', port: 6379 });
    expect(c.secret.toString()).toBe(SECRET);
    expect(c.dataDir).toBe('./resp-elect-data');
    expect(c.masterName).toBe('mymaster');
    expect(c.pollIntervalMs).toBe(50);
    expect(c.killClients).toEqual(['normal', 'pubsub']);
    expect(c.minReplicas).toBe(0);
    expect(c.logLevel).toBe('info');
    expect(c.logFormat).toBe('human');
    expect(c.timings).toEqual({ downAfterMs: 1000 }); // the table's default; the rest is derived from it
    expect(c.tls).toBeUndefined();
    expect(c.limits).toEqual({
      maxClients: undefined, // derived from the nofile limit at start-up
      maxPendingConnections: 128,
      clientAuthTimeoutMs: 10_000,
      clientIdleTimeoutMs: 0,
      authFailureDelayMs: 200,
      maxAuthFailures: 5,
      httpMaxConnections: 64,
      metricsCacheMs: 1000,
    });
  });

  it('client and HTTP limits from flags, the config file and the environment', () => {
    const c = resolve({
      flags: baseFlags({ 'max-clients': 500, 'auth-failure-delay-ms': 0, config: '/c.json' }),
      env: { RESP_ELECT_HTTP_MAX_CONNECTIONS: '8', RESP_ELECT_MAX_AUTH_FAILURES: '0' },
      files: { '/c.json': JSON.stringify({ clientAuthTimeoutMs: 2500, metricsCacheMs: 0, maxPendingConnections: 16 }) },
    });
    expect(c.limits).toEqual({ maxClients: 500, maxPendingConnections: 16, clientAuthTimeoutMs: 2500, clientIdleTimeoutMs: 0, authFailureDelayMs: 0, maxAuthFailures: 0, httpMaxConnections: 8, metricsCacheMs: 0 });
  });

  it('flag > config file > environment > default, option by option', () => {
    const file = JSON.stringify({ downAfterMs: 700, logLevel: 'warn', masterName: 'from-file' });
    const env = { RESP_ELECT_DOWN_AFTER_MS: '900', RESP_ELECT_LOG_LEVEL: 'debug', RESP_ELECT_MASTER_NAME: 'from-env', RESP_ELECT_POLL_INTERVAL_MS: '30' };
    const all = resolve({ flags: baseFlags({ config: '/etc/re.json', 'down-after-ms': 500 }), env, files: { '/etc/re.json': file } });
    expect(all.timings.downAfterMs).toBe(500); // flag
    expect(all.logLevel).toBe('warn'); // file beats env
    expect(all.masterName).toBe('from-file');
    expect(all.pollIntervalMs).toBe(30); // only env sets it
    expect(all.logFormat).toBe('human'); // nobody: default

    const noFlag = resolve({ flags: baseFlags({ config: '/etc/re.json' }), env, files: { '/etc/re.json': file } });
    expect(noFlag.timings.downAfterMs).toBe(700);
    const envOnly = resolve({ flags: baseFlags(), env });
    expect(envOnly.timings.downAfterMs).toBe(900);
    expect(envOnly.logLevel).toBe('debug');
    expect(envOnly.masterName).toBe('from-env');
  });

  it('camelCase flag keys work too (yargs camel-case expansion)', () => {
    const c = resolve({ flags: { id: 'n1', listen: '127.0.0.1:1', member: MEMBERS, secretFile: '/etc/secret', downAfterMs: 400, hbIntervalMs: 40 } });
    expect(c.timings).toEqual({ downAfterMs: 400, hbIntervalMs: 40 });
  });

  it('the config file may be named by RESP_ELECT_CONFIG; a flag wins over it; keys may be camelCase or kebab-case', () => {
    const f = { '/a.json': JSON.stringify({ 'down-after-ms': 600 }), '/b.json': JSON.stringify({ downAfterMs: 800 }) };
    expect(resolve({ env: { RESP_ELECT_CONFIG: '/a.json' }, files: f }).timings.downAfterMs).toBe(600);
    expect(resolve({ flags: baseFlags({ config: '/b.json' }), env: { RESP_ELECT_CONFIG: '/a.json' }, files: f }).timings.downAfterMs).toBe(800);
    // An empty variable is unset, as for every other option.
    expect(resolve({ env: { RESP_ELECT_CONFIG: '' } }).timings.downAfterMs).toBe(1000);
  });

  it('the whole node can come from the config file or from the environment', () => {
    const file = JSON.stringify({ id: 'n2', listen: '10.0.0.2:26379', member: MEMBERS, secretFile: '/etc/secret' });
    expect(resolve({ flags: { config: '/n.json' }, files: { '/n.json': file } }).id).toBe('n2');
    const env = { RESP_ELECT_ID: 'n3', RESP_ELECT_LISTEN: '10.0.0.3:26379', RESP_ELECT_MEMBER: MEMBERS.join(' '), RESP_ELECT_SECRET_FILE: '/etc/secret' };
    const c = resolve({ flags: {}, env });
    expect(c.id).toBe('n3');
    expect(c.redis?.addr).toEqual({ host: '10.0.0.3', port: 6379 });
  });

  it('environment member lists are separated by spaces, semicolons or newlines', () => {
    for (const sep of [' ', ';', '; ', '\n', '  \n ; ']) {
      const c = resolve({ flags: baseFlags({ member: undefined }), env: { RESP_ELECT_MEMBER: ` ${MEMBERS.join(sep)}${sep}` } });
      expect(c.members.map((m) => m.id), JSON.stringify(sep)).toEqual(['n1', 'n2', 'n3']);
    }
  });

  it('an empty environment variable counts as unset', () => {
    expect(resolve({ env: { RESP_ELECT_LOG_LEVEL: '' } }).logLevel).toBe('info');
  });

  it('every option in the table has a RESP_ELECT_ variable', () => {
    for (const o of RUN_OPTIONS) expect(envName(o.name)).toMatch(/^RESP_ELECT_[A-Z_]+$/);
  });
});

describe('resolveRunConfig: errors name the option and the source', () => {
  const cases: { what: string; option: string; flags?: Record<string, unknown>; file?: Record<string, unknown>; env?: Record<string, string> }[] = [
    { what: 'bad down-after-ms', option: 'down-after-ms', flags: { 'down-after-ms': 'soon' }, file: { downAfterMs: 'soon' }, env: { RESP_ELECT_DOWN_AFTER_MS: 'soon' } },
    { what: 'poll interval above 100', option: 'poll-interval-ms', flags: { 'poll-interval-ms': 500 }, file: { pollIntervalMs: 500 }, env: { RESP_ELECT_POLL_INTERVAL_MS: '500' } },
    { what: 'bad log level', option: 'log-level', flags: { 'log-level': 'loud' }, file: { logLevel: 'loud' }, env: { RESP_ELECT_LOG_LEVEL: 'loud' } },
    { what: 'bad log format', option: 'log-format', flags: { 'log-format': 'xml' }, file: { logFormat: 'xml' }, env: { RESP_ELECT_LOG_FORMAT: 'xml' } },
    { what: 'bad kill-clients', option: 'kill-clients', flags: { 'kill-clients': 'normal,replica' }, file: { killClients: 'normal,replica' }, env: { RESP_ELECT_KILL_CLIENTS: 'normal,replica' } },
    { what: 'bad listen', option: 'listen', flags: { listen: 'nohost' }, file: { listen: 'nohost' }, env: { RESP_ELECT_LISTEN: 'nohost' } },
    { what: 'bad id', option: 'id', flags: { id: 'has space' }, file: { id: 'has space' }, env: { RESP_ELECT_ID: 'has space' } },
    { what: 'bad member', option: 'member', flags: { member: ['n1=10.0.0.1'] }, file: { member: ['n1=10.0.0.1'] }, env: { RESP_ELECT_MEMBER: 'n1=10.0.0.1' } },
    { what: 'unreadable secret file', option: 'secret-file', flags: { 'secret-file': '/nope' }, file: { secretFile: '/nope' }, env: { RESP_ELECT_SECRET_FILE: '/nope' } },
    { what: 'short secret', option: 'secret-file', flags: { 'secret-file': '/short' }, file: { secretFile: '/short' }, env: { RESP_ELECT_SECRET_FILE: '/short' } },
    { what: 'bootstrap not a member', option: 'bootstrap-primary', flags: { 'bootstrap-primary': 'n9' }, file: { bootstrapPrimary: 'n9' }, env: { RESP_ELECT_BOOTSTRAP_PRIMARY: 'n9' } },
    { what: 'min-replicas above the member count', option: 'min-replicas', flags: { 'min-replicas': 4 }, file: { minReplicas: 4 }, env: { RESP_ELECT_MIN_REPLICAS: '4' } },
    { what: 'a lease too long for down-after-ms', option: 'lease-ms', flags: { 'lease-ms': 950 }, file: { leaseMs: 950 }, env: { RESP_ELECT_LEASE_MS: '950' } },
    { what: 'heartbeat above half of down-after-ms', option: 'hb-interval-ms', flags: { 'hb-interval-ms': 600 }, file: { hbIntervalMs: 600 }, env: { RESP_ELECT_HB_INTERVAL_MS: '600' } },
    { what: 'max-clients of 0', option: 'max-clients', flags: { 'max-clients': 0 }, file: { maxClients: 0 }, env: { RESP_ELECT_MAX_CLIENTS: '0' } },
    { what: 'a negative auth delay', option: 'auth-failure-delay-ms', flags: { 'auth-failure-delay-ms': -1 }, file: { authFailureDelayMs: -1 }, env: { RESP_ELECT_AUTH_FAILURE_DELAY_MS: 'x' } },
    { what: 'no HTTP connections at all', option: 'http-max-connections', flags: { 'http-max-connections': 0 }, file: { httpMaxConnections: 0 }, env: { RESP_ELECT_HTTP_MAX_CONNECTIONS: '0' } },
    { what: 'a TLS cert without key and CA', option: 'tls-cert', flags: { 'tls-cert': '/c.pem' }, file: { tlsCert: '/c.pem' }, env: { RESP_ELECT_TLS_CERT: '/c.pem' } },
  ];
  const extraFiles = { '/short': 'too short', '/c.pem': 'CERT' };

  for (const k of cases) {
    it(`${k.what}: --${k.option}, from a flag, the config file and the environment`, () => {
      const fromFlag = errorOf(() => resolve({ flags: baseFlags(k.flags), files: extraFiles }));
      expect(fromFlag.option).toBe(k.option);
      expect(fromFlag.message).toMatch(new RegExp(`^--${k.option}: `));

      const base = baseFlags();
      for (const key of Object.keys(k.flags ?? {})) delete base[key];
      const fromFile = errorOf(() => resolve({ flags: { ...base, config: '/c.json' }, files: { ...extraFiles, '/c.json': JSON.stringify(k.file) } }));
      expect(fromFile.option).toBe(k.option);
      expect(fromFile.message).toMatch(new RegExp(`^--${k.option} \\(from config file\\): `));

      const fromEnv = errorOf(() => resolve({ flags: base, env: k.env, files: extraFiles }));
      expect(fromEnv.option).toBe(k.option);
      expect(fromEnv.message).toMatch(new RegExp(`^--${k.option} \\(from environment\\): `));
    });
  }

  it('an id that is not a member names --member and the id', () => {
    const e = errorOf(() => resolve({ flags: baseFlags({ id: 'n9' }) }));
    expect(e.message).toBe("--member: no --member has this node's id n9 (members: n1, n2, n3)");
  });

  it('required options name themselves', () => {
    for (const [key, option] of [['id', 'id'], ['listen', 'listen'], ['member', 'member'], ['secret-file', 'secret-file']] as const) {
      const e = errorOf(() => resolve({ flags: baseFlags({ [key]: undefined }) }));
      expect(e.option).toBe(option);
      expect(e.message).toMatch(new RegExp(`^--${option}: .*required`));
    }
  });

  it('a derived timing that breaks a rule says it was derived', () => {
    // hb 50 is fine for down-after 100, but the derived lease (60) + hb + drift (10) is not below 100.
    const e = errorOf(() => resolve({ flags: baseFlags({ 'down-after-ms': 100, 'hb-interval-ms': 50 }) }));
    expect(e.option).toBe('lease-ms');
    expect(e.message).toMatch(/^--lease-ms: .*derived from --down-after-ms/);
    expect(e.message).not.toMatch(/leaseMs|hbIntervalMs|downAfterMs/); // flag names, not field names
  });

  it('the config file: unreadable, not JSON, not an object, unknown key', () => {
    expect(errorOf(() => resolve({ flags: baseFlags({ config: '/none.json' }) })).message).toMatch(/^--config: cannot read \/none\.json/);
    expect(errorOf(() => resolve({ env: { RESP_ELECT_CONFIG: '/none.json' } })).message).toMatch(/^--config \(from environment\): cannot read/);
    expect(errorOf(() => resolve({ flags: baseFlags({ config: '/c.json' }), files: { '/c.json': '{' } })).message).toMatch(/^--config: \/c\.json is not valid JSON/);
    expect(errorOf(() => resolve({ flags: baseFlags({ config: '/c.json' }), files: { '/c.json': '[]' } })).message).toMatch(/must hold a JSON object/);
    const unknown = errorOf(() => resolve({ flags: baseFlags({ config: '/c.json' }), files: { '/c.json': '{"downAfter": 3}' } }));
    expect(unknown.message).toMatch(/^--config \(from config file\): unknown key "downAfter"/);
  });
});

describe('resolveRunConfig: members', () => {
  it('parses data members, witnesses and priorities', () => {
    expect(parseMember('n1=10.0.0.1:26379,redis=10.0.0.1:6379')).toEqual({ id: 'n1', sidecar: { host: '10.0.0.1', port: 26379 }, redis: { host: '10.0.0.1', port: 6379 }, witness: false, priority: 1 });
    expect(parseMember('w1=10.0.0.9:26379,witness')).toEqual({ id: 'w1', sidecar: { host: '10.0.0.9', port: 26379 }, redis: undefined, witness: true, priority: 1 });
    expect(parseMember('n2=h:1,redis=h:2,priority=0').priority).toBe(0);
    expect(parseMember('n2=h:1,priority=7,redis=h:2').priority).toBe(7);
  });

  it('parses IPv6 addresses in brackets', () => {
    const m = parseMember('n1=[::1]:26379,redis=[::1]:6379');
    expect(m.sidecar).toEqual({ host: '::1', port: 26379 });
    expect(m.redis).toEqual({ host: '::1', port: 6379 });
    const c = resolve({ flags: baseFlags({ listen: '[::]:26379', member: ['n1=[::1]:26379,redis=[::1]:6379', 'n2=[fe80::2]:26379,redis=[fe80::2]:6379', 'n3=h3:26379,witness'] }) });
    expect(c.listen).toEqual({ host: '::', port: 26379 });
    expect(c.redis?.addr).toEqual({ host: '::1', port: 6379 });
    expect(c.members[1]!.sidecar.host).toBe('fe80::2');
  });

  it('refuses malformed members, naming --member and the value', () => {
    const bad: [string, RegExp][] = [
      ['n1', /must start with id=/],
      ['=h:1,redis=h:2', /must start with id=/],
      ['n1=h,redis=h:2', /bad sidecar address/],
      ['n1=::1:5,redis=h:2', /bad sidecar address: IPv6 host must be in brackets/],
      ['n1=h:1,redis=h', /bad redis address/],
      ['n1=h:1', /a data member needs redis=/],
      ['n1=h:1,witness,redis=h:2', /a witness has no redis/],
      ['n1=h:1,redis=h:2,priority=-1', /priority must be an integer/],
      ['n1=h:1,redis=h:2,priority=x', /priority must be an integer/],
      ['n1=h:1,redis=h:2,primary', /unknown part "primary"/],
      ['n 1=h:1,redis=h:2', /not a valid node id/],
    ];
    for (const [text, re] of bad) {
      const e = errorOf(() => parseMember(text));
      expect(e.option).toBe('member');
      expect(e.message, text).toMatch(new RegExp(`^--member: ${JSON.stringify(text).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
      expect(e.message, text).toMatch(re);
    }
  });

  it('refuses duplicate ids and a cluster where nobody can be primary', () => {
    expect(errorOf(() => resolve({ flags: baseFlags({ member: [...MEMBERS, MEMBERS[1]!] }) })).message).toMatch(/member n2 is listed twice/);
    const noData = ['n1=h:1,redis=h:2,priority=0', 'w1=h:3,witness', 'w2=h:4,witness'];
    expect(errorOf(() => resolve({ flags: baseFlags({ member: noData }) })).message).toMatch(/no member can ever be primary/);
  });

  it('a witness node manages no redis and has no announce address', () => {
    const members = [...MEMBERS.slice(0, 2), 'w1=10.0.0.9:26379,witness'];
    const c = resolve({ flags: baseFlags({ id: 'w1', member: members }) });
    expect(c.redis).toBeUndefined();
    expect(c.announce).toBeUndefined();
    expect(errorOf(() => resolve({ flags: baseFlags({ id: 'w1', member: members, redis: '127.0.0.1:6379' }) })).option).toBe('redis');
    expect(errorOf(() => resolve({ flags: baseFlags({ 'bootstrap-primary': 'w1', member: members }) })).message).toMatch(/--bootstrap-primary: w1 can never be primary/);
  });

  it('--redis and --announce override the member entry', () => {
    const c = resolve({ flags: baseFlags({ redis: '127.0.0.1:6380', announce: 'public.example:16379' }) });
    expect(c.redis?.addr).toEqual({ host: '127.0.0.1', port: 6380 });
    expect(c.announce).toEqual({ host: 'public.example', port: 16379 });
  });
});

describe('resolveRunConfig: secrets and TLS', () => {
  it('strips one trailing newline (LF or CRLF) from secret files, nothing else', () => {
    const cases: [string, string][] = [
      [`${SECRET}\n`, SECRET],
      [`${SECRET}\r\n`, SECRET],
      [SECRET, SECRET],
      [`${SECRET}\n\n`, `${SECRET}\n`],
      [` ${SECRET} `, ` ${SECRET} `],
    ];
    for (const [content, expected] of cases) {
      const c = resolve({ files: { '/etc/secret': content } });
      expect(c.secret.toString(), JSON.stringify(content)).toBe(expected);
    }
    // Binary secrets are kept byte for byte.
    const bin = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(resolve({ files: { '/etc/secret': bin } }).secret.equals(bin)).toBe(true);
  });

  it('the secret newline is stripped before the length check', () => {
    const e = errorOf(() => resolve({ files: { '/etc/secret': `${'x'.repeat(15)}\n` } }));
    expect(e.message).toMatch(/^--secret-file: the secret is 15 bytes/);
  });

  it('reads the redis and client passwords from files, newline stripped', () => {
    const c = resolve({ flags: baseFlags({ 'redis-password-file': '/rp', 'client-password-file': '/cp', 'redis-user': 'sidecar' }), files: { '/rp': 'redis-pw\n', '/cp': 'client-pw\r\n' } });
    expect(c.redis).toMatchObject({ username: 'sidecar', password: 'redis-pw' });
    expect(c.clientPassword).toBe('client-pw');
    expect(errorOf(() => resolve({ flags: baseFlags({ 'redis-password-file': '/missing' }) })).option).toBe('redis-password-file');
  });

  it('TLS is all or nothing', () => {
    const pems = { '/c.pem': 'CERT', '/k.pem': 'KEY', '/ca.pem': 'CA' };
    const all = resolve({ flags: baseFlags({ 'tls-cert': '/c.pem', 'tls-key': '/k.pem', 'tls-ca': '/ca.pem' }), files: pems });
    expect(all.tls && { cert: all.tls.cert.toString(), key: all.tls.key.toString(), ca: all.tls.ca.toString() }).toEqual({ cert: 'CERT', key: 'KEY', ca: 'CA' });
    const partial: [Record<string, string>, string, RegExp][] = [
      [{ 'tls-cert': '/c.pem' }, 'tls-cert', /missing --tls-key, --tls-ca/],
      [{ 'tls-key': '/k.pem' }, 'tls-key', /missing --tls-cert, --tls-ca/],
      [{ 'tls-ca': '/ca.pem' }, 'tls-ca', /missing --tls-cert, --tls-key/],
      [{ 'tls-cert': '/c.pem', 'tls-ca': '/ca.pem' }, 'tls-cert', /missing --tls-key$/],
    ];
    for (const [flags, option, re] of partial) {
      const e = errorOf(() => resolve({ flags: baseFlags(flags), files: pems }));
      expect(e.option).toBe(option);
      expect(e.message).toMatch(re);
    }
    // Mixed sources still count together.
    const mixed = resolve({ flags: baseFlags({ 'tls-cert': '/c.pem' }), env: { RESP_ELECT_TLS_KEY: '/k.pem', RESP_ELECT_TLS_CA: '/ca.pem' }, files: pems });
    expect(mixed.tls).toBeDefined();
    expect(errorOf(() => resolve({ flags: baseFlags({ 'tls-cert': '/c.pem', 'tls-key': '/k.pem', 'tls-ca': '/nope' }), files: pems })).option).toBe('tls-ca');
  });
});

describe('resolveRunConfig: --join', () => {
  it('a joining node needs no --member: the sidecars to ask, and its own local settings', () => {
    const c = resolve({ flags: baseFlags({ id: 'n4', member: undefined, join: ['10.0.0.1:26379,10.0.0.2:26379'], redis: '10.0.0.4:6379' }) });
    expect(c.join).toEqual([
      { host: '10.0.0.1', port: 26379 },
      { host: '10.0.0.2', port: 26379 },
    ]);
    expect(c.members).toEqual([]);
    expect(c.redis?.addr).toEqual({ host: '10.0.0.4', port: 6379 });
  });

  it('a joining node without --redis is a witness', () => {
    const c = resolve({ flags: baseFlags({ id: 'w1', member: undefined, join: ['10.0.0.1:26379'] }) });
    expect(c.redis).toBeUndefined();
  });

  it('--member and --join together, a bad --join address, and neither are refused naming the option', () => {
    expect(() => resolve({ flags: baseFlags({ join: ['10.0.0.1:26379'] }) })).toThrow(/--join: give either --member .* or --join/);
    expect(() => resolve({ flags: baseFlags({ member: undefined, join: ['nowhere'] }) })).toThrow(/--join: .*missing ":port"/);
    expect(() => resolve({ flags: baseFlags({ member: undefined }) })).toThrow(/--member: at least one --member is required.*or --join/);
  });
});
