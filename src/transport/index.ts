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
export { fetchConfig, type FetchConfigOptions } from './fetch-config.js';
export { HANDSHAKE_VERSION, CONFIG_HANDSHAKE_VERSION, SUPPORTED_HANDSHAKE_VERSIONS, computeProof, verifyProof, proofMessage, newNonce } from './handshake-crypto.js';
export type { HandshakeVersion, ProofInput, ProofRole } from './handshake-crypto.js';
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
