/**
 * RESP2 array of bulk strings -> Message. The frame guard and redis-parser
 * have already checked the framing; this step checks the content: verb,
 * arity and each field against the rules in fields.ts.
 *
 * This runs for every frame received, so fields are read from the bytes
 * directly (no regexes, no throwaway strings) and each verb builds its object
 * with a literal: one hidden class per verb, no dynamic property writes.
 * Field names for error messages come from the verb table in verbs.ts.
 */
import { checkAddress, MAX_ADDRESS_BYTES } from './address.js';
import { MAX_MEMBERS_FIELD_BYTES, membersFieldProblem } from './members-field.js';
import { ProtocolError, fieldError, showValue } from './errors.js';
import { isHex64Bytes, parseNumberBytes, parseReasonBytes, parseRoleBytes } from './fields.js';
import { internNodeId } from './intern.js';
import { MAX_EPOCH } from './limits.js';
import type { Message, RefuseReason, Role } from './messages.js';
import { lookupVerb, type VerbSpec } from './verbs.js';

/** Fields of a frame: e[0] is the verb, field k is e[k + 1]. */
type Elements = readonly Buffer[];

/** Decodes the elements of one frame; throws ProtocolError when they are not a valid message. */
export function decodeElements(e: Elements): Message {
  const n = e.length;
  if (n === 0) throw new ProtocolError('wrong-arity', 'empty array: no verb');
  const s = lookupVerb(e[0]!);
  if (s === undefined) throw new ProtocolError('unknown-verb', `unknown verb: ${showValue(e[0]!)}`);
  const want = s.fields.length;
  if (n - 1 !== want) {
    throw new ProtocolError('wrong-arity', `${s.type}: expected ${want} field${want === 1 ? '' : 's'}, got ${n - 1}`);
  }
  // One small function per verb, called from a switch: every call site is
  // monomorphic, each function is small enough for V8 to inline its field
  // helpers, and each verb's objects share one hidden class. Most frequent
  // verbs first.
  switch (s.type) {
    case 'HB':
      return hb(e, s);
    case 'LEASE':
      return lease(e, s);
    case 'LEASEACK':
      return leaseAck(e, s);
    case 'OFFER':
      return offer(e, s);
    case 'ACCEPT':
      return accept(e, s);
    case 'ANNOUNCE':
      return announce(e, s);
    case 'PREVOTE':
      return prevote(e, s);
    case 'PREACCEPT':
      return preaccept(e, s);
    case 'REFUSE':
      return refuse(e, s);
    case 'HANDOFF':
      return handoff(e, s);
    case 'CONFVER':
      return confver(e, s);
    case 'CONFIG':
      return config(e, s);
    case 'CONFGET':
      return confget(e, s);
    case 'PEER':
      return peer(e, s);
    case 'CHALLENGE':
      return challenge(e, s);
    case 'PROOF':
      return proof(e, s);
  }
}

type Decoded<T extends Message['type']> = Extract<Message, { type: T }>;

function hb(e: Elements, s: VerbSpec): Decoded<'HB'> {
  return { type: 'HB', epoch: epoch(e, s, 0), nodeId: id(e, s, 1), role: role(e, s, 2), replOffset: num(e, s, 3) };
}
function lease(e: Elements, s: VerbSpec): Decoded<'LEASE'> {
  return { type: 'LEASE', epoch: epoch(e, s, 0), primaryId: id(e, s, 1), seq: num(e, s, 2) };
}
function leaseAck(e: Elements, s: VerbSpec): Decoded<'LEASEACK'> {
  return { type: 'LEASEACK', epoch: epoch(e, s, 0), voterId: id(e, s, 1), seq: num(e, s, 2) };
}
function offer(e: Elements, s: VerbSpec): Decoded<'OFFER'> {
  return { type: 'OFFER', epoch: epoch(e, s, 0), candidateId: id(e, s, 1), replOffset: num(e, s, 2) };
}
function accept(e: Elements, s: VerbSpec): Decoded<'ACCEPT'> {
  return { type: 'ACCEPT', epoch: epoch(e, s, 0), accepterId: id(e, s, 1) };
}
function announce(e: Elements, s: VerbSpec): Decoded<'ANNOUNCE'> {
  return { type: 'ANNOUNCE', epoch: epoch(e, s, 0), primaryId: id(e, s, 1), primaryAddr: addr(e, s, 2) };
}
function prevote(e: Elements, s: VerbSpec): Decoded<'PREVOTE'> {
  return { type: 'PREVOTE', epoch: epoch(e, s, 0), candidateId: id(e, s, 1), replOffset: num(e, s, 2), dataEpoch: epoch(e, s, 3) };
}
function preaccept(e: Elements, s: VerbSpec): Decoded<'PREACCEPT'> {
  return { type: 'PREACCEPT', epoch: epoch(e, s, 0), voterId: id(e, s, 1) };
}
function refuse(e: Elements, s: VerbSpec): Decoded<'REFUSE'> {
  return { type: 'REFUSE', epoch: epoch(e, s, 0), voterId: id(e, s, 1), voterEpoch: epoch(e, s, 2), reason: reason(e, s, 3) };
}
function handoff(e: Elements, s: VerbSpec): Decoded<'HANDOFF'> {
  return { type: 'HANDOFF', epoch: epoch(e, s, 0), targetId: id(e, s, 1), primaryOffset: num(e, s, 2) };
}
function confver(e: Elements, s: VerbSpec): Decoded<'CONFVER'> {
  return { type: 'CONFVER', nodeId: id(e, s, 0), version: num(e, s, 1), configEpoch: epoch(e, s, 2), digest: hex(e, s, 3), dataEpoch: epoch(e, s, 4) };
}
function config(e: Elements, s: VerbSpec): Decoded<'CONFIG'> {
  return { type: 'CONFIG', nodeId: id(e, s, 0), version: num(e, s, 1), configEpoch: epoch(e, s, 2), members: members(e, s, 3) };
}
function confget(e: Elements, s: VerbSpec): Decoded<'CONFGET'> {
  return { type: 'CONFGET', nodeId: id(e, s, 0) };
}
function peer(e: Elements, s: VerbSpec): Decoded<'PEER'> {
  return { type: 'PEER', version: num(e, s, 0), nodeId: id(e, s, 1), nonce: hex(e, s, 2) };
}
function challenge(e: Elements, s: VerbSpec): Decoded<'CHALLENGE'> {
  return { type: 'CHALLENGE', nodeId: id(e, s, 0), nonce: hex(e, s, 1), proof: hex(e, s, 2) };
}
function proof(e: Elements, s: VerbSpec): Decoded<'PROOF'> {
  return { type: 'PROOF', proof: hex(e, s, 0) };
}

function num(e: Elements, s: VerbSpec, k: number): number {
  const b = e[k + 1]!;
  const n = parseNumberBytes(b);
  if (n >= 0) return n;
  throw fieldError('bad-number', s.type, s.fields[k]!.wire, 'not a non-negative decimal integer', b);
}

/**
 * An epoch field: a number of at most MAX_EPOCH. A larger one is no epoch a
 * cluster can have reached by elections, and adopting it would leave no room
 * to stand again (protocol.md §1.2), so the frame is malformed.
 */
function epoch(e: Elements, s: VerbSpec, k: number): number {
  const n = num(e, s, k);
  if (n <= MAX_EPOCH) return n;
  throw fieldError('bad-epoch', s.type, s.fields[k]!.wire, `above the largest epoch ${MAX_EPOCH}`, e[k + 1]!);
}

function id(e: Elements, s: VerbSpec, k: number): string {
  const b = e[k + 1]!;
  const text = internNodeId(b);
  if (text !== undefined) return text;
  throw fieldError('bad-id', s.type, s.fields[k]!.wire, 'not 1-64 bytes of printable ASCII without spaces', b);
}

function role(e: Elements, s: VerbSpec, k: number): Role {
  const b = e[k + 1]!;
  const r = parseRoleBytes(b);
  if (r !== undefined) return r;
  throw fieldError('bad-role', s.type, s.fields[k]!.wire, 'not primary, replica or candidate', b);
}

function hex(e: Elements, s: VerbSpec, k: number): string {
  const b = e[k + 1]!;
  if (isHex64Bytes(b)) return b.toString('latin1');
  throw fieldError('bad-hex', s.type, s.fields[k]!.wire, 'not 64 lowercase hex characters', b);
}

function reason(e: Elements, s: VerbSpec, k: number): RefuseReason {
  const b = e[k + 1]!;
  const r = parseReasonBytes(b);
  if (r !== undefined) return r;
  throw fieldError('bad-reason', s.type, s.fields[k]!.wire, 'not a known refuse reason', b);
}

function addr(e: Elements, s: VerbSpec, k: number): string {
  const b = e[k + 1]!;
  // Bound the work on a bogus field before turning it into a string.
  const text = b.length > MAX_ADDRESS_BYTES ? '' : b.toString('latin1');
  const r = b.length > MAX_ADDRESS_BYTES ? `longer than ${MAX_ADDRESS_BYTES} bytes` : checkAddress(text);
  if (typeof r !== 'string') return text;
  throw fieldError('bad-address', s.type, s.fields[k]!.wire, r, b);
}

/** A CONFIG members field (rare: parsed with strings, not byte by byte). */
function members(e: Elements, s: VerbSpec, k: number): string {
  const b = e[k + 1]!;
  const text = b.length > MAX_MEMBERS_FIELD_BYTES ? '' : b.toString('latin1');
  const r = b.length > MAX_MEMBERS_FIELD_BYTES ? `longer than ${MAX_MEMBERS_FIELD_BYTES} bytes` : membersFieldProblem(text);
  if (r === undefined) return text;
  throw fieldError('bad-members', s.type, s.fields[k]!.wire, r, b);
}
