/**
 * The peer transport: authenticated RESP2 links between sidecars. See
 * protocol.md §4 for the handshake and the connection rules.
 */
export {
  PeerTransport,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_PENDING_CONNECTIONS,
  DEFAULT_QUEUE_LIMIT,
  DEFAULT_WRITE_BUFFER_HIGH_WATER,
} from './peer-transport.js';
export { HANDSHAKE_VERSION, computeProof, verifyProof, proofMessage, newNonce } from './handshake-crypto.js';
export type { ProofInput, ProofRole } from './handshake-crypto.js';
export { sniffFirstFrame } from './sniff.js';
export type {
  ConnectionFailureInfo,
  ConnectionRefusedInfo,
  RefusalReason,
  FailureCode,
  PeerAddress,
  PeerStats,
  PeerTransportEvents,
  PeerTransportOptions,
  TransportTlsOptions,
} from './types.js';
