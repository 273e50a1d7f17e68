/**
 * The data-loss fault model of the chaos suite, the same as the simulator's
 * (lab/sim/checker.ts, `onWipe`). A redis-server killed without persistence
 * loses its data. An acknowledged write held on a majority survives any
 * election because every majority of voters shares a member with it — but
 * once wipes leave a write on fewer than `n − majority + 1` nodes, a majority
 * can form without any copy, and no majority-based protocol can keep it. Such
 * losses are counted apart, as "beyond the fault model", never hidden: the
 * report shows them beside the losses that count.
 *
 * At each wipe the chaos driver takes a census: which acknowledged keys each
 * other node holds right then. A node that cannot answer (frozen, loading,
 * mid-resync) is assumed to hold every key, so the census only ever excuses
 * less, never more. The wiped node is assumed to have held every key: a key it
 * did not hold is on a majority of the others already, so it is not excused.
 */
import { copiesNeeded } from '../../src/elector/membership.js';

/** What one node held at a wipe: the keys found, `'dead'` (killed: holds nothing), or `'unknown'` (counted as holding all). */
export type Holding = ReadonlySet<string> | 'dead' | 'unknown';

/**
 * Keys of `acked` that the wipe leaves on fewer than {@link copiesNeeded}
 * of the other nodes. `others` lists every member except the wiped one.
 */
export function beyondModelAfterWipe(acked: readonly string[], others: readonly Holding[], memberCount: number): string[] {
  if (others.length !== memberCount - 1) throw new Error(`census of ${others.length} nodes for ${memberCount} members: expected every member but the wiped one`);
  const needed = copiesNeeded(memberCount);
  return acked.filter((k) => {
    let copies = 0;
    for (const h of others) if (h === 'unknown' || (h !== 'dead' && h.has(k))) copies++;
    return copies < needed;
  });
}

/**
 * The census while a membership change is under way (the chaos suite's member-change fault): a
 * copy counts only on a VOTER, since a removed node's or a learner's copy is on no majority.
 * `voters` are the holdings of the other nodes that are surely voters; `changing` those of nodes
 * that may or may not be voters right now (being removed, out, re-added as learners). Excuses only
 * the keys excused both with them (as voters, their copies counted) and without them, so never more
 * than either view would.
 */
export function beyondModelDuringChange(acked: readonly string[], voters: readonly Holding[], changing: readonly Holding[]): string[] {
  const withChanging = beyondModelAfterWipe(acked, [...voters, ...changing], voters.length + changing.length + 1);
  if (changing.length === 0) return withChanging;
  const withoutChanging = new Set(beyondModelAfterWipe(acked, voters, voters.length + 1));
  return withChanging.filter((k) => withoutChanging.has(k));
}
