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
 *
 * The time a connection may take is bounded too, since it shares the event
 * loop with the control loop: every command is taken from the server's
 * TurnBudget (a pipelining client yields and stops reading until the next
 * turn), a failed authentication pauses the connection for
 * `authFailureDelayMs` and the `maxAuthFailures`-th closes it, and a client
 * that has not authenticated within `authTimeoutMs` is closed.
 */
import type { Socket } from 'node:net';
import type { SidecarView } from '../sidecar/view.js';
import type { PubSubHub, Subscriber } from './pubsub.js';
import { RequestError, RequestReader } from './request-reader.js';
import { encodeReply, error, type Protocol, type Reply } from './resp.js';
import type { TurnBudget } from './turn-budget.js';

export type AdminLogLevel = 'debug' | 'info' | 'warn';

/** What the connections share: the view and the server-wide state. */
export interface AdminServer {
  readonly view: SidecarView;
  readonly hub: PubSubHub;
  readonly limits: ClientLimits;
  /** The client work every connection draws from, per event-loop turn. */
  readonly budget: TurnBudget;
  /** A random 40-hex id for this process, as Sentinel's run_id. */
  readonly runId: string;
  readonly version: string;
  primaryLost(): boolean;
  failover(target: string | undefined): Promise<Reply>;
  connectionCount(): number;
  /** A connection failed to authenticate (wrong password, or a command refused with NOAUTH): count it, log it (rate-limited). */
  authFailed(conn: ClientConnection, closing: boolean): void;
  /** A connection was closed for not authenticating within authTimeoutMs. */
  authTimedOut(conn: ClientConnection): void;
  /** A connection was closed after idleTimeoutMs without traffic. */
  idleTimedOut(conn: ClientConnection): void;
  /** conn.authenticated changed (AUTH succeeded, or RESET undid it). */
  authenticationChanged(conn: ClientConnection): void;
  log(level: AdminLogLevel, msg: string): void;
}

export interface ClientLimits {
  maxRequestBytes: number;
  maxArgs: number;
  maxBufferedBytes: number;
  /** A connection that has not authenticated this long after it opened is closed (0: never). Only with a password. */
  authTimeoutMs: number;
  /** After each failed authentication the connection runs nothing for this long (0: no pause). */
  authFailureDelayMs: number;
  /** The connection is closed at this many failed authentications (0: never). */
  maxAuthFailures: number;
  /** A connection that neither sends nor receives for this long is closed, unless it subscribes (0: never), like redis' `timeout`. */
  idleTimeoutMs: number;
}

export type CommandRunner = (conn: ClientConnection, args: Buffer[]) => void | Promise<void>;

const CLOSE_GRACE_MS = 2000;

export class ClientConnection implements Subscriber {
  name: string | null = null;
  private isAuthenticated: boolean;
  private authFailures = 0;
  /** Paused after a failed authentication. */
  private throttled = false;
  /** Waiting for the next turn of the TurnBudget. */
  private deferred = false;
  private authTimer: NodeJS.Timeout | undefined;
  private throttleTimer: NodeJS.Timeout | undefined;
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
    this.isAuthenticated = !this.passwordRequired;
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  }

  get authenticated(): boolean {
    return this.isAuthenticated;
  }

  set authenticated(value: boolean) {
    const changed = value !== this.isAuthenticated;
    this.isAuthenticated = value;
    if (value) this.clearTimer('authTimer');
    if (changed) this.server.authenticationChanged(this);
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
    const idleMs = this.server.limits.idleTimeoutMs;
    if (idleMs > 0) {
      // Node re-arms this after every read or write; subscribers wait for messages, so they may idle.
      socket.setTimeout(idleMs);
      socket.on('timeout', () => {
        if (this.closing || this.busy || this.subscriptionCount > 0) return;
        this.server.idleTimedOut(this);
        this.destroy();
      });
    }
    const authTimeoutMs = this.server.limits.authTimeoutMs;
    if (!this.authenticated && authTimeoutMs > 0) {
      this.authTimer = setTimeout(() => {
        this.authTimer = undefined;
        if (this.authenticated || this.closing) return;
        this.server.authTimedOut(this);
        this.destroy();
      }, authTimeoutMs);
    }
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

  /**
   * An authentication failed (its error reply already sent): pause this
   * connection for authFailureDelayMs, or close it at maxAuthFailures. What it
   * pipelined behind the failed attempt waits, so guessing costs the guesser
   * time, not us.
   */
  authFailed(): void {
    if (this.closing) return;
    this.authFailures += 1;
    const { maxAuthFailures, authFailureDelayMs } = this.server.limits;
    const closing = maxAuthFailures > 0 && this.authFailures >= maxAuthFailures;
    this.server.authFailed(this, closing);
    if (closing) {
      this.endAfterReply();
      return;
    }
    if (authFailureDelayMs <= 0) return;
    this.throttled = true;
    this.updateFlow();
    this.throttleTimer = setTimeout(() => {
      this.throttleTimer = undefined;
      this.throttled = false;
      this.updateFlow();
      this.pump();
    }, authFailureDelayMs);
  }

  /** Failed authentications on this connection so far. */
  get authFailureCount(): number {
    return this.authFailures;
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
    const budget = this.server.budget;
    let ran = 0;
    while (!this.busy && !this.closing && !this.throttled && !this.deferred) {
      if (this.reader.buffered === 0) break;
      if (ran >= budget.perConnection || !budget.take()) {
        this.yieldTurn();
        return;
      }
      ran += 1;
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

  /** This turn's budget is spent: stop reading, and carry on in the next turn. */
  private yieldTurn(): void {
    this.deferred = true;
    this.updateFlow();
    this.server.budget.defer(() => {
      this.deferred = false;
      if (this.closing) return;
      this.updateFlow();
      this.pump();
    });
  }

  /** Read while nothing is pending, no pause or turn is awaited, and the client keeps up with the replies. */
  private updateFlow(): void {
    const socket = this.socket;
    if (this.closing || socket.destroyed) return;
    const hold = this.busy || this.throttled || this.deferred || socket.writableNeedDrain;
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

  private clearTimer(which: 'authTimer' | 'throttleTimer'): void {
    const t = this[which];
    if (t !== undefined) clearTimeout(t);
    this[which] = undefined;
  }

  private closed(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.clearTimer('authTimer');
    this.clearTimer('throttleTimer');
    this.closing = true;
    this.server.hub.remove(this);
    this.onClosed(this);
  }
}
