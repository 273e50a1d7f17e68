/**
 * One client connection on the Sentinel-compatible port: reads requests,
 * runs them one at a time in order (an async command such as SENTINEL
 * FAILOVER holds back the ones behind it), writes the replies, and keeps the
 * connection's state (authentication, name, protocol, subscriptions).
 *
 * Nothing a client sends can throw out of here: a malformed request gets an
 * error reply and the connection is closed; a failing command gets an error
 * reply. Input is bounded by the RequestReader limits and output by
 * `maxBufferedBytes` (a subscriber that stops reading is disconnected, like
 * redis's client-output-buffer-limit).
 */
import type { Socket } from 'node:net';
import type { SidecarView } from '../sidecar/view.js';
import type { PubSubHub, Subscriber } from './pubsub.js';
import { RequestError, RequestReader } from './request-reader.js';
import { encodeReply, error, type Protocol, type Reply } from './resp.js';

export type AdminLogLevel = 'debug' | 'info' | 'warn';

/** What the connections share: the view and the server-wide state. */
export interface AdminServer {
  readonly view: SidecarView;
  readonly hub: PubSubHub;
  readonly limits: { maxRequestBytes: number; maxArgs: number; maxBufferedBytes: number };
  /** A random 40-hex id for this process, as Sentinel's run_id. */
  readonly runId: string;
  readonly version: string;
  primaryLost(): boolean;
  failover(target: string | undefined): Promise<Reply>;
  connectionCount(): number;
  log(level: AdminLogLevel, msg: string): void;
}

export type CommandRunner = (conn: ClientConnection, args: Buffer[]) => void | Promise<void>;

const CLOSE_GRACE_MS = 2000;

export class ClientConnection implements Subscriber {
  name: string | null = null;
  authenticated: boolean;
  /** RESP2 until the client asks for RESP3 with HELLO 3 (RESET goes back to 2). */
  protocol: Protocol = 2;
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  private readonly reader: RequestReader;
  private busy = false;
  private closing = false;
  private closeTimer: NodeJS.Timeout | undefined;
  readonly remote: string;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    readonly server: AdminServer,
    private readonly run: CommandRunner,
    private readonly onClosed: (conn: ClientConnection) => void,
  ) {
    this.reader = new RequestReader(server.limits);
    this.authenticated = !this.passwordRequired;
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  }

  get passwordRequired(): boolean {
    const pw = this.server.view.config.clientPassword;
    return pw !== undefined && pw !== '';
  }

  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size;
  }

  get localPort(): number {
    return this.socket.localPort ?? this.server.view.config.listen.port;
  }

  /** Takes over the (paused) socket and processes `initialBytes` first. */
  start(initialBytes: Buffer): void {
    const socket = this.socket;
    socket.pause();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.updateFlow();
      this.pump();
    });
    socket.on('error', (err) => {
      this.server.log('debug', `client ${this.remote}: ${err.message}`);
      this.destroy();
    });
    socket.on('close', () => this.closed());
    if (initialBytes.length > 0) this.onData(initialBytes);
    this.updateFlow();
  }

  send(reply: Reply): void {
    this.writeFrame(encodeReply(reply, this.protocol));
  }

  /** Subscriber: a published message frame. */
  deliver(frame: Buffer): void {
    this.writeFrame(frame);
  }

  /** Stop reading, flush what was written, close. */
  endAfterReply(): void {
    if (this.closing) return;
    this.closing = true;
    this.server.hub.remove(this);
    this.socket.end();
    // Keep reading (and discarding) so the client's FIN is seen and the socket closes promptly.
    this.socket.resume();
    this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    this.closeTimer.unref();
  }

  destroy(): void {
    this.closing = true;
    this.server.hub.remove(this);
    this.socket.destroy();
  }

  private writeFrame(frame: Buffer): void {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return;
    try {
      socket.write(frame);
    } catch (err) {
      this.server.log('debug', `client ${this.remote}: write failed: ${(err as Error).message}`);
      this.destroy();
      return;
    }
    if (socket.writableLength > this.server.limits.maxBufferedBytes) {
      this.server.log('warn', `client ${this.remote}: more than ${this.server.limits.maxBufferedBytes} bytes of replies unread; disconnecting it`);
      this.destroy();
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    try {
      this.reader.push(chunk);
    } catch (err) {
      this.protocolError(err);
      return;
    }
    this.pump();
  }

  private pump(): void {
    while (!this.busy && !this.closing) {
      let args: Buffer[] | undefined;
      try {
        args = this.reader.next();
      } catch (err) {
        this.protocolError(err);
        return;
      }
      if (args === undefined) break;
      if (args.length === 0) continue;
      let result: void | Promise<void>;
      try {
        result = this.run(this, args);
      } catch (err) {
        this.internalError(args, err);
        continue;
      }
      if (result instanceof Promise) {
        this.busy = true;
        this.updateFlow();
        result
          .catch((err: unknown) => this.internalError(args, err))
          .finally(() => {
            this.busy = false;
            this.updateFlow();
            this.pump();
          });
        return;
      }
    }
    this.updateFlow();
  }

  /** Read while nothing is pending and the client keeps up with the replies. */
  private updateFlow(): void {
    const socket = this.socket;
    if (this.closing || socket.destroyed) return;
    const hold = this.busy || socket.writableNeedDrain;
    if (hold && !socket.isPaused()) socket.pause();
    else if (!hold && socket.isPaused()) socket.resume();
  }

  private protocolError(err: unknown): void {
    const message = err instanceof RequestError ? err.message : `Protocol error: ${(err as Error)?.message ?? String(err)}`;
    this.server.log('debug', `client ${this.remote}: ${message}; closing the connection`);
    this.send(error(`ERR ${message}`));
    this.endAfterReply();
  }

  private internalError(args: Buffer[], err: unknown): void {
    const cmd = args[0]?.toString('latin1').slice(0, 64) ?? '?';
    this.server.log('warn', `client ${this.remote}: command ${cmd} failed: ${(err as Error)?.stack ?? String(err)}`);
    this.send(error(`ERR internal error running '${cmd}': ${(err as Error)?.message ?? String(err)}`));
  }

  private closed(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closing = true;
    this.server.hub.remove(this);
    this.onClosed(this);
  }
}
