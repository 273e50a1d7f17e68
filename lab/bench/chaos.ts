/**
 * Jepsen-style chaos on real processes: a workload of unique writes, each
 * acknowledged only after `WAIT <majority-1>`, while a seeded nemesis kills
 * (-9), freezes (SIGSTOP/SIGCONT) and empties processes. At the end of a run
 * every process is healed and restored, and the checker verifies:
 *
 * - safety: every acknowledged write is on the final primary and on every
 *   replica;
 * - fencing: no two redis-servers accepted client writes (a probe write every
 *   `samplePeriodMs` on a dedicated connection per redis) at the same time for
 *   longer than the fencing bound B = leaseMs + pollIntervalMs + maxDriftMs.
 *   Overlaps in which one of the two redis had its controller killed or
 *   frozen (until it listens again after a restart, plus downAfterMs) are
 *   reported separately: a dead or frozen sidecar cannot fence its
 *   redis (README, "Fencing"), such a redis is cut off from the replicas and
 *   its writes cannot be acknowledged;
 * - liveness: after the last heal, one writable primary that every
 *   controller names within L = 3 × downAfterMs + 2000 ms.
 *
 * With `member-change` in the pool (resp-elect only), the nemesis also takes a
 * live replica out with `resp-elect member remove` and brings it back wiped as
 * a new member (lab/bench/member-change.ts); the writers' WAIT follows the
 * README's table for changes in flight, and the wipe census counts voters.
 *
 * On a network-namespace deployment (DeployOptions.lab) the nemesis also
 * partitions the DATA network (isolate-primary, majority-minority, cut-link,
 * one-way, ring); the probes and checks go over the MANAGEMENT network, which
 * is never partitioned, so an isolated redis is still observed. Partitions
 * excuse nothing: an isolated old primary has a live sidecar that must fence
 * it within B.
 */
import { Redis } from 'ioredis';
import { type BenchNode, Deployment, MASTER_NAME, redisAddr, RespElectDeployment } from './deploy.js';
import { cutRules, type NodeRules, Partitioner } from './netns.js';
import { sleep } from '../util/wait.js';
import { beyondModelDuringChange, type Holding } from './wipe-census.js';
import { AckWriter, missingKeys } from '../workload/writer.js';
import { mulberry32 as rng } from '../util/mulberry32.js';
import { logTail } from '../proc/scratch-redis.js';
import { emptyMemberChangeStats, type MemberChangeStats, MemberNemesis } from './member-change.js';

/** What the current run is doing, for the hang watchdog of scripts/chaos.ts. */
export const progress = { phase: 'idle', since: Date.now() };
function phase(name: string): void {
  progress.phase = name;
  progress.since = Date.now();
}


/** Process faults: every deployment. */
export const FAULTS = ['kill-ctl', 'kill-redis', 'kill-both', 'stop-ctl', 'stop-redis', 'stop-both', 'restart-redis-empty'] as const;
/** Network partitions of the DATA network: deployments with a lab (--netns) only. */
export const PARTITION_FAULTS = ['isolate-primary', 'majority-minority', 'cut-link', 'one-way', 'ring'] as const;
/**
 * Membership changes (lab/bench/member-change.ts): resp-elect only, as Sentinel has no equivalent
 * (its membership is auto-discovery and SENTINEL RESET). Never drawn unless `--faults` names it, so
 * the default batches compare both systems under the same faults.
 */
export const MEMBER_FAULTS = ['member-change'] as const;
export type ProcessFault = (typeof FAULTS)[number];
export type PartitionFault = (typeof PARTITION_FAULTS)[number];
export type MemberFault = (typeof MEMBER_FAULTS)[number];
export type Fault = ProcessFault | PartitionFault | MemberFault;
export const ALL_FAULTS: readonly Fault[] = [...FAULTS, ...PARTITION_FAULTS, ...MEMBER_FAULTS];

export function isPartition(f: Fault): f is PartitionFault {
  return (PARTITION_FAULTS as readonly string[]).includes(f);
}

export function isMemberFault(f: Fault): f is MemberFault {
  return (MEMBER_FAULTS as readonly string[]).includes(f);
}

/** The default faults of a deployment (partitions need a lab; ring needs 5 nodes or more to cut anything). */
export function faultsFor(d: Deployment): Fault[] {
  if (!d.partitions) return [...FAULTS];
  return [...FAULTS, ...PARTITION_FAULTS.filter((f) => f !== 'ring' || d.opts.nodes >= 5)];
}

/** Whether a deployment can take `f`: partitions need a lab, membership changes resp-elect. */
export function supports(d: { kind: string; partitions?: unknown }, f: Fault): boolean {
  if (isPartition(f)) return d.partitions !== undefined;
  if (isMemberFault(f)) return d.kind === 'resp-elect';
  return true;
}

/**
 * Parse a `--faults` filter: comma-separated fault names, or the groups
 * `process` and `partition`. Throws on an unknown name.
 */
export function parseFaults(text: string): Fault[] {
  const out = new Set<Fault>();
  for (const w of text.split(',').map((x) => x.trim()).filter(Boolean)) {
    if (w === 'process') FAULTS.forEach((f) => out.add(f));
    else if (w === 'partition' || w === 'partitions') PARTITION_FAULTS.forEach((f) => out.add(f));
    else if (w === 'membership') MEMBER_FAULTS.forEach((f) => out.add(f));
    else if ((ALL_FAULTS as readonly string[]).includes(w)) out.add(w as Fault);
    else throw new Error(`unknown fault "${w}" (known: process, partition, membership, ${ALL_FAULTS.join(', ')})`);
  }
  return [...out];
}

export interface FaultEvent {
  t: number;
  node: string;
  fault: Fault;
  durationMs: number;
  wasPrimary: boolean;
}

export interface RunResult {
  system: string;
  run: number;
  seed: number;
  faults: number;
  /** Of `faults`, network partitions. */
  partitionFaults: number;
  acked: number;
  unacked: number;
  errors: number;
  /** Acknowledged writes missing on the final primary, not counting {@link beyondModel}. */
  lost: number;
  lostOnReplicas: number;
  /**
   * Acknowledged writes missing at the end that wipes (redis killed without persistence) had left on
   * too few nodes for any majority-based protocol to keep (lab/bench/wipe-census.ts): missing on the
   * final primary, and missing on replicas.
   */
  beyondModel: number;
  beyondModelOnReplicas: number;
  maxOverlapMs: number;
  overlapsBeyondBound: number;
  /** Overlaps where one side's controller was down or frozen (cannot fence; documented). */
  unfencedOverlapMs: number;
  livenessMs: number;
  livenessOk: boolean;
  /** What the membership nemesis did (all zero without member-change faults). */
  memberChanges: MemberChangeStats;
  /** The longest overlap not excused, for diagnosis. */
  worstOverlap?: string;
  error?: string;
  log: FaultEvent[];
}

interface Window {
  node: string;
  from: number;
  to: number;
}

/** Probes every redis with a write every `periodMs`; records when each one accepted. */
class AcceptSampler {
  readonly accepts = new Map<string, number[]>();
  private running = true;
  private readonly loops: Promise<void>[] = [];
  private readonly clients: Redis[] = [];

  constructor(nodes: BenchNode[], private readonly periodMs: number) {
    for (const n of nodes) {
      const times: number[] = [];
      this.accepts.set(n.id, times);
      // Over the management network: a redis cut off from the data network is still observed.
      const c = new Redis({ host: n.mgmtHost, port: n.redis.port, connectTimeout: 200, commandTimeout: Math.max(50, periodMs * 2), enableOfflineQueue: false, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => 10, disableClientInfo: true });
      c.on('error', () => {});
      this.clients.push(c);
      this.loops.push(
        (async () => {
          while (this.running) {
            const sent = Date.now();
            try {
              await c.set(`__chaos_probe__:${n.id}`, String(sent));
              // Accepted: the write ran at some moment in [sent, now]; count the send time (the earlier bound: conservative for overlaps).
              times.push(sent);
            } catch {
              // not accepting (replica: READONLY; paused; down)
            }
            await sleep(Math.max(1, this.periodMs - (Date.now() - sent)));
          }
        })(),
      );
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    for (const c of this.clients) c.disconnect();
  }

  /** Windows of continuous acceptance: successive accepts at most `tolerance` apart. */
  windows(tolerance: number): Window[] {
    const out: Window[] = [];
    for (const [node, times] of this.accepts) {
      let from: number | undefined;
      let prev = 0;
      for (const t of times) {
        if (from === undefined) from = t;
        else if (t - prev > tolerance) {
          out.push({ node, from, to: prev });
          from = t;
        }
        prev = t;
      }
      if (from !== undefined) out.push({ node, from, to: prev });
    }
    return out;
  }
}

export interface ChaosOptions {
  timeMs: number;
  seed: number;
  run: number;
  samplePeriodMs: number;
  /** Fencing bound B. */
  boundMs: number;
  livenessBoundMs: number;
  /** How long to wait for a fully settled cluster (every replica linked) before checking anyway. Default 60 s. */
  settleTimeoutMs?: number;
  /** Draw faults from these only (default: faultsFor(d)); partitions are dropped on a deployment without a lab. */
  faults?: readonly Fault[];
  log?: (msg: string) => void;
}

/** A planned partition: its rules per node index, and how to report it. */
interface PartitionPlan {
  label: string;
  wasPrimary: boolean;
  rules: Map<number, NodeRules>;
}

function shuffle<T>(xs: readonly T[], rand: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/**
 * Where a partition fault cuts, drawn from `rand`. `target` is the node the
 * nemesis picked (the primary with probability 0.6), `primary` the current one
 * if known.
 */
function planPartition(d: Deployment, fault: PartitionFault, target: BenchNode, primary: BenchNode | undefined, rand: () => number): PartitionPlan {
  const lab = d.partitions!.lab;
  const nodes = d.nodes;
  const both = (pairs: [BenchNode, BenchNode][]) => pairs.flatMap(([a, b]): [number, number][] => [[a.index, b.index], [b.index, a.index]]);
  switch (fault) {
    case 'isolate-primary': {
      const v = primary ?? target;
      return { label: v.id, wasPrimary: v === primary, rules: new Map([[v.index, Partitioner.isolate()]]) };
    }
    case 'majority-minority': {
      // The minority (⌊n/2⌋ nodes) holds the target: the primary with probability 0.6.
      const minority = [target, ...shuffle(nodes.filter((n) => n !== target), rand)].slice(0, Math.floor(nodes.length / 2));
      const majority = nodes.filter((n) => !minority.includes(n));
      return { label: `${minority.map((n) => n.id).join('+')}|${majority.map((n) => n.id).join('+')}`, wasPrimary: primary !== undefined && minority.includes(primary), rules: cutRules(lab, both(minority.flatMap((a) => majority.map((b): [BenchNode, BenchNode] => [a, b])))) };
    }
    case 'cut-link':
    case 'one-way': {
      const others = nodes.filter((n) => n !== target);
      const other = others[Math.floor(rand() * others.length)]!;
      if (fault === 'cut-link') return { label: `${target.id}|${other.id}`, wasPrimary: target === primary || other === primary, rules: cutRules(lab, both([[target, other]])) };
      const [from, to] = rand() < 0.5 ? [target, other] : [other, target];
      return { label: `${from.id}>${to.id}`, wasPrimary: target === primary || other === primary, rules: cutRules(lab, [[from.index, to.index]]) };
    }
    case 'ring': {
      // Majorities ring: in a random cyclic order, each node keeps only its links to the k nearest on each side,
      // k the least with 2k + 1 ≥ majority (5 nodes: i ± 1), so every node sees a majority, no two the same one.
      const ring = shuffle(nodes, rand);
      const n = ring.length;
      const k = Math.ceil((d.majority - 1) / 2);
      const cut: [BenchNode, BenchNode][] = [];
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const dist = Math.min(j - i, n - (j - i));
          if (dist > k) cut.push([ring[i]!, ring[j]!]);
        }
      }
      return { label: ring.map((x) => x.id).join('-'), wasPrimary: primary !== undefined, rules: cutRules(lab, both(cut)) };
    }
  }
}

/** A run's result before anything is counted (also what a run whose harness failed reports). */
export function emptyRunResult(system: RunResult['system'], run: number, seed: number): RunResult {
  return { system, run, seed, faults: 0, partitionFaults: 0, acked: 0, unacked: 0, errors: 0, lost: 0, lostOnReplicas: 0, beyondModel: 0, beyondModelOnReplicas: 0, maxOverlapMs: 0, overlapsBeyondBound: 0, unfencedOverlapMs: 0, livenessMs: NaN, livenessOk: false, memberChanges: emptyMemberChangeStats(), log: [] };
}

/** One chaos run on a running, settled deployment. */
export async function chaosRun(d: Deployment, o: ChaosOptions): Promise<RunResult> {
  const rand = rng(o.seed);
  const down = d.opts.downAfterMs;
  const replicas = d.majority - 1;
  const result = emptyRunResult(d.kind, o.run, o.seed);
  const writers = [0, 1].map((w) => new AckWriter({ sentinels: d.sentinels, masterName: MASTER_NAME, replicas, waitTimeoutMs: 300, intervalMs: 2, keyPrefix: `chaos:${o.seed}:${w}:` }));
  // A partition a failed earlier run may have left.
  await d.partitions?.healAll();
  const pool = (o.faults ?? faultsFor(d)).filter((f) => supports(d, f));
  if (!pool.length) throw new Error(`no fault to inject: ${o.faults?.join(',')} needs a --netns deployment (partitions) or resp-elect (member-change)`);
  const sampler = new AcceptSampler(d.nodes, o.samplePeriodMs);
  for (const w of writers) w.start();
  // Faults only once the workload runs: on a busy machine the clients can take seconds to resolve
  // the primary, and a nemesis that strikes first leaves a run with nothing acknowledged to check.
  phase('waiting for the first acknowledged write');
  const started = Date.now() + 20_000;
  while (Date.now() < started && writers.every((w) => w.acked.length === 0)) await sleep(20);
  if (writers.every((w) => w.acked.length === 0)) {
    // Nothing to check without an acknowledged write: say why instead of reporting an empty run as clean.
    const why = `no acknowledged write within 20 s of starting the writers: ${writers.map((w, i) => `writer ${i}: ${w.describe()}`).join('; ')}; cluster: ${await d.describe()}`;
    await Promise.all([...writers.map((w) => w.stop()), sampler.stop()]);
    throw new Error(why);
  }
  phase('nemesis');
  // Intervals in which a node's controller was dead or frozen.
  const unfenced: { node: string; from: number; to: number }[] = [];
  // member-change faults. WAIT n follows README / protocol.md §5.12 "Which WAIT holds during a change",
  // with V the voters before the change: ⌊V/2⌋ + 1 while a live node is removed until it detached and
  // while a re-added node is a learner, ⌊V/2⌋ otherwise. For 5 nodes: WAIT 3 (removal of one of 5 voters;
  // re-add to 4 voters: ⌊4/2⌋ + 1 = 3), WAIT 2 with no change. The writers keep the raised n from before
  // `member remove` until the node is a voter again, the out period included, where 4 voters need only
  // WAIT 2: a larger n is never less safe, only fewer writes are acknowledged; with one change at a time
  // d.majority (= ⌊n/2⌋ + 1) covers both steps for any cluster size.
  const members =
    d instanceof RespElectDeployment && pool.some(isMemberFault)
      ? // Its own random stream (which sidecar to ask): drawn in the background, it must not shift the nemesis's draws.
        new MemberNemesis(d, rng(o.seed + 0x5eed), `${d.kind} run ${o.run}`, {
          log: o.log,
          waitChanged: () => writers.forEach((w) => w.setReplicas(members!.changing.size > 0 ? d.majority : replicas)),
          unfenced: (n, from, to) => unfenced.push({ node: n.id, from, to: to + d.opts.pollIntervalMs! }),
        })
      : undefined;
  const busy = new Set<string>();
  // Faults in progress (a partition counts as one), and whether a partition is among them (one at a time).
  let active = 0;
  let partitioned = false;
  let partitionSeq = 0;
  const pending: Promise<void>[] = [];
  const maxConcurrent = d.majority - 1 >= 2 ? 2 : 1;
  const t0 = Date.now();
  const end = t0 + o.timeMs;
  let primaryAddr: string | undefined;

  const injectPartition = async (plan: PartitionPlan, durationMs: number): Promise<void> => {
    const name = `p${o.run}_${partitionSeq++}`;
    active += 1;
    partitioned = true;
    try {
      await d.partitions!.apply(name, plan.rules);
      await sleep(durationMs);
    } finally {
      await d.partitions!.heal(name);
      partitioned = false;
      active -= 1;
    }
  };

  // Acknowledged keys that wipes left on too few nodes (the data-loss fault model, lab/bench/wipe-census.ts).
  const beyond = new Set<string>();
  // Taken beside the fault, not in its way: a census must not delay the empty restart it follows.
  const censuses: Promise<void>[] = [];
  const census = async (wiped: BenchNode, acked: string[]): Promise<void> => {
    // The census counts copies on VOTERS: a node in a membership change (being removed, out, re-added
    // as a learner) may or may not be one right now (wipe-census.ts, beyondModelDuringChange).
    const sure = d.nodes.filter((m) => m !== wiped && !members?.changing.has(m));
    const maybe = d.nodes.filter((m) => m !== wiped && members?.changing.has(m));
    const others = [...sure, ...maybe];
    const holdings = await Promise.all(others.map((m) => holding(m, acked)));
    const excused = beyondModelDuringChange(acked, holdings.slice(0, sure.length), holdings.slice(sure.length));
    for (const k of excused) beyond.add(k);
    const held = holdings.map((h, i) => `${others[i]!.id}=${typeof h === 'string' ? h : h.size}`).join(' ');
    o.log?.(`  ${d.kind} run ${o.run}: wipe of ${wiped.id}: ${acked.length} acknowledged keys, ${excused.length} left on too few nodes (held: ${held})`);
  };

  const inject = async (n: BenchNode, fault: ProcessFault, durationMs: number): Promise<void> => {
    busy.add(n.id);
    active += 1;
    const t = Date.now();
    const wipes = fault === 'kill-redis' || fault === 'kill-both' || fault === 'restart-redis-empty';
    const ackedBeforeWipe = wipes ? writers.flatMap((w) => w.acked) : [];
    const ctlDown = fault === 'kill-ctl' || fault === 'kill-both' || fault === 'stop-ctl' || fault === 'stop-both';
    try {
      switch (fault) {
        case 'kill-ctl':
          await d.killCtl(n);
          break;
        case 'kill-redis':
          await n.redis.kill('SIGKILL');
          break;
        case 'kill-both':
          await Promise.all([d.killCtl(n), n.redis.kill('SIGKILL')]);
          break;
        case 'stop-ctl':
          n.ctl?.signal('SIGSTOP');
          break;
        case 'stop-redis':
          await n.redis.kill('SIGSTOP');
          break;
        case 'stop-both':
          n.ctl?.signal('SIGSTOP');
          await n.redis.kill('SIGSTOP');
          break;
        case 'restart-redis-empty':
          await n.redis.kill('SIGKILL');
          break;
      }
      if (wipes) censuses.push(census(n, ackedBeforeWipe));
      await sleep(fault === 'restart-redis-empty' ? 0 : durationMs);
      await heal(d, n);
    } finally {
      if (ctlDown) unfenced.push({ node: n.id, from: t, to: Date.now() + d.opts.pollIntervalMs! });
      busy.delete(n.id);
      active -= 1;
    }
  };

  /**
   * member-change: `members` removes `n`, and after `durationMs` wipes it and adds it back (retrying
   * until the heal phase). That wipe takes no census: it comes after the removal was COMMITTED (the
   * nemesis wipes only a node a committed configuration leaves out), and a committed configuration is
   * never undone (§5.12, "Why two primaries never result", (b)): no configuration that can still elect
   * names the node, so its copies are on no majority that can form, and losing them puts no write
   * beyond the fault model. (The census of any other wipe in the meantime counts the voters only, above.)
   * The node stays busy (no other fault strikes it) until it is a voter again, also when that is left
   * to the heal phase; the wiped redis is a fresh, writable master until its --join sidecar takes it
   * over, so from the wipe until then it counts as unfenced.
   */
  const injectMemberChange = async (n: BenchNode, durationMs: number): Promise<void> => {
    busy.add(n.id);
    active += 1;
    try {
      await members!.change(n, durationMs, end);
    } finally {
      if (!members!.changing.has(n)) busy.delete(n.id);
      active -= 1;
    }
  };

  while (Date.now() < end) {
    await sleep(Math.round((0.3 + rand()) * down));
    if (Date.now() >= end) break;
    if (active >= maxConcurrent) continue;
    if (d.partitions) {
      // Who leads now: the answer of most controllers (under partitions, the first one may be a cut-off old primary).
      const views = (await Promise.all(d.nodes.map((n) => d.ctlPrimaryAddr(n)))).filter((v): v is string => v !== undefined);
      const count = (v: string) => views.filter((x) => x === v).length;
      primaryAddr = views.reduce<string | undefined>((best, v) => (best === undefined || count(v) > count(best) ? v : best), undefined) ?? primaryAddr;
    } else {
      // Who leads now, cheaply: the first controller that names a primary.
      for (const n of d.nodes) {
        const addr = await d.ctlPrimaryAddr(n);
        if (addr !== undefined) {
          primaryAddr = addr;
          break;
        }
      }
    }
    const candidates = d.nodes.filter((n) => !busy.has(n.id));
    const primary = candidates.find((n) => redisAddr(n) === primaryAddr);
    const target = primary && rand() < 0.6 ? primary : candidates[Math.floor(rand() * candidates.length)]!;
    const fault = pool[Math.floor(rand() * pool.length)]!;
    const durationMs = Math.round((0.3 + 2.2 * rand()) * down);
    if (isMemberFault(fault)) {
      // One change at a time (the protocol makes one at a time anyway), on a live non-primary data member.
      if (!members || members.changing.size > 0) continue;
      const others = candidates.filter((n) => n !== primary && redisAddr(n) !== primaryAddr);
      if (!others.length) continue;
      const victim = others[Math.floor(rand() * others.length)]!;
      result.log.push({ t: Date.now() - t0, node: victim.id, fault, durationMs, wasPrimary: false });
      o.log?.(`  ${d.kind} run ${o.run}: ${fault} on ${victim.id}, out for ${durationMs} ms`);
      pending.push(injectMemberChange(victim, durationMs));
      continue;
    }
    if (isPartition(fault)) {
      if (partitioned) continue;
      const plan = planPartition(d, fault, target, d.nodes.find((n) => redisAddr(n) === primaryAddr), rand);
      const ev: FaultEvent = { t: Date.now() - t0, node: plan.label, fault, durationMs, wasPrimary: plan.wasPrimary };
      result.log.push(ev);
      o.log?.(`  ${d.kind} run ${o.run}: ${fault} ${plan.label}${ev.wasPrimary ? ' (primary involved)' : ''} for ${durationMs} ms`);
      pending.push(injectPartition(plan, durationMs));
      continue;
    }
    const ev: FaultEvent = { t: Date.now() - t0, node: target.id, fault, durationMs, wasPrimary: target === primary };
    result.log.push(ev);
    o.log?.(`  ${d.kind} run ${o.run}: ${fault} on ${target.id}${ev.wasPrimary ? ' (primary)' : ''} for ${durationMs} ms`);
    pending.push(inject(target, fault, durationMs));
  }
  phase('waiting for faults to heal');
  await Promise.all(pending);
  phase('final heal');
  const lastHeal = Date.now();
  await d.partitions?.healAll();
  for (const n of d.nodes) if (!members?.changing.has(n)) await heal(d, n);
  // Every node a voter again, so the next run on this cluster starts from the full member list.
  // (Liveness still counts from lastHeal, before this: a re-add left to the heal is part of the time it measures.)
  if (members) members.healing = true;
  for (const n of [...(members?.changing ?? [])]) {
    phase(`final heal: re-add ${n.id}`);
    if (!(await members!.ensureMember(n, Date.now() + 60_000))) {
      const why = `${n.id} is not a voter again 60 s into the heal (membership change); cluster: ${await d.describe()}`;
      // The run is not verified (the script replaces the cluster); its writers must not outlive it.
      await Promise.all([...writers.map((w) => w.stop()), sampler.stop()]);
      throw new Error(why);
    }
  }
  if (members) result.memberChanges = members.stats;
  result.faults = result.log.length;
  result.partitionFaults = result.log.filter((e) => isPartition(e.fault)).length;

  phase('liveness');
  // Liveness: one writable primary that every controller names.
  const livenessDeadline = lastHeal + Math.max(o.livenessBoundMs * 4, 30_000);
  let primary: BenchNode | undefined;
  while (Date.now() < livenessDeadline) {
    const views = await Promise.all(d.nodes.map((n) => d.ctlPrimaryAddr(n)));
    const addr = views[0];
    const cand = addr !== undefined && views.every((v) => v === addr) ? d.nodeAt(addr) : undefined;
    if (cand && (await d.info(cand))?.['role'] === 'master' && (await d.writable(cand))) {
      primary = cand;
      result.livenessMs = Date.now() - lastHeal;
      break;
    }
    await sleep(20);
  }
  result.livenessOk = primary !== undefined && result.livenessMs <= o.livenessBoundMs;

  // Let the writers make progress on the final primary, then stop them.
  const ackedBefore = writers.reduce((x, w) => x + w.acked.length, 0);
  const progress = Date.now() + 3000;
  while (Date.now() < progress && writers.reduce((x, w) => x + w.acked.length, 0) < ackedBefore + 20) await sleep(20);
  phase('stopping writers');
  for (const w of writers) await w.stop();
  phase('stopping sampler');
  await sampler.stop();
  phase('verifying');
  await Promise.all(censuses);
  for (const w of writers) {
    result.acked += w.acked.length;
    result.unacked += w.unacked;
    result.errors += w.errors;
  }

  const keys = writers.flatMap((w) => w.acked);
  let final: BenchNode | undefined;
  try {
    final = await d.waitSettled(o.settleTimeoutMs ?? 60_000);
  } catch (err) {
    // Not settled (a replica that never re-links, say): still check what is there, and report the error.
    result.error = (err as Error).message;
    final = primary;
  }
  // Missing keys, split into those that count and those wipes put beyond the fault model.
  const tally = (missing: string[]): [number, number] => {
    const excused = missing.filter((k) => beyond.has(k)).length;
    return [missing.length - excused, excused];
  };
  if (final) {
    [result.lost, result.beyondModel] = tally(await missingKeys({ host: final.mgmtHost, port: final.redis.port }, keys).catch(() => keys));
    // Replicas: give them a moment to apply the tail; a replica not linked to the final primary is skipped (reported as the error above).
    for (const n of d.nodes) {
      if (n === final) continue;
      const info = await d.info(n);
      if (info?.['master_link_status'] !== 'up' || !Deployment.replicaOf(info, final)) continue;
      let miss = keys;
      for (let i = 0; i < 50; i++) {
        miss = await missingKeys({ host: n.mgmtHost, port: n.redis.port }, keys).catch(() => keys);
        if (miss.length === 0) break;
        await sleep(100);
      }
      const [lost, excused] = tally(miss);
      result.lostOnReplicas += lost;
      result.beyondModelOnReplicas += excused;
    }
  } else {
    result.error ??= 'no primary to check';
  }

  phase('overlaps');
  // Overlaps of write acceptance.
  const wins = sampler.windows(o.samplePeriodMs * 3 + 50);
  for (let i = 0; i < wins.length; i++) {
    for (let j = i + 1; j < wins.length; j++) {
      const a = wins[i]!;
      const b = wins[j]!;
      if (a.node === b.node) continue;
      const from = Math.max(a.from, b.from);
      const to = Math.min(a.to, b.to);
      if (to < from) continue;
      const len = to - from + o.samplePeriodMs; // at least one sample period each
      const excused = unfenced.some((u) => (u.node === a.node || u.node === b.node) && u.from <= to && u.to + down >= from);
      if (excused) result.unfencedOverlapMs = Math.max(result.unfencedOverlapMs, len);
      else {
        if (len > result.maxOverlapMs) result.worstOverlap = `${a.node}+${b.node} from +${from - t0}ms for ${len}ms`;
        result.maxOverlapMs = Math.max(result.maxOverlapMs, len);
        if (len > o.boundMs) result.overlapsBeyondBound += 1;
      }
    }
  }
  phase('done');
  return result;
}

/**
 * Which of `keys` node `n` holds right now, for the wipe census: `'dead'` when its redis is not
 * running (killed without persistence: its data is gone), `'unknown'` when it cannot answer at once
 * (frozen, loading, mid-resync), which the census counts as holding everything.
 */
async function holding(n: BenchNode, keys: string[]): Promise<Holding> {
  if (!n.redis.running) return 'dead';
  if (keys.length === 0) return new Set();
  try {
    const missing = new Set(await missingKeys({ host: n.mgmtHost, port: n.redis.port }, keys, { connectMs: 300, commandMs: 1000 }));
    return new Set(keys.filter((k) => !missing.has(k)));
  } catch {
    return 'unknown';
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** Undo whatever a fault left: SIGCONT, restart dead redis (empty) and dead controllers. */
export async function heal(d: Deployment, n: BenchNode): Promise<void> {
  const was = progress.phase;
  phase(`${was}: heal ${n.id}`);
  n.ctl?.signal('SIGCONT');
  await n.redis.kill('SIGCONT');
  if (!n.redis.running) {
    phase(`${was}: heal ${n.id}: restart redis`);
    await withTimeout(d.restoreRedis(n, undefined), 30_000, `restart of redis ${n.id}`).catch((err: Error) => {
      // A restart that never finishes leaves a run unverified: say what the redis was doing.
      throw new Error(`${err.message} (pid ${n.redis.pid}, ${n.redis.running ? 'running' : 'not running'}; last lines of ${n.redis.logPath}: ${logTail(n.redis.logPath, 5).split('\n').join(' | ')})`);
    });
  }
  if (!n.ctl?.running) {
    phase(`${was}: heal ${n.id}: restart ctl`);
    await d.restartCtl(n);
  }
  phase(was);
}
