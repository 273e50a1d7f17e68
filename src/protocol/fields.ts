/**
 * Field rules shared by the encoder and the decoder, so both sides agree on
 * exactly one definition of a valid number, node id, role, hex string and
 * reason. The decoder checks raw bytes (no regexes, no intermediate strings)
 * because it runs for every frame; the encoder checks JS values.
 */
import { REFUSE_REASONS, ROLES, type RefuseReason, type Role } from './messages.js';

/** Node ids are 1..64 bytes. */
export const MAX_NODE_ID_BYTES = 64;

/** Nonces and proofs are 32 bytes written as 64 lowercase hex characters. */
export const HEX64_LENGTH = 64;

/** Digits in Number.MAX_SAFE_INTEGER (9007199254740991). */
const MAX_NUMBER_DIGITS = 16;

// ---------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------

/**
 * Parses a canonical non-negative decimal integer: digits only, at least one,
 * no sign, no leading zero except "0" itself, at most 2^53-1.
 * Leading zeros are refused so every value has exactly one encoding on the
 * wire (byte-exact frames, no ambiguity such as octal readings in other
 * languages). Returns -1 when the bytes are not such a number.
 */
export function parseNumberBytes(b: Uint8Array): number {
  const len = b.length;
  if (len === 0 || len > MAX_NUMBER_DIGITS) return -1;
  const first = b[0]!;
  if (first === 0x30) return len === 1 ? 0 : -1;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = b[i]! - 0x30;
    if (d >>> 0 > 9) return -1; // not a digit (negative d wraps to a huge value)
    n = n * 10 + d;
  }
  // Exact up to 15 digits; a 16-digit value above 2^53-1 can only round to
  // 2^53 or more, so this comparison is still correct.
  return n <= Number.MAX_SAFE_INTEGER ? n : -1;
}

/** True for values the wire can carry as a number field. */
export function isWireNumber(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

// ---------------------------------------------------------------------------
// Node ids
// ---------------------------------------------------------------------------

/**
 * True when s can be used as a node id: 1..64 characters, each printable
 * ASCII without space (0x21..0x7E). Config loaders use this so a bad id is
 * refused at start-up rather than on the first frame.
 */
export function isValidNodeId(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const len = s.length;
  if (len === 0 || len > MAX_NODE_ID_BYTES) return false;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Roles (case-insensitive on read, lowercase on write)
// ---------------------------------------------------------------------------

/**
 * Compares b with a word of lowercase ASCII letters (as bytes), ignoring the
 * case of b. 0x20 is the ASCII case bit: for a lowercase letter x,
 * (c | 0x20) === x holds for exactly two bytes, x and its uppercase form.
 */
function equalsLettersIgnoreCase(b: Uint8Array, lower: Uint8Array): boolean {
  const len = b.length;
  if (len !== lower.length) return false;
  for (let i = 0; i < len; i++) {
    if ((b[i]! | 0x20) !== lower[i]) return false;
  }
  return true;
}

const PRIMARY = Buffer.from('primary', 'latin1');
const REPLICA = Buffer.from('replica', 'latin1');
const CANDIDATE = Buffer.from('candidate', 'latin1');

export function parseRoleBytes(b: Uint8Array): Role | undefined {
  // Dispatch on the first letter, then one full case-insensitive compare.
  switch (b.length === 0 ? 0 : b[0]! | 0x20) {
    case 0x70: // p
      return equalsLettersIgnoreCase(b, PRIMARY) ? 'primary' : undefined;
    case 0x72: // r
      return equalsLettersIgnoreCase(b, REPLICA) ? 'replica' : undefined;
    case 0x63: // c
      return equalsLettersIgnoreCase(b, CANDIDATE) ? 'candidate' : undefined;
    default:
      return undefined;
  }
}

export function isRole(s: unknown): s is Role {
  return typeof s === 'string' && (ROLES as readonly string[]).includes(s);
}

// ---------------------------------------------------------------------------
// Hex (nonce, proof)
// ---------------------------------------------------------------------------

/** Exactly 64 characters of 0-9a-f. Upper case is refused: one encoding per value. */
export function isHex64Bytes(b: Uint8Array): boolean {
  if (b.length !== HEX64_LENGTH) return false;
  for (let i = 0; i < HEX64_LENGTH; i++) {
    const c = b[i]!;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

export function isHex64(s: unknown): s is string {
  if (typeof s !== 'string' || s.length !== HEX64_LENGTH) return false;
  for (let i = 0; i < HEX64_LENGTH; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Refuse reasons (exact, lowercase)
// ---------------------------------------------------------------------------

const REASON_SET: ReadonlySet<string> = new Set(REFUSE_REASONS);

/** Longest reason, to avoid turning a huge bogus field into a string. */
const MAX_REASON_BYTES = Math.max(...REFUSE_REASONS.map((r) => r.length));

export function parseReasonBytes(b: Uint8Array): RefuseReason | undefined {
  if (b.length === 0 || b.length > MAX_REASON_BYTES) return undefined;
  const s = Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
  return REASON_SET.has(s) ? (s as RefuseReason) : undefined;
}

export function isRefuseReason(s: unknown): s is RefuseReason {
  return typeof s === 'string' && REASON_SET.has(s);
}
