/**
 * When a `resp-elect member add|remove` asked of this sidecar is done, judged
 * on the configuration it holds (Elector.configSnapshot()).
 *
 * Not "version V is committed": the primary that made V may lose an election
 * before V commits, and every new primary restamps what it holds as a new
 * version (rule config-own-epoch). So the change is done once a configuration
 * at V or later that this node, as primary, knows to be committed still has
 * it made. A later version without it means V was lost (the new primary never
 * held it): not done. Found by the chaos suite's member-change nemesis: the
 * primary changed twice while a remove waited, the removal was committed as
 * version V + 2, and the command waited out its --wait and reported failure.
 */
import type { ConfigSnapshot } from '../elector/elector.js';
import { parseMember } from './member-spec.js';
import type { MemberChangeRequest } from './view.js';

/** Whether configuration `s` has the change made: the member added is in it, the one removed is not. */
export function changeIn(s: ConfigSnapshot, change: MemberChangeRequest): boolean {
  if (change.kind === 'add') {
    const id = parseMember(change.spec).id;
    return s.members.some((m) => m.id === id);
  }
  return !s.members.some((m) => m.id === change.id);
}

/** The change, first made as configuration `version`, is committed as far as this node (the primary) knows. */
export function changeCommitted(s: ConfigSnapshot, version: number, change: MemberChangeRequest): boolean {
  return s.committed === true && s.version >= version && changeIn(s, change);
}

/** `member add n4` / `member remove n3`, for the log. */
export function describeRequest(change: MemberChangeRequest): string {
  // The id as written, without parsing: a log line never throws.
  return change.kind === 'add' ? `member add ${change.spec.split('=')[0]}` : `member remove ${change.id}`;
}
