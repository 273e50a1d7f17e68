import { bornConfig } from '../elector/membership.js';
import type { ClusterConfig } from '../elector/cluster-config.js';
import { formatAddress, parseAddress } from '../protocol/index.js';
import type { MemberConfig } from './config.js';

/**
 * Between the two shapes of the member list: the sidecar's (addresses parsed,
 * as the flags give them) and the Elector's replicated configuration
 * (addresses as `host:port` text, protocol.md §5.12).
 */

/** The configuration a fresh node is born with, from its `--member` flags. */
export function bornFromFlags(members: readonly MemberConfig[]): ClusterConfig {
  return bornConfig(
    members.map((m) => ({ id: m.id, witness: m.witness, priority: m.priority, peer: formatAddress(m.sidecar), redis: m.redis ? formatAddress(m.redis) : undefined })),
  );
}

/** The members of a configuration as the sidecar uses them; a member without a sidecar address cannot be reached and is left out. */
export function memberConfigsOf(c: ClusterConfig): MemberConfig[] {
  const out: MemberConfig[] = [];
  for (const m of c.members) {
    if (m.peer === undefined) continue;
    out.push({
      id: m.id,
      sidecar: parseAddress(m.peer),
      redis: m.redis !== undefined ? parseAddress(m.redis) : undefined,
      witness: m.kind === 'witness',
      priority: m.priority,
      learner: m.kind === 'learner' || undefined,
    });
  }
  return out;
}
