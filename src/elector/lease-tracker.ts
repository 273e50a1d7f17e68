/**
 * The primary's lease (protocol.md 5.7, rule lease-quorum), as etcd's tracker
 * package keeps per-follower progress: for each voter, the send time of the
 * newest LEASE round it acknowledged. With the primary's own "now" added, the
 * quorum-th newest of those times plus leaseMs is when the lease ends. Times
 * are send times, never receive times, so a slow acknowledgement cannot
 * stretch the lease past what the voter promised.
 */
export class LeaseTracker {
  /** Send time of each recent round, by seq. */
  private readonly sentAt = new Map<number, number>();
  /** Per voter: send time of the newest round it acknowledged. */
  private readonly ackedAt = new Map<string, number>();
  private until = -Infinity;

  constructor(
    private _quorum: number,
    readonly leaseMs: number,
  ) {}

  get quorum(): number {
    return this._quorum;
  }

  /**
   * The configuration changed (protocol.md §5.12): only `voters` count from
   * now on, with their quorum. Acknowledgements of members that no longer
   * vote are dropped, so a learner or a removed member never holds up a lease.
   */
  retain(voters: ReadonlySet<string>, quorum: number): void {
    for (const id of [...this.ackedAt.keys()]) if (!voters.has(id)) this.ackedAt.delete(id);
    this._quorum = quorum;
  }

  /** A round `seq` went out at `nowMs`. Rounds older than two leases are forgotten: their acks are worthless. */
  sent(seq: number, nowMs: number): void {
    this.sentAt.set(seq, nowMs);
    for (const [s, at] of this.sentAt) if (nowMs - at > this.leaseMs * 2) this.sentAt.delete(s);
  }

  /** `voter` acknowledged round `seq`; false when that round is unknown (too old, or never sent). */
  acked(voter: string, seq: number): boolean {
    const at = this.sentAt.get(seq);
    if (at === undefined) return false;
    const prev = this.ackedAt.get(voter) ?? -Infinity;
    if (at > prev) this.ackedAt.set(voter, at);
    return true;
  }

  /** Recomputes the end of the lease as of `nowMs` (the primary counts itself as acknowledging now). */
  recompute(nowMs: number): number {
    const times = [nowMs];
    for (const at of this.ackedAt.values()) times.push(at);
    times.sort((a, b) => b - a);
    const qth = times[this._quorum - 1];
    this.until = qth === undefined ? -Infinity : qth + this.leaseMs;
    return this.until;
  }

  /** Ends the lease at once (a released hand-off): until the next recompute. */
  drop(): void {
    this.until = -Infinity;
  }

  /** When the lease ends, as of the last recompute; -Infinity when none is held. */
  get leaseUntil(): number {
    return this.until;
  }
}
