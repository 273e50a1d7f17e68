/**
 * `/ready`: whether this member holds a copy of the set's data, for a
 * Kubernetes readiness probe (and so for a StatefulSet rollout, which waits
 * for each restarted pod to be ready before it restarts the next, and for a
 * PodDisruptionBudget, which counts ready pods before it lets a drain evict).
 *
 * Ready: the sidecar serves, its vote file can be saved, and its redis is
 * - the primary's (the sidecar is primary and its redis a master), or
 * - a replica with its link up and no sync under way, or
 * - a redis that was such a synced replica (or that primary) earlier in its
 *   life — same `run_id` — and whose link is merely down now: the primary
 *   died or an election runs. Such a replica keeps the data it synced and is
 *   the next primary's candidate, so it stays ready; taking it out is what
 *   starves Sentinel discovery (and the PDB) exactly while the set fails over.
 *
 * Not ready: a redis restarted (new `run_id`, typically empty, a rescheduled
 * pod) until its first complete sync, a redis loading or receiving a full
 * sync, an unreachable redis, a vote file that cannot be saved.
 *
 * The memory is one `run_id`, taken from every poll (the sidecar's
 * `redis-health` events, every poll interval), so a sync that completed
 * between two probes counts.
 */
import type { RedisStatus } from '../redis/status.js';
import type { SidecarView } from '../sidecar/view.js';
import type { CheckResult } from './health.js';

export class Readiness {
  /** The run_id of the local redis last seen holding synced data. */
  private syncedRunId: string | undefined;
  private readonly onHealth = (status: RedisStatus) => this.observe(status);

  constructor(private readonly view: SidecarView) {
    view.events.on('redis-health', this.onHealth);
  }

  /** Stop following the sidecar's polls. */
  close(): void {
    this.view.events.off('redis-health', this.onHealth);
  }

  private holdsSyncedData(status: RedisStatus): boolean {
    if (!status.reachable || !status.healthy) return false;
    if (status.role === 'slave') return true;
    const snap = this.view.snapshot();
    return status.role === 'master' && snap.role === 'primary';
  }

  private observe(status: RedisStatus): void {
    if (status.runId !== undefined && this.holdsSyncedData(status)) this.syncedRunId = status.runId;
  }

  check(): CheckResult {
    const view = this.view;
    const snap = view.snapshot();
    const self = view.config.members.find((m) => m.id === view.config.id);
    const base = { id: view.config.id, role: self?.witness ? 'witness' : snap.role, epoch: snap.epoch, primary: view.primary()?.id ?? null };
    const answer = (reason: string | undefined, extra: Record<string, unknown> = {}): CheckResult =>
      reason === undefined
        ? { ok: true, status: 200, body: { status: 'ok', ...base, ...extra } }
        : { ok: false, status: 503, body: { status: 'fail', reason, ...base, ...extra } };

    const voteFile = view.voteFileProblem();
    if (voteFile !== undefined) return answer(voteFile);
    if (self?.witness) return answer(undefined);
    const redis = view.redisStatus();
    if (redis === undefined) return answer('redis has not been polled yet');
    this.observe(redis);
    if (!redis.reachable) return answer(`redis unreachable${redis.error ? `: ${redis.error}` : ''}`);
    const extra = { redisRole: redis.role ?? null, offset: redis.offset ?? null };
    if (this.holdsSyncedData(redis)) return answer(undefined, extra);
    const remembered = redis.runId !== undefined && redis.runId === this.syncedRunId;
    // Only a lost link is forgiven: loading, a full sync or a control-loop problem mean the data is not (yet) there.
    if (remembered && (redis.unhealthyReason === 'master-link-down' || redis.healthy)) {
      return answer(undefined, { ...extra, note: 'link to the primary down; this redis holds the data it synced' });
    }
    if (!redis.healthy) return answer(`redis unhealthy: ${redis.unhealthyReason ?? 'unknown'}${remembered ? '' : ' (and it has not completed a sync since it started)'}`, extra);
    return answer(`redis is a ${redis.role ?? 'redis of unknown role'} that has not completed a sync since it started (a restarted or new redis waits for its first full sync)`, extra);
  }
}
