/**
 * The control plan: given what the Elector wants, what the last poll saw and
 * what the loop remembers, the one next step for redis. Pure and total: the
 * sidecar (src/sidecar/redis-runtime.ts) executes it against the real redis,
 * the simulator (lab/sim/node.ts) against its model, so both run the same
 * ordering decisions. protocol.md §6 states the rules; the order of the
 * checks below is the order of priority:
 *
 * 1. A pending promotion first (the Elector waits on it), unless redis
 *    restarted since the node stood: then it is abandoned. Only while the
 *    Elector is still promoting that epoch: one that moved on (a newer
 *    epoch, a timeout) must not find its redis made a writable master.
 * 2. The fence, whenever it is wanted and not held, before any role step and
 *    also when the poll failed: a redis that may be a master and may not take
 *    writes is paused first, asked questions later.
 * 3. Nothing else on a redis that did not answer.
 * 4. The role steps for the desired state (credentials before REPLICAOF).
 * 5. Disconnecting clients of a demoted or promoted master.
 * 6. Lifting the fence last, and only when it is not wanted: on a redis the
 *    last poll showed as a replica (so after a demotion was
 *    confirmed, never before), or on the primary allowed to take writes.
 */
import type { PhaseName } from '../elector/phase.js';
import type { HostPort } from '../protocol/index.js';
import { isDetachTarget } from '../redis/detach.js';
import type { ControlAction } from './action.js';
import type { FenceBelief, Knowledge } from './knowledge.js';
import type { Observed } from './observed.js';

export interface PlanContext {
  /** The epoch the Elector is promoting now (see promotingEpoch); null when it is not promoting. */
  promoting: number | null;
  /** Elector.writesAllowed(now): primary, lease held, no hand-off draining writes. */
  writesAllowed: boolean;
  /** The executor's knowledge of the fence. */
  fence: FenceBelief;
  /** The redis address of member `id` (from the configured membership, never from a message). */
  redisOf(id: string): HostPort | undefined;
  /** `--min-replicas`; 0: off. */
  minReplicas: number;
  /** `min-replicas-max-lag` in seconds when `minReplicas` > 0. */
  minReplicasMaxLagSec: number;
  /** Whether `--kill-clients` names any client type. */
  killClients: boolean;
}

/**
 * The epoch an Elector in this state waits to see promoted, or null: from
 * its snapshot (`phase`, `epoch`). A promoting Elector's epoch is the one it
 * won: adopting any other ends the promotion (elector.ts adoptEpoch).
 */
export function promotingEpoch(s: { phase: PhaseName; epoch: number }): number | null {
  return s.phase === 'promoting' ? s.epoch : null;
}

/**
 * Whether redis must be fenced now: always after a failed role step; else
 * unless writes are allowed or the last poll showed a replica. An unreachable
 * redis counts as a possible master (it may have restarted as one). A replica
 * with `replica-read-only no` is not fenced: a pause would also stop it
 * applying its primary's stream (redis pauses replication with writes); it is
 * reported unhealthy instead (health.ts).
 */
export function wantsFence(k: Knowledge, o: Observed | undefined, writesAllowed: boolean): boolean {
  if (k.failure !== undefined) return true;
  if (writesAllowed) return false;
  return !(o?.reachable === true && o.role === 'slave');
}

export function nextAction(k: Knowledge, o: Observed | undefined, ctx: PlanContext): ControlAction {
  // A `promote` the Elector no longer waits on is ignored here (and forgotten on the event that ended it, outcome.ts).
  if (k.promote !== null && k.promote === ctx.promoting) {
    if (k.restartedUnder !== undefined) return { kind: 'abandon-promotion', epoch: k.promote, why: k.restartedUnder };
    return { kind: 'promote', epoch: k.promote };
  }
  const fence = wantsFence(k, o, ctx.writesAllowed);
  if (fence && ctx.fence !== 'held') return { kind: 'fence' };
  if (o === undefined || !o.reachable) return { kind: 'none', hold: 'local redis not reachable' };
  const d = k.desired;
  const master = o.role === 'master';
  if (d.kind === 'primary') {
    // A primary whose redis is not a master is reported unhealthy, and the Elector steps down.
    if (!master) return { kind: 'none', hold: 'local redis is a replica although this node is primary' };
    if (ctx.minReplicas > 0 && k.minReplicas !== ctx.minReplicas) return { kind: 'set-min-replicas', n: ctx.minReplicas, maxLagSec: ctx.minReplicasMaxLagSec };
  } else {
    // A master that stops being primary must not keep refusing writes for want of replicas once it is one again.
    if (master && k.minReplicas !== undefined && k.minReplicas !== 0) return { kind: 'set-min-replicas', n: 0, maxLagSec: 10 };
    if (d.kind === 'follow') {
      const target = ctx.redisOf(d.id);
      if (target === undefined) return { kind: 'none', hold: `no redis address configured for ${d.id}` };
      if ((o.dataEpoch ?? 0) > d.epoch) {
        // A stale LEASE or HB reached a sidecar that just started: a resync from that primary would
        // throw newer data away. Reporting the data epoch makes the Elector adopt it and drop that primary.
        return { kind: 'none', hold: `not following ${d.id}: local data holds epoch ${o.dataEpoch}, newer than its epoch ${d.epoch}` };
      }
      // Also when redis already points there (a restarted sidecar, a primary re-elected in a newer
      // epoch): it must present this epoch's credentials, or its next reconnect fails.
      const key = `${d.epoch} ${d.id} ${o.runId ?? '?'}`;
      if (k.authFor !== key) return { kind: 'set-replication-auth', id: d.id, epoch: d.epoch, key };
      const already = !master && o.masterHost?.toLowerCase() === target.host.toLowerCase() && o.masterPort === target.port;
      if (!already) return { kind: 'replicate', id: d.id, epoch: d.epoch, target, demoting: master };
    } else if (d.kind === 'detached') {
      if (master || !isDetachTarget(o.masterHost, o.masterPort)) return { kind: 'detach', demoting: master };
    }
  }
  if (k.killClients !== undefined && ctx.killClients) return { kind: 'kill-clients', why: k.killClients };
  if (!fence && ctx.fence !== 'lifted') return { kind: 'unfence' };
  return { kind: 'none' };
}
