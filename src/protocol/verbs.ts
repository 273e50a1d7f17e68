/**
 * The verb table: for every verb, its fields in wire order, the property of
 * the Message each one maps to, and the rule it must satisfy. The encoder is
 * driven by this table; the decoder uses it for verb lookup, arity and field
 * names, and builds each verb's object with a literal for speed (the
 * round-trip tests keep the two in step). protocol.md sections 2-3 describe
 * exactly these rows, and a test checks that they do.
 */
import type { Message, MessageType } from './messages.js';

/** Which rule a field obeys; see fields.ts, address.ts and members-field.ts. An `epoch` is a number of at most MAX_EPOCH (limits.ts). */
export type FieldKind = 'number' | 'epoch' | 'id' | 'role' | 'address' | 'hex' | 'reason' | 'members';

export interface FieldSpec {
  /** Name used in protocol.md and in error messages, e.g. `repl_offset`. */
  readonly wire: string;
  /** Property of the Message object. */
  readonly prop: string;
  readonly kind: FieldKind;
}

export interface VerbSpec {
  readonly type: MessageType;
  /** True for the four kevy-compatible verbs. */
  readonly base: boolean;
  readonly fields: readonly FieldSpec[];
}

function f(wire: string, prop: string, kind: FieldKind): FieldSpec {
  return { wire, prop, kind };
}

const epoch = f('epoch', 'epoch', 'epoch');

/** Every verb, base verbs first. Keys equal `Message['type']`. */
export const VERBS: { readonly [T in MessageType]: VerbSpec } = {
  HB: {
    type: 'HB',
    base: true,
    fields: [epoch, f('node_id', 'nodeId', 'id'), f('role', 'role', 'role'), f('repl_offset', 'replOffset', 'number')],
  },
  OFFER: {
    type: 'OFFER',
    base: true,
    fields: [f('new_epoch', 'epoch', 'epoch'), f('candidate_id', 'candidateId', 'id'), f('repl_offset', 'replOffset', 'number')],
  },
  ACCEPT: { type: 'ACCEPT', base: true, fields: [epoch, f('accepter_id', 'accepterId', 'id')] },
  ANNOUNCE: {
    type: 'ANNOUNCE',
    base: true,
    fields: [epoch, f('new_primary_id', 'primaryId', 'id'), f('new_primary_addr', 'primaryAddr', 'address')],
  },
  PREVOTE: {
    type: 'PREVOTE',
    base: false,
    fields: [epoch, f('candidate_id', 'candidateId', 'id'), f('repl_offset', 'replOffset', 'number'), f('data_epoch', 'dataEpoch', 'epoch')],
  },
  PREACCEPT: { type: 'PREACCEPT', base: false, fields: [epoch, f('voter_id', 'voterId', 'id')] },
  REFUSE: {
    type: 'REFUSE',
    base: false,
    fields: [epoch, f('voter_id', 'voterId', 'id'), f('voter_epoch', 'voterEpoch', 'epoch'), f('reason', 'reason', 'reason')],
  },
  LEASE: { type: 'LEASE', base: false, fields: [epoch, f('primary_id', 'primaryId', 'id'), f('seq', 'seq', 'number')] },
  LEASEACK: { type: 'LEASEACK', base: false, fields: [epoch, f('voter_id', 'voterId', 'id'), f('seq', 'seq', 'number')] },
  HANDOFF: {
    type: 'HANDOFF',
    base: false,
    fields: [epoch, f('target_id', 'targetId', 'id'), f('primary_offset', 'primaryOffset', 'number')],
  },
  CONFVER: {
    type: 'CONFVER',
    base: false,
    fields: [
      f('node_id', 'nodeId', 'id'),
      f('version', 'version', 'number'),
      f('config_epoch', 'configEpoch', 'epoch'),
      f('digest', 'digest', 'hex'),
      f('data_epoch', 'dataEpoch', 'epoch'),
    ],
  },
  CONFIG: {
    type: 'CONFIG',
    base: false,
    fields: [f('node_id', 'nodeId', 'id'), f('version', 'version', 'number'), f('config_epoch', 'configEpoch', 'epoch'), f('members', 'members', 'members')],
  },
  CONFGET: { type: 'CONFGET', base: false, fields: [f('node_id', 'nodeId', 'id')] },
  PEER: {
    type: 'PEER',
    base: false,
    fields: [f('version', 'version', 'number'), f('node_id', 'nodeId', 'id'), f('nonce', 'nonce', 'hex')],
  },
  CHALLENGE: {
    type: 'CHALLENGE',
    base: false,
    fields: [f('node_id', 'nodeId', 'id'), f('nonce', 'nonce', 'hex'), f('proof', 'proof', 'hex')],
  },
  PROOF: { type: 'PROOF', base: false, fields: [f('proof', 'proof', 'hex')] },
};

interface VerbEntry {
  /** The verb in lower case, as bytes. */
  readonly lower: Uint8Array;
  readonly spec: VerbSpec;
}

/**
 * Verbs by the case-folded low 5 bits of their first letter, so a lookup
 * compares against one or two candidates (this runs for every frame).
 */
const BY_INITIAL: VerbEntry[][] = Array.from({ length: 32 }, () => []);
for (const spec of Object.values(VERBS)) {
  const lower = Buffer.from(spec.type.toLowerCase(), 'latin1');
  BY_INITIAL[lower[0]! & 0x1f]!.push({ lower, spec });
}

/**
 * Finds the verb named by the bytes, ignoring case; undefined when unknown.
 * (c | 0x20) === x, for a lowercase letter x, holds exactly for x and its
 * upper case, so the comparison below is a case-insensitive match that no
 * other byte can pass.
 */
export function lookupVerb(b: Uint8Array): VerbSpec | undefined {
  const len = b.length;
  if (len === 0) return undefined;
  const candidates = BY_INITIAL[b[0]! & 0x1f]!;
  for (let k = 0; k < candidates.length; k++) {
    const c = candidates[k]!;
    const lower = c.lower;
    if (lower.length !== len) continue;
    let i = 0;
    while (i < len && (b[i]! | 0x20) === lower[i]) i++;
    if (i === len) return c.spec;
  }
  return undefined;
}

/** The spec for a message object's type, or undefined for a foreign object. */
export function specOf(msg: Message): VerbSpec | undefined {
  const t = (msg as { type?: unknown } | null)?.type;
  return typeof t === 'string' && Object.hasOwn(VERBS, t) ? VERBS[t as MessageType] : undefined;
}
