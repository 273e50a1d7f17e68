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
 *
 * A dialer that is not an accepted member may still complete the handshake
 * as a *guest* (protocol.md §4.10) when it speaks version 2 and the transport
 * has a configuration provider: it then sends exactly one CONFGET, gets one
 * CONFIG written on this connection (the only frame a listener ever writes
 * after CHALLENGE) and the connection closes. All of it runs within the same
 * deadline and counts as pending.
 */
import type { Socket } from 'node:net';
import { MessageDecoder, ProtocolError, encodeMessage } from '../protocol/index.js';
import type { ConfigMessage, ElectionMessage, Message } from '../protocol/messages.js';
import { CONFIG_HANDSHAKE_VERSION, computeProof, isHex32, newNonce, verifyProof, type HandshakeVersion } from './handshake-crypto.js';
import { sniffFirstFrame } from './sniff.js';
import { describeRemote, errorText, tuneSocket } from './socket-util.js';
import type { ConnectionFailureInfo, FailureCode } from './types.js';

/** What an inbound connection needs from the transport that owns it. */
export interface InboundHost {
  readonly nodeId: string;
  readonly secret: Buffer;
  readonly handshakeTimeoutMs: number;
  readonly maxFrameBytes: number;
  /** The newest handshake version this listener accepts (1 or 2); it accepts every version from 1 up to it. */
  readonly maxVersion: HandshakeVersion;
  /** True when id is an accepted member (never this node itself). */
  isPeer(id: string): boolean;
  /** True when a configuration provider is set, so non-members speaking version 2 may ask for the configuration. */
  readonly servesConfig: boolean;
  /** The configuration to give a guest, or undefined when there is none (yet). */
  currentConfig(): ConfigMessage | undefined;
  /** A guest got the configuration. */
  configServed(nodeId: string, remote: string, config: ConfigMessage): void;
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

type State = 'sniff' | 'await-peer' | 'await-proof' | 'await-confget' | 'await-first' | 'answered' | 'open' | 'handed-off' | 'closed';

export class InboundConnection {
  /** The proven peer id; set once the handshake succeeds. */
  peerId: string | undefined;
  readonly remote: string;
  /** The handshake version the dialer sent in PEER, once it was accepted. */
  version: HandshakeVersion | undefined;
  /** A non-member asking for the configuration (§4.10), not a peer. */
  private guest = false;

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
    return (
      this.state === 'sniff' ||
      this.state === 'await-peer' ||
      this.state === 'await-proof' ||
      this.state === 'await-confget' ||
      this.state === 'answered'
    );
  }

  /** Closes the connection from our side (stop(), or replaced by a newer connection of the same peer). */
  close(reason: string): void {
    if (this.state === 'closed' || this.state === 'handed-off') return;
    this.finish(reason);
  }

  /** True for a non-member's join exchange (§4.10): not subject to membership changes. */
  get isGuestConnection(): boolean {
    return this.guest;
  }

  /** The id this connection proved or claimed (for closing the connections of a removed member). */
  get claimed(): string | undefined {
    return this.claimedId;
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
      case 'await-confget':
        this.handleConfget(msg);
        return;
      case 'await-first':
        // A member may fetch the configuration too (a learner started with --join after it was
        // added): a first frame CONFGET is that request; anything else opens the member link.
        if (msg.type === 'CONFGET') {
          this.handleConfget(msg);
          return;
        }
        this.openMemberLink();
        this.handle(msg);
        return;
      case 'open':
        if (msg.type === 'PEER' || msg.type === 'CHALLENGE' || msg.type === 'PROOF' || msg.type === 'CONFGET') {
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
    if (!Number.isInteger(msg.version) || msg.version < 1 || msg.version > this.host.maxVersion) {
      const speaks = this.host.maxVersion === 1 ? '1' : `1 to ${this.host.maxVersion}`;
      this.fail('auth-failed', 'bad-version', `unsupported handshake version ${msg.version} (this node speaks ${speaks})`);
      return;
    }
    if (msg.nodeId === this.host.nodeId) {
      this.fail('auth-failed', 'unknown-id', `unknown node id (it is this node's own)`);
      return;
    }
    if (!this.host.isPeer(msg.nodeId)) {
      if (msg.version < CONFIG_HANDSHAKE_VERSION || !this.host.servesConfig) {
        this.fail('auth-failed', 'unknown-id', `unknown node id`);
        return;
      }
      // A joining node: it proves the secret like a member, then may only ask for the configuration.
      this.guest = true;
    }
    this.version = msg.version as HandshakeVersion;
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
    if (this.guest) {
      // The deadline keeps running: the whole exchange fits in it.
      this.state = 'await-confget';
      return;
    }
    if ((this.version ?? 1) >= CONFIG_HANDSHAKE_VERSION && this.host.servesConfig) {
      // Not counted as the member's link (which would replace its current one) until its first frame
      // shows it is not a configuration request. A member sends its first frame at once.
      this.state = 'await-first';
      return;
    }
    this.openMemberLink();
  }

  private openMemberLink(): void {
    this.clearDeadline();
    this.state = 'open';
    this.peerId = this.claimedId;
    this.host.authenticated(this);
  }

  /** A guest's one request: CONFGET with its own id; answered with one CONFIG, then the connection closes. */
  private handleConfget(msg: Message): void {
    if (msg.type !== 'CONFGET') {
      this.fail('protocol-error', 'unexpected-message', `a non-member may only send CONFGET after PROOF, got ${msg.type}`);
      return;
    }
    if (msg.nodeId !== this.claimedId) {
      this.fail('protocol-error', 'wrong-id', `CONFGET for ${msg.nodeId} on a connection that proved ${this.claimedId}`);
      return;
    }
    const config = this.host.currentConfig();
    if (config === undefined) {
      this.fail('auth-failed', 'no-config', 'asked for the configuration, but this node has none to give yet');
      return;
    }
    const frame = encodeMessage(config);
    this.state = 'answered';
    this.decoder = undefined;
    // end(), not destroy(): the frame must reach the guest. The deadline still destroys a guest that never reads.
    this.socket.end(frame);
    this.host.configServed(msg.nodeId, this.remote, config);
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
    if (this.state === 'answered') {
      this.finish('configuration served');
      return;
    }
    if (!this.isPending) return;
    const what = this.state === 'sniff' ? (this.sniffed.length === 0 ? 'no data' : 'no complete first frame') : 'no complete handshake';
    this.fail('auth-failed', 'handshake-timeout', `handshake timeout: ${what} within ${this.host.handshakeTimeoutMs} ms`);
  }

  private closedByRemote(): void {
    if (this.state === 'closed' || this.state === 'handed-off') return;
    if (this.state === 'answered') {
      this.finish('configuration served');
      return;
    }
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
    const stage =
      this.state === 'await-proof' ? 'before PROOF' : this.state === 'await-confget' ? 'before CONFGET' : 'before its first frame was complete';
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
