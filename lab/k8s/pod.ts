/**
 * One emulated pod of the StatefulSet: a network namespace (its address is
 * the pod IP) in which each container of the manifest runs with its exact
 * command line and environment (manifests.ts), and the kubelet's part:
 *
 * - volumes: a container's mount paths are directories of the pod on this
 *   machine (the one liberty taken: mount paths in args, env and workingDir
 *   are rewritten to them, as no mount namespace is built);
 * - images: `redis:*` is RESP_ELECT_REDIS_SERVER's server and cli (the
 *   names the manifest uses, redis-server and redis-cli, are links on PATH),
 *   `resp-elect:*` is this repository's build (the image's WORKDIR /app);
 * - probes: readiness and liveness as the manifest defines them (httpGet or
 *   tcpSocket, period, timeout, thresholds), from the node (the driver);
 * - deletion: every container at once runs its preStop hook, then gets
 *   SIGTERM, and SIGKILL when the termination grace period is over, as the
 *   kubelet does; or a node loss, SIGKILL at once and no hook.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { type Child, spawnChild } from '../proc/children.js';
import { oneCommand } from '../proc/fast-client.js';
import { sleep } from '../util/wait.js';
import { containerRuns, probePort, type ContainerRun, type K8sObject } from './manifests.js';

export interface PodEnv {
  statefulSet: K8sObject;
  namespace: string;
  /** Directory with the links the images provide (redis-server, redis-cli, node). */
  binDir: string;
  /** The resp-elect image's /app: this repository. */
  appDir: string;
  /** Host directories of the pod's volumes by volume name (PVC `data`, the Secret, emptyDirs). */
  volumeDir(volume: string): string;
  logDir: string;
  log(msg: string): void;
  /** Called when the pod turns ready (the emulation checks what its redis holds then). */
  onReady?(pod: Pod): void;
  /** Called when a running pod that nobody is deleting turns not ready. */
  onUnready?(pod: Pod): void;
}

/** Which container the kubelet gets to first when it stops a pod, and how much later the others. */
export interface TerminationOrder {
  first?: string;
  delayMs?: number;
}

export interface DeleteOutcome {
  /** The role of the pod's redis when its container got SIGTERM (after its preStop hook). */
  redisRoleAtSigterm?: string;
}

interface ProbeState {
  failures: number;
  successes: number;
}

export class Pod {
  private readonly children = new Map<string, Child>();
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly readiness: ProbeState = { failures: 0, successes: 0 };
  private readonly liveness = new Map<string, ProbeState>();
  /** Liveness probes that reached failureThreshold: the kubelet would have restarted that container. */
  readonly livenessKills: string[] = [];
  ready = false;
  terminating = false;
  runs: ContainerRun[] = [];
  private readonly hooks = new Set<Child>();

  constructor(
    readonly ordinal: number,
    readonly ns: string,
    public ip: string,
    private readonly env: PodEnv,
  ) {}

  get name(): string {
    return `${this.env.statefulSet.metadata.name}-${this.ordinal}`;
  }

  get running(): boolean {
    return [...this.children.values()].some((c) => c.running);
  }

  private mounts(container: { volumeMounts?: { name: string; mountPath: string; subPath?: string }[] }): [string, string][] {
    return (container.volumeMounts ?? []).map((m) => {
      const dir = m.subPath ? join(this.env.volumeDir(m.name), m.subPath) : this.env.volumeDir(m.name);
      mkdirSync(dir, { recursive: true });
      return [m.mountPath, dir];
    });
  }

  private static rewrite(text: string, mounts: [string, string][]): string {
    for (const [from, to] of mounts) {
      if (text === from) return to;
      if (text.startsWith(`${from}/`)) return to + text.slice(from.length);
      // An option written --flag=/path.
      const eq = text.indexOf(`=${from}`);
      if (eq >= 0 && (text.length === eq + 1 + from.length || text[eq + 1 + from.length] === '/')) return text.slice(0, eq + 1) + to + text.slice(eq + 1 + from.length);
    }
    return text;
  }

  private processEnv(run: ContainerRun, mounts: [string, string][]): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { PATH: `${this.env.binDir}:/usr/local/bin:/usr/bin:/bin`, HOME: '/tmp', HOSTNAME: this.name };
    for (const [k, v] of Object.entries(run.env)) env[k] = Pod.rewrite(v, mounts);
    return env;
  }

  private cwdOf(run: ContainerRun, mounts: [string, string][]): string {
    if (run.workingDir === '/app' && run.image.startsWith('resp-elect:')) return this.env.appDir;
    if (run.workingDir !== undefined) return Pod.rewrite(run.workingDir, mounts);
    return mounts[0]?.[1] ?? this.env.logDir;
  }

  /** Start every container at once (no ordering between a pod's containers), then the probes. */
  start(): void {
    this.runs = containerRuns(this.env.statefulSet, { name: this.name, namespace: this.env.namespace, podIP: this.ip });
    this.ready = false;
    this.terminating = false;
    this.readiness.failures = 0;
    this.readiness.successes = 0;
    for (const run of this.runs) {
      const mounts = this.mounts(run.spec);
      const argv = run.argv.map((a) => Pod.rewrite(a, mounts));
      const child = spawnChild(`${this.name}/${run.name}`, 'ip', ['netns', 'exec', this.ns, ...argv], {
        logPath: join(this.env.logDir, `${this.name}.${run.name}.log`),
        cwd: this.cwdOf(run, mounts),
        env: this.processEnv(run, mounts),
      });
      this.children.set(run.name, child);
      this.liveness.set(run.name, { failures: 0, successes: 0 });
    }
    this.scheduleProbes();
  }

  private scheduleProbes(): void {
    const tick = () => {
      void this.probeOnce().finally(() => {
        if (this.probeTimer !== undefined) this.probeTimer = setTimeout(tick, 1000);
      });
    };
    // One tick a second; each probe keeps its own period in ticks (the manifest's periods are whole seconds).
    this.probeTimer = setTimeout(tick, 1000);
  }

  private ticks = 0;

  private async probeOnce(): Promise<void> {
    this.ticks += 1;
    await Promise.all(
      this.runs.map(async (run) => {
        const c = run.spec;
        if (c.readinessProbe && this.ticks % (c.readinessProbe.periodSeconds ?? 10) === 0) {
          const ok = !this.terminating && (await this.probe(c, c.readinessProbe));
          const s = this.readiness;
          if (ok) {
            s.successes += 1;
            s.failures = 0;
            if (s.successes >= (c.readinessProbe.successThreshold ?? 1) && !this.ready) {
              this.ready = true;
              this.env.log(`${this.name} ready`);
              this.env.onReady?.(this);
            }
          } else {
            s.failures += 1;
            s.successes = 0;
            if (this.terminating || (s.failures >= (c.readinessProbe.failureThreshold ?? 3) && this.ready)) {
              if (this.ready) {
                this.env.log(`${this.name} not ready`);
                if (!this.terminating) this.env.onUnready?.(this);
              }
              this.ready = false;
            }
          }
        }
        if (c.livenessProbe && this.ticks % (c.livenessProbe.periodSeconds ?? 10) === 0 && !this.terminating) {
          const s = this.liveness.get(run.name)!;
          if (await this.probe(c, c.livenessProbe)) s.failures = 0;
          else if (++s.failures >= (c.livenessProbe.failureThreshold ?? 3)) {
            this.livenessKills.push(`${this.name}/${run.name}`);
            this.env.log(`${this.name}/${run.name}: liveness failed ${s.failures} times (the kubelet would restart it)`);
            s.failures = 0;
          }
        }
      }),
    );
  }

  /** One probe from the node: httpGet (2xx/3xx is success) or tcpSocket, to the pod IP. */
  private async probe(container: any, p: any): Promise<boolean> {
    const timeoutMs = (p.timeoutSeconds ?? 1) * 1000;
    if (p.httpGet) {
      const port = probePort(container, p.httpGet.port);
      try {
        const res = await fetch(`http://${this.ip}:${port}${p.httpGet.path}`, { signal: AbortSignal.timeout(timeoutMs) });
        await res.arrayBuffer();
        return res.status >= 200 && res.status < 400;
      } catch {
        return false;
      }
    }
    if (p.tcpSocket) {
      const port = probePort(container, p.tcpSocket.port);
      return new Promise((resolve) => {
        const s = connect({ host: this.ip, port });
        const done = (ok: boolean) => {
          s.destroy();
          resolve(ok);
        };
        s.setTimeout(timeoutMs, () => done(false));
        s.once('connect', () => done(true));
        s.once('error', () => done(false));
      });
    }
    throw new Error(`${container.name}: probe kind not emulated: ${JSON.stringify(p)}`);
  }

  /** `kubectl exec <pod> -c <container> -- argv`: in the container's namespace, env and working directory. */
  exec(container: string, argv: string[], timeoutMs = 10_000): Promise<{ code: number | null; output: string }> {
    const run = this.runs.find((r) => r.name === container);
    if (!run) throw new Error(`${this.name} has no container ${container}`);
    const mounts = this.mounts(run.spec);
    return new Promise((resolve) => {
      execFile('ip', ['netns', 'exec', this.ns, ...argv.map((a) => Pod.rewrite(a, mounts))], { cwd: this.cwdOf(run, mounts), env: this.processEnv(run, mounts), timeout: timeoutMs }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      });
    });
  }

  /** Run an exec hook in the container (its network namespace, its env), bounded by `deadline`. */
  private runHook(run: ContainerRun, command: string[], deadline: number): Promise<void> {
    const mounts = this.mounts(run.spec);
    const hook = spawnChild(`${this.name}/${run.name} preStop`, 'ip', ['netns', 'exec', this.ns, ...command.map((a) => Pod.rewrite(a, mounts))], {
      logPath: join(this.env.logDir, `${this.name}.${run.name}.prestop.log`),
      cwd: this.cwdOf(run, mounts),
      env: this.processEnv(run, mounts),
    });
    this.hooks.add(hook);
    const started = Date.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => void hook.kill('SIGKILL'), Math.max(0, deadline - Date.now()));
      void hook.exited.then((e) => {
        clearTimeout(timer);
        this.hooks.delete(hook);
        this.env.log(`${this.name}/${run.name}: preStop exited ${e.code ?? e.signal} after ${Date.now() - started} ms`);
        resolve();
      });
    });
  }

  /**
   * Graceful deletion: the pod is not ready at once (endpoints drop it); each
   * container runs its preStop hook, then gets SIGTERM; whatever runs when
   * terminationGracePeriodSeconds is over gets SIGKILL. Resolves when all exited.
   */
  async delete(order: TerminationOrder = {}): Promise<DeleteOutcome> {
    this.terminating = true;
    this.ready = false;
    const graceMs = (this.env.statefulSet.spec.template.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    const deadline = Date.now() + graceMs;
    const outcome: DeleteOutcome = {};
    await Promise.all(
      this.runs.map(async (run) => {
        const child = this.children.get(run.name);
        if (!child?.running) return;
        // The kubelet stops a pod's containers in parallel, in no set order: let one start first.
        if (order.first !== undefined && run.name !== order.first) await sleep(order.delayMs ?? 500);
        const preStop = run.spec.lifecycle?.preStop?.exec?.command as string[] | undefined;
        if (preStop) await this.runHook(run, preStop, deadline);
        if (run.image.startsWith('redis:')) outcome.redisRoleAtSigterm = await this.redisRole();
        // One SIGTERM to the container's process, as the kubelet sends (Child.kill would signal its
        // group and itself, and a sidecar takes a second SIGTERM as "exit at once").
        try {
          process.kill(child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
        const left = Math.max(0, deadline - Date.now());
        const exited = await Promise.race([child.exited.then(() => true), sleep(left).then(() => false)]);
        if (!exited) {
          this.env.log(`${this.name}/${run.name}: still running after the grace period: SIGKILL`);
          await child.kill('SIGKILL');
        }
      }),
    );
    this.stopProbes();
    return outcome;
  }

  /** The local redis' role as INFO replication says, or why it could not say. */
  private async redisRole(): Promise<string> {
    try {
      const info = String(await oneCommand({ host: this.ip, port: 6379 }, ['INFO', 'replication'], 1000));
      return /^role:(\w+)/m.exec(info)?.[1] ?? 'unknown';
    } catch (err) {
      return `unreachable (${(err as Error).message})`;
    }
  }

  /** The node is lost: every process killed at once, no hook, no SIGTERM. */
  async crash(): Promise<void> {
    this.terminating = true;
    this.ready = false;
    this.stopProbes();
    await Promise.all([...this.hooks, ...this.children.values()].map((c) => c.kill('SIGKILL')));
  }

  private stopProbes(): void {
    if (this.probeTimer !== undefined) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }
}

/** Run a command and resolve with its stdout; rejects on failure. */
export function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 10_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr}`)) : resolve(stdout)));
  });
}
