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
 */
import { Redis } from 'ioredis';
import { type BenchNode, type Deployment, MASTER_NAME } from './deploy.js';
import { sleep } from './procs.js';
import { AckWriter, missingKeys } from './writer.js';
import { mulberry32 as rng } from '../util/mulberry32.js';

/** What the current run is doing, for the hang watchdog of scripts/chaos.ts. */
export const progress = { phase: 'idle', since: Date.now() };
function phase(name: string): void {
  progress.phase = name;
  progress.since = Date.now();
}


export const FAULTS = ['kill-ctl', 'kill-redis', 'kill-both', 'stop-ctl', 'stop-redis', 'stop-both', 'restart-redis-empty'] as const;
export type Fault = (typeof FAULTS)[number];

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
  acked: number;
  unacked: number;
  errors: number;
  lost: number;
  lostOnReplicas: number;
  maxOverlapMs: number;
  overlapsBeyondBound: number;
  /** Overlaps where one side's controller was down or frozen (cannot fence; documented). */
  unfencedOverlapMs: number;
  livenessMs: number;
  livenessOk: boolean;
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
      const c = new Redis({ host: '127.0.0.1', port: n.redis.port, connectTimeout: 200, commandTimeout: Math.max(50, periodMs * 2), enableOfflineQueue: false, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => 10, disableClientInfo: true });
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
  log?: (msg: string) => void;
}

/** One chaos run on a running, settled deployment. */
export async function chaosRun(d: Deployment, o: ChaosOptions): Promise<RunResult> {
  const rand = rng(o.seed);
  const down = d.opts.downAfterMs;
  const replicas = d.majority - 1;
  const result: RunResult = { system: d.kind, run: o.run, seed: o.seed, faults: 0, acked: 0, unacked: 0, errors: 0, lost: 0, lostOnReplicas: 0, maxOverlapMs: 0, overlapsBeyondBound: 0, unfencedOverlapMs: 0, livenessMs: NaN, livenessOk: false, log: [] };
  const writers = [0, 1].map((w) => new AckWriter({ sentinels: d.sentinels, masterName: MASTER_NAME, replicas, waitTimeoutMs: 300, intervalMs: 2, prefix: `chaos:${o.seed}:${w}:` }));
  const sampler = new AcceptSampler(d.nodes, o.samplePeriodMs);
  for (const w of writers) w.start();
  // Faults only once the workload runs: on a busy machine the clients can take seconds to resolve
  // the primary, and a nemesis that strikes first leaves a run with nothing acknowledged to check.
  phase('waiting for the first acknowledged write');
  const started = Date.now() + 20_000;
  while (Date.now() < started && writers.every((w) => w.acked.length === 0)) await sleep(20);
  phase('nemesis');
  // Intervals in which a node's controller was dead or frozen.
  const unfenced: { node: string; from: number; to: number }[] = [];
  const busy = new Set<string>();
  const pending: Promise<void>[] = [];
  const maxConcurrent = d.majority - 1 >= 2 ? 2 : 1;
  const t0 = Date.now();
  const end = t0 + o.timeMs;
  let primaryPort: number | undefined;

  const inject = async (n: BenchNode, fault: Fault, durationMs: number): Promise<void> => {
    busy.add(n.id);
    const t = Date.now();
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
      await sleep(fault === 'restart-redis-empty' ? 0 : durationMs);
      await heal(d, n);
    } finally {
      if (ctlDown) unfenced.push({ node: n.id, from: t, to: Date.now() + d.opts.pollIntervalMs! });
      busy.delete(n.id);
    }
  };

  while (Date.now() < end) {
    await sleep(Math.round((0.3 + rand()) * down));
    if (Date.now() >= end) break;
    if (busy.size >= maxConcurrent) continue;
    // Who leads now, cheaply: the first controller that names a primary.
    for (const n of d.nodes) {
      const port = await d.ctlPrimary(n);
      if (port !== undefined) {
        primaryPort = port;
        break;
      }
    }
    const candidates = d.nodes.filter((n) => !busy.has(n.id));
    const primary = candidates.find((n) => n.redis.port === primaryPort);
    const target = primary && rand() < 0.6 ? primary : candidates[Math.floor(rand() * candidates.length)]!;
    const fault = FAULTS[Math.floor(rand() * FAULTS.length)]!;
    const durationMs = Math.round((0.3 + 2.2 * rand()) * down);
    const ev: FaultEvent = { t: Date.now() - t0, node: target.id, fault, durationMs, wasPrimary: target === primary };
    result.log.push(ev);
    o.log?.(`  ${d.kind} run ${o.run}: ${fault} on ${target.id}${ev.wasPrimary ? ' (primary)' : ''} for ${durationMs} ms`);
    pending.push(inject(target, fault, durationMs));
  }
  phase('waiting for faults to heal');
  await Promise.all(pending);
  phase('final heal');
  const lastHeal = Date.now();
  for (const n of d.nodes) await heal(d, n);
  result.faults = result.log.length;

  phase('liveness');
  // Liveness: one writable primary that every controller names.
  const livenessDeadline = lastHeal + Math.max(o.livenessBoundMs * 4, 30_000);
  let primary: BenchNode | undefined;
  while (Date.now() < livenessDeadline) {
    const views = await Promise.all(d.nodes.map((n) => d.ctlPrimary(n)));
    const port = views[0];
    const cand = port !== undefined && views.every((v) => v === port) ? d.node(port) : undefined;
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
  if (final) {
    result.lost = (await missingKeys(final.redis.port, keys).catch(() => keys)).length;
    // Replicas: give them a moment to apply the tail; a replica not linked to the final primary is skipped (reported as the error above).
    for (const n of d.nodes) {
      if (n === final) continue;
      const info = await d.info(n);
      if (info?.['master_link_status'] !== 'up' || Number(info['master_port']) !== final.redis.port) continue;
      let miss = keys.length;
      for (let i = 0; i < 50; i++) {
        miss = (await missingKeys(n.redis.port, keys).catch(() => keys)).length;
        if (miss === 0) break;
        await sleep(100);
      }
      result.lostOnReplicas += miss;
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
    await withTimeout(d.restoreRedis(n, undefined), 30_000, `restart of redis ${n.id}`);
  }
  if (!n.ctl?.running) {
    phase(`${was}: heal ${n.id}: restart ctl`);
    await d.restartCtl(n);
  }
  phase(was);
}
