import type { RefuseReason } from '../protocol/messages.js';
import { compareConfigIds, type ConfigId } from './cluster-config.js';
import type { AdoptionStance } from './adoption.js';
import { compareData } from './data-memory.js';
import type { DataPoint } from './events.js';
import { compareStanding, isElectable, type Member } from './membership.js';
import type { RuleId, RuleSet } from './safety-rules.js';

/** A PREVOTE or an OFFER, as the voter judges it. `from` has been checked to be the candidate. */
export interface VoteRequest {
  candidate: string;
  /** The candidate's membership entry; undefined when it is not a member. */
  member: Member | undefined;
  epoch: number;
  offset: number;
  prevote: boolean;
}

/** Everything the vote rules look at: a snapshot of the voter, taken by the Elector. */
export interface VoterSnapshot {
  nowMs: number;
  self: Member;
  epoch: number;
  votedFor: string | null;
  /** Ms since this process started when it loaded an epoch > 0 and is still within downAfterMs of that; else null. */
  restartedAgoMs: number | null;
  /** This node is the primary and its redis is healthy. */
  healthyPrimary: boolean;
  /** The primary this node follows, while alive (protocol.md 5.4): who, and how long ago it was heard; else null. */
  alivePrimary: { id: string; heardAgoMs: number } | null;
  /** Our primary released leadership to this candidate for the next epoch (HANDOFF). */
  releasedToCandidate: boolean;
  /** We are the primary and released leadership to this candidate for the next epoch. */
  releasedByUs: boolean;
  healthy: boolean;
  primaryLost: boolean;
  /**
   * A node of a brand-new cluster that has followed no one yet, within downAfterMs of booting.
   * Never while its redis replicates from a master (rule adopt-existing): that offset still grows.
   */
  freshBoot: boolean;
  /** What this node does about a replica set its redis already belongs to (adoption.ts). */
  adoption: AdoptionStance;
  /** When the offset was last read, and when the primary was last declared lost. */
  offsetAt: number;
  primaryLostAt: number;
  /** The candidate's data epoch: from the hand-off, or its PREVOTE for this epoch; undefined when unknown. */
  candidateDataEpoch: number | undefined;
  /** The data to judge against (rule data-memory), whether it is remembered from before a loss, and the data held now. */
  held: DataPoint;
  heldBeforeLoss: boolean;
  current: DataPoint;
  /** This node could stand itself now: electable and not backing off. */
  mayStand: boolean;
  rules: RuleSet;
  /** The configuration this voter uses, whether it may vote with it (rule config-agreement), and the candidate's from its last CONFVER. */
  config: ConfigId;
  configAgreed: boolean;
  candidateConfig: ConfigId | undefined;
}

export type VoteVerdict =
  /** Grant. `dataCompared`: the data rules were applied (so a due data-memory expiry is due now). */
  | { kind: 'grant'; dataCompared: boolean }
  | { kind: 'refuse'; reason: RefuseReason; detail: string; rule: RuleId; dataCompared: boolean }
  /**
   * The primary went quiet but no tick declared it lost: the Elector must
   * declare it now (so the runtime detaches redis) and judge again.
   */
  | { kind: 'declare-primary-lost' };

function refuse(rule: RuleId, reason: RefuseReason, detail: string, dataCompared = false): VoteVerdict {
  return { kind: 'refuse', reason, detail, rule, dataCompared };
}

/**
 * Why a voter refuses a candidate, or that it grants: the rules of
 * protocol.md 5.6 in order, the first that fails decides. Side-effect free.
 */
export function judgeVote(v: VoterSnapshot, r: VoteRequest): VoteVerdict {
  const { nowMs, rules } = v;
  // rule electable-only
  if (!r.member || !isElectable(r.member)) return refuse('electable-only', 'not-electable', `${r.candidate} is a witness, has priority 0, or is unknown`);

  // rule newer-epoch-only; rule durable-vote (one vote per epoch)
  const oneVote = rules.enforced('durable-vote');
  if (r.prevote) {
    if (r.epoch <= v.epoch) return refuse('newer-epoch-only', 'stale-epoch', `pre-vote for epoch ${r.epoch}, ours is ${v.epoch}`);
  } else if (r.epoch < v.epoch) {
    return refuse('newer-epoch-only', 'stale-epoch', `offer for epoch ${r.epoch}, ours is ${v.epoch}`);
  } else if (r.epoch === v.epoch && oneVote) {
    if (v.votedFor === r.candidate) return { kind: 'grant', dataCompared: false }; // a repeated OFFER gets the same answer
    if (v.votedFor !== null) return refuse('durable-vote', 'already-voted', `voted for ${v.votedFor} in epoch ${r.epoch}`);
  }

  // rule config-agreement: a member list born from flags that a majority has not confirmed, or that a peer contradicts.
  if (!v.configAgreed && rules.enforced('config-agreement')) {
    return refuse('config-agreement', 'stale-config', `our configuration ${v.config.version} (from --member) is not agreed: a majority has not reported the same member list, or a peer holds a different one`);
  }
  // rule config-order: the candidate counts votes in a configuration at least as new as ours, and the same one at the same version.
  if (rules.enforced('config-order')) {
    const theirs = v.candidateConfig;
    if (!theirs) return refuse('config-order', 'stale-config', `no CONFVER from ${r.candidate}: its configuration is unknown`);
    const cmp = compareConfigIds(theirs, v.config);
    if (cmp < 0) return refuse('config-order', 'stale-config', `candidate configuration ${theirs.version}/${theirs.epoch} is older than ours ${v.config.version}/${v.config.epoch}`);
    if (cmp === 0 && theirs.digest !== v.config.digest) return refuse('config-order', 'stale-config', `candidate configuration ${theirs.version}/${theirs.epoch} has other members than ours`);
  }

  // A restarted voter may have acknowledged a LEASE it no longer remembers.
  if (v.restartedAgoMs !== null && rules.enforced('restart-grace')) {
    return refuse('restart-grace', 'starting', `restarted ${Math.round(v.restartedAgoMs)} ms ago; waiting out downAfterMs`);
  }

  // rule adopt-existing: a fresh cluster keeps the master its redis-servers already follow.
  let adopting = false;
  if (rules.enforced('adopt-existing')) {
    const a = v.adoption;
    if (a.kind === 'keep-self') return refuse('adopt-existing', 'primary-alive', 'our redis is the existing master of the replica set; we stand ourselves');
    if (a.kind === 'await') {
      if (r.candidate !== a.master) return refuse('adopt-existing', 'primary-alive', `our redis replicates from ${a.master}'s; only ${a.master} may take over`);
      // The candidate's redis is where our data comes from: no detach needed to judge it (the data rule still applies).
      adopting = true;
    }
  }

  const inHandoff = v.releasedToCandidate || v.releasedByUs;
  if (!inHandoff && rules.enforced('vote-stickiness')) {
    if (v.healthyPrimary) return refuse('vote-stickiness', 'primary-alive', 'we are the primary');
    if (v.alivePrimary) return refuse('vote-stickiness', 'primary-alive', `heard primary ${v.alivePrimary.id} ${Math.round(v.alivePrimary.heardAgoMs)} ms ago`);
  }

  if (v.self.witness || !rules.enforced('data-rule')) return { kind: 'grant', dataCompared: false };
  // rule data-rule: a data voter judges the candidate's data against its own, read fresh.
  if (!v.healthy) return refuse('data-rule', 'offset-unknown', 'local redis is unhealthy, our offset is unknown');
  if (!inHandoff && !adopting && !v.primaryLost && !v.freshBoot && v.alivePrimary === null) return { kind: 'declare-primary-lost' };
  if (!inHandoff && v.offsetAt < v.primaryLostAt) return refuse('data-rule', 'offset-unknown', 'no offset read since the primary was lost');
  if (v.candidateDataEpoch === undefined) {
    return refuse('data-rule', 'offset-unknown', `no PREVOTE from ${r.candidate} for epoch ${r.epoch}, so its data epoch is unknown`);
  }
  // rule data-memory: `held` is the data held before our redis lost some, while remembered.
  const mine = v.held;
  const theirs = { dataEpoch: v.candidateDataEpoch, offset: r.offset };
  const byEpoch = rules.enforced('data-epoch-order');
  if (compareData(theirs, mine, byEpoch) < 0) {
    const held = v.heldBeforeLoss ? ` (held before our redis lost data; it holds epoch ${v.current.dataEpoch}, offset ${v.current.offset} now)` : '';
    return refuse('data-rule', 'stale-offset', `candidate data (epoch ${theirs.dataEpoch}, offset ${r.offset}) is behind ours (epoch ${mine.dataEpoch}, offset ${mine.offset})${held}`, true);
  }
  // rule ranked-standing: ranking is about who should stand, which only the data held now can win with.
  // A voter waiting for the existing master (rule adopt-existing) never stands itself: no ranking.
  if (
    r.prevote &&
    !v.releasedToCandidate &&
    !adopting &&
    compareData(theirs, v.current, byEpoch) === 0 &&
    v.mayStand &&
    compareStanding({ id: v.self.id, offset: v.current.offset, priority: v.self.priority }, { id: r.candidate, offset: r.offset, priority: r.member.priority }) < 0
  ) {
    return refuse('ranked-standing', 'better-candidate', `equal data (epoch ${v.current.dataEpoch}, offset ${r.offset}), and we rank first (priority ${v.self.priority} vs ${r.member.priority})`, true);
  }
  return { kind: 'grant', dataCompared: true };
}
