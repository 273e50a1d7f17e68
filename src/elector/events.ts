import type { RefuseReason, Role } from '../protocol/messages.js';

/**
 * What the Elector tells its runtime, besides the messages it returns. The
 * runtime logs every event and acts on a few: `promote` (run REPLICAOF NO ONE,
 * then confirm with `promoted()`), `follow` (retarget redis), `primary-lost`
 * (detach redis from the lost primary and report a fresh offset), `lease` and
 * `writes` (fence or unfence redis).
 */
export type ElectorEvent =
  | { type: 'role'; from: Role; to: Role; epoch: number; reason: string }
  | { type: 'epoch'; from: number; to: number; reason: string }
  /** Point the local redis at this member (null: at no one, detached). */
  | { type: 'follow'; primary: string | null; epoch: number; reason: string }
  /** The primary this node followed is considered gone; detach redis and report a fresh offset. */
  | { type: 'primary-lost'; primary: string | null; epoch: number; reason: string }
  | { type: 'prevote-start'; epoch: number; offset: number }
  | { type: 'prevote-failed'; epoch: number; reason: string }
  | { type: 'election-start'; epoch: number; offset: number; handoff: boolean }
  | { type: 'election-lost'; epoch: number; reason: string }
  /** Won the election: the runtime must promote redis and call promoted(). */
  | { type: 'promote'; epoch: number }
  | { type: 'elected'; epoch: number; votes: string[] }
  | { type: 'vote'; candidate: string; epoch: number; granted: boolean; prevote: boolean; reason?: RefuseReason; detail?: string }
  | { type: 'lease'; held: boolean; epoch: number }
  /** Whether this node's redis may take writes (primary with a lease and no hand-off under way). */
  | { type: 'writes'; allowed: boolean; epoch: number; reason: string }
  | { type: 'peer'; id: string; up: boolean }
  | { type: 'handoff-start'; target: string; epoch: number; offset: number }
  | { type: 'handoff-end'; target: string; epoch: number; ok: boolean; reason: string }
  /** On a follower: our primary released leadership to `target`, which stands once it holds `offset`. */
  | { type: 'handoff-released'; from: string; target: string; epoch: number; offset: number }
  /**
   * The local data fell below the most this node ever held (its redis lost data): for `holdMs` it
   * judges candidates against `held` (protocol.md §5.6, rule data-memory).
   */
  | { type: 'data-lost'; held: DataPoint; now: DataPoint; holdMs: number }
  /** `dataMemoryMs` passed without the data coming back: candidates are judged against the data held now. */
  | { type: 'data-forgotten'; held: DataPoint; now: DataPoint }
  /**
   * The member configuration in use changed (protocol.md §5.12), or a born one was agreed:
   * `self` is this node's place in it.
   */
  | { type: 'config'; version: number; epoch: number; members: string; self: 'voter' | 'learner' | 'witness' | 'removed'; reason: string }
  /** On the primary: a majority of the configuration's voters hold it. */
  | { type: 'config-committed'; version: number; epoch: number; members: string }
  /** A peer holds a configuration with the same version and epoch but other members: neither may be used to vote or stand. */
  | { type: 'config-conflict'; peer: string; version: number; epoch: number; ours: string; theirs: string }
  /**
   * What this node of a fresh cluster does about the replica set its redis already belongs to
   * (protocol.md §5.13, rule adopt-existing): emitted when that changes.
   */
  | { type: 'adoption'; stance: 'none' | 'keep-self' | 'await' | 'detach'; master: string | null; reason: string }
  | { type: 'ignored'; from: string; what: string; reason: string }
  | { type: 'error'; what: string; message: string };

/** A point in the replication history: data compares as (dataEpoch, offset). */
export interface DataPoint {
  dataEpoch: number;
  offset: number;
}

export type ElectorEventListener = (event: ElectorEvent) => void;
