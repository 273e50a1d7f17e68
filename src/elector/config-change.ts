import { membersProblem } from '../protocol/members.js';
import { memberOf, type ClusterConfig, type ConfigMember } from './cluster-config.js';

/**
 * One membership change (protocol.md §5.12). Each changes the set of voters
 * by at most one member, so any majority of the old voters and any majority
 * of the new ones share a member: Raft's single-server change.
 *
 * - `add`: a data member joins as a learner (it votes only once promoted); a
 *   witness, which holds no data to catch up on, joins as a voter.
 * - `remove`: any member but the primary making the change.
 * - `promote`: a learner whose redis caught up becomes a voter.
 * - `restamp`: the same members under the new primary's epoch; a new primary
 *   makes it before any other change (Raft's fix for single-server changes:
 *   a leader changes nothing before it commits an entry of its own term).
 */
export type ConfigChange =
  | { kind: 'add'; member: ConfigMember }
  | { kind: 'remove'; id: string }
  | { kind: 'promote'; id: string }
  | { kind: 'restamp' };

/** The configuration after `change`, made by the primary of `epoch`, or why the change is impossible. */
export function applyChange(c: ClusterConfig, change: ConfigChange, epoch: number): ClusterConfig | string {
  let members: ConfigMember[];
  switch (change.kind) {
    case 'add': {
      const m = change.member;
      if (memberOf(c, m.id)) return `${m.id} is already a member (${memberOf(c, m.id)!.kind})`;
      const kind = m.kind === 'witness' ? 'witness' : 'learner';
      members = [...c.members, { ...m, kind }];
      break;
    }
    case 'remove':
      if (!memberOf(c, change.id)) return `${change.id} is not a member`;
      members = c.members.filter((m) => m.id !== change.id);
      break;
    case 'promote': {
      const m = memberOf(c, change.id);
      if (!m) return `${change.id} is not a member`;
      if (m.kind !== 'learner') return `${change.id} is a ${m.kind}, not a learner`;
      members = c.members.map((x) => (x.id === change.id ? { ...x, kind: 'voter' } : x));
      break;
    }
    case 'restamp':
      members = [...c.members];
      break;
  }
  const problem = membersProblem(members);
  if (problem) return problem;
  return { version: c.version + 1, epoch, members };
}

/** A human description of a change, for logs and the `member` commands. */
export function describeChange(change: ConfigChange): string {
  switch (change.kind) {
    case 'add':
      return `add ${change.member.id} as ${change.member.kind === 'witness' ? 'witness' : 'learner'}`;
    case 'remove':
      return `remove ${change.id}`;
    case 'promote':
      return `promote learner ${change.id} to voter`;
    case 'restamp':
      return 'restamp the configuration in the new primary epoch';
  }
}
