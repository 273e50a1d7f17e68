/**
 * Node id bytes -> string without allocating in the common case.
 *
 * A cluster has a handful of node ids and every frame carries one, so the
 * decoder would otherwise build the same few short strings millions of
 * times; turning a Buffer into a string costs more than validating it. This
 * direct-mapped cache keeps the last string seen per hash slot and returns it
 * when the bytes match. A miss (or a hostile peer cycling ids) only costs the
 * allocation we would have made anyway; memory is bounded by the slot count.
 *
 * Before hashing, the bytes are compared with the id returned last: every
 * frame on a connection comes from the one peer that dialed it (protocol.md
 * 4.1), so consecutive ids are nearly always the same, and a match with an
 * id that was valid needs neither validation nor hashing.
 */
import { MAX_NODE_ID_BYTES } from './fields.js';

const SLOT_BITS = 6;
const SLOTS = 1 << SLOT_BITS;
/** One cached id: its string and a copy of its bytes (byte compares beat charCodeAt). */
interface Entry {
  text: string;
  bytes: Uint8Array;
}

const EMPTY: Entry = { text: '', bytes: new Uint8Array(0) };
const cache: Entry[] = new Array<Entry>(SLOTS).fill(EMPTY);
/** The entry returned by the previous call. */
let last: Entry = EMPTY;

/** True when b holds exactly the bytes of the entry. */
function same(entry: Entry, b: Uint8Array, len: number): boolean {
  const bytes = entry.bytes;
  if (bytes.length !== len) return false;
  let i = 0;
  while (i < len && bytes[i] === b[i]) i++;
  return i === len;
}

/**
 * Validates node id bytes (1..64 bytes of 0x21..0x7E) and returns the id as
 * a string, or undefined when the bytes are not a valid node id.
 */
export function internNodeId(b: Uint8Array): string | undefined {
  const len = b.length;
  // Equal to a valid id implies valid; EMPTY never matches (len 0 is refused below).
  if (len > 0 && same(last, b, len)) return last.text;
  if (len === 0 || len > MAX_NODE_ID_BYTES) return undefined;
  let h = len;
  for (let i = 0; i < len; i++) {
    const c = b[i]!;
    if (c < 0x21 || c > 0x7e) return undefined;
    h = (Math.imul(h, 31) + c) | 0;
  }
  // Fibonacci hashing: take the top bits of h * 2^32/phi, so ids that differ
  // in one character (node-1, node-2) spread over the slots.
  const slot = Math.imul(h, 0x9e3779b1) >>> (32 - SLOT_BITS);
  let entry = cache[slot]!;
  if (!same(entry, b, len)) {
    entry = { text: Buffer.from(b.buffer, b.byteOffset, len).toString('latin1'), bytes: Uint8Array.from(b) };
    cache[slot] = entry;
  }
  last = entry;
  return entry.text;
}
