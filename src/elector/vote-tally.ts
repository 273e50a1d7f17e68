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
  ) {
    this.yes.add(candidate);
  }

  grant(voter: string): TallyResult {
    this.yes.add(voter);
    return this.result();
  }

  refuse(voter: string): TallyResult {
    this.no.add(voter);
    return this.result();
  }

  result(): TallyResult {
    if (this.yes.size >= this.quorum) return 'won';
    if (this.no.size > this.voters - this.quorum) return 'lost';
    return 'pending';
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
