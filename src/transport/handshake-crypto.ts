/**
 * The cryptographic half of the peer handshake (protocol.md §4): nonces,
 * the two HMAC proofs and their constant-time check. Kept apart from the
 * socket code so the exact bytes that go into the HMAC are in one small
 * place that a test vector can pin down.
 *
 * Why HMAC over both nonces: each side's proof covers a nonce the *other*
 * side just drew at random, so a recorded proof is useless on any later
 * connection (no replay), and the role label differs per direction, so a
 * listener proof can never be reflected back as a dialer proof.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The newest handshake version this implementation speaks (`PEER <version>`),
 * the one its dialer tries first. Version 2 means "speaks the configuration
 * verbs" (CONFVER, CONFIG, CONFGET, REFUSE stale-config; protocol.md §4.3);
 * version 1 is the protocol before them. The HMAC inputs are the same in both.
 */
export const HANDSHAKE_VERSION = 2;

/** The first version whose peers understand CONFVER, CONFIG and REFUSE stale-config. */
export const CONFIG_HANDSHAKE_VERSION = 2;

/** Every version a listener accepts. */
export const SUPPORTED_HANDSHAKE_VERSIONS: readonly number[] = [1, 2];

export type HandshakeVersion = 1 | 2;

/** Nonces are 32 random bytes, written on the wire as 64 lowercase hex digits. */
export const NONCE_BYTES = 32;

/** Which side computes the proof; selects the label so proofs are direction-bound. */
export type ProofRole = 'listener' | 'dialer';

const LABELS: Record<ProofRole, Buffer> = {
  listener: Buffer.from('resp-elect/1 listener', 'ascii'),
  dialer: Buffer.from('resp-elect/1 dialer', 'ascii'),
};

const SEPARATOR = Buffer.from([0x00]);
const HEX64 = /^[0-9a-f]{64}$/;

/** A fresh nonce as lowercase hex. Never reused: drawn per connection attempt. */
export function newNonce(): string {
  return randomBytes(NONCE_BYTES).toString('hex');
}

/** True for exactly 64 lowercase hex digits (a nonce or an HMAC-SHA256 proof). */
export function isHex32(value: string): boolean {
  return HEX64.test(value);
}

/** The inputs both proofs are computed over; the same five values on both sides. */
export interface ProofInput {
  dialerId: string;
  listenerId: string;
  /** Lowercase hex, 64 digits. */
  dialerNonce: string;
  /** Lowercase hex, 64 digits. */
  listenerNonce: string;
}

/**
 * The exact HMAC message: label 0x00 dialer_id 0x00 listener_id 0x00
 * dialer_nonce(32 raw bytes) listener_nonce(32 raw bytes). Node ids are UTF-8
 * and never contain 0x00 (PeerTransport rejects such ids), and the nonces
 * have a fixed length, so the concatenation is unambiguous.
 */
export function proofMessage(role: ProofRole, input: ProofInput): Buffer {
  if (!isHex32(input.dialerNonce) || !isHex32(input.listenerNonce)) {
    throw new TypeError('nonces must be 64 lowercase hex digits');
  }
  return Buffer.concat([
    LABELS[role],
    SEPARATOR,
    Buffer.from(input.dialerId, 'utf8'),
    SEPARATOR,
    Buffer.from(input.listenerId, 'utf8'),
    SEPARATOR,
    Buffer.from(input.dialerNonce, 'hex'),
    Buffer.from(input.listenerNonce, 'hex'),
  ]);
}

/** HMAC-SHA256(secret, proofMessage(role, input)) as lowercase hex. */
export function computeProof(secret: Buffer, role: ProofRole, input: ProofInput): string {
  return createHmac('sha256', secret).update(proofMessage(role, input)).digest('hex');
}

/**
 * Checks a received proof in constant time. A malformed proof (wrong length,
 * upper case, non-hex) is simply wrong; the format check leaks nothing about
 * the expected value.
 */
export function verifyProof(secret: Buffer, role: ProofRole, input: ProofInput, proof: string): boolean {
  if (!isHex32(proof)) return false;
  const expected = createHmac('sha256', secret).update(proofMessage(role, input)).digest();
  return timingSafeEqual(expected, Buffer.from(proof, 'hex'));
}
