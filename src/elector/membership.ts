import type { ClusterConfig, ConfigMember } from './cluster-config.js';
import { ConfigError } from './config.js';

/** One member of the cluster as configured; every node must be given the same list. */
export interface MemberSpec {
  id: string;
  /** Votes and acknowledges leases, holds no data, never stands. */
  witness?: boolean;
  /** Higher stands first among equal offsets; 0 never stands. Default 1. */
  priority?: number;
}

export interface Member {
  id: string;
  witness: boolean;
  priority: number;
  /** A learner follows the primary but never votes, stands or counts toward a quorum (protocol.md §5.12). */
  learner: boolean;
}

/** The Elector's view of one configuration entry. */
export function memberFromConfig(m: ConfigMember): Member {
  return { id: m.id, witness: m.kind === 'witness', priority: m.priority, learner: m.kind === 'learner' };
}

/** The configuration a fresh cluster is born with, from the member list every node is given (version 1, epoch 0). */
export function bornConfig(specs: readonly (MemberSpec & { peer?: string; redis?: string })[]): ClusterConfig {
  return {
    version: 1,
    epoch: 0,
    members: specs.map((s) => ({ id: s.id, kind: s.witness === true ? 'witness' : 'voter', priority: s.priority ?? 1, peer: s.peer, redis: s.redis })),
  };
}

/** Validates and normalises the membership. Throws ConfigError. */
export function resolveMembers(nodeId: string, specs: readonly MemberSpec[]): Member[] {
  if (specs.length === 0) throw new ConfigError('members', 'at least one member is required');
  const seen = new Set<string>();
  const members = specs.map((spec) => {
    if (typeof spec.id !== 'string' || spec.id.length === 0) throw new ConfigError('members', `member id must be a non-empty string, got ${JSON.stringify(spec.id)}`);
    if (seen.has(spec.id)) throw new ConfigError('members', `member ${spec.id} is listed twice`);
    seen.add(spec.id);
    const priority = spec.priority ?? 1;
    if (!Number.isInteger(priority) || priority < 0) throw new ConfigError('members', `member ${spec.id}: priority must be a non-negative integer, got ${JSON.stringify(spec.priority)}`);
    return { id: spec.id, witness: spec.witness === true, priority, learner: false };
  });
  if (!seen.has(nodeId)) throw new ConfigError('members', `this node's id ${nodeId} is not in the membership (${[...seen].join(', ')})`);
  if (!members.some(isElectable)) throw new ConfigError('members', 'no member can ever stand: every member is a witness or has priority 0');
  return members;
}

/** May this member ever become primary? Witnesses hold no data; priority 0 is an operator's "never". */
export function isElectable(m: Member): boolean {
  return !m.witness && !m.learner && m.priority > 0;
}

/** Votes needed to win: a strict majority of all voting members, witnesses included. Two such sets always intersect. */
export function quorumSize(memberCount: number): number {
  return Math.floor(memberCount / 2) + 1;
}

/**
 * Copies of a write that every majority of `memberCount` is sure to meet:
 * n - majority + 1. A write a wipe leaves on fewer nodes than this (outside
 * the wiped one) can be outvoted by a majority holding no copy.
 */
export function copiesNeeded(memberCount: number): number {
  return memberCount - quorumSize(memberCount) + 1;
}

/** A candidate as the ranking sees it. */
export interface Standing {
  id: string;
  offset: number;
  priority: number;
}

/**
 * The order in which nodes should stand: highest replication offset, then
 * highest priority, then lowest id. Negative when `a` should stand before `b`.
 */
export function compareStanding(a: Standing, b: Standing): number {
  if (a.offset !== b.offset) return b.offset - a.offset;
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
