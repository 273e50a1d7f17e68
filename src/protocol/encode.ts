/**
 * Message -> RESP2 frame. The encoder applies the same field rules as the
 * decoder and throws ProtocolError on a message a peer would reject: a bad
 * value is caught at its source (with a stack trace into the code that built
 * it) instead of surfacing as a closed connection on another node.
 */
import { checkAddress } from './address.js';
import { membersFieldProblem } from './members-field.js';
import { ProtocolError, fieldError, showValue } from './errors.js';
import { isHex64, isRefuseReason, isRole, isValidNodeId, isWireNumber } from './fields.js';
import { MAX_EPOCH } from './limits.js';
import type { Message } from './messages.js';
import { specOf, type FieldSpec, type VerbSpec } from './verbs.js';

/** Encodes one message as `*N\r\n$len\r\nVERB\r\n...`, verb upper case. */
export function encodeMessage(msg: Message): Buffer {
  const spec = specOf(msg);
  if (spec === undefined) {
    const t = (msg as { type?: unknown } | null)?.type;
    throw new ProtocolError('unknown-verb', `encode: unknown message type: ${showValue(String(t))}`);
  }
  const fields = spec.fields;
  let out = '*' + (fields.length + 1) + '\r\n$' + spec.type.length + '\r\n' + spec.type + '\r\n';
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const text = fieldText(spec, field, (msg as unknown as Record<string, unknown>)[field.prop]);
    out += '$' + text.length + '\r\n' + text + '\r\n';
  }
  // Every field was checked to be ASCII, so one char is one byte.
  return Buffer.from(out, 'latin1');
}

/** Validates one field value and returns its wire text. */
function fieldText(spec: VerbSpec, field: FieldSpec, value: unknown): string {
  switch (field.kind) {
    case 'number':
      if (isWireNumber(value)) return String(value);
      throw bad('bad-number', 'not a non-negative safe integer');
    case 'epoch':
      if (!isWireNumber(value)) throw bad('bad-number', 'not a non-negative safe integer');
      if (value <= MAX_EPOCH) return String(value);
      throw bad('bad-epoch', `above the largest epoch ${MAX_EPOCH}`);
    case 'id':
      if (isValidNodeId(value)) return value;
      throw bad('bad-id', 'not 1-64 bytes of printable ASCII without spaces');
    case 'role':
      if (isRole(value)) return value;
      throw bad('bad-role', 'not primary, replica or candidate');
    case 'hex':
      if (isHex64(value)) return value;
      throw bad('bad-hex', 'not 64 lowercase hex characters');
    case 'reason':
      if (isRefuseReason(value)) return value;
      throw bad('bad-reason', 'not a known refuse reason');
    case 'members': {
      if (typeof value !== 'string') throw bad('bad-members', 'not a string');
      const r = membersFieldProblem(value);
      if (r !== undefined) throw bad('bad-members', r);
      return value;
    }
    case 'address': {
      if (typeof value !== 'string') throw bad('bad-address', 'not a string');
      const r = checkAddress(value);
      if (typeof r === 'string') throw bad('bad-address', r);
      return value;
    }
  }

  function bad(code: ProtocolError['code'], problem: string): ProtocolError {
    return fieldError(code, spec.type, field.wire, problem, typeof value === 'string' ? value : String(value));
  }
}
