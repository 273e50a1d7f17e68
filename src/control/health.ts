/**
 * What the control loop tells the Elector after a poll: whether the local
 * redis is fit (Elector.setHealthy) and why not. Pure, shared by the sidecar
 * and the simulator.
 */
import type { Knowledge } from './knowledge.js';
import type { Observed } from './observed.js';

export interface HealthReport {
  healthy: boolean;
  /** Why not, when not. */
  why?: string;
}

export function healthOf(k: Knowledge, o: Observed | undefined): HealthReport {
  if (o === undefined) return { healthy: false, why: 'local redis not polled yet' };
  if (!o.reachable) return { healthy: false, why: o.error ?? 'unreachable' };
  if (o.unhealthyReason === 'loading' || o.unhealthyReason === 'sync-in-progress' || o.unhealthyReason === 'bad-info') return { healthy: false, why: o.error ?? o.unhealthyReason };
  if (o.dataEpoch === undefined) return { healthy: false, why: 'the epoch marker could not be read, so the data epoch is unknown' };
  if (k.restartedUnder !== undefined) return { healthy: false, why: k.restartedUnder };
  if (k.desired.kind === 'primary' && o.role !== 'master') return { healthy: false, why: 'local redis is a replica although this node is primary' };
  if (k.failure !== undefined) return { healthy: false, why: `redis ${k.failure.action} failed: ${k.failure.error}` };
  if (o.role === 'slave' && o.replicaReadOnly === false) return { healthy: false, why: 'replica-read-only is no: this replica would take writes its primary never sees' };
  return { healthy: true };
}
