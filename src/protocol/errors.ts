/**
 * The one error type the codec throws. The transport treats any ProtocolError
 * as "this peer speaks something we do not understand" and closes that one
 * connection. Any other exception type out of the codec is a bug in
 * resp-elect, not a peer's fault; the property tests feed random and mutated
 * bytes to the decoder to show that none occurs.
 */
import type { Message } from './messages.js';

/**
 * Why a frame or message was rejected. A stable string union so callers can
 * count and log by cause without parsing messages.
 */
export type ProtocolErrorCode =
  /** The verb (first element) is not one this codec knows. */
  | 'unknown-verb'
  /** Known verb, wrong number of fields; also the empty array `*0`. */
  | 'wrong-arity'
  /** A numeric field is not a canonical non-negative decimal integer <= 2^53-1. */
  | 'bad-number'
  /** An epoch field is a valid number above MAX_EPOCH (2^40): no election can have reached it. */
  | 'bad-epoch'
  /** HB role is not primary, replica or candidate. */
  | 'bad-role'
  /** A node id is not 1-64 bytes of printable ASCII (0x21-0x7E). */
  | 'bad-id'
  /** An address is not host:port with port 1-65535. */
  | 'bad-address'
  /** A nonce or proof is not exactly 64 lowercase hex characters. */
  | 'bad-hex'
  /** A REFUSE reason is not one of REFUSE_REASONS. */
  | 'bad-reason'
  /** A CONFIG members field does not parse, is not a valid member list, or is not in canonical form. */
  | 'bad-members'
  /** The frame is a RESP2 value other than an array (+, -, :, $) or a null array (*-1). */
  | 'not-array'
  /** An array element is not a bulk string (integer, simple string, nested array...). */
  | 'non-bulk-element'
  /** The frame, its element count or a header line exceeds the limits. */
  | 'oversize'
  /** The first byte of a frame is not a RESP2 type byte: RESP3 types, inline commands, stray bytes. */
  | 'unsupported-type'
  /** An element is a null bulk string ($-1). */
  | 'nil-element'
  /** A length header is malformed (not digits, leading zero, missing CRLF). */
  | 'bad-frame'
  /** The decoder already failed once; it cannot resynchronise. */
  | 'decoder-failed';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  /**
   * Messages decoded from complete frames that preceded the bad frame in the
   * same push() call. The transport should deliver them before closing the
   * connection: they were valid and the peer sent them first. Always empty
   * for errors thrown by the encoder and for 'decoder-failed'.
   */
  decoded: Message[] = [];

  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Longest rendering of an offending value inside an error message. */
const MAX_SHOWN = 40;

/**
 * Renders a field value for an error message: quoted, non-printables escaped
 * (so a log line never carries raw control bytes from a hostile peer) and
 * truncated to at most 40 characters between the quotes.
 * Buffers are read byte by byte (latin1), so every byte is shown exactly.
 */
export function showValue(value: string | Buffer): string {
  // Look at no more than one unit past the budget: each unit renders to at
  // least one character, so anything longer is truncated anyway.
  const text =
    typeof value === 'string'
      ? value.slice(0, MAX_SHOWN + 1)
      : value.toString('latin1', 0, Math.min(value.length, MAX_SHOWN + 1));
  const pieces: string[] = [];
  let length = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    let piece: string;
    if (ch === '"' || ch === '\\') piece = '\\' + ch;
    else if (cp >= 0x20 && cp <= 0x7e) piece = ch;
    else if (cp <= 0xff) piece = '\\x' + cp.toString(16).padStart(2, '0');
    else piece = '\\u{' + cp.toString(16) + '}';
    if (length + piece.length > MAX_SHOWN) {
      // Drop whole pieces (never half an escape) until the marker fits too.
      while (length > MAX_SHOWN - 3) length -= pieces.pop()!.length;
      return '"' + pieces.join('') + '..."';
    }
    pieces.push(piece);
    length += piece.length;
  }
  return '"' + pieces.join('') + '"';
}

/** Builds the error for one field, e.g. `HB epoch: not a non-negative decimal integer: "-1"`. */
export function fieldError(
  code: ProtocolErrorCode,
  verb: string,
  field: string,
  problem: string,
  value: string | Buffer,
): ProtocolError {
  return new ProtocolError(code, `${verb} ${field}: ${problem}: ${showValue(value)}`);
}
