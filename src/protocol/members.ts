import { checkAddress } from './address.js';
import { isValidNodeId } from './fields.js';

/**
 * The `members` field of CONFIG (protocol.md §3): a cluster configuration's
 * member list as one printable-ASCII field. The Elector's view of
 * configurations is src/elector/cluster-config.ts; this is only the wire text.
 */

/** voter: votes and, when it holds data, may stand. learner: follows the primary, never votes or counts. witness: votes, holds no data. */
export type MemberKind = 'voter' | 'learner' | 'witness';
export const MEMBER_KINDS: readonly MemberKind[] = ['voter', 'learner', 'witness'];

export interface ConfigMember {
  id: string;
  kind: MemberKind;
  /** Higher stands first among equal data; 0 never stands. */
  priority: number;
  /** Where the member's sidecar listens for peers (`host:port`); absent only in pure tests. */
  peer?: string;
  /** The member's redis (`host:port`); absent for witnesses (and in pure tests). */
  redis?: string;
}

/** More members than this do not fit the promise of small frames, and no replica set needs them. */
export const MAX_MEMBERS = 64;

/**
 * The members as one field of printable ASCII (the CONFIG verb's `members`):
 * entries sorted by id, separated by `;`, each `id,kind,priority,peer,redis`
 * with `-` for an address that is absent. Sorting makes the text, and so the
 * digest, depend on the content only.
 */
export function membersText(members: readonly ConfigMember[]): string {
  return [...members]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((m) => `${m.id},${m.kind},${m.priority},${m.peer ?? '-'},${m.redis ?? '-'}`)
    .join(';');
}

/** Parses a `members` field; returns the members or what is wrong with the text. */
export function parseMembersText(text: string): ConfigMember[] | string {
  if (text.length === 0) return 'no members';
  const entries = text.split(';');
  if (entries.length > MAX_MEMBERS) return `more than ${MAX_MEMBERS} members`;
  const out: ConfigMember[] = [];
  for (const entry of entries) {
    const parts = entry.split(',');
    if (parts.length !== 5) return `member entry ${JSON.stringify(entry)} is not id,kind,priority,peer,redis`;
    const [id, kind, priorityText, peer, redis] = parts as [string, string, string, string, string];
    const m = { id, kind: kind as MemberKind, priority: /^(0|[1-9][0-9]{0,8})$/.test(priorityText) ? Number(priorityText) : -1, peer: peer === '-' ? undefined : peer, redis: redis === '-' ? undefined : redis };
    const problem = memberProblem(m);
    if (problem) return problem;
    out.push(m);
  }
  const problem = membersProblem(out);
  return problem ?? out;
}

/** What is wrong with one member entry, or undefined. */
export function memberProblem(m: ConfigMember): string | undefined {
  if (!isValidNodeId(m.id)) return `member id ${JSON.stringify(m.id)} is not a node id`;
  if (!MEMBER_KINDS.includes(m.kind)) return `member ${m.id}: kind must be voter, learner or witness, got ${JSON.stringify(m.kind)}`;
  if (!Number.isInteger(m.priority) || m.priority < 0 || m.priority > 999_999_999) return `member ${m.id}: priority must be an integer 0-999999999`;
  for (const [what, addr] of [['peer', m.peer], ['redis', m.redis]] as const) {
    if (addr === undefined) continue;
    if (/[,;]/.test(addr)) return `member ${m.id}: ${what} address ${JSON.stringify(addr)} contains "," or ";"`;
    const checked = checkAddress(addr);
    if (typeof checked === 'string') return `member ${m.id}: ${what} address ${JSON.stringify(addr)}: ${checked}`;
  }
  if (m.kind === 'witness' && m.redis !== undefined) return `member ${m.id}: a witness has no redis`;
  return undefined;
}

/** What is wrong with a whole member list, or undefined: duplicates, size, no member that can ever lead. */
export function membersProblem(members: readonly ConfigMember[]): string | undefined {
  if (members.length === 0) return 'no members';
  if (members.length > MAX_MEMBERS) return `more than ${MAX_MEMBERS} members`;
  const seen = new Set<string>();
  for (const m of members) {
    const p = memberProblem(m);
    if (p) return p;
    if (seen.has(m.id)) return `member ${m.id} is listed twice`;
    seen.add(m.id);
  }
  if (!members.some((m) => m.kind === 'voter' && m.priority > 0)) return 'no voter can ever be primary: every voter is a witness or has priority 0';
  return undefined;
}

