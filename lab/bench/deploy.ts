/**
 * The two systems under test, driven the same way: N redis-servers (from
 * lab/proc/redis-process.ts: no persistence, diskless sync with no delay)
 * plus one controller per node — a `resp-elect run` sidecar, or a
 * `redis-sentinel` (quorum = majority). Clients reach either through the
 * Sentinel API on the controller ports, with the same ioredis code.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:net';
import type { Redis } from 'ioredis';
import { startRedis } from '../proc/redis-process.js';
import { sleep, waitFor } from '../util/wait.js';
import { flattenInfo, parseInfo } from '../../src/redis/info.js';
import { fastClient, oneCommand } from '../proc/fast-client.js';
import { BENCH_PORTS, stablePort } from '../proc/ports.js';
import { type Child, spawnChild } from '../proc/children.js';
import { serverBinaries } from '../proc/server-binaries.js';
import { type BenchRedis, type LabSpec, dataAddr, mgmtAddr, nodeNs, NsRedis, Partitioner } from './netns.js';

export type SystemKind = 'resp-elect' | 'sentinel';
export const MASTER_NAME = 'mymaster';

/** Repository root (this file is dist/lab/bench/deploy.js or lab/bench/deploy.ts). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'resp-elect') return dir;
    } catch {
      // keep climbing
    }
    dir = dirname(dir);
  }
  throw new Error('repository root not found');
}
export const REPO_ROOT = repoRoot();
export const CLI = resolve(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

export interface DeployOptions {
  nodes: number;
  downAfterMs: number;
  /** resp-elect --poll-interval-ms. */
  pollIntervalMs?: number;
  /** resp-elect: extra `run` arguments. */
  extraArgs?: string[];
  /** resp-elect: the CLI to run (default: this checkout's dist/src/cli/main.js), e.g. an older build to compare against. */
  cli?: string;
  /** resp-elect: node options before the CLI (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** sentinel failover-timeout; default max(3000, 3 × down-after). */
  failoverTimeoutMs?: number;
  /** Keep the temp directory (logs) after stop(). */
  keepDir?: boolean;
  /**
   * Run every node in its own network namespace of this lab (lab/bench/netns.ts;
   * the caller must already run in the lab's driver namespace). Default: every
   * process on 127.0.0.1 of the current namespace.
   */
  lab?: LabSpec;
}

export interface BenchNode {
  id: string;
  /** 1-based index. */
  index: number;
  redis: BenchRedis;
  /** DATA host of redis and controller: what peers and clients use (127.0.0.1 on loopback). */
  host: string;
  /** MANAGEMENT host: what the driver's probes use (never partitioned; = host on loopback). */
  mgmtHost: string;
  /** Network namespace (netns deployments only). */
  ns?: string;
  /** Sidecar or sentinel port. */
  ctlPort: number;
  ctl: Child | undefined;
  ctlLog: string;
}

/** One command on a short-lived connection: the reply, the error reply (an Error), or undefined when nothing answered. */
export async function oneShot(port: number, args: string[], timeoutMs = 500, host = '127.0.0.1'): Promise<unknown> {
  return oneCommand({ host, port }, args, timeoutMs).catch((err: unknown) => (err instanceof Error ? err : undefined));
}

function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

function pairs(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(list)) return out;
  for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = String(list[i + 1]);
  return out;
}

export abstract class Deployment {
  abstract readonly kind: SystemKind;
  readonly nodes: BenchNode[] = [];
  dir = '';
  private readonly probes = new Map<string, Redis>();
  /** Network partitions (netns deployments only). */
  readonly partitions: Partitioner | undefined;

  constructor(readonly opts: DeployOptions) {
    if (opts.lab && opts.lab.nodes < opts.nodes) throw new Error(`the lab has ${opts.lab.nodes} node namespaces, ${opts.nodes} wanted`);
    this.partitions = opts.lab ? new Partitioner(opts.lab) : undefined;
  }

  /** Controller addresses for clients: the DATA network. */
  get sentinels(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: n.host, port: n.ctlPort }));
  }

  get majority(): number {
    return Math.floor(this.opts.nodes / 2) + 1;
  }

  /** The node whose redis listens on this port (loopback deployments: ports identify nodes). */
  node(port: number): BenchNode | undefined {
    return this.nodes.find((n) => n.redis.port === port);
  }

  /** The node whose redis DATA address is `host:port`. */
  nodeAt(addr: string): BenchNode | undefined {
    return this.nodes.find((n) => redisAddr(n) === addr);
  }

  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), `bench-${this.kind}-`));
    const lab = this.opts.lab;
    for (let i = 1; i <= this.opts.nodes; i++) {
      const id = `n${i}`;
      mkdirSync(join(this.dir, id), { recursive: true });
      const ctlLog = join(this.dir, id, `${this.kind}.log`);
      if (lab) {
        const host = dataAddr(lab, i);
        const mgmtHost = mgmtAddr(lab, i);
        const ns = nodeNs(lab, i);
        const redis = new NsRedis(ns, host, mgmtHost, join(this.dir, id, 'redis'), ['--repl-backlog-size', '16mb']);
        this.nodes.push({ id, index: i, redis, host, mgmtHost, ns, ctlPort: 26379, ctl: undefined, ctlLog });
        await redis.launch();
      } else {
        const redis = await startRedis({ args: ['--repl-backlog-size', '16mb'] });
        this.nodes.push({ id, index: i, redis, host: '127.0.0.1', mgmtHost: '127.0.0.1', ctlPort: await stablePort(BENCH_PORTS), ctl: undefined, ctlLog });
      }
    }
    await this.setup();
    for (const n of this.nodes) this.startCtl(n);
    await this.waitSettled(30_000);
  }

  protected abstract setup(): Promise<void>;
  abstract startCtl(n: BenchNode): void;

  /** Spawn a controller process, inside the node's namespace if it has one. */
  protected spawnCtl(n: BenchNode, name: string, command: string, args: string[]): Child {
    const [cmd, argv] = n.ns ? ['ip', ['netns', 'exec', n.ns, command, ...args]] : [command, args];
    return spawnChild(name, cmd, argv, { logPath: n.ctlLog, cwd: join(this.dir, n.id) });
  }

  /** Cached fast probe client for a node's redis, over the management network. */
  probe(n: BenchNode): Redis {
    let c = this.probes.get(n.id);
    if (!c) {
      c = fastClient(n.redis.port, 400, n.mgmtHost);
      this.probes.set(n.id, c);
    }
    return c;
  }

  async info(n: BenchNode, section = 'replication'): Promise<Record<string, string> | undefined> {
    if (!n.redis.running) return undefined;
    try {
      return flattenInfo(parseInfo(await this.probe(n).info(section)));
    } catch {
      return undefined;
    }
  }

  async writable(n: BenchNode): Promise<boolean> {
    if (!n.redis.running) return false;
    try {
      await this.probe(n).set('__bench_probe__', String(Date.now()));
      return true;
    } catch {
      return false;
    }
  }

  /** One command to the controller of `n`, over the management network. */
  ctlCommand(n: BenchNode, args: string[], timeoutMs = 500): Promise<unknown> {
    return oneShot(n.ctlPort, args, timeoutMs, n.mgmtHost);
  }

  /** What the controller on `n` says the primary is: its redis port. */
  async ctlPrimary(n: BenchNode): Promise<number | undefined> {
    const a = await this.ctlPrimaryAddr(n);
    return a === undefined ? undefined : Number(a.slice(a.lastIndexOf(':') + 1));
  }

  /** What the controller on `n` says the primary is: `host:port` (a DATA address). */
  async ctlPrimaryAddr(n: BenchNode): Promise<string | undefined> {
    if (!n.ctl?.running) return undefined;
    const r = await this.ctlCommand(n, ['SENTINEL', 'get-master-addr-by-name', MASTER_NAME], 500);
    return Array.isArray(r) && r.length === 2 ? `${String(r[0])}:${String(r[1])}` : undefined;
  }

  /** Whether `info` (of a replica) names `p` as its master. */
  static replicaOf(info: Record<string, string> | undefined, p: BenchNode): boolean {
    return info !== undefined && Number(info['master_port']) === p.redis.port && info['master_host'] === p.host;
  }

  /**
   * Settled: every controller runs and names the same primary; it is a
   * writable master; every other redis is its replica, linked, not syncing;
   * plus the system's own checks. Returns the primary.
   */
  /** Why the last settled() said no (for slow-settle diagnostics). */
  lastUnsettled = '';

  async settled(): Promise<BenchNode | undefined> {
    const r = await this.settledInner();
    if (typeof r === 'string') {
      this.lastUnsettled = r;
      return undefined;
    }
    return r;
  }

  private async settledInner(): Promise<BenchNode | string> {
    if (this.nodes.some((n) => !n.ctl?.running || !n.redis.running)) return 'a process is down';
    const views = await Promise.all(this.nodes.map((n) => this.ctlPrimaryAddr(n)));
    const addr = views[0];
    if (addr === undefined || views.some((v) => v !== addr)) return `controllers disagree: ${views.join(',')}`;
    const p = this.nodeAt(addr);
    if (!p) return `unknown primary ${addr}`;
    const infos = await Promise.all(this.nodes.map((n) => this.info(n)));
    for (const [i, n] of this.nodes.entries()) {
      const info = infos[i];
      if (!info) return `${n.id} unreachable`;
      if (n === p) {
        if (info['role'] !== 'master') return `${n.id} named primary but ${info['role']}`;
      } else if (info['role'] !== 'slave' || !Deployment.replicaOf(info, p) || info['master_link_status'] !== 'up' || info['master_sync_in_progress'] !== '0') return `${n.id} not linked`;
    }
    if (!(await this.writable(p))) return `${p.id} not writable`;
    const extra = await this.extraSettled(p);
    if (extra !== true) return extra;
    return p;
  }

  protected async extraSettled(_p: BenchNode): Promise<true | string> {
    return true;
  }

  async waitSettled(timeoutMs: number): Promise<BenchNode> {
    const t0 = Date.now();
    let lastReport = t0;
    return waitFor(
      async () => {
        const p = await this.settled();
        if (!p && process.env['BENCH_DEBUG'] && Date.now() - lastReport > 2000) {
          lastReport = Date.now();
          console.log(`  [debug] ${this.kind} not settled after ${Date.now() - t0} ms: ${this.lastUnsettled}`);
        }
        return p;
      },
      { what: `${this.kind} settled`, timeoutMs, intervalMs: 50 },
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; last reason: ${this.lastUnsettled}; now: ${await this.describe()}`);
    });
  }

  async describe(): Promise<string> {
    const parts = await Promise.all(
      this.nodes.map(async (n) => {
        const i = await this.info(n);
        const v = await this.ctlPrimaryAddr(n);
        return `${n.id}(${redisAddr(n)}): ${i ? `${i['role']}${i['role'] === 'slave' ? ` of ${i['master_host']}:${i['master_port']} ${i['master_link_status']}` : ''}` : 'down'} ctl=${n.ctl?.running ? (v ?? '?') : 'down'}`;
      }),
    );
    return parts.join('; ');
  }

  /** kill -9 the controller. */
  async killCtl(n: BenchNode): Promise<void> {
    await n.ctl?.kill();
  }

  /** Restart the controller and wait until it listens (a node process can take seconds to boot on a busy machine). */
  async restartCtl(n: BenchNode): Promise<void> {
    if (n.ctl?.running) await n.ctl.kill();
    this.startCtl(n);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && n.ctl?.running && !(await portOpen(n.ctlPort, n.mgmtHost))) await sleep(20);
  }

  /** Start a killed redis again, empty; `primary` (node, or redis port on loopback): where it should replicate from (sentinel needs it told). */
  async restoreRedis(n: BenchNode, primary: number | BenchNode | undefined): Promise<void> {
    await n.redis.restart();
    this.probes.get(n.id)?.disconnect();
    this.probes.delete(n.id);
    const p = typeof primary === 'number' ? this.node(primary) : primary;
    if (this.kind === 'sentinel' && p !== undefined) await oneShot(n.redis.port, ['REPLICAOF', p.host, String(p.redis.port)], 2000, n.mgmtHost);
  }

  /** `SENTINEL FAILOVER mymaster` on the controller of `n`. */
  async failoverCommand(n: BenchNode): Promise<unknown> {
    return this.ctlCommand(n, ['SENTINEL', 'FAILOVER', MASTER_NAME], 5000);
  }

  pids(): { id: string; redis: number; ctl: number | undefined }[] {
    return this.nodes.map((n) => ({ id: n.id, redis: n.redis.pid, ctl: n.ctl?.running ? n.ctl.pid : undefined }));
  }

  async stop(): Promise<void> {
    for (const c of this.probes.values()) c.disconnect();
    this.probes.clear();
    await Promise.all(this.nodes.map((n) => n.ctl?.kill()));
    await Promise.all(this.nodes.map((n) => n.redis.stop().catch(() => n.redis.kill('SIGKILL'))));
    if (!this.opts.keepDir && this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export class RespElectDeployment extends Deployment {
  readonly kind = 'resp-elect' as const;
  private args: string[][] = [];

  protected async setup(): Promise<void> {
    const secret = join(this.dir, 'secret');
    writeFileSync(secret, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const members = this.nodes.flatMap((n) => ['--member', this.memberSpec(n)]);
    this.args = this.nodes.map((n) => [
      ...(this.opts.nodeArgs ?? []),
      this.opts.cli ?? CLI,
      'run',
      '--id', n.id,
      // netns: peers and clients use the data address, the driver the management one.
      '--listen', n.ns ? `0.0.0.0:${n.ctlPort}` : `127.0.0.1:${n.ctlPort}`,
      ...members,
      '--secret-file', secret,
      '--data-dir', this.dataDir(n),
      '--bootstrap-primary', 'n1',
      '--down-after-ms', String(this.opts.downAfterMs),
      ...(this.opts.pollIntervalMs !== undefined ? ['--poll-interval-ms', String(this.opts.pollIntervalMs)] : []),
      '--log-format', 'json',
      ...(this.opts.extraArgs ?? []),
    ]);
  }

  startCtl(n: BenchNode): void {
    const i = this.nodes.indexOf(n);
    n.ctl = this.spawnCtl(n, `sidecar ${n.id}`, process.execPath, this.joining.has(n.id) ? this.joinArgs(n) : this.args[i]!);
  }

  /**
   * Nodes re-added with `member add` (lab/bench/member-change.ts): from then on their sidecar runs
   * with `--join` instead of `--member`, as the README starts a new member (a restart with a stored
   * configuration ignores --join, as it would the --member list).
   */
  private readonly joining = new Set<string>();

  /** Start the sidecar of `n` with `--join` from now on. */
  startJoining(n: BenchNode): void {
    this.joining.add(n.id);
  }

  /** The `run` arguments of a new member: --join the others' sidecars; no --member, no --bootstrap-primary (a new cluster's flags). */
  private joinArgs(n: BenchNode): string[] {
    const base = this.args[this.nodes.indexOf(n)]!;
    const out: string[] = [];
    for (let i = 0; i < base.length; i++) {
      if (base[i] === '--member' || base[i] === '--bootstrap-primary') i++;
      else out.push(base[i]!);
    }
    const others = this.nodes.filter((m) => m !== n).map((m) => `${m.host}:${m.ctlPort}`);
    return [...out, '--redis', redisAddr(n), '--join', others.join(',')];
  }

  /** The `--member` value of `n`, as `member add` takes it. */
  memberSpec(n: BenchNode): string {
    return `${n.id}=${n.host}:${n.ctlPort},redis=${redisAddr(n)}`;
  }

  /** The sidecar's --data-dir (vote.json, config.json; also its log). */
  dataDir(n: BenchNode): string {
    return join(this.dir, n.id);
  }
}

export class SentinelDeployment extends Deployment {
  readonly kind = 'sentinel' as const;

  get failoverTimeoutMs(): number {
    return this.opts.failoverTimeoutMs ?? Math.max(3000, 3 * this.opts.downAfterMs);
  }

  protected async setup(): Promise<void> {
    const first = this.nodes[0]!;
    for (const n of this.nodes.slice(1)) await oneShot(n.redis.port, ['REPLICAOF', first.host, String(first.redis.port)], 2000, n.mgmtHost);
    await waitFor(async () => {
      for (const n of this.nodes.slice(1)) {
        const i = await this.info(n);
        if (i?.['master_link_status'] !== 'up') return false;
      }
      return true;
    }, { what: 'sentinel replicas linked', timeoutMs: 15_000 });
    for (const n of this.nodes) {
      const conf = [
        `port ${n.ctlPort}`,
        n.ns ? 'bind 0.0.0.0' : 'bind 127.0.0.1',
        'protected-mode no',
        'daemonize no',
        `dir ${join(this.dir, n.id)}`,
        `sentinel monitor ${MASTER_NAME} ${first.host} ${first.redis.port} ${this.majority}`,
        `sentinel down-after-milliseconds ${MASTER_NAME} ${this.opts.downAfterMs}`,
        `sentinel failover-timeout ${MASTER_NAME} ${this.failoverTimeoutMs}`,
        `sentinel parallel-syncs ${MASTER_NAME} ${this.opts.nodes}`,
        '',
      ].join('\n');
      writeFileSync(join(this.dir, n.id, 'sentinel.conf'), conf);
    }
  }

  startCtl(n: BenchNode): void {
    n.ctl = this.spawnCtl(n, `sentinel ${n.id}`, serverBinaries().sentinel, [join(this.dir, n.id, 'sentinel.conf')]);
  }

  /** Every sentinel sees the others and every replica, none flagged down, and no failover in progress. */
  protected override async extraSettled(p: BenchNode): Promise<true | string> {
    const want = this.opts.nodes - 1;
    for (const n of this.nodes) {
      const m = pairs(await this.ctlCommand(n, ['SENTINEL', 'MASTER', MASTER_NAME]));
      if (m['flags'] !== 'master' || Number(m['port']) !== p.redis.port || m['ip'] !== p.host) return `sentinel ${n.id}: master ${m['port']} flags ${m['flags']}`;
      if (Number(m['num-other-sentinels']) !== want) return `sentinel ${n.id}: ${m['num-other-sentinels']} other sentinels`;
      const reps = await this.ctlCommand(n, ['SENTINEL', 'REPLICAS', MASTER_NAME]);
      if (!Array.isArray(reps)) return `sentinel ${n.id}: no replicas reply`;
      // flags only: master-link-status comes from INFO, which Sentinel refreshes every 10 s (redis itself is checked above).
      const ok = reps.map(pairs).filter((r) => r['flags'] === 'slave');
      if (ok.length < want) return `sentinel ${n.id}: replicas ${reps.map(pairs).map((r) => `${r['port']}:${r['flags']}`).join(' ')}`;
      const sents = await this.ctlCommand(n, ['SENTINEL', 'SENTINELS', MASTER_NAME]);
      if (!Array.isArray(sents) || sents.map(pairs).filter((s) => !/s_down|disconnected/.test(s['flags'] ?? 's_down')).length < want) return `sentinel ${n.id}: sentinels ${Array.isArray(sents) ? sents.map(pairs).map((x) => x['flags']).join(' ') : '?'}`;
    }
    return true;
  }
}

/** A node's redis DATA address, `host:port`: how nodes are identified. */
export function redisAddr(n: BenchNode): string {
  return `${n.host}:${n.redis.port}`;
}

export function makeDeployment(kind: SystemKind, opts: DeployOptions): Deployment {
  return kind === 'resp-elect' ? new RespElectDeployment(opts) : new SentinelDeployment(opts);
}

