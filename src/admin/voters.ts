/**
 * Counting toward a quorum with the configuration in use (protocol.md §5.12):
 * only its voters (witnesses included) count, learners never do, so INFO's
 * `reachable_voters`, SENTINEL CKQUORUM and the `quorum_reachable` metric
 * all compare the same number with `config.quorum`.
 */
import type { ElectorSnapshot } from '../elector/elector.js';

/** Voters this sidecar hears right now, itself included when it is one. */
export function reachableVoters(snap: ElectorSnapshot): number {
  const voters = new Set(snap.config.voters);
  return (voters.has(snap.nodeId) ? 1 : 0) + snap.peers.filter((p) => p.up && voters.has(p.id)).length;
}
