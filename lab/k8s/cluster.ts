/**
 * The parts of Kubernetes a StatefulSet meets, emulated on the netns lab
 * (lab/bench/netns.ts; this code runs in its driver namespace, the "node"
 * every probe and client comes from):
 *
 * - cluster DNS: /etc/netns/<ns>/hosts of every namespace lists each pod's
 *   stable name (`redis-0.redis.<namespace>.svc.cluster.local`) with its
 *   current IP, the headless Service publishing not-ready pods (so a name
 *   resolves from the moment its pod has an address until it is gone), and
 *   the Sentinel Service's name with its cluster IP. Files are rewritten in
 *   place: `ip netns exec` bind-mounted them, a rename would not be seen;
 * - kube-proxy for the Sentinel Service: a TCP relay on the cluster IP that
 *   sends each connection to a ready pod's sidecar port;
 * - the StatefulSet controller: a deleted pod comes back under the same name
 *   (a new IP: the netns address changes) with its PersistentVolume, or an
 *   empty one when it was rescheduled after losing its node;
 * - the eviction API: an eviction is refused while the PodDisruptionBudget
 *   would be broken (maxUnavailable counted over ready pods), as `kubectl
 *   drain` meets it.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { oneCommand } from '../proc/fast-client.js';
import { sleep } from '../util/wait.js';
import { type LabSpec, nodeNs, driverNs } from '../bench/netns.js';
import { findObject, type K8sObject, type LoadedManifest } from './manifests.js';
import { type DeleteOutcome, Pod, run, type TerminationOrder } from './pod.js';

export interface KubeOptions {
  lab: LabSpec;
  manifests: LoadedManifest[];
  namespace: string;
  dir: string;
  binDir: string;
  appDir: string;
  /** The Secret README "Running on Kubernetes" creates. */
  secret: { name: string; key: string };
  log(msg: string): void;
}

export const netnsEtc = (ns: string): string => `/etc/netns/${ns}`;

/** Why this machine cannot run the emulation, or undefined when it can (no nftables needed: nothing is partitioned). */
export function k8sLabUnsupported(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux (network namespaces)';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, veth pairs, /etc/netns/<ns>/hosts)';
  if (spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status !== 0) return "'ip netns' does not work here (iproute2)";
  return undefined;
}

export class Kube {
  readonly statefulSet: K8sObject;
  readonly pods: Pod[] = [];
  readonly replicas: number;
  /** The Sentinel Service's cluster IP: the driver's own data address. */
  readonly clusterIP: string;
  private nextHost = 100;
  private proxy: Server | undefined;
  private readonly proxied = new Set<Socket>();
  private readonly secret = randomBytes(32).toString('hex');
  /** Evictions the PDB refused. */
  evictionsRefused = 0;
  /** Pods that turned not ready while running and not being deleted (a replica must stay ready while the primary is down). */
  readonly unready: string[] = [];
  /** Pods that turned ready while their redis held no synced data (neither a master nor a replica with its link up). */
  readonly readyUnsynced: string[] = [];
  /** Most pods not ready at once while nothing but evictions disrupted the set. */
  private readonly serviceName: string;

  constructor(private readonly o: KubeOptions) {
    this.statefulSet = findObject(o.manifests, 'StatefulSet');
    this.replicas = this.statefulSet.spec.replicas as number;
    this.serviceName = this.statefulSet.spec.serviceName as string;
    this.clusterIP = `${o.lab.dataNet}.2`;
    if (o.lab.nodes < this.replicas) throw new Error(`the lab has ${o.lab.nodes} namespaces, the StatefulSet ${this.replicas} replicas`);
    for (let i = 0; i < this.replicas; i++) {
      this.pods.push(
        new Pod(i, nodeNs(o.lab, i + 1), '', {
          statefulSet: this.statefulSet,
          namespace: o.namespace,
          binDir: o.binDir,
          appDir: o.appDir,
          volumeDir: (v) => this.volumeDir(i, v),
          logDir: o.dir,
          log: o.log,
          onReady: (pod) => void this.checkSynced(pod),
          onUnready: (pod) => this.unready.push(`${pod.name} at ${new Date().toISOString().slice(11, 23)}`),
        }),
      );
    }
  }

  /** `redis-0.redis.<namespace>.svc.cluster.local`. */
  podHost(ordinal: number): string {
    return `${this.statefulSet.metadata.name}-${ordinal}.${this.serviceName}.${this.o.namespace}.svc.cluster.local`;
  }

  get sentinelServiceHost(): string {
    const svc = this.o.manifests.map((m) => m.object).find((x) => x.kind === 'Service' && x.spec?.clusterIP !== 'None');
    if (!svc) throw new Error('no ClusterIP Service in deploy/kubernetes');
    return `${svc.metadata.name}.${this.o.namespace}.svc.cluster.local`;
  }

  get sentinelServicePort(): number {
    const svc = this.o.manifests.map((m) => m.object).find((x) => x.kind === 'Service' && x.spec?.clusterIP !== 'None')!;
    return svc.spec.ports[0].port as number;
  }

  private volumeDir(ordinal: number, volume: string): string {
    const podSpec = this.statefulSet.spec.template.spec;
    const v = (podSpec.volumes as { name: string; secret?: { secretName: string; items?: unknown } }[] | undefined)?.find((x) => x.name === volume);
    if (v?.secret) {
      // The Secret as README "Running on Kubernetes" creates it: its name and its one key.
      const wanted = this.o.secret;
      if (v.secret.secretName !== wanted.name) throw new Error(`volume ${volume} mounts Secret ${v.secret.secretName}, the README creates ${wanted.name}`);
      const dir = join(this.o.dir, 'secrets', v.secret.secretName);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, wanted.key), this.secret);
      return dir;
    }
    if (v) return join(this.o.dir, 'emptydir', `${ordinal}`, volume);
    const claim = (this.statefulSet.spec.volumeClaimTemplates as K8sObject[]).find((t) => t.metadata.name === volume);
    if (!claim) throw new Error(`volume ${volume}: neither a pod volume nor a volumeClaimTemplate`);
    // PVC <template>-<pod>, as the StatefulSet controller names it.
    return join(this.o.dir, 'pv', `${volume}-${this.statefulSet.metadata.name}-${ordinal}`);
  }

  /** The namespaces whose hosts files stand for cluster DNS: every pod's and the driver's. */
  private namespaces(): string[] {
    return [driverNs(this.o.lab), ...this.pods.map((p) => p.ns)];
  }

  /** Create /etc/netns/<ns>/{hosts,resolv.conf} before anything runs in the namespaces (ip netns exec mounts them). */
  static prepareDns(lab: LabSpec, nodes: number): void {
    for (const ns of [driverNs(lab), ...Array.from({ length: nodes }, (_, i) => nodeNs(lab, i + 1))]) {
      mkdirSync(netnsEtc(ns), { recursive: true });
      writeFileSync(join(netnsEtc(ns), 'hosts'), '127.0.0.1 localhost\n');
      // No name server: a name not in hosts fails at once instead of waiting for a resolver that is not there.
      writeFileSync(join(netnsEtc(ns), 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    }
  }

  static removeDns(lab: LabSpec, nodes: number): void {
    for (const ns of [driverNs(lab), ...Array.from({ length: nodes }, (_, i) => nodeNs(lab, i + 1))]) rmSync(netnsEtc(ns), { recursive: true, force: true });
  }

  /** Rewrite every hosts file: the pods that exist (running or terminating) and the Sentinel Service. */
  private publishDns(): void {
    const lines = ['127.0.0.1 localhost', `${this.clusterIP} ${this.sentinelServiceHost}`];
    for (const p of this.pods) if (p.ip) lines.push(`${p.ip} ${this.podHost(p.ordinal)} ${p.name}.${this.serviceName}`);
    const text = `${lines.join('\n')}\n`;
    for (const ns of this.namespaces()) writeFileSync(join(netnsEtc(ns), 'hosts'), text);
  }

  /** Give the pod a new address in its namespace (a pod on a new node gets a new IP). */
  private async assignIp(pod: Pod): Promise<void> {
    const ip = `${this.o.lab.dataNet}.${this.nextHost++}`;
    if (this.nextHost > 250) throw new Error('the emulation ran out of pod addresses');
    await run('ip', ['-n', pod.ns, 'addr', 'flush', 'dev', 'eth0']);
    await run('ip', ['-n', pod.ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    pod.ip = ip;
  }

  private async dropIp(pod: Pod): Promise<void> {
    await run('ip', ['-n', pod.ns, 'addr', 'flush', 'dev', 'eth0']);
    pod.ip = '';
    this.publishDns();
  }

  /** The StatefulSet controller creates pod `ordinal` (again): new IP, DNS, containers. */
  async createPod(ordinal: number): Promise<void> {
    const pod = this.pods[ordinal]!;
    await this.assignIp(pod);
    this.publishDns();
    pod.start();
    this.o.log(`${pod.name} created at ${pod.ip}`);
  }

  /** Graceful deletion (preStop, SIGTERM, grace period), then the pod and its DNS record are gone. */
  async deletePod(ordinal: number, order: TerminationOrder = {}): Promise<DeleteOutcome> {
    const pod = this.pods[ordinal]!;
    const t = Date.now();
    const outcome = await pod.delete(order);
    await this.dropIp(pod);
    this.o.log(`${pod.name} deleted in ${Date.now() - t} ms${order.first ? ` (${order.first} stopped first)` : ''}, its redis a ${outcome.redisRoleAtSigterm} at SIGTERM`);
    return outcome;
  }

  /** A planned deletion (rollout, drain) whose redis was still a master at SIGTERM: the hand-off did not come first. */
  readonly stoppedAsMaster: string[] = [];

  private async plannedDelete(ordinal: number, why: string, order: TerminationOrder): Promise<void> {
    const outcome = await this.deletePod(ordinal, order);
    if (outcome.redisRoleAtSigterm !== 'slave') this.stoppedAsMaster.push(`${why}: ${this.pods[ordinal]!.name}'s redis was ${outcome.redisRoleAtSigterm} at SIGTERM`);
  }

  /** The node of pod `ordinal` is lost with its local volume; the pod is rescheduled elsewhere, empty. */
  async reschedule(ordinal: number, nodeLostMs: number): Promise<void> {
    const pod = this.pods[ordinal]!;
    await pod.crash();
    this.o.log(`${pod.name}: node lost (every process killed)`);
    await sleep(nodeLostMs);
    await this.dropIp(pod);
    rmSync(this.volumeDir(ordinal, 'data'), { recursive: true, force: true });
    await this.createPod(ordinal);
  }

  async waitReady(ordinals: number[], timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ordinals.every((i) => this.pods[i]!.ready)) {
      if (Date.now() > deadline) throw new Error(`${what}: pods ${ordinals.filter((i) => !this.pods[i]!.ready).map((i) => this.pods[i]!.name).join(', ')} not ready within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /**
   * What readiness promises (a rollout and a drain rely on it): a pod turns
   * ready only once its redis is the primary's or a replica whose link is up.
   */
  private async checkSynced(pod: Pod): Promise<void> {
    try {
      const info = String(await oneCommand({ host: pod.ip, port: 6379 }, ['INFO', 'replication'], 1000));
      const role = /^role:(\w+)/m.exec(info)?.[1];
      const link = /^master_link_status:(\w+)/m.exec(info)?.[1];
      if (role === 'master' || (role === 'slave' && link === 'up')) return;
      this.readyUnsynced.push(`${pod.name}: role ${role}, master_link_status ${link}`);
    } catch (err) {
      this.readyUnsynced.push(`${pod.name}: INFO replication failed: ${(err as Error).message}`);
    }
    this.o.log(`${pod.name} turned ready without synced data: ${this.readyUnsynced.at(-1)}`);
  }

  /** RollingUpdate: highest ordinal first, one pod at a time, each ready before the next is deleted. */
  async rollingUpdate(timeoutMs: number): Promise<void> {
    for (let i = this.replicas - 1; i >= 0; i--) {
      // Every pod of a rollout with its redis container stopped first, the harder order.
      await this.plannedDelete(i, 'rolling update', { first: 'redis', delayMs: 500 });
      await this.createPod(i);
      await this.waitReady([i], timeoutMs, `rolling update of ${this.pods[i]!.name}`);
    }
  }

  /** The eviction API: allowed only while every other pod is ready and not terminating (PDB maxUnavailable). */
  private evictionAllowed(): boolean {
    const pdb = findObject(this.o.manifests, 'PodDisruptionBudget');
    const maxUnavailable = pdb.spec.maxUnavailable as number;
    const healthy = this.pods.filter((p) => p.ready && !p.terminating).length;
    return healthy - (this.replicas - maxUnavailable) >= 1;
  }

  /**
   * `kubectl drain` of the nodes holding `ordinals`, all at once: each drain
   * retries its eviction until the PDB allows it; an evicted pod is deleted
   * gracefully and recreated on another node (new IP) with its volume.
   */
  async drain(ordinals: number[], timeoutMs: number, retryMs = 500): Promise<void> {
    await Promise.all(
      ordinals.map(async (i) => {
        const deadline = Date.now() + timeoutMs;
        while (!this.evictionAllowed()) {
          this.evictionsRefused += 1;
          if (Date.now() > deadline) throw new Error(`drain: eviction of ${this.pods[i]!.name} refused by the PodDisruptionBudget for ${timeoutMs} ms`);
          await sleep(retryMs);
        }
        // Checked and marked in one turn of the event loop: no other drain can slip in between.
        this.pods[i]!.terminating = true;
        this.o.log(`drain: ${this.pods[i]!.name} evicted`);
        // The sidecar container stopped first here (the rollout stops redis first).
        await this.plannedDelete(i, 'drain', { first: 'resp-elect', delayMs: 500 });
        await this.createPod(i);
        await this.waitReady([i], timeoutMs, `drained ${this.pods[i]!.name}`);
      }),
    );
  }

  /** Every pod deleted at once, then all recreated (the StatefulSet controller, Parallel). */
  /**
   * Every pod deleted at once, then all recreated. `staggerMs`: the kubelets
   * of the replicas other than the lowest-ordinal one start `staggerMs` late,
   * so the writes acknowledged meanwhile are on the primary and those later
   * replicas only, and the replica that ranks first when data looks equal
   * (lowest id) lacks them: the election after the restart must still pick by
   * data, which needs replication offsets that survive a restart.
   */
  async restartAll(timeoutMs: number, primary: number | undefined, staggerMs = 400): Promise<void> {
    const all = this.pods.map((p) => p.ordinal);
    const first = all.find((i) => i !== primary);
    await Promise.all(
      all.map(async (i) => {
        if (i !== primary && i !== first) await sleep(staggerMs);
        await this.deletePod(i);
      }),
    );
    await Promise.all(
      all.map(async (i) => {
        await this.createPod(i);
        this.offsetsAfterRestart[this.pods[i]!.name] = await this.firstOffset(this.pods[i]!);
      }),
    );
    await this.waitReady(all, timeoutMs, 'the whole set restarted');
  }

  /**
   * The replication offset a restarted redis reports as soon as it has loaded
   * its data, before any election: what the sidecars will compare. redis
   * started detached restores it from its RDB; from an AOF it would be 1
   * everywhere, and the election after a restart of the whole set could not
   * tell a member that missed the last acknowledged writes from one that has them.
   */
  private async firstOffset(pod: Pod, timeoutMs = 15_000): Promise<number | string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        const info = String(await oneCommand({ host: pod.ip, port: 6379 }, ['INFO', 'replication'], 300));
        const role = /^role:(\w+)/m.exec(info)?.[1];
        const offset = Number((role === 'slave' ? /^slave_repl_offset:(\d+)/m : /^master_repl_offset:(\d+)/m).exec(info)?.[1]);
        if (Number.isFinite(offset)) return role === 'slave' ? offset : `${offset} (already a master)`;
      } catch {
        // not up, or still loading
      }
      await sleep(20);
    }
    return 'no answer';
  }

  /** See firstOffset(): by pod name, after the restart of the whole set. */
  readonly offsetsAfterRestart: Record<string, number | string> = {};

  /** kube-proxy for the Sentinel Service: each connection to a ready pod's sidecar. */
  async startProxy(): Promise<void> {
    const port = this.sentinelServicePort;
    let turn = 0;
    this.proxy = createServer((client) => {
      const ready = this.pods.filter((p) => p.ready && !p.terminating && p.ip);
      if (ready.length === 0) {
        client.destroy();
        return;
      }
      const target = ready[turn++ % ready.length]!;
      const upstream = connect({ host: target.ip, port });
      for (const s of [client, upstream]) {
        this.proxied.add(s);
        s.on('close', () => this.proxied.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      this.proxy!.once('error', reject);
      this.proxy!.listen(port, this.clusterIP, () => resolve());
    });
  }

  async stop(): Promise<void> {
    for (const s of this.proxied) s.destroy();
    await new Promise<void>((resolve) => (this.proxy ? this.proxy.close(() => resolve()) : resolve()));
    await Promise.all(this.pods.map((p) => p.crash()));
  }
}
