/**
 * The demo's replica set on this machine: N redis-servers and N sidecars
 * (`resp-elect run`, the real binary) on free loopback ports, each node in
 * its own directory under one temporary directory. It starts, kills,
 * freezes and restarts their processes; it decides nothing about roles.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSidecarLine } from './log-line.js';
import { LogFollower } from './log-follower.js';
import { type Child, spawnChild } from '../proc/children.js';
import { freePort } from '../proc/ports.js';
import { startRedis, type RedisProc } from '../proc/redis-process.js';
import type { Recorder } from './recorder.js';
import { readRedis, type RedisView } from './redis-info.js';

import { sleep } from '../util/wait.js';

export const HOST = '127.0.0.1';

/** A sidecar port another process took between picking it and the sidecar binding it. */
export class PortTakenError extends Error {}

/** The `resp-elect` entry point of this build: dist/src/cli/main.js (this module is dist/lab/demo/cluster.js). */
export const MAIN_JS = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface DemoNode {
  id: string;
  redisPort: number;
  sidecarPort: number;
  dir: string;
  redis?: RedisProc;
  sidecar?: Child;
  follower?: LogFollower;
}

export interface ClusterOptions {
  size: number;
  downAfterMs: number;
  /** Parent directory; the cluster lives in it. */
  dir: string;
  recorder: Recorder;
  /** Extra `resp-elect run` flags for every sidecar. */
  sidecarArgs?: string[];
}

export class DemoCluster {
  readonly nodes: DemoNode[] = [];
  /** Every process started, in order, for the final "nothing left running" line. */
  readonly started: { name: string; pid: number }[] = [];
  readonly secretPath: string;
  private readonly opts: ClusterOptions;

  constructor(opts: ClusterOptions) {
    this.opts = opts;
    this.secretPath = join(opts.dir, 'secret');
    for (let i = 1; i <= opts.size; i++) {
      const dir = join(opts.dir, `n${i}`);
      this.nodes.push({ id: `n${i}`, redisPort: 0, sidecarPort: 0, dir });
    }
  }

  get quorum(): number {
    return Math.floor(this.nodes.length / 2) + 1;
  }

  node(id: string): DemoNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  nodeByRedisPort(port: number | undefined): DemoNode | undefined {
    return this.nodes.find((n) => n.redisPort === port);
  }

  /** Start every redis-server, then every sidecar. */
  async start(): Promise<void> {
    writeFileSync(this.secretPath, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    for (const n of this.nodes) {
      mkdirSync(join(n.dir, 'data'), { recursive: true });
      // A process group of its own: a Ctrl-C in the terminal reaches only the demo, which stops everything in order.
      n.redis = await startRedis({ dir: n.dir, group: true });
      n.redisPort = n.redis.port;
      this.started.push({ name: `redis ${n.id}`, pid: n.redis.pid });
    }
    // Sidecar ports go into every member list, so a taken one means starting them all again.
    for (let attempt = 0; ; attempt++) {
      for (const n of this.nodes) n.sidecarPort = await freePort(HOST);
      try {
        for (const n of this.nodes) await this.startSidecar(n, false);
        await Promise.all(this.nodes.map((n) => this.waitSidecarStarted(n)));
        return;
      } catch (err) {
        if (!(err instanceof PortTakenError) || attempt >= 5) throw err;
        for (const n of this.nodes) {
          await n.sidecar?.kill();
          n.follower?.stop();
          n.follower = undefined;
          rmSync(join(n.dir, 'data'), { recursive: true, force: true });
          mkdirSync(join(n.dir, 'data'), { recursive: true });
        }
      }
    }
  }

  memberArgs(): string[] {
    return this.nodes.flatMap((n) => ['--member', `${n.id}=${HOST}:${n.sidecarPort},redis=${HOST}:${n.redisPort}`]);
  }

  /** The full `resp-elect run` argument list of one node. */
  sidecarArgs(n: DemoNode): string[] {
    return [
      'run',
      '--id', n.id,
      '--listen', `${HOST}:${n.sidecarPort}`,
      ...this.memberArgs(),
      '--secret-file', this.secretPath,
      '--data-dir', join(n.dir, 'data'),
      '--bootstrap-primary', 'n1',
      '--down-after-ms', String(this.opts.downAfterMs),
      '--log-format', 'json',
      ...(this.opts.sidecarArgs ?? []),
    ];
  }

  sidecarLog(n: DemoNode): string {
    return join(n.dir, 'sidecar.log');
  }

  /** Spawn the sidecar with its stderr appended to its log file, and follow that file. */
  async startSidecar(n: DemoNode, wait = true): Promise<void> {
    const logPath = this.sidecarLog(n);
    n.sidecar = spawnChild(`sidecar ${n.id}`, process.execPath, [MAIN_JS, ...this.sidecarArgs(n)], { logPath });
    this.started.push({ name: `sidecar ${n.id}`, pid: n.sidecar.pid });
    if (!n.follower) {
      n.follower = new LogFollower(logPath, (text) => {
        const line = parseSidecarLine(text);
        if (line) this.opts.recorder.addLine(line);
      });
      n.follower.start();
    }
    if (wait) await this.waitSidecarStarted(n);
  }

  /** Until the sidecar's process has logged "sidecar started" (after this spawn). */
  private async waitSidecarStarted(n: DemoNode, timeoutMs = 10_000): Promise<void> {
    const proc = n.sidecar!;
    const since = Date.now() - 1000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      n.follower?.poll();
      if (this.opts.recorder.milestones.some((m) => m.node === n.id && m.kind === 'started' && m.t >= since)) return;
      if (!proc.running) {
        const tail = readFileSync(this.sidecarLog(n), 'utf8').trimEnd().split('\n').slice(-5).join('\n');
        if (/address already in use/.test(tail)) throw new PortTakenError(`sidecar port ${n.sidecarPort} is taken`);
        throw new Error(`sidecar ${n.id} exited at start-up; ${this.sidecarLog(n)}:\n${tail}`);
      }
      if (Date.now() > deadline) throw new Error(`sidecar ${n.id} did not start within ${timeoutMs} ms; see ${this.sidecarLog(n)}`);
      await sleep(20);
    }
  }

  async startRedis(n: DemoNode): Promise<void> {
    const redis = n.redis!;
    await redis.restart();
    this.started.push({ name: `redis ${n.id}`, pid: redis.pid });
  }

  /** The processes running now. */
  running(): { pid: number }[] {
    return this.nodes.flatMap((n) => [n.redis, n.sidecar]).filter((p) => p?.running === true) as { pid: number }[];
  }

  /** SIGKILL everything still running and wait for every exit. */
  async killAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n)));
  }

  /** Leave every process running (`--keep`): this process exits without them. Returns them. */
  release(): { pid: number }[] {
    const kept = this.running();
    for (const n of this.nodes) {
      if (n.redis?.running) n.redis.release();
      if (n.sidecar?.running) n.sidecar.release();
    }
    return kept;
  }

  /** kill -9 of redis and sidecar. */
  async kill(n: DemoNode, what: { redis?: boolean; sidecar?: boolean } = { redis: true, sidecar: true }): Promise<void> {
    // Both signals go out at once (each kill() signals before it first waits), the sidecar's first:
    // signalled second, it once saw its redis's connection close and stepped down before it died, a
    // crashed redis rather than a lost host (the demo test caught a 60 ms "host" failover).
    await Promise.all([what.sidecar ? n.sidecar?.kill('SIGKILL') : undefined, what.redis ? n.redis?.kill('SIGKILL') : undefined]);
  }

  /** SIGSTOP (freeze) or SIGCONT (thaw). */
  signal(n: DemoNode, signal: 'SIGSTOP' | 'SIGCONT', what: { redis?: boolean; sidecar?: boolean }): void {
    if (what.redis) void n.redis?.kill(signal);
    if (what.sidecar) n.sidecar?.signal(signal);
  }

  async read(n: DemoNode): Promise<RedisView> {
    return readRedis(n.redisPort, HOST);
  }

  async readAll(): Promise<Map<string, RedisView>> {
    const views = await Promise.all(this.nodes.map((n) => this.read(n)));
    return new Map(this.nodes.map((n, i) => [n.id, views[i]!]));
  }

  /**
   * A primary whose replicas are all attached, streaming and caught up:
   * `primary` (when given) is a master, every other node in `members` is its
   * replica with the link up and no sync running, and the primary lists each
   * one online at its own current offset. Returns the primary's id.
   */
  async inSync(primaryId: string, members: readonly string[], exactOffsets: boolean): Promise<boolean> {
    const views = await this.readAll();
    const p = this.node(primaryId);
    const pv = views.get(primaryId);
    if (!pv?.reachable || pv.role !== 'master' || !pv.state) return false;
    for (const id of members) {
      if (id === primaryId) continue;
      const v = views.get(id);
      const s = v?.state;
      if (!s || s.role !== 'slave' || s.masterPort !== p.redisPort || s.linkStatus !== 'up' || s.syncInProgress || s.loading) return false;
      const listed = pv.state.connectedReplicas.find((r) => r.port === this.node(id).redisPort);
      if (!listed || listed.state !== 'online') return false;
      if (exactOffsets && v.offset !== pv.offset) return false;
    }
    return true;
  }

  /** Stop following logs (after the processes are gone). */
  stopFollowing(): void {
    for (const n of this.nodes) n.follower?.stop();
  }

  /** Read the last of every log now. */
  pollLogs(): void {
    for (const n of this.nodes) n.follower?.poll();
  }
}
