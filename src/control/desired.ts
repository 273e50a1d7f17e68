/**
 * What the Elector wants the local redis to be, derived from its events
 * alone. Pure: the sidecar's runtime and the simulator feed it the same
 * events and get the same answer.
 */
import type { ElectorEvent } from '../elector/events.js';

export type Desired =
  /** Just started: leave replication alone until the Elector knows the cluster (a master is fenced meanwhile). */
  | { kind: 'unknown' }
  /** Replicate from member `id`, the primary of `epoch`. */
  | { kind: 'follow'; id: string; epoch: number }
  /** Primary lost or stepped down: replicate from nobody, stay read-only, keep the data. */
  | { kind: 'detached' }
  /** This node is the primary of `epoch`. */
  | { kind: 'primary'; epoch: number };

export const INITIAL_DESIRED: Desired = { kind: 'unknown' };

/**
 * The desired state after `ev`, for the node `selfId`.
 *
 * Only `follow` and `role` move it. `primary-lost` does not: the Elector
 * emits it immediately followed by `follow(null)` (elector.ts markPrimaryLost),
 * so acting on both would be two paths to one decision; the detach happens on
 * `follow(null)` and the Elector's data rule still gets its fresh offset,
 * because the executor reports an offset only from a poll that came after
 * the last action (see ControlPlan). `follow(self)` (the Elector confirming
 * itself as the primary it knows) changes nothing: `role → primary` says it.
 * A step-down from primary detaches until the Elector names a new primary:
 * a demoted primary must stop being a master at once, not wait for news.
 */
export function desiredAfter(desired: Desired, ev: ElectorEvent, selfId: string): Desired {
  switch (ev.type) {
    case 'follow':
      if (ev.primary === null) return { kind: 'detached' };
      if (ev.primary === selfId) return desired;
      return { kind: 'follow', id: ev.primary, epoch: ev.epoch };
    case 'role':
      if (ev.to === 'primary') return { kind: 'primary', epoch: ev.epoch };
      if (desired.kind === 'primary') return { kind: 'detached' };
      return desired;
    default:
      return desired;
  }
}

/** Whether two desired states are the same. */
export function sameDesired(a: Desired, b: Desired): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'follow' && b.kind === 'follow') return a.id === b.id && a.epoch === b.epoch;
  if (a.kind === 'primary' && b.kind === 'primary') return a.epoch === b.epoch;
  return true;
}
