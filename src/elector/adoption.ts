/**
 * Adoption (protocol.md §5.13, rule adopt-existing): what a node of a fresh
 * cluster does about the replica set its redis-servers already form.
 *
 * Nobody starts with an empty cluster. When the sidecars are started beside
 * a running master and its replicas (the migration from Sentinel), the
 * master's data, and the writes its replicas acknowledged, are the cluster's.
 * So while the cluster is fresh (no stored vote, nothing followed or won yet):
 *
 * - a node whose redis is a master with replicas keeps it: it stands at once
 *   (like the bootstrap node) and votes for nobody else;
 * - a node whose redis replicates from a member's redis waits for that
 *   member: it votes for it alone, never stands, and leaves its redis linked
 *   (no detach, so no REPLICAOF change and no resync);
 * - a node whose redis replicates from anything it will not adopt (a host
 *   that is not a member, or a member whose sidecar did not come within the
 *   adoption wait, or whose link stayed down for downAfterMs) detaches first:
 *   it stops acknowledging that master's writes and votes only on an offset
 *   read after that, as in any failover.
 *
 * Pure: the Elector passes what its runtime reported and the clock.
 */

/** The local redis's replication role as the runtime read it (INFO replication). */
export type LocalTopology =
  /** A master; `replicas` is `connected_slaves`. */
  | { kind: 'master'; replicas: number }
  /**
   * A replica of `masterAddr`; `master` is the member whose configured redis
   * address that is, null when no member's is. `linkUp`: master_link_status up.
   */
  | { kind: 'replica'; master: string | null; masterAddr: string; linkUp: boolean }
  /** Detached by a sidecar (replicating from the detach sink): follows nobody. */
  | { kind: 'detached' };

export type AdoptionStance =
  /** Nothing to adopt, or adoption is over: the ordinary rules. */
  | { kind: 'none' }
  /** Our redis is the existing master: stand at once, vote for nobody else. */
  | { kind: 'keep-self' }
  /** Our redis replicates from member `master`: vote for it alone, never stand, keep redis linked. */
  | { kind: 'await'; master: string }
  /** Our redis replicates from a master we do not adopt: detach before voting or standing. */
  | { kind: 'detach'; why: string };

export interface AdoptionInput {
  /** No stored vote, and this process has followed no primary and won no election. */
  fresh: boolean;
  selfId: string;
  /** The latest report; undefined when none came yet (then: the ordinary rules). */
  topology: LocalTopology | undefined;
  /** Whether any report since start showed our redis a master with replicas. */
  sawReplicas: boolean;
  /** Ms since the Elector started. */
  sinceBootMs: number;
  /** How long a replica's link to its master has been down, 0 while up. */
  linkDownForMs: number;
  adoptWaitMs: number;
  downAfterMs: number;
  /** Whether a member may ever be primary (not a witness, priority > 0): a master that may not is not kept. */
  electable: (id: string) => boolean;
}

/** The stance for one moment; side-effect free. */
export function adoptionStance(i: AdoptionInput): AdoptionStance {
  const t = i.topology;
  if (!i.fresh || t === undefined) return { kind: 'none' };
  const waiting = i.sinceBootMs < i.adoptWaitMs;
  if (t.kind === 'master') {
    // A master without replicas is no replica set to keep (every redis of an empty cluster is one).
    return waiting && (t.replicas > 0 || i.sawReplicas) && i.electable(i.selfId) ? { kind: 'keep-self' } : { kind: 'none' };
  }
  if (t.kind === 'detached') return { kind: 'none' };
  if (t.master === null) return { kind: 'detach', why: `local redis replicates from ${t.masterAddr}, which is not a member's redis` };
  if (t.master === i.selfId) return { kind: 'detach', why: `local redis replicates from itself (${t.masterAddr})` };
  if (!i.electable(t.master)) return { kind: 'detach', why: `${t.master}, whose redis it replicates from, can never be primary (priority 0)` };
  if (!waiting) return { kind: 'detach', why: `${t.master}'s sidecar did not take over within the adoption wait (${i.adoptWaitMs} ms)` };
  if (i.linkDownForMs >= i.downAfterMs) return { kind: 'detach', why: `local redis's link to ${t.master} has been down for ${Math.round(i.linkDownForMs)} ms` };
  return { kind: 'await', master: t.master };
}

/** The same stance: only a change is worth an event. */
export function sameStance(a: AdoptionStance, b: AdoptionStance): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'await' && b.kind === 'await') return a.master === b.master;
  return true;
}

/** One sentence for the `adoption` event. */
export function describeStance(s: AdoptionStance): string {
  switch (s.kind) {
    case 'none':
      return 'nothing to adopt: ordinary election rules';
    case 'keep-self':
      return 'local redis is the existing master of a replica set: keeping it, standing for epoch 1 without a REPLICAOF change';
    case 'await':
      return `local redis replicates from ${s.master}: waiting for its sidecar, voting for it alone, redis left linked`;
    case 'detach':
      return `detaching before voting: ${s.why}`;
  }
}
