/**
 * The multi-host lab of the chaos suite (`npm run chaos -- --netns`): one
 * network namespace per node, like scripts/netns-cluster.sh, but with two
 * networks, as Jepsen's control network:
 *
 * - DATA (`<data>.0/24`, bridge br0, eth0 in every namespace): replication,
 *   peer traffic between sidecars or sentinels, the client workload. The only
 *   network partitions act on.
 * - MANAGEMENT (`<mgmt>.0/24`, bridge br1, eth1): the driver's probes and
 *   checks. Never partitioned, so an isolated node is still observed.
 *
 * Namespaces: `<prefix>br` (both bridges), `<prefix>ctl` (the driver: one
 * address on each network; the script re-executes itself in it), and
 * `<prefix>n1..n<N>` (node i: data `<data>.<10+i>`, mgmt `<mgmt>.<10+i>`).
 * Nothing is created in, or changed in, the root namespace: both ends of every
 * veth pair are created directly inside their namespaces, and every nftables
 * rule lives inside a node namespace.
 *
 * Partitions are nftables tables (`inet rc_<name>`, one per active
 * partition) in the node namespaces, dropping by interface (isolation) or by
 * DATA address (links); healing deletes the table.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../util/wait.js';
import { type Child, spawnChild } from '../proc/children.js';
import type { RedisProc } from '../proc/redis-process.js';
import { probeRedis, scratchRedisArgs } from '../proc/scratch-redis.js';
import { serverBinaries } from '../proc/server-binaries.js';

export interface LabSpec {
  /** Namespace name prefix, e.g. `rc-`. */
  prefix: string;
  nodes: number;
  /** First three octets of the data network, e.g. `10.241.0`. */
  dataNet: string;
  /** First three octets of the management network, e.g. `10.242.0`. */
  mgmtNet: string;
}

export const DEFAULT_LAB: Omit<LabSpec, 'nodes'> = { prefix: 'rc-', dataNet: '10.241.0', mgmtNet: '10.242.0' };
/** Environment marker: set (to the JSON LabSpec) in the re-executed driver. */
export const LAB_ENV = 'RESP_ELECT_CHAOS_NETNS';

export const nodeNs = (lab: LabSpec, i: number): string => `${lab.prefix}n${i}`;
export const dataAddr = (lab: LabSpec, i: number): string => `${lab.dataNet}.${10 + i}`;
export const mgmtAddr = (lab: LabSpec, i: number): string => `${lab.mgmtNet}.${10 + i}`;
export const driverNs = (lab: LabSpec): string => `${lab.prefix}ctl`;
export const bridgeNs = (lab: LabSpec): string => `${lab.prefix}br`;

/** Why this machine cannot run the lab, or undefined when it can. */
export function labUnsupported(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, veth pairs and nftables rules)';
  if (spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status !== 0) return "'ip netns' does not work here";
  if (spawnSync('nft', ['--version'], { stdio: 'ignore' }).status !== 0) return 'needs nftables (apt-get install -y nftables)';
  return undefined;
}

/** Every namespace whose name starts with `prefix`. */
export function labNamespaces(prefix: string): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((ns) => ns.startsWith(prefix) && /^(br|ctl|n\d+)$/.test(ns.slice(prefix.length)));
}

export function cleanupCommand(prefix: string): string {
  return `node dist/scripts/chaos.js --netns-cleanup${prefix === DEFAULT_LAB.prefix ? '' : ` --netns-prefix ${prefix}`}`;
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Create the namespaces, bridges and addresses. Refuses when namespaces with the prefix exist. On failure removes what it made. */
export function createLab(lab: LabSpec): void {
  const existing = labNamespaces(lab.prefix);
  if (existing.length) throw new Error(`network namespaces ${existing.join(', ')} already exist (a previous run that did not clean up, or one still running); remove them with: ${cleanupCommand(lab.prefix)}`);
  try {
    const br = bridgeNs(lab);
    ip(['netns', 'add', br]);
    ip(['-n', br, 'link', 'set', 'lo', 'up']);
    for (const b of ['br0', 'br1']) {
      ip(['-n', br, 'link', 'add', b, 'type', 'bridge']);
      ip(['-n', br, 'link', 'set', b, 'up']);
    }
    const attach = (ns: string, tag: string, data: string, mgmt: string) => {
      ip(['netns', 'add', ns]);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      for (const [dev, bridge, addr, peer] of [
        ['eth0', 'br0', data, `d${tag}`],
        ['eth1', 'br1', mgmt, `m${tag}`],
      ] as const) {
        // Both ends created directly inside their namespaces: no interface ever appears in the root namespace.
        ip(['link', 'add', dev, 'netns', ns, 'type', 'veth', 'peer', 'name', peer, 'netns', br]);
        ip(['-n', br, 'link', 'set', peer, 'master', bridge]);
        ip(['-n', br, 'link', 'set', peer, 'up']);
        ip(['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev]);
        ip(['-n', ns, 'link', 'set', dev, 'up']);
      }
    };
    attach(driverNs(lab), 'ctl', `${lab.dataNet}.2`, `${lab.mgmtNet}.2`);
    for (let i = 1; i <= lab.nodes; i++) attach(nodeNs(lab, i), `n${i}`, dataAddr(lab, i), mgmtAddr(lab, i));
  } catch (err) {
    destroyLab(lab.prefix);
    const e = err as Error & { stderr?: Buffer };
    throw new Error(`creating the network namespaces failed: ${e.message}${e.stderr ? ` ${e.stderr.toString().trim()}` : ''}`);
  }
}

/**
 * Kill every process inside the lab's namespaces (all of them were started by
 * the chaos script) and delete the namespaces. Synchronous, for exit hooks;
 * safe to run twice.
 */
export function destroyLab(prefix: string): void {
  const namespaces = labNamespaces(prefix);
  for (const ns of namespaces) {
    const pids = (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '').split(/\s+/).filter(Boolean).map(Number);
    for (const pid of pids) {
      if (pid === process.pid) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  for (const ns of namespaces) {
    for (let i = 0; i < 50; i++) {
      const left = (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '').trim();
      if (!left) break;
      spawnSync('sleep', ['0.05']);
    }
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 10_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr}`)) : resolve(stdout)));
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Drop rules for one node namespace: nft statements for its input and output hooks. */
export interface NodeRules {
  input: string[];
  output: string[];
}

const TABLE_PREFIX = 'rc_';

/** nftables partitions on the DATA network of a lab. */
export class Partitioner {
  constructor(readonly lab: LabSpec) {}

  /** Install partition `name` (one table per node namespace named in `rules`, keyed by node index 1..N). */
  async apply(name: string, rules: Map<number, NodeRules>): Promise<void> {
    const table = `${TABLE_PREFIX}${name}`;
    await Promise.all(
      [...rules].map(([i, r]) => {
        const script = [
          `table inet ${table} {`,
          `  chain input { type filter hook input priority -10; policy accept; ${r.input.map((s) => `${s}; `).join('')}}`,
          `  chain output { type filter hook output priority -10; policy accept; ${r.output.map((s) => `${s}; `).join('')}}`,
          '}',
          '',
        ].join('\n');
        return run('ip', ['netns', 'exec', nodeNs(this.lab, i), 'nft', '-f', '-'], script);
      }),
    );
  }

  /** Remove partition `name` from every node namespace. */
  async heal(name: string): Promise<void> {
    const table = `${TABLE_PREFIX}${name}`;
    await Promise.all(this.indices().map((i) => run('ip', ['netns', 'exec', nodeNs(this.lab, i), 'nft', 'delete', 'table', 'inet', table]).catch(() => undefined)));
  }

  /** Remove every partition table from every node namespace. */
  async healAll(): Promise<void> {
    await Promise.all(
      this.indices().map(async (i) => {
        const ns = nodeNs(this.lab, i);
        const list = await run('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables']).catch(() => '');
        for (const m of list.matchAll(new RegExp(`^table inet (${TABLE_PREFIX}\\S+)`, 'gm'))) await run('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'inet', m[1]!]).catch(() => undefined);
      }),
    );
  }

  private indices(): number[] {
    return Array.from({ length: this.lab.nodes }, (_, k) => k + 1);
  }

  /** Rules isolating node i: every packet on its data interface dropped (its own redis and sidecar still talk over loopback). */
  static isolate(): NodeRules {
    return { input: ['iifname "eth0" drop'], output: ['oifname "eth0" drop'] };
  }
}

/**
 * Rules so that traffic between the given DATA addresses is dropped: `cut` is
 * a list of directed pairs [from, to] (node indices). The rules go into both
 * namespaces (output of `from`, input of `to`).
 */
export function cutRules(lab: LabSpec, cut: [number, number][]): Map<number, NodeRules> {
  const rules = new Map<number, NodeRules>();
  const of = (i: number) => {
    let r = rules.get(i);
    if (!r) rules.set(i, (r = { input: [], output: [] }));
    return r;
  };
  for (const [a, b] of cut) {
    of(a).output.push(`ip daddr ${dataAddr(lab, b)} drop`);
    of(b).input.push(`ip saddr ${dataAddr(lab, a)} drop`);
  }
  return rules;
}

/** The part of RedisProc the benches use, so a redis inside a namespace can stand in for it. */
export type BenchRedis = Pick<RedisProc, 'port' | 'pid' | 'running' | 'logPath' | 'kill' | 'stop' | 'restart'>;

const ENDING = new Set<NodeJS.Signals>(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGABRT']);

/**
 * A redis-server inside a node namespace, started as `ip netns exec <ns>
 * redis-server ...` (exec replaces `ip`, so the child's pid is redis' own and
 * signals reach it). Same defaults as lab/proc/redis-process.ts: no
 * persistence (a restart comes back EMPTY), diskless sync with no delay.
 * Binds the data address first (replication connects from it), then the
 * management address and loopback.
 */
export class NsRedis implements BenchRedis {
  readonly port = 6379;
  private child: Child | undefined;
  private stopped = false;

  constructor(
    readonly ns: string,
    readonly dataHost: string,
    readonly mgmtHost: string,
    readonly dir: string,
    private readonly extraArgs: string[] = [],
  ) {}

  get logPath(): string {
    return join(this.dir, 'redis.log');
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get running(): boolean {
    return this.child?.running ?? false;
  }

  async launch(timeoutMs = 15_000): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const args = [
      'netns', 'exec', this.ns, serverBinaries().server,
      ...scratchRedisArgs({ port: this.port, bind: [this.dataHost, this.mgmtHost, '127.0.0.1'], dir: this.dir, logfile: this.logPath }),
      ...this.extraArgs,
    ];
    const child = spawnChild(`redis ${this.ns}`, 'ip', args, { logPath: join(this.dir, 'redis.stdout'), cwd: this.dir });
    this.child = child;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!child.running) throw new Error(`redis-server in ${this.ns} exited at start; see ${this.logPath}`);
      if ((await probeRedis(this.mgmtHost, this.port)).pid === child.pid) return;
      if (Date.now() > deadline) {
        await child.kill();
        throw new Error(`redis-server in ${this.ns} did not answer on ${this.mgmtHost}:${this.port} within ${timeoutMs} ms; see ${this.logPath}`);
      }
      await sleep(20);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child?.running) return;
    if (!(await child.kill(signal, 15_000)) && ENDING.has(signal)) throw new Error(`redis-server in ${this.ns} (pid ${child.pid}) did not exit after ${signal}`);
  }

  private async terminate(): Promise<void> {
    const child = this.child;
    if (!child?.running) return;
    if (!(await child.kill('SIGTERM', 3000))) await child.kill('SIGKILL');
  }

  async restart(): Promise<void> {
    if (this.stopped) throw new Error(`redis-server in ${this.ns} was stopped`);
    await this.terminate();
    await this.launch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.terminate();
  }
}
