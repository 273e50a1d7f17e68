/**
 * A real resp-elect cluster for integration tests: N redis-server processes,
 * one `resp-elect run` sidecar process beside each (the compiled CLI,
 * dist/src/cli/main.js — run `npx tsc -p .` first), plus optional witnesses.
 *
 * What it gives a test:
 * - per node: the redis (a RedisProc from startRedis), the sidecar child
 *   process with its log kept in memory and in a file, kill / restart of
 *   either half;
 * - the cluster's view from the outside: which redis is the primary (INFO
 *   replication on every redis, and the sidecars' own log lines), whether the
 *   replicas are linked to it, a writer that acknowledges a write only after
 *   `WAIT 1` and follows the primary across failovers, and the check that no
 *   acknowledged write was lost.
 *
 * Every process (redis and sidecar) is tracked in the lab's one registry
 * (lab/proc/children.ts): `stop()` kills them all, and `cleanupClusters()`
 * (afterAll) plus a process 'exit' hook kill whatever a failed or
 * interrupted test left behind.
 *
 * Ports: sidecar ports come from a range below the kernel's ephemeral range
 * (lab/proc/ports.ts, stablePort), so no outgoing connection can take a
 * sidecar's port between picking it and the sidecar binding it, also when a
 * sidecar is restarted on the same port.
 *
 * Set RESP_ELECT_KEEP_CLUSTER_DIRS=1 to keep the temporary directories (vote
 * files, sidecar logs) after stop().
 */
import { createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { onTestFailed } from 'vitest';
import { parseHumanLine } from '../../src/sidecar/logger.js';
import { flattenInfo, parseInfo } from '../../src/redis/info.js';
import { fastClient } from '../../lab/proc/fast-client.js';
import { stablePort, TEST_PORTS } from '../../lab/proc/ports.js';
import { cleanupAll, type Child, type Resource, spawnChild, track, untrack } from '../../lab/proc/children.js';
import { startRedis, type RedisProc } from '../../lab/proc/redis-process.js';
import { sleep, waitFor } from '../../lab/util/wait.js';
import { AckWriter, missingKeys } from '../../lab/workload/writer.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * The compiled CLI every sidecar runs: dist/src/cli/main.js (`npx tsc -p .` first), or
 * RESP_ELECT_CLI, e.g. a private build (`npx tsc -p . --outDir node_modules/.cache/re-dist`)
 * that a concurrent rebuild of dist/ cannot change under a running suite.
 */
export const CLI = process.env['RESP_ELECT_CLI'] ? resolve(process.env['RESP_ELECT_CLI']) : join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const KEEP_DIRS = process.env['RESP_ELECT_KEEP_CLUSTER_DIRS'] === '1';


// ---------------------------------------------------------------------------
// Ports

/** A loopback port for a sidecar, below the ephemeral range (lab/proc/ports.ts), so it stays free across restarts. */
export function sidecarPort(): Promise<number> {
  return stablePort(TEST_PORTS);
}

// ---------------------------------------------------------------------------
// Cleanup: every cluster is a Resource of the lab's one registry (lab/proc/children.ts)
// from start until its directory is removed; its sidecars and redis-servers are tracked
// there too, each on its own.

/** Stop every cluster this process started (sidecars and redis) and remove their directories. For afterAll / afterEach. */
export async function cleanupClusters(): Promise<void> {
  await cleanupAll();
}

// ---------------------------------------------------------------------------
// INFO

/** INFO fields of one section, flat: field → value. */
export type Info = Record<string, string>;

// ---------------------------------------------------------------------------
// Nodes

export interface ClusterOptions {
  /** Data nodes (redis + sidecar), ids n1..nN. Default 3. */
  nodes?: number;
  /** Witness sidecars (no redis), ids w1..wK. Default 0. */
  witnesses?: number;
  downAfterMs?: number;
  hbIntervalMs?: number;
  pollIntervalMs?: number;
  /** Bootstrap primary; default 'n1'; null for none. */
  bootstrap?: string | null;
  /** Extra `resp-elect run` arguments for every sidecar, or per node. */
  extraArgs?: string[] | ((id: string) => string[]);
  /** Extra redis-server arguments. */
  redisArgs?: string[];
  /** Log level of the sidecars. Default: RESP_ELECT_TEST_LOG_LEVEL or 'debug' (quiet unless something odd happens). */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Wait for a primary and linked replicas before returning. Default true. */
  waitReady?: boolean;
  /** Start the sidecars (default true). False: redis-servers only, sidecars started by the test (node.startSidecar()). */
  startSidecars?: boolean;
}

export interface SidecarExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The role a sidecar last logged, and in which epoch. */
export interface LoggedRole {
  role: 'primary' | 'candidate' | 'replica';
  epoch: number;
  /** Whether the last "writes allowed" / "writes stopped" line after that role line said allowed. */
  writesAllowed: boolean;
}

export class ClusterNode {
  readonly id: string;
  readonly witness: boolean;
  redis: RedisProc | undefined;
  readonly sidecarPort: number;
  readonly dataDir: string;
  readonly logPath: string;
  /** The argv after `main.js` the sidecar is started with. */
  args: string[] = [];
  child: Child | undefined;
  private logText = '';
  private logFile: WriteStream | undefined;
  private probeClient: Redis | undefined;
  private writeProbeClient: Redis | undefined;

  constructor(id: string, witness: boolean, sidecarPort: number, dataDir: string) {
    this.id = id;
    this.witness = witness;
    this.sidecarPort = sidecarPort;
    this.dataDir = dataDir;
    this.logPath = join(dataDir, 'sidecar.log');
  }

  /** The sidecar's stderr and stdout so far (all incarnations), or from `since` (a logOffset()). */
  logs(since = 0): string {
    return this.logText.slice(since);
  }

  /** Current length of the log, to look only at what comes after. */
  logOffset(): number {
    return this.logText.length;
  }

  get sidecarRunning(): boolean {
    return this.child?.running ?? false;
  }

  get sidecarPid(): number | undefined {
    return this.child?.pid;
  }

  /** How the last sidecar incarnation ended (undefined while it runs or never ran). */
  get sidecarExit(): SidecarExit | undefined {
    return this.child?.exit;
  }

  /** Start the sidecar process (it must not be running). */
  startSidecar(): void {
    if (this.sidecarRunning) throw new Error(`sidecar ${this.id} already runs`);
    mkdirSync(this.dataDir, { recursive: true });
    this.logFile ??= createWriteStream(this.logPath, { flags: 'a' });
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RESP_ELECT_')) env[k] = v;
    const child = spawnChild(`sidecar ${this.id}`, process.execPath, [CLI, ...this.args], { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: this.dataDir, group: false });
    this.child = child;
    this.append(`--- ${new Date().toISOString()} sidecar ${this.id} spawned (pid ${child.pid})\n`);
    child.process.stdout?.setEncoding('utf8');
    child.process.stderr?.setEncoding('utf8');
    child.process.stdout?.on('data', (t: string) => this.append(t));
    child.process.stderr?.on('data', (t: string) => this.append(t));
    // 'close', not 'exit': by then stdout/stderr are drained, so logs() holds the last words.
    void child.closed.then((e) => this.append(e.code === -1 ? `--- sidecar ${this.id} could not start\n` : `--- ${new Date().toISOString()} sidecar ${this.id} exited (${e.signal ?? `code ${e.code}`})\n`));
  }

  private append(text: string): void {
    this.logText += text;
    this.logFile?.write(text);
  }

  /** Wait for the sidecar to log its start (or fail if it exits first). */
  async waitSidecarStarted(since = 0, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.logs(since).includes('sidecar started')) {
      // An exited sidecar will not start: fail at once with what it said (e.g. a stale dist/ build).
      if (!this.sidecarRunning) throw new Error(`sidecar ${this.id} exited before starting:\n${this.logs(since).slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`sidecar ${this.id} did not start within ${timeoutMs} ms:\n${this.logs(since).slice(-2000)}`);
      await sleep(10);
    }
  }

  /** Send a signal to the sidecar. Ending signals wait for the exit. */
  async killSidecar(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 10_000): Promise<SidecarExit | undefined> {
    const c = this.child;
    if (!c?.running) return c?.exit;
    c.signal(signal);
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') return undefined;
    return this.waitSidecarExit(timeoutMs);
  }

  async waitSidecarExit(timeoutMs = 10_000): Promise<SidecarExit> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      t = setTimeout(() => rej(new Error(`sidecar ${this.id} did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.child?.closed ?? Promise.resolve({ code: null, signal: null }), timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  /** Kill the sidecar and/or the redis with `signal` (default SIGKILL, both). */
  async kill(signal: NodeJS.Signals = 'SIGKILL', which: 'sidecar' | 'redis' | 'both' = 'both'): Promise<void> {
    await Promise.all([
      which !== 'redis' ? this.killSidecar(signal) : undefined,
      which !== 'sidecar' ? this.redis?.kill(signal) : undefined,
    ]);
  }

  /** Kill the sidecar if it runs (SIGKILL) and start it again with the same arguments and data dir. */
  async restartSidecar(): Promise<void> {
    if (this.sidecarRunning) {
      this.child!.signal('SIGCONT');
      await this.killSidecar('SIGKILL');
    }
    const since = this.logOffset();
    this.startSidecar();
    await this.waitSidecarStarted(since);
  }

  /**
   * Restart the redis on the same port. `empty` (default true): kill -9 and
   * start without persistence, so it comes back with no data. `empty: false`:
   * SAVE first, so it reloads the snapshot.
   */
  async restartRedis({ empty = true }: { empty?: boolean } = {}): Promise<void> {
    const r = this.redis;
    if (!r) throw new Error(`${this.id} is a witness`);
    if (!empty) {
      const c = r.client();
      await c.call('SAVE');
      c.disconnect();
    } else if (r.running) {
      await r.kill('SIGKILL');
    }
    if (empty && existsSync(join(r.dir, 'dump.rdb'))) rmSync(join(r.dir, 'dump.rdb'));
    if (!empty) await r.kill('SIGKILL');
    await r.restart();
  }

  /** INFO of this node's redis (fast-failing client), or undefined when unreachable. */
  async info(section = 'replication'): Promise<Info | undefined> {
    const r = this.redis;
    if (!r || !r.running) return undefined;
    this.probeClient ??= fastClient(r.port, 500, '127.0.0.1', r.requirepass);
    try {
      return flattenInfo(parseInfo(await this.probeClient.info(section)));
    } catch {
      return undefined;
    }
  }

  /** INFO of this node's redis, retried until it answers (a probe can fail on a loaded machine or after CLIENT KILL). */
  async mustInfo(section = 'replication', timeoutMs = 10_000): Promise<Info> {
    return waitFor(() => this.info(section), { what: `INFO ${section} of ${this.id}'s redis`, timeoutMs });
  }

  /**
   * Whether this redis takes writes right now: a master, not paused (a fenced
   * redis holds a write until the pause ends; we give up after `ms`).
   * The probe is `DEL` of a key that never exists: a write command, so a
   * CLIENT PAUSE WRITE holds it, but one that changes nothing when it runs.
   */
  async writable(ms = 500): Promise<boolean> {
    const r = this.redis;
    if (!r || !r.running) return false;
    // Its own client with its own deadline: a held command must not delay the INFO probes.
    this.writeProbeClient ??= fastClient(r.port, ms, '127.0.0.1', r.requirepass);
    try {
      await this.writeProbeClient.del('__resp_elect_test_probe__');
      return true;
    } catch {
      return false;
    }
  }

  /** loggedRole()'s progress through the log since the latest start. */
  private roleScan: { start: number; scanned: number; role: LoggedRole | undefined } | undefined;

  /** The role and epoch the sidecar's log last reported (since its latest start). */
  loggedRole(): LoggedRole | undefined {
    const text = this.logText;
    const startAt = text.lastIndexOf('sidecar started');
    if (startAt < 0) return undefined;
    // By the lines' event fields, not their wording; complete lines only, each read once (this is polled).
    let scan = this.roleScan;
    if (scan?.start !== startAt) scan = this.roleScan = { start: startAt, scanned: startAt, role: undefined };
    const end = text.lastIndexOf('\n') + 1;
    if (end > scan.scanned) {
      for (const line of text.slice(scan.scanned, end).split('\n')) {
        if (!line.includes(' event=role') && !line.includes(' event=writes')) continue;
        const f = parseHumanLine(line)?.fields;
        if (f?.['event'] === 'role') scan.role = { role: f['to'] as LoggedRole['role'], epoch: Number(f['epoch']), writesAllowed: false };
        else if (f?.['event'] === 'writes' && scan.role) scan.role.writesAllowed = f['allowed'] === true;
      }
      scan.scanned = end;
    }
    return scan.role && { ...scan.role };
  }

  closeClients(): void {
    this.probeClient?.disconnect();
    this.writeProbeClient?.disconnect();
    this.probeClient = undefined;
    this.writeProbeClient = undefined;
  }

  killSync(): void {
    this.child?.killSync();
  }

  closeLog(): Promise<void> {
    const f = this.logFile;
    this.logFile = undefined;
    return f ? new Promise((r) => f.end(r)) : Promise.resolve();
  }
}

// ---------------------------------------------------------------------------
// Writer

export interface WriterStats {
  attempts: number;
  acked: number;
  /** WAIT returned 0: written on a primary that could not replicate it (not acknowledged). */
  unacked: number;
  errors: number;
  /** Which nodes acknowledged writes, in order of first ack. */
  primaries: string[];
  lastError?: string;
}

/**
 * The lab's acknowledged-write loop (lab/workload/writer.ts, `WAIT 1`) aimed
 * at the cluster's primary as the sidecars' logs and INFO tell it (primary()),
 * plus what the tests ask of it.
 */
export class Writer {
  private readonly w: AckWriter;
  private readonly primaries: string[] = [];

  constructor(
    private readonly cluster: Cluster,
    readonly prefix: string,
    opts: { waitTimeoutMs: number; pauseMs: number; replicas?: number },
  ) {
    this.w = new AckWriter({
      resolve: async () => {
        const p = await this.cluster.primary();
        return p ? { host: '127.0.0.1', port: p.redis!.port } : undefined;
      },
      replicas: opts.replicas ?? 1,
      waitTimeoutMs: opts.waitTimeoutMs,
      intervalMs: opts.pauseMs,
      keyPrefix: `${prefix}:`,
      redisOptions: { commandTimeout: opts.waitTimeoutMs + 1000 },
      onRecord: (r) => {
        if (r.result !== 'acked') return;
        const id = this.cluster.dataNodes.find((n) => n.redis?.port === r.port)?.id;
        if (id !== undefined && this.primaries.at(-1) !== id) this.primaries.push(id);
      },
    });
    this.w.start();
  }

  /** WAIT's numreplicas from the next write on (a membership change needs another, protocol.md §5.12). */
  setReplicas(n: number): void {
    this.w.setReplicas(n);
  }

  /** Acknowledged keys, in order. */
  get acked(): readonly string[] {
    return this.w.acked;
  }

  get stats(): WriterStats {
    const w = this.w;
    return { attempts: w.attempts, acked: w.acked.length, unacked: w.unacked, errors: w.errors, primaries: [...this.primaries], ...(w.lastError ? { lastError: w.lastError } : {}) };
  }

  /** Wait until `n` more writes than now have been acknowledged. */
  async waitForAcks(n: number, timeoutMs = 10_000): Promise<void> {
    const target = this.acked.length + n;
    await waitFor(() => this.acked.length >= target, { what: `${n} more acknowledged writes (writer ${this.w.describe()})`, timeoutMs });
  }

  /** Longest gap between two consecutive acknowledged writes, in ms. */
  longestAckGap(): number {
    return this.w.longestGap();
  }

  async stop(): Promise<WriterStats> {
    await this.w.stop();
    return this.stats;
  }
}

// ---------------------------------------------------------------------------
// Cluster

export class Cluster implements Resource {
  readonly nodes: ClusterNode[] = [];
  readonly dir: string;
  readonly secretFile: string;
  readonly downAfterMs: number;
  readonly hbIntervalMs: number;
  readonly pollIntervalMs: number;
  private readonly writers: Writer[] = [];
  private stopped = false;
  /** Keep the directory (vote files, sidecar logs) after stop(); set on a failed test by watchFailures(). */
  keepDir = KEEP_DIRS;

  constructor(dir: string, secretFile: string, opts: Required<Pick<ClusterOptions, 'downAfterMs' | 'hbIntervalMs' | 'pollIntervalMs'>>) {
    this.dir = dir;
    this.secretFile = secretFile;
    this.downAfterMs = opts.downAfterMs;
    this.hbIntervalMs = opts.hbIntervalMs;
    this.pollIntervalMs = opts.pollIntervalMs;
  }

  node(id: string): ClusterNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  get dataNodes(): ClusterNode[] {
    return this.nodes.filter((n) => !n.witness);
  }

  /** `--member` values, the same for every node. */
  memberArgs(): string[] {
    return this.nodes.flatMap((n) => [
      '--member',
      n.witness ? `${n.id}=127.0.0.1:${n.sidecarPort},witness` : `${n.id}=127.0.0.1:${n.sidecarPort},redis=127.0.0.1:${n.redis!.port}`,
    ]);
  }

  /** INFO replication of every data node (undefined: unreachable). */
  async infos(): Promise<Map<ClusterNode, Info | undefined>> {
    const entries = await Promise.all(this.dataNodes.map(async (n) => [n, await n.info('replication')] as const));
    return new Map(entries);
  }

  /** Data nodes whose redis is a master that takes writes right now (should be one, at most). */
  async writableMasters(): Promise<ClusterNode[]> {
    const out: ClusterNode[] = [];
    await Promise.all(
      this.dataNodes.map(async (n) => {
        const info = await n.info('replication');
        if (info?.['role'] === 'master' && (await n.writable())) out.push(n);
      }),
    );
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * The primary: the redis that reports role:master, is not fenced, and whose
   * sidecar's log says it is primary with writes allowed; if several (a frozen
   * sidecar still believes it leads), the one of the highest epoch.
   */
  async primary(): Promise<ClusterNode | undefined> {
    const candidates: { n: ClusterNode; epoch: number }[] = [];
    await Promise.all(
      this.dataNodes.map(async (n) => {
        const logged = n.loggedRole();
        if (!logged || logged.role !== 'primary' || !logged.writesAllowed) return;
        const info = await n.info('replication');
        if (info?.['role'] !== 'master') return;
        if (!(await n.writable())) return;
        candidates.push({ n, epoch: logged.epoch });
      }),
    );
    candidates.sort((a, b) => b.epoch - a.epoch);
    return candidates[0]?.n;
  }

  /** Wait for a primary (optionally one other than `not`). */
  async waitForPrimary(opts: { not?: ClusterNode | string; timeoutMs?: number } = {}): Promise<ClusterNode> {
    const notId = typeof opts.not === 'string' ? opts.not : opts.not?.id;
    return waitFor(
      async () => {
        const p = await this.primary();
        return p && p.id !== notId ? p : undefined;
      },
      { what: `a primary${notId ? ` other than ${notId}` : ''} (roles: ${this.describeRoles()})`, timeoutMs: opts.timeoutMs ?? 10_000, intervalMs: 10 },
    );
  }

  describeRoles(): string {
    return this.nodes.map((n) => `${n.id}=${JSON.stringify(n.loggedRole() ?? null)}${n.sidecarRunning ? '' : '(down)'}`).join(' ');
  }

  /**
   * Wait until every live data node but `primary` is a replica of it with
   * master_link_status:up (and not mid full sync). Returns their INFO.
   */
  async waitForReplicasLinked(primary: ClusterNode, opts: { timeoutMs?: number; nodes?: ClusterNode[] } = {}): Promise<Map<string, Info>> {
    const replicas = (opts.nodes ?? this.dataNodes).filter((n) => n !== primary && n.redis?.running);
    let last: Record<string, unknown> = {};
    return waitFor(
      async () => {
        const out = new Map<string, Info>();
        last = {};
        for (const r of replicas) {
          const info = await r.info('replication');
          last[r.id] = info ? `${info['role']} of ${info['master_port']} link=${info['master_link_status']} sync=${info['master_sync_in_progress']}` : 'unreachable';
          if (info?.['role'] !== 'slave' || Number(info['master_port']) !== primary.redis!.port || info['master_link_status'] !== 'up' || info['master_sync_in_progress'] !== '0') return undefined;
          out.set(r.id, info);
        }
        return out;
      },
      { what: `replicas linked to ${primary.id} (port ${primary.redis!.port}): ${JSON.stringify(last)}`, timeoutMs: opts.timeoutMs ?? 10_000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last: ${JSON.stringify(last)}`);
    });
  }

  /**
   * Wait until every replica of `primary` acknowledges its replication stream
   * (one write, then WAIT for all of them). "Linked" is not enough: after a
   * diskless full sync redis 7.0 streams to a replica only once it has
   * received the replica's first REPLCONF ACK, and when that ACK arrives
   * before the master noticed its RDB child finish, the next one comes from
   * the replica's once-a-second cron. Meanwhile the replica shows
   * master_link_status:up but its offset stands still.
   */
  async waitForStreaming(primary: ClusterNode, timeoutMs = 5000): Promise<void> {
    const replicas = this.dataNodes.filter((n) => n !== primary && n.redis?.running).length;
    if (replicas === 0) return;
    const c = primary.redis!.client({ commandTimeout: timeoutMs + 1000 });
    try {
      await c.set('__resp_elect_test_ready__', String(Date.now()));
      const acked = Number(await c.call('WAIT', String(replicas), String(timeoutMs)));
      if (acked < replicas) throw new Error(`only ${acked} of ${replicas} replicas of ${primary.id} acknowledged a write within ${timeoutMs} ms`);
    } finally {
      c.disconnect();
    }
  }

  /** Start a writer: unique keys, each acknowledged once `WAIT 1` returns ≥ 1; follows the primary. */
  writer(opts: { prefix?: string; waitTimeoutMs?: number; pauseMs?: number; replicas?: number } = {}): Writer {
    const w = new Writer(this, opts.prefix ?? `w${this.writers.length}`, { waitTimeoutMs: opts.waitTimeoutMs ?? 200, pauseMs: opts.pauseMs ?? 2, replicas: opts.replicas ?? 1 });
    this.writers.push(w);
    return w;
  }

  /**
   * Every acknowledged key of `writers` is on the final primary and, once they
   * are linked and caught up, on every live replica (with any value: tests
   * pass the keys of their own clients too). Returns the primary. Throws
   * listing what is missing where.
   */
  async verifyNoAckedLoss(writers: ReadonlyArray<{ readonly acked: readonly string[] }> = this.writers, opts: { timeoutMs?: number } = {}): Promise<ClusterNode> {
    const keys = writers.flatMap((w) => w.acked);
    const primary = await this.waitForPrimary({ timeoutMs: opts.timeoutMs ?? 10_000 });
    await this.waitForReplicasLinked(primary, { timeoutMs: opts.timeoutMs ?? 10_000 });
    const live = this.dataNodes.filter((n) => n.redis?.running);
    let missing: Record<string, string[]> = {};
    await waitFor(
      async () => {
        missing = {};
        for (const n of live) {
          const miss = await missingKeys({ host: '127.0.0.1', port: n.redis!.port }, keys, { commandMs: 5000, anyValue: true, password: n.redis!.requirepass });
          if (miss.length > 0) missing[n.id] = miss;
        }
        return Object.keys(missing).length === 0;
      },
      { what: 'acknowledged keys everywhere', timeoutMs: 5000, intervalMs: 50 },
    ).catch(() => {
      const summary = Object.entries(missing).map(([id, m]) => `${id}${id === primary.id ? ' (primary)' : ''}: ${m.length} missing, e.g. ${m.slice(0, 5).join(', ')}`);
      throw new Error(`acknowledged writes lost (of ${keys.length}): ${summary.join('; ')}`);
    });
    return primary;
  }

  /** The tail of every sidecar log, for failure messages. */
  dumpLogs(lines = 60): string {
    return this.nodes
      .map((n) => `===== ${n.id} (${n.logPath}) =====\n${n.logs().trimEnd().split('\n').slice(-lines).join('\n')}`)
      .join('\n');
  }

  /** For the process 'exit' hook: kill every sidecar, remove the directory (unless kept). */
  killSync(): void {
    for (const n of this.nodes) n.killSync();
    if (!this.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** stop(), then remove the directory (unless kept). */
  async cleanup(): Promise<void> {
    await this.stop();
    await this.removeDir();
  }

  /** Kill every sidecar and redis, close clients, remove the directory. Idempotent; never throws. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.writers.map((w) => w.stop().catch(() => undefined)));
    await Promise.all(
      this.nodes.map(async (n) => {
        n.child?.signal('SIGCONT');
        await n.killSidecar('SIGKILL').catch(() => undefined);
        n.closeClients();
        await n.redis?.stop().catch(() => n.redis?.kill('SIGKILL'));
        await n.closeLog();
      }),
    );
    // The directory goes in cleanupClusters() (afterAll): vitest runs onTestFailed after afterEach,
    // so a failed test marks it kept only after stop() has run.
  }

  private async removeDir(): Promise<void> {
    untrack(this);
    if (!this.keepDir) await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Start redis-servers and sidecars; by default waits until a primary leads linked replicas. */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const nodes = opts.nodes ?? 3;
  const witnesses = opts.witnesses ?? 0;
  const downAfterMs = opts.downAfterMs ?? 300;
  const hbIntervalMs = opts.hbIntervalMs ?? 20;
  const pollIntervalMs = opts.pollIntervalMs ?? 20;
  const bootstrap = opts.bootstrap === undefined ? 'n1' : opts.bootstrap;
  const dir = await mkdtemp(join(tmpdir(), 'resp-elect-cluster-'));
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const cluster = new Cluster(dir, secretFile, { downAfterMs, hbIntervalMs, pollIntervalMs });
  track(cluster);
  try {
    const ids = [...Array.from({ length: nodes }, (_, i) => [`n${i + 1}`, false] as const), ...Array.from({ length: witnesses }, (_, i) => [`w${i + 1}`, true] as const)];
    for (const [id, witness] of ids) {
      const node = new ClusterNode(id, witness, await sidecarPort(), join(dir, id));
      mkdirSync(node.dataDir, { recursive: true });
      cluster.nodes.push(node);
    }
    await Promise.all(
      cluster.dataNodes.map(async (n) => {
        n.redis = await startRedis({ args: opts.redisArgs });
      }),
    );
    const members = cluster.memberArgs();
    for (const n of cluster.nodes) {
      const extra = typeof opts.extraArgs === 'function' ? opts.extraArgs(n.id) : (opts.extraArgs ?? []);
      n.args = [
        'run',
        '--id', n.id,
        '--listen', `127.0.0.1:${n.sidecarPort}`,
        ...members,
        '--secret-file', secretFile,
        '--data-dir', n.dataDir,
        '--hb-interval-ms', String(hbIntervalMs),
        '--down-after-ms', String(downAfterMs),
        '--poll-interval-ms', String(pollIntervalMs),
        '--log-level', opts.logLevel ?? (process.env['RESP_ELECT_TEST_LOG_LEVEL'] as ClusterOptions['logLevel']) ?? 'debug',
        ...(bootstrap ? ['--bootstrap-primary', bootstrap] : []),
        ...extra,
      ];
    }
    if (opts.startSidecars === false) return cluster;
    for (const n of cluster.nodes) n.startSidecar();
    await Promise.all(cluster.nodes.map((n) => n.waitSidecarStarted()));
    if (opts.waitReady !== false) {
      const p = await cluster.waitForPrimary({ timeoutMs: 20_000 });
      await cluster.waitForReplicasLinked(p, { timeoutMs: 20_000 });
      await cluster.waitForStreaming(p, 10_000);
    }
    return cluster;
  } catch (err) {
    const logs = cluster.dumpLogs(40);
    await cluster.stop();
    throw new Error(`startCluster failed: ${(err as Error).message}\n${logs}`);
  }
}

/**
 * Call inside a test: when it fails, keep the cluster's directory (vote files,
 * full sidecar logs) and print where it is with the tail of every log.
 */
export function watchFailures(c: Cluster, lines = 80): void {
  onTestFailed(() => {
    c.keepDir = true;
    console.error(`cluster directory kept: ${c.dir} (sidecar logs in <id>/sidecar.log)\n${c.dumpLogs(lines)}`);
  });
}

/** Run the CLI to completion (for option errors): exit code, signal, output. */
export function runCli(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RESP_ELECT_')) env[k] = v;
    Object.assign(env, opts.env ?? {});
    const child = spawnChild(`resp-elect ${args[0] ?? ''}`, process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: opts.cwd, group: false });
    let stdout = '';
    let stderr = '';
    child.process.stdout!.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.process.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const timer = setTimeout(() => {
      child.killSync();
      reject(new Error(`resp-elect ${args.join(' ')} did not exit within ${opts.timeoutMs ?? 30_000} ms; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    void child.closed.then(({ code, signal }) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
}
