/**
 * The wire rule of the `members` field kind (CONFIG, protocol.md §1.2): the
 * text must parse (src/protocol/members.ts) AND be in canonical form, i.e.
 * equal membersText() of what it parses to. Canonical only, so every member
 * list has exactly one encoding and the CONFVER digest of a received CONFIG
 * is the sha256 of the very bytes that arrived.
 */
import { MAX_ADDRESS_BYTES } from './address.js';
import { MAX_NODE_ID_BYTES } from './fields.js';
import { MAX_MEMBERS, membersText, parseMembersText } from './members.js';

/** `id,learner,999999999,peer,redis` at the longest, times MAX_MEMBERS, plus the separators. */
export const MAX_MEMBERS_FIELD_BYTES = MAX_MEMBERS * (MAX_NODE_ID_BYTES + 1 + 'learner'.length + 1 + 9 + 1 + MAX_ADDRESS_BYTES + 1 + MAX_ADDRESS_BYTES) + (MAX_MEMBERS - 1);

/** Returns undefined when text is a valid, canonical members field, else what is wrong with it. */
export function membersFieldProblem(text: string): string | undefined {
  if (text.length > MAX_MEMBERS_FIELD_BYTES) return `longer than ${MAX_MEMBERS_FIELD_BYTES} bytes`;
  const parsed = parseMembersText(text);
  if (typeof parsed === 'string') return parsed;
  if (membersText(parsed) !== text) return 'not in canonical form (entries sorted by id, "-" for no address)';
  return undefined;
}
