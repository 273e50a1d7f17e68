/**
 * Public types of the peer transport: its options, its events and its
 * statistics. Separate from the implementation so callers (the sidecar, the
 * Elector's tests) can import them without pulling in sockets.
 */
import type { Socket } from 'node:net';
import type { ConfigMessage, ElectionMessage } from '../protocol/messages.js';

export interface PeerAddress {
  /** The peer's node id, exactly as it configures itself. */
  id: string;
  host: string;
  port: number;
}

export interface TransportTlsOptions {
  /** This node's certificate chain (PEM). Presented both when listening and when dialing. */
  cert: string | Buffer;
  /** This node's private key (PEM). */
  key: string | Buffer;
  /** The CA(s) that peer certificates must chain to (PEM). Both sides require and verify a certificate. */
  ca: string | Buffer | Array<string | Buffer>;
  /**
   * Whether the dialer also checks that the listener's certificate names the
   * host it dialed. Default true. Set false when all nodes share a single
   * certificate; peer identity is still proven by the HMAC handshake.
   */
  verifyHostname?: boolean;
}

export interface PeerTransportOptions {
  /** This node's id. Non-empty, no NUL, CR or LF. */
  nodeId: string;
  /** Where to listen for peers (and, through onClientConnection, for Redis clients). Port 0 picks a free port. */
  listen: { host: string; port: number };
  /** Every member of the replica set except this node. Replace them later with setPeers(). */
  peers: PeerAddress[];
  /**
   * The newest handshake version to speak (protocol.md §4.3), default 2. A
   * transport at 1 behaves exactly as a node from before the configuration
   * verbs: its listener refuses `PEER 2`, its dialer sends `PEER 1`.
   */
  maxHandshakeVersion?: 1 | 2;
  /**
   * When set, a dialer that is not an accepted member may connect with
   * `PEER 2`, prove the secret and ask for the configuration with one
   * CONFGET; it gets what this returns as one CONFIG frame, and the
   * connection closes (§4.10). Returning undefined refuses it (`no-config`).
   * Without it, non-members are refused (`unknown-id`).
   */
  configProvider?: () => ConfigMessage | undefined;
  /** The shared secret of the replica set. Never sent; keys the handshake HMAC. Use 32 random bytes. */
  secret: Buffer;
  /** When set, both the listener and the dialer use TLS with mutual certificate verification. */
  tls?: TransportTlsOptions;
  /** Largest frame a peer may send; larger announced frames close the connection. Default 16 KiB. */
  maxFrameBytes?: number;
  /** Deadline for an accepted connection to be identified and authenticated, and for a dial to connect and authenticate. Default 2000 ms. */
  handshakeTimeoutMs?: number;
  /** Frames queued per peer while its socket is backed up. Default 256; the oldest are dropped. */
  queueLimit?: number;
  /** Socket write-buffer size (bytes) above which frames wait in the queue instead. Default 64 KiB. */
  writeBufferHighWater?: number;
  /** Reconnect back-off. Defaults: baseMs 50, maxMs 1000. */
  reconnect?: { baseMs?: number; maxMs?: number };
  /**
   * Receives every accepted connection whose first frame is not `PEER`
   * (Redis/Sentinel clients), with the bytes already read from it. The
   * socket is handed over PAUSED with no 'data' listener: attach listeners,
   * process initialBytes first, then call socket.resume(). The transport
   * keeps only a no-op 'error' listener on it. Default: close the socket and
   * report a 'protocol-error' with code 'not-a-peer'.
   */
  onClientConnection?: (socket: Socket, initialBytes: Buffer) => void;
  /**
   * Most accepted connections still being identified or authenticated at
   * once (before they are a peer, or handed to onClientConnection). At the
   * limit, the oldest of them is closed to make room: a genuine peer
   * identifies itself within one round trip, so a flood of silent
   * connections cannot keep it out, and holds no more than this many
   * descriptors. Default 128.
   */
  maxPendingConnections?: number;
  /**
   * Hard limit on accepted connections open at once, client connections
   * included (the listener's maxConnections); more are closed at accept and
   * reported as 'connection-refused'. A backstop that keeps descriptors for
   * the vote file and redis; default: none.
   */
  maxConnections?: number;
  /** Uniform random in [0, 1) for back-off jitter. Default Math.random. */
  random?: () => number;
}

/** Why a connection was refused or closed; machine-readable. */
export type FailureCode =
  // auth-failed
  | 'bad-version'
  | 'unknown-id'
  | 'wrong-id'
  | 'bad-proof'
  | 'unexpected-message'
  | 'handshake-timeout'
  | 'closed-during-handshake'
  | 'tls'
  /** A joining node asked for the configuration (§4.10) and this node has none to give. */
  | 'no-config'
  // protocol-error
  | 'malformed'
  | 'not-a-peer'
  | 'client-handler-failed'
  | 'internal';

/** Payload of 'auth-failed' and 'protocol-error'. */
export interface ConnectionFailureInfo {
  /** 'inbound' for a connection we accepted, 'outbound' for one we dialed. */
  direction: 'inbound' | 'outbound';
  /** The remote end as host:port (IPv6 hosts in brackets). */
  remote: string;
  /** The node id the remote end claimed in PEER or CHALLENGE, if it got that far. */
  claimedId?: string;
  /** For outbound connections: the configured peer we were dialing. */
  peerId?: string;
  code: FailureCode;
  /** One human-readable line, e.g. `auth-failed: bad proof from 127.0.0.1:53122 claiming n2`. */
  reason: string;
}

export type RefusalReason = 'pending-evicted' | 'max-connections' | 'accept-error';

export interface ConnectionRefusedInfo {
  reason: RefusalReason;
  /** The remote end, when known. */
  remote?: string;
  /** One line: what happened and the limit, e.g. the errno of a failed accept. */
  detail: string;
}

export interface PeerStats {
  /** The outbound connection (the one we send on) is authenticated and open. */
  connected: boolean;
  /** An authenticated inbound connection (the one we receive on) from this peer is open. */
  inboundConnected: boolean;
  /** Frames written to the socket. */
  sent: number;
  /** Election messages received from this peer. */
  received: number;
  /** Frames dropped: sent while disconnected, evicted from a full queue, or still queued when the connection was lost. */
  dropped: number;
  /** Frames currently waiting in the queue (never above queueLimit). */
  queued: number;
  /** Frames not sent because the peer's handshake version predates them (CONFVER, CONFIG, REFUSE stale-config on a version-1 link). Also counted in dropped. */
  droppedForVersion: number;
  /** The handshake version of the open outbound connection, or the one the next attempt will use. */
  handshakeVersion: 1 | 2;
  /** The handshake version the peer's authenticated inbound connection used, while one is open. */
  inboundVersion?: 1 | 2;
  /** Why the last outbound connection or attempt ended, if it did. */
  lastError?: string;
}

export interface PeerTransportEvents {
  /** An election message from an authenticated peer; fromId is the id proven in the handshake, not any id inside msg. */
  message: [fromId: string, msg: ElectionMessage];
  /** The outbound connection to id authenticated: send() to id now writes to the network. */
  'peer-up': [id: string];
  /** The outbound connection to id was lost; the transport redials with back-off. */
  'peer-down': [id: string, reason: string];
  /** A handshake failed (bad proof, unknown id, wrong version, timeout, ...). The connection is closed. */
  'auth-failed': [info: ConnectionFailureInfo];
  /** A connection sent malformed or unexpected frames (or was not a peer and no client handler is set). It is closed. */
  'protocol-error': [info: ConnectionFailureInfo];
  /**
   * A connection was refused or closed to protect the process: the oldest
   * pending one evicted (`pending-evicted`), one over maxConnections
   * (`max-connections`), or accept() failed (`accept-error`, e.g. EMFILE:
   * the process is out of descriptors).
   */
  'connection-refused': [info: ConnectionRefusedInfo];
  /** A non-member got the configuration over the join exchange (§4.10); the connection is closing. */
  'config-served': [nodeId: string, remote: string, config: ConfigMessage];
  /** A listener of one of the events above threw; the transport caught it and carried on. */
  'listener-error': [error: unknown, event: string];
}
