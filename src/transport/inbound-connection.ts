/**
 * One accepted connection, from accept to close: sniff the first frame
 * (peer or Redis client?), run the listener side of the handshake
 * (PEER -> CHALLENGE, PROOF), then deliver the peer's election messages.
 *
 * Inbound connections only ever RECEIVE election messages: a node sends on
 * the connection it dialed (see OutboundLink), so after the handshake the
 * listener writes nothing here and the peer's identity is fixed to the id
 * it proved, whatever ids the frames carry.
 *
 * One absolute deadline covers sniffing and the handshake, so a connection
 * that sends nothing, or trickles bytes, is closed on time instead of
 * resetting an idle timer forever.
 */
import type { Socket } from 'node:net';
import { MessageDecoder, ProtocolError, encodeMessage } from '../protocol/index.js';
import type { ElectionMessage, Message } from '../protocol/messages.js';
import { HANDSHAKE_VERSION, computeProof, isHex32, newNonce, verifyProof } from './handshake-crypto.js';
import { sniffFirstFrame } from './sniff.js';
import { describeRemote, errorText, tuneSocket } from './socket-util.js';
import type { ConnectionFailureInfo, FailureCode } from './types.js';

/** What an inbound connection needs from the transport that owns it. */
export interface InboundHost {
  readonly nodeId: string;
  readonly secret: Buffer;
  readonly handshakeTimeoutMs: number;
  readonly maxFrameBytes: number;
  /** True when id is a configured peer (never this node itself). */
  isPeer(id: string): boolean;
  /** The first frame is not PEER: the socket (paused, our listeners removed) now belongs to the client side. */
  handOffClient(socket: Socket, initialBytes: Buffer, remote: string): void;
  /** The handshake succeeded; conn.peerId is the proven id. */
  authenticated(conn: InboundConnection): void;
  message(conn: InboundConnection, msg: ElectionMessage): void;
  /** An authenticated connection ended (for any reason). */
  closed(conn: InboundConnection, reason: string): void;
  /** Any connection ended, authenticated or not; lets the transport forget it. */
  released(conn: InboundConnection): void;
  authFailed(info: ConnectionFailureInfo): void;
  protocolError(info: ConnectionFailureInfo): void;
}

type State = 'sniff' | 'await-peer' | 'await-proof' | 'open' | 'handed-off' | 'closed';

export class InboundConnection {
  /** The proven peer id; set once the handshake succeeds. */
  peerId: string | undefined;
  readonly remote: string;

  private state: State = 'sniff';
  private claimedId: string | undefined;
  private sniffed: Buffer = Buffer.alloc(0);
  private decoder: MessageDecoder | undefined;
  private dialerNonce = '';
  private listenerNonce = '';
  private deadline: NodeJS.Timeout | undefined;
  private readonly onData = (chunk: Buffer): void => this.guard(() => this.receive(chunk));
  private readonly onClose = (): void => this.guard(() => this.closedByRemote());
  private lastSocketError: string | undefined;

  constructor(
    private readonly host: InboundHost,
    private readonly socket: Socket,
  ) {
    this.remote = describeRemote(socket);
    socket.on('error', (err) => {
      this.lastSocketError = errorText(err);
    });
    socket.on('close', this.onClose);
    socket.on('data', this.onData);
    tuneSocket(socket);
    this.deadline = setTimeout(() => this.guard(() => this.timedOut()), host.handshakeTimeoutMs);
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Not identified yet, or a peer whose handshake is under way: the connections an attacker can hold without the secret. */
  get isPending(): boolean {
    return this.state === 'sniff' || this.state === 'await-peer' || this.state === 'await-proof';
  }

  /** Closes the connection from our side (stop(), or replaced by a newer connection of the same peer). */
  close(reason: string): void {
    if (this.state === 'closed' || this.state === 'handed-off') return;
    this.finish(reason);
  }

  // -------------------------------------------------------------------------

  private receive(chunk: Buffer): void {
    if (this.state === 'sniff') {
      this.sniffed = this.sniffed.length === 0 ? chunk : Buffer.concat([this.sniffed, chunk]);
      const kind = sniffFirstFrame(this.sniffed);
      if (kind === 'need-more') return;
      const bytes = this.sniffed;
      this.sniffed = Buffer.alloc(0);
      if (kind === 'client') {
        this.handOff(bytes);
        return;
      }
      this.state = 'await-peer';
      this.decoder = new MessageDecoder({ maxFrameBytes: this.host.maxFrameBytes });
      this.decode(bytes);
      return;
    }
    if (this.state === 'closed' || this.state === 'handed-off') return;
    this.decode(chunk);
  }

  private decode(chunk: Buffer): void {
    let messages: Message[];
    try {
      messages = this.decoder!.push(chunk);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      // Frames that preceded the bad one were valid and sent first: act on them, then close.
      for (const msg of err.decoded ?? []) {
        this.handle(msg);
        if (this.state === 'closed') return;
      }
      this.fail('protocol-error', 'malformed', `malformed frame (${err.code}: ${err.message})`);
      return;
    }
    for (const msg of messages) {
      this.handle(msg);
      if (this.state === 'closed') return;
    }
  }

  private handle(msg: Message): void {
    switch (this.state) {
      case 'await-peer':
        this.handlePeer(msg);
        return;
      case 'await-proof':
        this.handleProof(msg);
        return;
      case 'open':
        if (msg.type === 'PEER' || msg.type === 'CHALLENGE' || msg.type === 'PROOF') {
          this.fail('protocol-error', 'unexpected-message', `unexpected ${msg.type} after the handshake`);
          return;
        }
        this.host.message(this, msg);
        return;
      default:
        return;
    }
  }

  private handlePeer(msg: Message): void {
    if (msg.type !== 'PEER') {
      this.fail('auth-failed', 'unexpected-message', `expected PEER, got ${msg.type}`);
      return;
    }
    this.claimedId = msg.nodeId;
    if (msg.version !== HANDSHAKE_VERSION) {
      this.fail('auth-failed', 'bad-version', `unsupported handshake version ${msg.version} (this node speaks ${HANDSHAKE_VERSION})`);
      return;
    }
    if (msg.nodeId === this.host.nodeId || !this.host.isPeer(msg.nodeId)) {
      this.fail('auth-failed', 'unknown-id', `unknown node id`);
      return;
    }
    if (!isHex32(msg.nonce)) {
      this.fail('protocol-error', 'malformed', 'PEER nonce is not 64 lowercase hex digits');
      return;
    }
    this.dialerNonce = msg.nonce;
    this.listenerNonce = newNonce();
    const proof = computeProof(this.host.secret, 'listener', this.proofInput());
    this.state = 'await-proof';
    this.socket.write(encodeMessage({ type: 'CHALLENGE', nodeId: this.host.nodeId, nonce: this.listenerNonce, proof }));
  }

  private handleProof(msg: Message): void {
    if (msg.type !== 'PROOF') {
      this.fail('auth-failed', 'unexpected-message', `expected PROOF, got ${msg.type}`);
      return;
    }
    if (!verifyProof(this.host.secret, 'dialer', this.proofInput(), msg.proof)) {
      this.fail('auth-failed', 'bad-proof', 'bad proof');
      return;
    }
    this.clearDeadline();
    this.state = 'open';
    this.peerId = this.claimedId;
    this.host.authenticated(this);
  }

  private proofInput() {
    return {
      dialerId: this.claimedId!,
      listenerId: this.host.nodeId,
      dialerNonce: this.dialerNonce,
      listenerNonce: this.listenerNonce,
    };
  }

  private handOff(bytes: Buffer): void {
    this.clearDeadline();
    this.state = 'handed-off';
    // Pause first: removing the 'data' listener alone would not stop the flow and bytes would be lost.
    this.socket.pause();
    this.socket.off('data', this.onData);
    this.socket.off('close', this.onClose);
    // Our 'error' listener stays: a socket must never be without one.
    this.host.released(this);
    this.host.handOffClient(this.socket, bytes, this.remote);
  }

  private timedOut(): void {
    this.deadline = undefined;
    if (this.state !== 'sniff' && this.state !== 'await-peer' && this.state !== 'await-proof') return;
    const what = this.state === 'sniff' ? (this.sniffed.length === 0 ? 'no data' : 'no complete first frame') : 'no complete handshake';
    this.fail('auth-failed', 'handshake-timeout', `handshake timeout: ${what} within ${this.host.handshakeTimeoutMs} ms`);
  }

  private closedByRemote(): void {
    if (this.state === 'closed' || this.state === 'handed-off') return;
    const why = this.lastSocketError ? `connection lost (${this.lastSocketError})` : 'connection closed by peer';
    if (this.state === 'open') {
      this.finish(why);
      return;
    }
    if (this.state === 'sniff' && this.sniffed.length === 0) {
      // Connected and left without a byte: a port probe or health check, nothing to report.
      this.finish(why);
      return;
    }
    const stage = this.state === 'await-proof' ? 'before PROOF' : 'before its first frame was complete';
    this.fail('auth-failed', 'closed-during-handshake', `${why} ${stage}`);
  }

  /** Reports a failure, then closes. */
  private fail(kind: 'auth-failed' | 'protocol-error', code: FailureCode, detail: string): void {
    if (this.state === 'closed' || this.state === 'handed-off') return;
    const claim = this.claimedId !== undefined ? ` claiming ${this.claimedId}` : '';
    const info: ConnectionFailureInfo = {
      direction: 'inbound',
      remote: this.remote,
      code,
      reason: `${kind}: ${detail} from ${this.remote}${claim}`,
    };
    if (this.claimedId !== undefined) info.claimedId = this.claimedId;
    this.finish(info.reason);
    if (kind === 'auth-failed') this.host.authFailed(info);
    else this.host.protocolError(info);
  }

  private finish(reason: string): void {
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.clearDeadline();
    this.decoder = undefined;
    this.socket.destroy();
    this.host.released(this);
    if (wasOpen) this.host.closed(this, reason);
  }

  private clearDeadline(): void {
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  /** No exception from our own code may escape a socket or timer callback: it closes this connection only. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      try {
        this.fail('protocol-error', 'internal', `internal error: ${errorText(err)}`);
      } catch {
        this.socket.destroy();
      }
    }
  }
}
