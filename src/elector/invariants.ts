import { MAX_HELD_EPOCH } from '../protocol/limits.js';
import type { Phase } from './phase.js';

/** The Elector state its invariants are about, as `Elector.assertInvariants()` gathers it. */
export interface InvariantState {
  nodeId: string;
  phase: Phase;
  epoch: number;
  /** The epoch at the previous check (the stored epoch before the first): epochs never go back. */
  previousEpoch: number;
  votedFor: string | null;
  currentPrimary: string | null;
  primaryLost: boolean;
  isMember: (id: string) => boolean;
  hasLease: boolean;
  writesAllowed: boolean;
  /** The configuration in use, and at the previous check: configurations never go back (protocol.md §5.12). */
  config: { version: number; epoch: number };
  previousConfig: { version: number; epoch: number };
  /** A member counted in the current round that is not a voter of the round's configuration, or null. */
  countedNonVoter: string | null;
}

/** Thrown by `Elector.assertInvariants()`: the state machine reached a state its design rules out. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

/**
 * Every invariant of the Elector's state that holds whichever safety rules
 * are switched on, as TigerBeetle asserts its own: each broken one is named in
 * the returned list (empty when all hold). O(1) apart from `isMember`, cheap
 * enough to run after every public entry point, in the simulator's hot path.
 */
export function invariantViolations(s: InvariantState): string[] {
  const bad: string[] = [];
  const p = s.phase;
  if (!Number.isInteger(s.epoch) || s.epoch < 0 || s.epoch > MAX_HELD_EPOCH) bad.push(`epoch ${s.epoch} is not an integer in 0..${MAX_HELD_EPOCH}`);
  if (s.epoch < s.previousEpoch) bad.push(`epoch went back from ${s.previousEpoch} to ${s.epoch}`);
  const c = s.config;
  const pc = s.previousConfig;
  if (c.version < pc.version || (c.version === pc.version && c.epoch < pc.epoch)) bad.push(`configuration went back from ${pc.version}/${pc.epoch} to ${c.version}/${c.epoch}`);
  if (s.countedNonVoter !== null) bad.push(`${s.countedNonVoter} counted in a round but is not a voter`);
  if (s.currentPrimary !== null && !s.isMember(s.currentPrimary)) bad.push(`follows ${s.currentPrimary}, which is not a member`);
  // No invariant on `votedFor` being a member: a vote file may legitimately name a member that has
  // since been removed (the sidecar warns at start-up and keeps the vote). Asserting it wedged such a
  // node: every tick threw, so it sent nothing and could never vote again.
  switch (p.kind) {
    case 'primary':
      if (s.currentPrimary !== s.nodeId) bad.push(`a primary must follow itself, follows ${s.currentPrimary}`);
      if (s.primaryLost) bad.push('a primary has lost its primary');
      if (p.handoff !== null && p.handoff.epoch !== s.epoch) bad.push(`hand-off of epoch ${p.handoff.epoch} in epoch ${s.epoch}`);
      break;
    case 'promoting':
      if (p.epoch !== s.epoch) bad.push(`promoting for epoch ${p.epoch} in epoch ${s.epoch}`);
      if (s.votedFor !== s.nodeId) bad.push(`promoting without having voted for itself (voted for ${s.votedFor})`);
      if (s.currentPrimary !== null) bad.push(`promoting while following ${s.currentPrimary}`);
      break;
    case 'candidate':
      if (p.tally.epoch !== s.epoch) bad.push(`a candidate of epoch ${p.tally.epoch} in epoch ${s.epoch}`);
      if (s.votedFor !== s.nodeId) bad.push(`a candidate must have voted for itself, voted for ${s.votedFor}`);
      if (!p.tally.hasGranted(s.nodeId)) bad.push('a candidate does not count its own vote');
      if (s.currentPrimary !== null) bad.push(`a candidate follows ${s.currentPrimary}`);
      break;
    case 'prevote':
      // A pre-vote asks for epoch + 1; a higher epoch learned meanwhile leaves it behind, never ahead.
      if (p.tally.epoch > s.epoch + 1) bad.push(`a pre-vote for epoch ${p.tally.epoch} from epoch ${s.epoch}`);
      if (!p.tally.hasGranted(s.nodeId)) bad.push('a pre-vote does not count its own yes');
      break;
    case 'follower':
      break;
  }
  if (p.kind !== 'primary') {
    if (s.hasLease) bad.push(`a ${p.kind} holds a lease`);
    if (s.currentPrimary === s.nodeId && p.kind !== 'follower') bad.push(`a ${p.kind} follows itself`);
  }
  if (s.writesAllowed && !s.hasLease) bad.push('writes allowed without a lease');
  return bad;
}
