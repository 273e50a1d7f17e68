/**
 * Names for the Elector's safety rules, so that tests and the simulator can
 * switch one off on purpose and prove that they notice. Production code never
 * passes `disabledRules`; the sidecar refuses to start with any set.
 */
export type SafetyRule =
  /** Refuse votes while the current primary was heard within downAfterMs. */
  | 'vote-stickiness'
  /** Probe with PREVOTE before bumping the epoch. */
  | 'pre-vote'
  /** Refuse candidates whose offset is below ours, and vote only on a fresh offset. */
  | 'data-rule'
  /** Compare data as (data epoch, offset), not offset alone. */
  | 'data-epoch'
  /** Persist (epoch, votedFor) before voting; at most one vote per epoch. */
  | 'durable-vote'
  /** Hold a lease only with a majority of LEASEACKs younger than leaseMs. */
  | 'lease-quorum'
  /** Refuse votes for downAfterMs after a restart, since we may owe a lease. */
  | 'restart-grace'
  /** Honour ANNOUNCE only from the node it names. */
  | 'announce-sender';

export const SAFETY_RULES: readonly SafetyRule[] = [
  'vote-stickiness',
  'pre-vote',
  'data-rule',
  'data-epoch',
  'durable-vote',
  'lease-quorum',
  'restart-grace',
  'announce-sender',
];
