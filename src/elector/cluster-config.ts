import { createHash } from 'node:crypto';
import { membersText, type ConfigMember } from '../protocol/members.js';

export { MAX_MEMBERS, MEMBER_KINDS, memberProblem, membersProblem, membersText, parseMembersText, type ConfigMember, type MemberKind } from '../protocol/members.js';

/**
 * The cluster's member configuration as replicated state (protocol.md §5.12).
 *
 * A configuration is identified by `(version, epoch)`: `version` grows by one
 * with every change, `epoch` is the epoch of the primary that made it (0 for
 * the configuration a fresh cluster is born with, from `--member` flags).
 * Configurations compare by version, then epoch, as Raft compares log entries
 * by (index, term) for the same purpose: two primaries of different epochs
 * that each made a version v+1 made different ones, and the later epoch's wins.
 */

export interface ClusterConfig {
  version: number;
  epoch: number;
  members: readonly ConfigMember[];
}

/** The identity of a configuration, as CONFVER carries it. */
export interface ConfigId {
  version: number;
  epoch: number;
  /** sha256 of the canonical members text (membersText), 64 lowercase hex. */
  digest: string;
}

/** Negative when a is older than b: version first, then the epoch of the primary that made it. */
export function compareConfigIds(a: { version: number; epoch: number }, b: { version: number; epoch: number }): number {
  if (a.version !== b.version) return a.version - b.version;
  return a.epoch - b.epoch;
}

/** Members that vote: voters and witnesses. */
export function votersOf(c: ClusterConfig): ConfigMember[] {
  return c.members.filter((m) => m.kind !== 'learner');
}

/** Strict majority of the voters. */
export function configQuorum(c: ClusterConfig): number {
  return Math.floor(votersOf(c).length / 2) + 1;
}

export function memberOf(c: ClusterConfig, id: string): ConfigMember | undefined {
  return c.members.find((m) => m.id === id);
}

export function configDigest(c: ClusterConfig | readonly ConfigMember[]): string {
  const members = Array.isArray(c) ? (c as readonly ConfigMember[]) : (c as ClusterConfig).members;
  return createHash('sha256').update(membersText(members)).digest('hex');
}

export function configIdOf(c: ClusterConfig): ConfigId {
  return { version: c.version, epoch: c.epoch, digest: configDigest(c) };
}

/** One line for logs and `member list`: `v3 (epoch 7): n1 voter, n2 voter, n4 learner`. */
export function describeConfig(c: ClusterConfig): string {
  return `version ${c.version} (epoch ${c.epoch}): ${[...c.members]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((m) => `${m.id} ${m.kind}`)
    .join(', ')}`;
}

/** What differs between two member lists, for the start-up report: `+n4 (learner), -n3, n2: priority 1 -> 2`. */
export function describeDifference(from: readonly ConfigMember[], to: readonly ConfigMember[]): string {
  const out: string[] = [];
  const byId = new Map(from.map((m) => [m.id, m]));
  for (const m of to) {
    const old = byId.get(m.id);
    if (!old) out.push(`+${m.id} (${m.kind})`);
    else {
      const changes: string[] = [];
      for (const k of ['kind', 'priority', 'peer', 'redis'] as const) if (old[k] !== m[k]) changes.push(`${k} ${old[k] ?? '-'} -> ${m[k] ?? '-'}`);
      if (changes.length) out.push(`${m.id}: ${changes.join(', ')}`);
    }
    byId.delete(m.id);
  }
  for (const id of byId.keys()) out.push(`-${id}`);
  return out.length ? out.join('; ') : 'no difference';
}
