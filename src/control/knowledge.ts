/**
 * What the control loop remembers between polls: the desired state, the
 * steps it has taken whose effect a poll cannot show, and the failures that
 * keep the node unhealthy. Pure data, updated only by the functions in
 * outcome.ts, so the sidecar and the simulator remember the same things.
 */
import type { ActionKind } from './action.js';
import { INITIAL_DESIRED, type Desired } from './desired.js';

export interface Knowledge {
  desired: Desired;
  /** The epoch of a `promote` event not acted on yet. */
  promote: number | null;
  /** A promotion is being carried out (the executor cleared `promote` and has not finished). */
  promoting: boolean;
  /** `<epoch> <primary id> <our run_id>` of the replication credentials redis was last given. CONFIG SET does not survive a restart, hence the run_id. */
  authFor?: string;
  /** The `min-replicas-to-write` this loop set on the current redis process; undefined: not set by us. */
  minReplicas?: number;
  /** Why application clients must be disconnected (a master just changed role); undefined: no need. */
  killClients?: string;
  /** The run_id of the redis process last polled. */
  lastRunId?: string;
  /** The run_id seen while the node was not standing or leading: the redis it stood with. */
  trustedRunId?: string;
  /** Set when redis restarted while the node stood, promoted or led: its data may be gone. */
  restartedUnder?: string;
  /** The last role action failed: redis stays fenced and the node unhealthy until it succeeds or is no longer needed. */
  failure?: { action: ActionKind; error: string };
}

export function initialKnowledge(): Knowledge {
  return { desired: INITIAL_DESIRED, promote: null, promoting: false };
}

/**
 * What the executor knows of the write fence (CLIENT PAUSE WRITE).
 * `unknown`: never set or lifted by this process (a previous sidecar may have
 * left one, or none); `held`: set and being renewed; `lifted`: unpaused.
 */
export type FenceBelief = 'unknown' | 'held' | 'lifted';
