/**
 * The health endpoints' decisions, as pure functions of the view, so a load
 * balancer's checks and the tests see the same reasons:
 *
 * - `/health`  — this sidecar runs, its vote file can be saved and (on data nodes) its redis is healthy.
 * - `/primary` — this node is the primary and holds a lease (route writes here).
 * - `/replica` — this node is a healthy replica following a live primary (route reads here).
 * - `/live`    — the sidecar's event loop answers (a liveness probe: nothing about redis or peers,
 *                which a restart of the sidecar would not mend).
 * - `/ready`   — this member holds synced data (readiness.ts: it keeps a memory, so it is not here).
 */
import type { SidecarView } from '../sidecar/view.js';

export interface CheckResult {
  ok: boolean;
  /** 200 when ok, 503 otherwise. */
  status: number;
  body: Record<string, unknown>;
}

function selfMember(view: SidecarView) {
  return view.config.members.find((m) => m.id === view.config.id);
}

function base(view: SidecarView): Record<string, unknown> {
  const snap = view.snapshot();
  const witness = selfMember(view)?.witness ?? false;
  return { id: view.config.id, role: witness ? 'witness' : snap.role, epoch: snap.epoch, primary: view.primary()?.id ?? null };
}

function result(view: SidecarView, reason: string | undefined, extra: Record<string, unknown> = {}): CheckResult {
  const ok = reason === undefined;
  return {
    ok,
    status: ok ? 200 : 503,
    body: { status: ok ? 'ok' : 'fail', ...(ok ? {} : { reason }), ...base(view), ...extra },
  };
}

/** Why this node's redis is not healthy, or undefined when it is. */
function redisProblem(view: SidecarView): string | undefined {
  const redis = view.redisStatus();
  if (redis === undefined) return 'redis has not been polled yet';
  if (!redis.reachable) return `redis unreachable${redis.error ? `: ${redis.error}` : ''}`;
  if (!redis.healthy) return `redis unhealthy: ${redis.unhealthyReason ?? 'unknown'}${redis.error ? ` (${redis.error})` : ''}`;
  return undefined;
}

export function checkHealth(view: SidecarView): CheckResult {
  const voteFile = view.voteFileProblem();
  if (selfMember(view)?.witness) return result(view, voteFile);
  const redis = view.redisStatus();
  return result(view, voteFile ?? redisProblem(view), {
    redis: redis ? { reachable: redis.reachable, healthy: redis.healthy, role: redis.role ?? null, offset: redis.offset ?? null } : null,
  });
}

export function checkPrimary(view: SidecarView): CheckResult {
  const snap = view.snapshot();
  const leaseMs = snap.hasLease && Number.isFinite(snap.leaseUntil) ? Math.max(0, Math.round(snap.leaseUntil - view.now())) : 0;
  const extra = { lease: snap.hasLease, leaseRemainingMs: leaseMs, writesAllowed: snap.writesAllowed };
  if (selfMember(view)?.witness) return result(view, 'a witness is never primary', extra);
  if (snap.role !== 'primary') return result(view, `not the primary (role ${snap.role})`, extra);
  if (!snap.hasLease) return result(view, 'primary without a lease: a majority has not acknowledged it recently', extra);
  return result(view, undefined, extra);
}

export function checkReplica(view: SidecarView): CheckResult {
  const snap = view.snapshot();
  const primary = view.primary();
  const extra = { offset: snap.offset };
  if (selfMember(view)?.witness) return result(view, 'a witness holds no data', extra);
  if (snap.role !== 'replica') return result(view, `not a replica (role ${snap.role})`, extra);
  if (!primary) return result(view, 'no primary is known', extra);
  if (primary.id === view.config.id) return result(view, 'this node was the primary and no new one is followed yet', extra);
  const peer = snap.peers.find((p) => p.id === primary.id);
  if (snap.currentPrimary !== primary.id || !peer || !peer.up || peer.role !== 'primary') {
    return result(view, `primary ${primary.id} is not live: ${!peer?.up ? 'its sidecar is unreachable' : `it reports role ${peer.role}`}`, extra);
  }
  const problem = redisProblem(view);
  if (problem) return result(view, problem, extra);
  const redis = view.redisStatus()!;
  if (redis.role !== 'slave') return result(view, `redis is a ${redis.role ?? 'unknown role'}, not a replica`, extra);
  const repl = redis.replication;
  if (repl?.masterHost !== undefined && repl.masterPort !== undefined && (repl.masterHost !== primary.addr.host || repl.masterPort !== primary.addr.port)) {
    return result(view, `redis replicates from ${repl.masterHost}:${repl.masterPort}, not from the primary at ${primary.addr.host}:${primary.addr.port}`, extra);
  }
  const lag = peer.offset - (redis.offset ?? snap.offset);
  return result(view, undefined, { ...extra, lagBytes: Math.max(0, lag) });
}

export function checkLive(view: SidecarView): CheckResult {
  return result(view, undefined, { uptimeMs: Math.max(0, Date.now() - view.startedAt) });
}
