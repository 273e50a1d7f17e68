/**
 * The votes of one PREVOTE or OFFER round, as etcd's quorum package counts
 * them: a round is won once a quorum said yes, and lost once so many said no
 * that a quorum can no longer be reached. The candidate's own vote counts.
 * Each answer counts once per voter. A yes is never taken back by a later no
 * (an ACCEPT is a durable vote; a PREACCEPT then REFUSE to a repeated PREVOTE
 * can only count towards both), so the two sets are kept apart.
 */
export type TallyResult = 'won' | 'lost' | 'pending';

export class VoteTally {
  private readonly yes = new Set<string>();
  private readonly no = new Set<string>();

  constructor(
    /** The epoch the round asks about. */
    readonly epoch: number,
    /** Votes needed to win: a strict majority of every voting member. */
    readonly quorum: number,
    /** Every voting member, the candidate included. */
    readonly voters: number,
    candidate: string,
    /**
     * The members whose answers count: the voters of the configuration the
     * round began in (protocol.md §5.12). Undefined: everyone's. A learner's
     * or a stranger's answer never counts toward a quorum.
     */
    private readonly eligible?: ReadonlySet<string>,
  ) {
    this.yes.add(candidate);
  }

  grant(voter: string): TallyResult {
    if (!this.eligible || this.eligible.has(voter)) this.yes.add(voter);
    return this.result();
  }

  refuse(voter: string): TallyResult {
    if (!this.eligible || this.eligible.has(voter)) this.no.add(voter);
    return this.result();
  }

  result(): TallyResult {
    if (this.yes.size >= this.quorum) return 'won';
    if (this.no.size > this.voters - this.quorum) return 'lost';
    return 'pending';
  }

  /** Whether `voter`'s answer counts in this round. */
  counts(voter: string): boolean {
    return !this.eligible || this.eligible.has(voter);
  }

  /** Whether this round counts exactly `voters` (a round begun in another configuration does not). */
  eligibleEquals(voters: ReadonlySet<string>): boolean {
    if (!this.eligible) return true;
    if (this.eligible.size !== voters.size) return false;
    for (const v of voters) if (!this.eligible.has(v)) return false;
    return true;
  }

  /** Who said yes, sorted: the candidate and its voters. */
  granted(): string[] {
    return [...this.yes].sort();
  }

  /** Who said no, sorted. */
  refused(): string[] {
    return [...this.no].sort();
  }

  hasGranted(voter: string): boolean {
    return this.yes.has(voter);
  }
}
