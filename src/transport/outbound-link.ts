/**
 * The connection this node dials to one peer, and the only one it SENDS on.
 * Each pair of nodes therefore has two connections, one per direction: the
 * dialer proves its id in the handshake, so whoever accepts a connection
 * knows exactly who is talking, and nobody has to break ties between two
 * simultaneous dials.
 *
 * Lifecycle: dial -> PEER -> verify CHALLENGE -> PROOF -> open. Any failure
 * closes the socket and redials after a capped, jittered exponential
 * back-off; a link that stayed open for STABLE_LINK_MS resets the back-off.
 *
 * Sending never blocks and never throws for a down peer:
 *  - while the link is not open, frames are dropped at once (counted), so
 *    nothing queued during an outage is replayed later: the Elector re-sends
 *    its current state every tick, and an old HB or LEASE delivered late
 *    would be worse than none;
 *  - while open, frames go straight to the socket unless its write buffer is
 *    above the high-water mark; then they wait in a bounded queue that drops
 *    its OLDEST frame when full, and drains on 'drain';
 *  - when an open connection is lost, whatever is still queued is dropped.
 *
 * Handshake version (protocol.md §4.3): the link dials with the newest
 * version it speaks. An older listener refuses `PEER 2` by closing without
 * a word, so two version-2 attempts in a row that end that way make the next
 * attempt use version 1; any failure on version 1 makes the next one try 2
 * again, so a peer that was upgraded is noticed at its next reconnect. On a
 * version-1 connection, frames the peer would not understand are dropped
 * and counted instead of sent (it would close the connection on them).
 */
import net, { type Socket } from 'node:net';
import type tls from 'node:tls';
import { tlsModule } from '../util/lazy-builtin.js';
import { MessageDecoder, ProtocolError, encodeMessage } from '../protocol/index.js';
import type { Message } from '../protocol/messages.js';
import { Backoff } from './backoff.js';
import { CONFIG_HANDSHAKE_VERSION, isHex32, computeProof, newNonce, verifyProof, type HandshakeVersion } from './handshake-crypto.js';
import { SendQueue } from './send-queue.js';
import { describeRemote, errorText, tuneSocket } from './socket-util.js';
import type { ConnectionFailureInfo, FailureCode, PeerAddress, PeerStats, TransportTlsOptions } from './types.js';

/** How long a link must stay open for its loss to restart the back-off from baseMs. */
export const STABLE_LINK_MS = 1000;

/** What a link needs from the transport that owns it. */
export interface OutboundHost {
  readonly nodeId: string;
  readonly secret: Buffer;
  readonly handshakeTimeoutMs: number;
  readonly maxFrameBytes: number;
  readonly queueLimit: number;
  readonly writeBufferHighWater: number;
  /** The version to dial with first. */
  readonly maxVersion: HandshakeVersion;
  readonly tls: TransportTlsOptions | undefined;
  readonly reconnect: { baseMs?: number; maxMs?: number; random?: () => number };
  peerUp(id: string): void;
  peerDown(id: string, reason: string): void;
  authFailed(info: ConnectionFailureInfo): void;
  protocolError(info: ConnectionFailureInfo): void;
}

type State = 'idle' | 'connecting' | 'await-challenge' | 'open' | 'backoff' | 'stopped';

export class OutboundLink {
  private state: State = 'idle';
  private socket: Socket | undefined;
  private decoder: MessageDecoder | undefined;
  private nonce = '';
  private remote: string;
  private deadline: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly queue: SendQueue;
  private readonly backoff: Backoff;
  private sent = 0;
  private dropped = 0;
  private lastError: string | undefined;
  private droppedForVersion = 0;
  /** The version of the current (or next) attempt. */
  private version: HandshakeVersion;
  /** Version-2 attempts in a row that the listener closed during the handshake. */
  private closedOnV2 = 0;
  /** When the current connection completed its handshake. */
  private openedAt = 0;

  constructor(
    private readonly host: OutboundHost,
    readonly peer: PeerAddress,
  ) {
    this.queue = new SendQueue(host.queueLimit);
    this.backoff = new Backoff(host.reconnect);
    this.version = host.maxVersion;
    this.remote = peer.host.includes(':') ? `[${peer.host}]:${peer.port}` : `${peer.host}:${peer.port}`;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  start(): void {
    if (this.state === 'idle') this.dial();
  }

  /** Closes the link for good (transport stop, member removed). Emits peer-down if it was open. */
  stop(reason = 'transport stopped'): Promise<void> {
    const socket = this.socket;
    const wasOpen = this.state === 'open';
    this.state = 'stopped';
    this.clearTimers();
    this.dropped += this.queue.clear();
    this.socket = undefined;
    this.decoder = undefined;
    if (wasOpen) this.host.peerDown(this.peer.id, reason);
    if (socket === undefined || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  /**
   * The peer was seen speaking a newer handshake version than this open link
   * uses (its own connection to us): redial at the newest version. Covers the
   * one way a link lands on version 1 between two version-2 nodes: the peer
   * refused us as unknown while it did not have us as a member yet, which
   * looks like an older listener (two closed version-2 handshakes).
   */
  redialAtNewest(reason: string): void {
    if (this.state !== 'open' || this.version >= this.host.maxVersion) return;
    this.lost(reason);
  }

  /** The version of the open connection (or of the next attempt). */
  get handshakeVersion(): HandshakeVersion {
    return this.version;
  }

  /**
   * Queues or writes one encoded frame. Returns false when it was dropped
   * because the link is down, or because it needs the configuration verbs
   * (needsConfigVersion) and the peer's handshake version predates them.
   */
  send(frame: Buffer, needsConfigVersion = false): boolean {
    if (this.state !== 'open' || this.socket === undefined) {
      this.dropped++;
      return false;
    }
    if (needsConfigVersion && this.version < CONFIG_HANDSHAKE_VERSION) {
      this.dropped++;
      this.droppedForVersion++;
      return false;
    }
    if (this.queue.length === 0 && this.canWrite(this.socket)) {
      this.socket.write(frame);
      this.sent++;
    } else {
      this.dropped += this.queue.push(frame);
    }
    return true;
  }

  /** Hold writes to the current socket until the caller uncorks the socket returned (PeerTransport.hold). */
  cork(): Socket | undefined {
    this.socket?.cork();
    return this.socket;
  }

  stats(): Omit<PeerStats, 'received' | 'inboundConnected'> {
    const s: Omit<PeerStats, 'received' | 'inboundConnected'> = {
      connected: this.state === 'open',
      sent: this.sent,
      dropped: this.dropped,
      queued: this.queue.length,
      droppedForVersion: this.droppedForVersion,
      handshakeVersion: this.version,
    };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  // -------------------------------------------------------------------------

  private canWrite(socket: Socket): boolean {
    // Never below the socket's own high-water mark, so a full buffer always means a 'drain' is coming.
    return socket.writableLength < Math.max(this.host.writeBufferHighWater, socket.writableHighWaterMark);
  }

  private dial(): void {
    this.state = 'connecting';
    this.nonce = newNonce();
    this.decoder = new MessageDecoder({ maxFrameBytes: this.host.maxFrameBytes });
    let tcpConnected = false;
    let socket: Socket;
    const t = this.host.tls;
    if (t !== undefined) {
      const opts: tls.ConnectionOptions = {
        host: this.peer.host,
        port: this.peer.port,
        cert: t.cert,
        key: t.key,
        ca: t.ca,
        rejectUnauthorized: true,
      };
      if (!net.isIP(this.peer.host)) opts.servername = this.peer.host;
      if (t.verifyHostname === false) opts.checkServerIdentity = () => undefined;
      socket = tlsModule().connect(opts);
      socket.once('connect', () => {
        tcpConnected = true;
      });
      socket.once('secureConnect', () => this.guard(socket, () => this.connected(socket)));
    } else {
      socket = net.connect({ host: this.peer.host, port: this.peer.port });
      socket.once('connect', () => {
        tcpConnected = true;
        this.guard(socket, () => this.connected(socket));
      });
    }
    this.socket = socket;
    let socketError: unknown;
    socket.on('error', (err) => {
      socketError = err;
    });
    socket.on('data', (chunk: Buffer) => this.guard(socket, () => this.receive(socket, chunk)));
    socket.on('drain', () => this.guard(socket, () => this.flush(socket)));
    socket.on('close', () =>
      this.guard(socket, () => {
        if (this.socket !== socket) return;
        if (socketError !== undefined && t !== undefined && tcpConnected && this.state === 'connecting') {
          this.failed('auth-failed', 'tls', `TLS handshake failed: ${errorText(socketError)}`);
          return;
        }
        const why = socketError !== undefined ? errorText(socketError) : 'connection closed by peer';
        if (this.state === 'await-challenge') {
          this.failed('auth-failed', 'closed-during-handshake', `${why} before CHALLENGE (the listener does not accept this node's id or version?)`);
        } else {
          this.lost(why);
        }
      }),
    );
    this.deadline = setTimeout(
      () =>
        this.guard(socket, () => {
          this.deadline = undefined;
          if (this.socket !== socket || this.state === 'open') return;
          if (!tcpConnected) {
            this.lost(`connect timeout after ${this.host.handshakeTimeoutMs} ms`);
          } else {
            this.failed('auth-failed', 'handshake-timeout', `handshake timeout: no CHALLENGE within ${this.host.handshakeTimeoutMs} ms`);
          }
        }),
      this.host.handshakeTimeoutMs,
    );
  }

  private connected(socket: Socket): void {
    if (this.socket !== socket || this.state !== 'connecting') return;
    tuneSocket(socket);
    this.remote = describeRemote(socket, this.peer.host, this.peer.port);
    this.state = 'await-challenge';
    socket.write(encodeMessage({ type: 'PEER', version: this.version, nodeId: this.host.nodeId, nonce: this.nonce }));
  }

  private receive(socket: Socket, chunk: Buffer): void {
    if (this.socket !== socket || this.decoder === undefined) return;
    let messages: Message[];
    try {
      messages = this.decoder.push(chunk);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      for (const msg of err.decoded ?? []) {
        this.handle(socket, msg);
        if (this.socket !== socket) return;
      }
      this.failed('protocol-error', 'malformed', `malformed frame (${err.code}: ${err.message})`);
      return;
    }
    for (const msg of messages) {
      this.handle(socket, msg);
      if (this.socket !== socket) return;
    }
  }

  private handle(socket: Socket, msg: Message): void {
    if (this.state !== 'await-challenge') {
      // The listener never writes after CHALLENGE: this connection is send-only for us.
      this.failed('protocol-error', 'unexpected-message', `unexpected ${msg.type} on a send-only connection`, msg);
      return;
    }
    if (msg.type !== 'CHALLENGE') {
      this.failed('auth-failed', 'unexpected-message', `expected CHALLENGE, got ${msg.type}`, msg);
      return;
    }
    if (msg.nodeId !== this.peer.id) {
      this.failed('auth-failed', 'wrong-id', `listener is not ${this.peer.id}`, msg);
      return;
    }
    if (!isHex32(msg.nonce)) {
      this.failed('protocol-error', 'malformed', 'CHALLENGE nonce is not 64 lowercase hex digits', msg);
      return;
    }
    const input = { dialerId: this.host.nodeId, listenerId: this.peer.id, dialerNonce: this.nonce, listenerNonce: msg.nonce };
    if (!verifyProof(this.host.secret, 'listener', input, msg.proof)) {
      this.failed('auth-failed', 'bad-proof', 'bad proof', msg);
      return;
    }
    socket.write(encodeMessage({ type: 'PROOF', proof: computeProof(this.host.secret, 'dialer', input) }));
    // The listener sends no acknowledgement: having verified its proof we know it holds the
    // secret, so it can only reject a correct PROOF through a bug, and then it closes.
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    this.deadline = undefined;
    this.state = 'open';
    this.lastError = undefined;
    this.closedOnV2 = 0;
    this.openedAt = Date.now();
    this.host.peerUp(this.peer.id);
  }

  private flush(socket: Socket): void {
    if (this.socket !== socket || this.state !== 'open') return;
    while (this.queue.length > 0 && this.canWrite(socket)) {
      socket.write(this.queue.shift()!);
      this.sent++;
    }
  }

  /** A handshake or protocol failure: report it, then close and redial later. */
  private failed(kind: 'auth-failed' | 'protocol-error', code: FailureCode, detail: string, msg?: Message): void {
    const claimed = msg !== undefined && msg.type === 'CHALLENGE' ? msg.nodeId : undefined;
    const claim = claimed !== undefined ? ` claiming ${claimed}` : '';
    const info: ConnectionFailureInfo = {
      direction: 'outbound',
      remote: this.remote,
      peerId: this.peer.id,
      code,
      reason: `${kind}: ${detail} from ${this.remote}${claim} (dialing ${this.peer.id})`,
    };
    if (claimed !== undefined) info.claimedId = claimed;
    if (this.version >= CONFIG_HANDSHAKE_VERSION) {
      this.closedOnV2 = code === 'closed-during-handshake' ? this.closedOnV2 + 1 : 0;
    }
    this.lost(info.reason);
    if (this.closedOnV2 >= 2) {
      // Most likely an older listener refusing `PEER 2`: the next attempt speaks its version.
      this.closedOnV2 = 0;
      this.version = 1;
    }
    if (kind === 'auth-failed') this.host.authFailed(info);
    else this.host.protocolError(info);
  }

  /** The current socket is gone (or must go): drop what is queued, tell the transport, schedule a redial. */
  private lost(reason: string): void {
    if (this.state === 'stopped' || this.state === 'backoff' || this.state === 'idle') return;
    const wasOpen = this.state === 'open';
    // Only a link that stayed up resets the back-off: one closed right after its handshake (a
    // listener taking us for a joining guest, §4.10, or refusing our frames) must not redial at once, forever.
    if (wasOpen && Date.now() - this.openedAt >= STABLE_LINK_MS) this.backoff.reset();
    const socket = this.socket;
    this.socket = undefined;
    this.decoder = undefined;
    this.clearTimers();
    socket?.destroy();
    this.dropped += this.queue.clear();
    this.lastError = reason;
    // Any failure on version 1 tries the newest version next: the peer may have been upgraded.
    if (this.version < this.host.maxVersion) this.version = this.host.maxVersion;
    this.state = 'backoff';
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.state !== 'backoff') return;
      try {
        this.dial();
      } catch (err) {
        this.state = 'connecting';
        this.lost(`dial failed: ${errorText(err)}`);
      }
    }, this.backoff.next());
    if (wasOpen) this.host.peerDown(this.peer.id, reason);
  }

  private clearTimers(): void {
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.deadline = undefined;
    this.retryTimer = undefined;
  }

  /** No exception from our own code may escape a socket or timer callback: it costs this connection only. */
  private guard(socket: Socket, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      try {
        if (this.socket === socket) this.failed('protocol-error', 'internal', `internal error: ${errorText(err)}`);
        else socket.destroy();
      } catch {
        socket.destroy();
      }
    }
  }
}
