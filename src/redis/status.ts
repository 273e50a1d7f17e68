/**
 * What one poll of the local redis tells the Elector: can it be reached, what
 * role does it play, which offset to compare, and is it fit to be promoted or
 * to count as an in-sync replica. Pure derivation from a ReplicationState.
 */
import type { ReplicationState } from './info.js';

/** Why a reachable redis is not healthy. */
export type UnhealthyReason =
  /** poll() could not get an INFO answer (see `error`). */
  | 'unreachable'
  /** The INFO answer could not be understood (see `error`). */
  | 'bad-info'
  /** Loading its dataset (startup or the RDB of a full sync): not serving the data it will have. */
  | 'loading'
  /** Receiving a full sync: its dataset is about to be replaced. */
  | 'sync-in-progress'
  /** A replica whose link to its master is down (master lost, detached, or still handshaking). */
  | 'master-link-down'
  /**
   * Redis answers but the sidecar's control loop judges it unfit (see `error`): a role step it
   * needs failed, `replica-read-only` is off, it restarted under a primary. Set by the sidecar
   * (src/control/health.ts), never by deriveStatus.
   */
  | 'control-loop';

export interface RedisStatus {
  /** INFO answered. False when the connection failed, timed out or INFO was refused. */
  reachable: boolean;
  /** Why it is unreachable or unparseable; absent when all went well. */
  error?: string;
  /** INFO server `run_id`; changes whenever the redis process restarts. */
  runId?: string;
  /** The role redis reports (redis vocabulary: `master` / `slave`). */
  role?: 'master' | 'slave';
  /**
   * The replication offset the Elector should compare: `master_repl_offset`
   * on a master, `slave_repl_offset` on a replica. See {@link electionOffset}.
   */
  offset?: number;
  /** reachable && !loading && !syncInProgress && (master || link up). */
  healthy: boolean;
  /** Set whenever healthy is false. */
  unhealthyReason?: UnhealthyReason;
  /** The epoch marker in the data (epoch-marker.ts): which primary's stream this redis holds; 0 when none; absent when redis would not say (loading). */
  dataEpoch?: number;
  /**
   * `CONFIG GET replica-read-only`: whether a replica refuses client writes. Undefined when redis
   * would not say (CONFIG refused). A writable replica takes writes its primary never sees.
   */
  replicaReadOnly?: boolean;
  /** Everything INFO said about replication, for logs and finer decisions. */
  replication?: ReplicationState;
}

/**
 * The offset to compare between nodes when choosing whom to promote.
 *
 * On a master: `master_repl_offset`, its own stream.
 *
 * On a replica: `slave_repl_offset`, the applied offset of the master stream,
 * which is what Sentinel compares too. Observed on redis 7.0: it equals the
 * replica's `master_repl_offset` while streaming, while the link is down and
 * after detach (both come from the master client or its cached copy), and
 * also while a full-sync RDB is still being transferred (the old data and
 * cached master are intact until then). They part once the RDB starts
 * loading: the cached master is discarded, `slave_repl_offset` becomes
 * redis's synthetic 1 (no master, no cached master) while
 * `master_repl_offset` keeps the old history's offset, which no longer
 * describes the data being loaded nor can be PSYNCed from. The low value is
 * the honest one. The same 1 shows on a replica restarted empty whose master
 * is unreachable. Offsets only compare within one history: check
 * `replication.replId` too.
 */
export function electionOffset(state: ReplicationState): number {
  if (state.role === 'master') return state.masterReplOffset;
  return state.replicaOffset ?? state.masterReplOffset;
}

/** The status of a redis whose INFO was parsed into `state`. */
export function deriveStatus(state: ReplicationState): RedisStatus {
  const status: RedisStatus = {
    reachable: true,
    role: state.role,
    offset: electionOffset(state),
    healthy: true,
    replication: state,
  };
  if (state.runId !== undefined) status.runId = state.runId;
  const reason: UnhealthyReason | undefined = state.loading
    ? 'loading'
    : state.syncInProgress
      ? 'sync-in-progress'
      : state.role === 'slave' && state.linkStatus !== 'up'
        ? 'master-link-down'
        : undefined;
  if (reason !== undefined) {
    status.healthy = false;
    status.unhealthyReason = reason;
  }
  return status;
}

/** The status of a redis that could not be polled. */
export function unreachableStatus(error: string): RedisStatus {
  return { reachable: false, error, healthy: false, unhealthyReason: 'unreachable' };
}
