/**
 * The two systems under test, driven the same way: N redis-servers (from
 * test/support/redis-server.ts: no persistence, diskless sync with no delay)
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
import { Redis } from 'ioredis';
import { startRedis, type RedisProc } from '../../test/support/redis-server.js';
import { Child, controlPort, sleep, waitFor } from './procs.js';

export type SystemKind = 'resp-elect' | 'sentinel';
export const MASTER_NAME = 'mymaster';

/** Repository root (this file is dist/src/bench/deploy.js or src/bench/deploy.ts). */
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
  /** sentinel failover-timeout; default max(3000, 3 × down-after). */
  failoverTimeoutMs?: number;
  /** Keep the temp directory (logs) after stop(). */
  keepDir?: boolean;
}

export interface BenchNode {
  id: string;
  redis: RedisProc;
  /** Sidecar or sentinel port. */
  ctlPort: number;
  ctl: Child | undefined;
  ctlLog: string;
}

/** A fast-failing client: no offline queue, no retries, short timeouts. */
export function fastClient(port: number, commandTimeout = 500): Redis {
  const c = new Redis({
    host: '127.0.0.1',
    port,
    connectTimeout: 500,
    commandTimeout,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 20,
    disableClientInfo: true,
  });
  c.on('error', () => {});
  return c;
}

/** One command on a short-lived connection; undefined on any failure. */
export async function oneShot(port: number, args: string[], timeoutMs = 500): Promise<unknown> {
  const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, commandTimeout: timeoutMs, enableReadyCheck: false, disableClientInfo: true });
  c.on('error', () => {});
  try {
    await c.connect();
    return await c.call(args[0]!, ...args.slice(1));
  } catch (err) {
    return err instanceof Error ? err : undefined;
  } finally {
    c.disconnect();
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export function parseInfoText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
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
  private readonly probes = new Map<number, Redis>();

  constructor(readonly opts: DeployOptions) {}

  get sentinels(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: '127.0.0.1', port: n.ctlPort }));
  }

  get majority(): number {
    return Math.floor(this.opts.nodes / 2) + 1;
  }

  node(port: number): BenchNode | undefined {
    return this.nodes.find((n) => n.redis.port === port);
  }

  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), `bench-${this.kind}-`));
    for (let i = 1; i <= this.opts.nodes; i++) {
      const id = `n${i}`;
      mkdirSync(join(this.dir, id), { recursive: true });
      const redis = await startRedis({ args: ['--repl-backlog-size', '16mb'] });
      this.nodes.push({ id, redis, ctlPort: await controlPort(), ctl: undefined, ctlLog: join(this.dir, id, `${this.kind}.log`) });
    }
    await this.setup();
    for (const n of this.nodes) this.startCtl(n);
    await this.waitSettled(30_000);
  }

  protected abstract setup(): Promise<void>;
  abstract startCtl(n: BenchNode): void;

  /** Cached fast probe client for a redis port. */
  probe(port: number): Redis {
    let c = this.probes.get(port);
    if (!c) {
      c = fastClient(port, 400);
      this.probes.set(port, c);
    }
    return c;
  }

  async info(n: BenchNode, section = 'replication'): Promise<Record<string, string> | undefined> {
    if (!n.redis.running) return undefined;
    try {
      return parseInfoText(await this.probe(n.redis.port).info(section));
    } catch {
      return undefined;
    }
  }

  async writable(n: BenchNode): Promise<boolean> {
    if (!n.redis.running) return false;
    try {
      await this.probe(n.redis.port).set('__bench_probe__', String(Date.now()));
      return true;
    } catch {
      return false;
    }
  }

  /** What the controller on `n` says the primary is. */
  async ctlPrimary(n: BenchNode): Promise<number | undefined> {
    if (!n.ctl?.running) return undefined;
    const r = await oneShot(n.ctlPort, ['SENTINEL', 'get-master-addr-by-name', MASTER_NAME], 500);
    return Array.isArray(r) && r.length === 2 ? Number(r[1]) : undefined;
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
    const views = await Promise.all(this.nodes.map((n) => this.ctlPrimary(n)));
    const port = views[0];
    if (port === undefined || views.some((v) => v !== port)) return `controllers disagree: ${views.join(',')}`;
    const p = this.node(port);
    if (!p) return `unknown primary port ${port}`;
    const infos = await Promise.all(this.nodes.map((n) => this.info(n)));
    for (const [i, n] of this.nodes.entries()) {
      const info = infos[i];
      if (!info) return `${n.id} unreachable`;
      if (n === p) {
        if (info['role'] !== 'master') return `${n.id} named primary but ${info['role']}`;
      } else if (info['role'] !== 'slave' || Number(info['master_port']) !== port || info['master_link_status'] !== 'up' || info['master_sync_in_progress'] !== '0') return `${n.id} not linked`;
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
      `${this.kind} settled`,
      timeoutMs,
      50,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; last reason: ${this.lastUnsettled}; now: ${await this.describe()}`);
    });
  }

  async describe(): Promise<string> {
    const parts = await Promise.all(
      this.nodes.map(async (n) => {
        const i = await this.info(n);
        const v = await this.ctlPrimary(n);
        return `${n.id}(${n.redis.port}): ${i ? `${i['role']}${i['role'] === 'slave' ? ` of ${i['master_port']} ${i['master_link_status']}` : ''}` : 'down'} ctl=${n.ctl?.running ? (v ?? '?') : 'down'}`;
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
    while (Date.now() < deadline && n.ctl?.running && !(await portOpen(n.ctlPort))) await sleep(20);
  }

  /** Start a killed redis again, empty; `primaryPort`: where it should replicate from (sentinel needs it told). */
  async restoreRedis(n: BenchNode, primaryPort: number | undefined): Promise<void> {
    await n.redis.restart();
    this.probes.get(n.redis.port)?.disconnect();
    this.probes.delete(n.redis.port);
    if (this.kind === 'sentinel' && primaryPort !== undefined) await oneShot(n.redis.port, ['REPLICAOF', '127.0.0.1', String(primaryPort)], 2000);
  }

  /** `SENTINEL FAILOVER mymaster` on the controller of `n`. */
  async failoverCommand(n: BenchNode): Promise<unknown> {
    return oneShot(n.ctlPort, ['SENTINEL', 'FAILOVER', MASTER_NAME], 5000);
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
    const members = this.nodes.flatMap((n) => ['--member', `${n.id}=127.0.0.1:${n.ctlPort},redis=127.0.0.1:${n.redis.port}`]);
    this.args = this.nodes.map((n) => [
      CLI,
      'run',
      '--id', n.id,
      '--listen', `127.0.0.1:${n.ctlPort}`,
      ...members,
      '--secret-file', secret,
      '--data-dir', join(this.dir, n.id),
      '--bootstrap-primary', 'n1',
      '--down-after-ms', String(this.opts.downAfterMs),
      ...(this.opts.pollIntervalMs !== undefined ? ['--poll-interval-ms', String(this.opts.pollIntervalMs)] : []),
      '--log-format', 'json',
      ...(this.opts.extraArgs ?? []),
    ]);
  }

  startCtl(n: BenchNode): void {
    const i = this.nodes.indexOf(n);
    n.ctl = new Child(`sidecar ${n.id}`, process.execPath, this.args[i]!, n.ctlLog, join(this.dir, n.id));
  }
}

export class SentinelDeployment extends Deployment {
  readonly kind = 'sentinel' as const;

  get failoverTimeoutMs(): number {
    return this.opts.failoverTimeoutMs ?? Math.max(3000, 3 * this.opts.downAfterMs);
  }

  protected async setup(): Promise<void> {
    const first = this.nodes[0]!;
    for (const n of this.nodes.slice(1)) await oneShot(n.redis.port, ['REPLICAOF', '127.0.0.1', String(first.redis.port)], 2000);
    await waitFor(async () => {
      for (const n of this.nodes.slice(1)) {
        const i = await this.info(n);
        if (i?.['master_link_status'] !== 'up') return false;
      }
      return true;
    }, 'sentinel replicas linked', 15_000);
    for (const n of this.nodes) {
      const conf = [
        `port ${n.ctlPort}`,
        'bind 127.0.0.1',
        'protected-mode no',
        'daemonize no',
        `dir ${join(this.dir, n.id)}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${first.redis.port} ${this.majority}`,
        `sentinel down-after-milliseconds ${MASTER_NAME} ${this.opts.downAfterMs}`,
        `sentinel failover-timeout ${MASTER_NAME} ${this.failoverTimeoutMs}`,
        `sentinel parallel-syncs ${MASTER_NAME} ${this.opts.nodes}`,
        '',
      ].join('\n');
      writeFileSync(join(this.dir, n.id, 'sentinel.conf'), conf);
    }
  }

  startCtl(n: BenchNode): void {
    n.ctl = new Child(`sentinel ${n.id}`, 'redis-sentinel', [join(this.dir, n.id, 'sentinel.conf')], n.ctlLog, join(this.dir, n.id));
  }

  /** Every sentinel sees the others and every replica, none flagged down, and no failover in progress. */
  protected override async extraSettled(p: BenchNode): Promise<true | string> {
    const want = this.opts.nodes - 1;
    for (const n of this.nodes) {
      const m = pairs(await oneShot(n.ctlPort, ['SENTINEL', 'MASTER', MASTER_NAME]));
      if (m['flags'] !== 'master' || Number(m['port']) !== p.redis.port) return `sentinel ${n.id}: master ${m['port']} flags ${m['flags']}`;
      if (Number(m['num-other-sentinels']) !== want) return `sentinel ${n.id}: ${m['num-other-sentinels']} other sentinels`;
      const reps = await oneShot(n.ctlPort, ['SENTINEL', 'REPLICAS', MASTER_NAME]);
      if (!Array.isArray(reps)) return `sentinel ${n.id}: no replicas reply`;
      // flags only: master-link-status comes from INFO, which Sentinel refreshes every 10 s (redis itself is checked above).
      const ok = reps.map(pairs).filter((r) => r['flags'] === 'slave');
      if (ok.length < want) return `sentinel ${n.id}: replicas ${reps.map(pairs).map((r) => `${r['port']}:${r['flags']}`).join(' ')}`;
      const sents = await oneShot(n.ctlPort, ['SENTINEL', 'SENTINELS', MASTER_NAME]);
      if (!Array.isArray(sents) || sents.map(pairs).filter((s) => !/s_down|disconnected/.test(s['flags'] ?? 's_down')).length < want) return `sentinel ${n.id}: sentinels ${Array.isArray(sents) ? sents.map(pairs).map((x) => x['flags']).join(' ') : '?'}`;
    }
    return true;
  }
}

export function makeDeployment(kind: SystemKind, opts: DeployOptions): Deployment {
  return kind === 'resp-elect' ? new RespElectDeployment(opts) : new SentinelDeployment(opts);
}

export { sleep };
