import * as fs from 'node:fs';
import { ConfigError, resolveConfig, type ElectorConfig } from '../elector/config.js';
import { isValidNodeId, parseAddress, type HostPort } from '../protocol/index.js';
import { OptionError, type ClientKillType, type LogFormat, type LogLevel, type MemberConfig, type SidecarConfig } from '../sidecar/config.js';
import { camel, envName, RUN_OPTIONS, type OptionSpec } from './run-options.js';
import { parseMember } from '../sidecar/member-spec.js';

export { parseMember } from '../sidecar/member-spec.js';
import { checkStatefulSetDomain, parseStatefulSetMembers, statefulSetMemberTexts } from './statefulset-members.js';

type Source = 'flag' | 'config file' | 'environment' | 'default';
interface Valued {
  value: unknown;
  source: Source;
}

export interface RunSources {
  /** Parsed flags; keys in camelCase or kebab-case; only options the user gave. */
  flags: Record<string, unknown>;
  env: Record<string, string | undefined>;
  /** Reads a file; injectable for tests. */
  readFile?: (path: string) => Buffer;
}

/**
 * Merge flags, the JSON config file and RESP_ELECT_* variables (in that order
 * of precedence), apply defaults, and validate everything up front. Throws
 * OptionError naming the option, its source and what is wrong.
 */
export function resolveRunConfig(sources: RunSources): SidecarConfig {
  const readFile = sources.readFile ?? ((p: string) => fs.readFileSync(p));
  const flagValue = (o: OptionSpec) => sources.flags[camel(o.name)] ?? sources.flags[o.name];

  const configOpt = RUN_OPTIONS.find((o) => o.name === 'config')!;
  // An empty RESP_ELECT_CONFIG counts as unset, like every other variable (see get()).
  const configFromFlag = flagValue(configOpt);
  const configEnv = sources.env[envName('config')];
  const configPath = (configFromFlag ?? (configEnv === '' ? undefined : configEnv)) as string | undefined;
  const configSource: Source = configFromFlag !== undefined ? 'flag' : 'environment';
  let file: Record<string, unknown> = {};
  if (configPath !== undefined) file = readConfigFile(String(configPath), readFile, configSource);
  for (const key of Object.keys(file)) {
    if (!RUN_OPTIONS.some((o) => camel(o.name) === key || o.name === key)) {
      throw new OptionError('config', `unknown key ${JSON.stringify(key)} in ${configPath}`, 'config file');
    }
  }

  const get = (name: string): Valued => {
    const o = RUN_OPTIONS.find((x) => x.name === name);
    if (!o) throw new Error(`internal: no option ${name}`);
    const f = flagValue(o);
    if (f !== undefined) return { value: f, source: 'flag' };
    const c = file[camel(name)] ?? file[name];
    if (c !== undefined) return { value: c, source: 'config file' };
    const e = sources.env[envName(name)];
    if (e !== undefined && e !== '') return { value: fromEnv(o, e), source: 'environment' };
    return { value: o.default, source: 'default' };
  };
  const str = (name: string): string | undefined => {
    const v = get(name);
    if (v.value === undefined) return undefined;
    if (typeof v.value !== 'string' || v.value.length === 0) throw new OptionError(name, `must be a non-empty string, got ${JSON.stringify(v.value)}`, v.source);
    return v.value;
  };
  const required = (name: string, what: string): string => {
    const s = str(name);
    if (s === undefined) throw new OptionError(name, `is required: ${what}`);
    return s;
  };
  const int = (name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined => {
    const v = get(name);
    if (v.value === undefined) return undefined;
    const n = typeof v.value === 'string' && /^\d+$/.test(v.value) ? Number(v.value) : v.value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      // yargs turns `--down-after-ms abc` into NaN, which JSON.stringify would print as "null".
      const got = typeof v.value === 'number' && Number.isNaN(v.value) ? 'something that is not a number' : JSON.stringify(v.value);
      throw new OptionError(name, `must be an integer from ${min} to ${max}, got ${got}`, v.source);
    }
    return n;
  };
  const addr = (name: string, text: string, source?: Source): HostPort => {
    try {
      return parseAddress(text);
    } catch (err) {
      throw new OptionError(name, `${(err as Error).message.replace(/^address: /, '')} (expected host:port, IPv6 as [::1]:port)`, source);
    }
  };
  const secretFrom = (name: string): Buffer | undefined => {
    const path = str(name);
    if (path === undefined) return undefined;
    let data: Buffer;
    try {
      data = readFile(path);
    } catch (err) {
      throw new OptionError(name, `cannot read ${path}: ${(err as Error).message}`, get(name).source);
    }
    // `echo secret > file` leaves a newline that the other nodes' files may not have.
    return data.subarray(0, data.length - (data.at(-1) === 0x0a ? (data.at(-2) === 0x0d ? 2 : 1) : 0));
  };

  /** The --statefulset-members list as --member texts, or undefined when not given (statefulset-members.ts). */
  const statefulSetMembers = (membersGiven: boolean, sidecarPort: number): string[] | undefined => {
    const text = str('statefulset-members');
    const domainText = str('statefulset-domain');
    if (text === undefined) {
      if (domainText !== undefined) throw new OptionError('statefulset-domain', 'is only used with --statefulset-members', get('statefulset-domain').source);
      return undefined;
    }
    const source = get('statefulset-members').source;
    if (membersGiven) throw new OptionError('statefulset-members', 'replaces --member: give one or the other', source);
    if (domainText === undefined) throw new OptionError('statefulset-domain', "is required with --statefulset-members: the headless Service's DNS name, e.g. redis.default.svc.cluster.local");
    const { name, count } = parseStatefulSetMembers(text, source);
    const domain = checkStatefulSetDomain(domainText, get('statefulset-domain').source);
    const redisText = str('redis');
    const redisPort = redisText !== undefined ? addr('redis', redisText, get('redis').source).port : 6379;
    return statefulSetMemberTexts({ name, count, domain, sidecarPort, redisPort });
  };

  const id = required('id', "this node's member id");
  if (!isValidNodeId(id)) throw new OptionError('id', `${JSON.stringify(id)} is not a valid node id (1-64 printable ASCII bytes, no spaces)`, get('id').source);
  const listenText = required('listen', 'the host:port this sidecar binds');
  const listen = addr('listen', listenText, get('listen').source);

  const joinValue = get('join');
  const joinTexts = (Array.isArray(joinValue.value) ? joinValue.value : joinValue.value === undefined ? [] : [joinValue.value]).flatMap((v) => String(v).split(',')).filter((v) => v !== '');
  const join = joinTexts.map((t) => addr('join', t, joinValue.source));
  const memberValue = get('member');
  let memberTexts: unknown[] = Array.isArray(memberValue.value) ? memberValue.value : memberValue.value === undefined ? [] : [memberValue.value];
  const fromStatefulSet = statefulSetMembers(memberTexts.length > 0, listen.port);
  if (fromStatefulSet) memberTexts = fromStatefulSet;
  if (memberTexts.length === 0 && join.length === 0) throw new OptionError('member', 'at least one --member is required, this node included (or --join to add a node to a running cluster)');
  if (memberTexts.length > 0 && join.length > 0) throw new OptionError('join', 'give either --member (the members of a new cluster) or --join (a node added to a running one with resp-elect member add), not both', joinValue.source);
  const members = memberTexts.map((m) => parseMember(m, memberValue.source));
  const seen = new Set<string>();
  for (const m of members) {
    if (seen.has(m.id)) throw new OptionError('member', `member ${m.id} is listed twice`, memberValue.source);
    seen.add(m.id);
  }
  let self = members.find((m) => m.id === id);
  if (!self && fromStatefulSet) {
    throw new OptionError('id', `${id} is not one of the pods of --statefulset-members ${str('statefulset-members')} (${[...seen].join(', ')}); in Kubernetes, set RESP_ELECT_ID from the pod name`, get('id').source);
  }
  if (join.length > 0) {
    // Joining: the configuration fetched at start-up says where this node is; the flags say what is local.
    const redisGiven = str('redis');
    self = { id, sidecar: listen, redis: redisGiven !== undefined ? addr('redis', redisGiven, get('redis').source) : undefined, witness: redisGiven === undefined, priority: 1 };
  }
  if (!self) throw new OptionError('member', `no --member has this node's id ${id} (members: ${[...seen].join(', ')})`, memberValue.source);
  if (join.length === 0 && !members.some((m) => !m.witness && m.priority > 0)) throw new OptionError('member', 'no member can ever be primary: all are witnesses or priority 0', memberValue.source);

  const bootstrap = str('bootstrap-primary');
  if (bootstrap !== undefined) {
    const b = members.find((m) => m.id === bootstrap);
    if (!b) throw new OptionError('bootstrap-primary', `${bootstrap} is not a member`, get('bootstrap-primary').source);
    if (b.witness || b.priority === 0) throw new OptionError('bootstrap-primary', `${bootstrap} can never be primary (witness or priority 0)`, get('bootstrap-primary').source);
  }

  let redis: SidecarConfig['redis'];
  let announce: HostPort | undefined;
  const redisText = str('redis');
  if (self.witness) {
    if (redisText !== undefined) throw new OptionError('redis', `this node (${id}) is a witness and manages no redis`, get('redis').source);
  } else {
    const redisAddr = redisText !== undefined ? addr('redis', redisText, get('redis').source) : self.redis;
    if (!redisAddr) throw new OptionError('redis', `this node's redis address is needed: give --redis or redis= in its --member`);
    const password = secretFrom('redis-password-file')?.toString('utf8');
    redis = { addr: redisAddr, username: str('redis-user'), password };
    const ann = str('announce');
    announce = ann !== undefined ? addr('announce', ann, get('announce').source) : (self.redis ?? redisAddr);
  }

  const secret = secretFrom('secret-file');
  if (!secret) throw new OptionError('secret-file', 'is required: a file holding the shared peer secret (the same on every node)');
  if (secret.length < 16) throw new OptionError('secret-file', `the secret is ${secret.length} bytes; use at least 16 (e.g. openssl rand -hex 32 > secret)`, get('secret-file').source);

  const tlsParts = ['tls-cert', 'tls-key', 'tls-ca'].map((n) => [n, str(n)] as const);
  const given = tlsParts.filter(([, v]) => v !== undefined);
  let tls: SidecarConfig['tls'];
  if (given.length > 0 && given.length < 3) {
    const missing = tlsParts.filter(([, v]) => v === undefined).map(([n]) => `--${n}`);
    throw new OptionError(given[0]![0], `peer TLS needs --tls-cert, --tls-key and --tls-ca together; missing ${missing.join(', ')}`, get(given[0]![0]).source);
  }
  if (given.length === 3) tls = { cert: secretFrom('tls-cert')!, key: secretFrom('tls-key')!, ca: secretFrom('tls-ca')! };

  const httpText = str('http');
  const pollIntervalMs = int('poll-interval-ms', 1, 100)!;
  const killText = str('kill-clients')!;
  const killClients = parseKillClients(killText, get('kill-clients').source);
  const logLevel = oneOf<LogLevel>('log-level', str('log-level')!, ['error', 'warn', 'info', 'debug'], get('log-level').source);
  const logFormat = oneOf<LogFormat>('log-format', str('log-format')!, ['human', 'json'], get('log-format').source);

  const timingNames: [string, keyof ElectorConfig][] = [
    ['hb-interval-ms', 'hbIntervalMs'],
    ['down-after-ms', 'downAfterMs'],
    ['lease-ms', 'leaseMs'],
    ['max-drift-ms', 'maxDriftMs'],
    ['election-timeout-ms', 'electionTimeoutMs'],
    ['backoff-ms', 'backoffMs'],
    ['handoff-timeout-ms', 'handoffTimeoutMs'],
    ['adopt-wait-ms', 'adoptWaitMs'],
  ];
  const timings: Partial<ElectorConfig> = {};
  for (const [flag, key] of timingNames) {
    const v = int(flag, 1);
    if (v !== undefined) timings[key] = v;
  }
  try {
    resolveConfig(timings);
  } catch (err) {
    if (err instanceof ConfigError) {
      const flag = timingNames.find(([, k]) => k === err.option)?.[0] ?? err.option;
      const text = err.message.replace(/^\w+: /, '').replace(/\b(hbIntervalMs|downAfterMs|leaseMs|maxDriftMs)\b/g, (k) => timingNames.find(([, key]) => key === k)?.[0] ?? k);
      // Name where the value came from, as every other option error does; a value nobody set was
      // derived from --down-after-ms, which the message must say or it blames an option never given.
      const source = RUN_OPTIONS.some((o) => o.name === flag) ? get(flag).source : 'default';
      if (source === 'default') throw new OptionError(flag, `${text} (not set: derived from --down-after-ms; set it explicitly or raise --down-after-ms)`);
      throw new OptionError(flag, text, source);
    }
    throw err;
  }

  return {
    id,
    listen,
    members,
    join: join.length > 0 ? join : undefined,
    announce,
    dataDir: str('data-dir')!,
    bootstrapPrimary: bootstrap,
    masterName: str('master-name')!,
    redis,
    pollIntervalMs,
    killClients,
    minReplicas: int('min-replicas', 0, join.length > 0 ? 64 : members.length)!,
    secret,
    tls,
    clientPassword: secretFrom('client-password-file')?.toString('utf8'),
    http: httpText !== undefined ? addr('http', httpText, get('http').source) : undefined,
    onRoleChange: str('on-role-change'),
    hookTimeoutMs: int('hook-timeout-ms', 1)!,
    limits: {
      maxClients: int('max-clients', 1, 1_000_000),
      maxPendingConnections: int('max-pending-connections', 1, 100_000)!,
      clientAuthTimeoutMs: int('client-auth-timeout-ms', 0, 3_600_000)!,
      clientIdleTimeoutMs: int('client-idle-timeout-ms', 0, 86_400_000)!,
      authFailureDelayMs: int('auth-failure-delay-ms', 0, 60_000)!,
      maxAuthFailures: int('max-auth-failures', 0, 1_000_000)!,
      httpMaxConnections: int('http-max-connections', 1, 100_000)!,
      metricsCacheMs: int('metrics-cache-ms', 0, 60_000)!,
    },
    timings,
    logLevel,
    logFormat,
  };
}

/** Parses one `--member id=host:port,redis=host:port[,witness][,priority=N]`. */

function parseKillClients(text: string, source: string): ClientKillType[] {
  if (text === 'none') return [];
  const parts = text.split(',').map((s) => s.trim());
  for (const p of parts) if (p !== 'normal' && p !== 'pubsub') throw new OptionError('kill-clients', `unknown client type ${JSON.stringify(p)} (normal, pubsub, or none)`, source);
  return [...new Set(parts)] as ClientKillType[];
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[], source: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new OptionError(name, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`, source);
  return value as T;
}

function fromEnv(o: OptionSpec, text: string): unknown {
  // Members contain commas, so the environment separates them with spaces, newlines or semicolons.
  if (o.type === 'array') return text.split(/[\s;]+/).filter((s) => s.length > 0);
  if (o.type === 'boolean') return text === '1' || text.toLowerCase() === 'true';
  return text;
}

function readConfigFile(path: string, readFile: (p: string) => Buffer, source: Source): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(path).toString('utf8');
  } catch (err) {
    throw new OptionError('config', `cannot read ${path}: ${(err as Error).message}`, source);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new OptionError('config', `${path} is not valid JSON: ${(err as Error).message}`, source);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new OptionError('config', `${path} must hold a JSON object of options`, source);
  return parsed as Record<string, unknown>;
}
