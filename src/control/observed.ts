/**
 * What the control plan knows of the local redis from its last poll: the
 * facts it decides on, nothing more, so the simulator can describe its
 * modelled redis in the same terms as the sidecar describes a real one.
 */
import type { RedisStatus, UnhealthyReason } from '../redis/status.js';

export interface Observed {
  /** The poll got an answer. False: unreachable, frozen or refusing (see `error`). */
  reachable: boolean;
  error?: string;
  /** INFO server `run_id`; a new one means redis restarted. */
  runId?: string;
  role?: 'master' | 'slave';
  /** The configured master of a replica (the detach sink when detached). */
  masterHost?: string;
  masterPort?: number;
  /** A replica's `master_link_status` is up; undefined on a master. */
  linkUp?: boolean;
  /** A master's `connected_slaves`; undefined on a replica. */
  replicas?: number;
  /** The offset the Elector compares (see electionOffset). */
  offset?: number;
  /** The epoch marker in the data; undefined when redis would not say (loading). */
  dataEpoch?: number;
  unhealthyReason?: UnhealthyReason;
  /** `replica-read-only` as redis reports it; undefined when not read. */
  replicaReadOnly?: boolean;
}

/** The facts of one real poll. */
export function observedFromStatus(s: RedisStatus): Observed {
  const o: Observed = { reachable: s.reachable };
  if (s.error !== undefined) o.error = s.error;
  if (s.runId !== undefined) o.runId = s.runId;
  if (s.role !== undefined) o.role = s.role;
  if (s.replication?.masterHost !== undefined) o.masterHost = s.replication.masterHost;
  if (s.replication?.masterPort !== undefined) o.masterPort = s.replication.masterPort;
  if (s.role === 'slave' && s.replication) o.linkUp = s.replication.linkStatus === 'up';
  if (s.role === 'master' && s.replication) o.replicas = s.replication.connectedReplicas.length;
  if (s.offset !== undefined) o.offset = s.offset;
  if (s.dataEpoch !== undefined) o.dataEpoch = s.dataEpoch;
  if (s.unhealthyReason !== undefined) o.unhealthyReason = s.unhealthyReason;
  if (s.replicaReadOnly !== undefined) o.replicaReadOnly = s.replicaReadOnly;
  return o;
}
