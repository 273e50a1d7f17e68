import type { Role } from '../protocol/messages.js';
import type { LeaseTracker } from './lease-tracker.js';
import type { VoteTally } from './vote-tally.js';

/**
 * A voter that refused a pre-vote only for now (no fresh offset yet, protocol.md 5.5): when to ask
 * it again (null: asked, waiting for the answer) and how long the last wait was, doubled at each
 * such refusal.
 */
export interface AskAgain {
  at: number | null;
  waitMs: number;
}

/** A planned hand-off under way on the primary (protocol.md 5.8). */
export interface Handoff {
  target: string;
  epoch: number;
  startedAt: number;
  deadline: number;
  /** HANDOFF sent and lease dropped. */
  released: boolean;
}

/**
 * What the Elector is doing, with the state that belongs to it alone, so that
 * impossible combinations cannot be built: only a primary has a lease or a
 * hand-off, only a round has votes and a deadline. `becomeX` methods of the
 * Elector are the only writers.
 */
export type Phase =
  | { readonly kind: 'follower' }
  | {
      readonly kind: 'prevote';
      readonly tally: VoteTally;
      readonly deadline: number;
      /** Voters that refused only for now (no fresh offset yet), and when to ask them again. */
      askAgain: Map<string, AskAgain> | null;
    }
  | { readonly kind: 'candidate'; readonly tally: VoteTally; readonly deadline: number; readonly handoff: boolean }
  /** Won `epoch`, waiting for the runtime to confirm REPLICAOF NO ONE. */
  | { readonly kind: 'promoting'; readonly epoch: number; readonly deadline: number }
  | { readonly kind: 'primary'; readonly lease: LeaseTracker; handoff: Handoff | null };

export type PhaseName = Phase['kind'];

/** The role the wire and the runtime see for a phase. */
export function roleOf(phase: PhaseName): Role {
  switch (phase) {
    case 'primary':
      return 'primary';
    case 'candidate':
    case 'promoting':
      return 'candidate';
    default:
      return 'replica';
  }
}
