/**
 * The one step the control plan asks its executor to take next. Each kind is
 * also the `action` field of the log line the sidecar writes once redis
 * confirmed the step (docs and tests match these names).
 */
import type { HostPort } from '../protocol/index.js';

export type ControlAction =
  /**
   * Make this node's redis the primary of `epoch`, in this order: the
   * replication user for its replicas, `REPLICAOF NO ONE`, lift any fence (it
   * would hold the next write), the epoch marker, confirm with a poll, then
   * `Elector.promoted(true)`. Any failure: `promoted(false)`.
   */
  | { kind: 'promote'; epoch: number }
  /** A promotion is pending but redis restarted since the node stood: `Elector.promoted(false)`, nothing sent to redis. */
  | { kind: 'abandon-promotion'; epoch: number; why: string }
  /** Present this epoch's replication credentials (`CONFIG SET masteruser/masterauth`); `key` is what they were for. */
  | { kind: 'set-replication-auth'; id: string; epoch: number; key: string }
  /** `REPLICAOF target`; `demoting` when redis was a master (clients are then disconnected). */
  | { kind: 'replicate'; id: string; epoch: number; target: HostPort; demoting: boolean }
  /** Point redis at the detach sink (src/redis/detach.ts): read-only, data kept. */
  | { kind: 'detach'; demoting: boolean }
  /** `CLIENT PAUSE <fenceMs> WRITE`, renewed by the executor for as long as the plan keeps wanting it. */
  | { kind: 'fence' }
  /** `CLIENT UNPAUSE`. */
  | { kind: 'unfence' }
  /** `CONFIG SET min-replicas-max-lag`, then `min-replicas-to-write`. */
  | { kind: 'set-min-replicas'; n: number; maxLagSec: number }
  /** Disconnect application clients so they re-resolve the primary. */
  | { kind: 'kill-clients'; why: string }
  /** Nothing to do; `hold` says why redis is left as it is when it does not match the desired state. */
  | { kind: 'none'; hold?: string };

export type ActionKind = ControlAction['kind'];

/** Actions that change which role redis plays or how it replicates: a failure leaves redis fenced and the node unhealthy. */
export const ROLE_ACTIONS: ReadonlySet<ActionKind> = new Set<ActionKind>(['set-replication-auth', 'replicate', 'detach', 'set-min-replicas']);

/** The `action` log field of each kind (abandoning a promotion is a failed promotion). */
export function actionName(kind: ActionKind): string {
  return kind === 'abandon-promotion' ? 'promote' : kind;
}
