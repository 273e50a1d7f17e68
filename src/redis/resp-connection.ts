/**
 * One RESP2 connection to the local redis, as LocalRedis uses it: connect
 * (TCP or TLS) with AUTH and CLIENT SETNAME answered before it counts as
 * open, commands answered in order, one deadline per command, no queue while
 * disconnected and no reconnection (LocalRedis opens a fresh connection when
 * it needs one, see its connection policy).
 *
 * Why not ioredis here: it was the sidecar's largest module by far (loading
 * it alone adds about 15 MB of anonymous memory and 6 MB of mapped code to a
 * Node process, measured on node 20) and built several objects, a promise
 * chain and a timer per command, for a poll that runs for the life of the
 * process. LocalRedis used none of what that buys (reconnection, offline
 * queue, cluster, scripting helpers): this is the part it used.
 *
 * Failures carry the texts LocalRedis tells apart: COMMAND_TIMED_OUT (no
 * reply by the deadline; the caller drops the connection), CONNECTION_CLOSED
 * (the connection went away with the command in flight), NOT_SENT (it was
 * already gone, so the command never left). An error reply rejects with
 * redis's own text (`ERR …`, `WRONGPASS …`).
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { tlsModule } from '../util/lazy-builtin.js';
import RedisParser from 'redis-parser';

export const COMMAND_TIMED_OUT = 'Command timed out';
export const CONNECTION_CLOSED = 'Connection is closed.';
export const NOT_SENT = "Stream isn't writeable and enableOfflineQueue options is false";

export interface RespConnectionOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls?: TlsOptions;
  connectionName?: string;
  /** Upper bound for any one command's reply, ms. */
  commandTimeoutMs: number;
}

/** An error reply from redis; `message` is its text. */
export class RedisReplyError extends Error {
  override readonly name = 'ReplyError';
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  /** When its reply is overdue (performance.now() clock). */
  deadline: number;
}

export class RespConnection {
  private readonly pending: Pending[] = [];
  private readonly parser: RedisParser;
  /** Set once the socket is gone (or failed): every later command fails with NOT_SENT. */
  private closedBy: Error | undefined;
  /** One timer for the oldest command in flight: replies come in order, so it is the first to be late. */
  private timer: NodeJS.Timeout | undefined;
  private readonly closeListeners: Array<() => void> = [];

  private constructor(
    private readonly socket: Socket,
    private readonly commandTimeoutMs: number,
  ) {
    this.parser = new RedisParser({
      returnReply: (reply: unknown) => this.settle()?.resolve(reply),
      returnError: (err: Error) => this.settle()?.reject(new RedisReplyError(err.message)),
      returnFatalError: (err: Error) => this.fail(new Error(`unparseable reply from redis: ${err.message}`)),
    });
    socket.on('data', (chunk: Buffer) => this.parser.execute(chunk));
    socket.on('error', (err: Error) => this.fail(err));
    socket.on('close', () => this.fail(new Error(CONNECTION_CLOSED)));
  }

  /**
   * Open a connection; it resolves once AUTH (when a password is given) and CLIENT SETNAME were
   * answered OK. Rejects with the socket error (ECONNREFUSED …) or redis's refusal (WRONGPASS …).
   * No deadline of its own: the caller bounds it (and close() ends it).
   */
  static open(opts: RespConnectionOptions, onSocket?: (conn: RespConnection) => void): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = opts.tls ? tlsModule().connect({ ...opts.tls, host: opts.host, port: opts.port }) : netConnect({ host: opts.host, port: opts.port });
      socket.setNoDelay(true);
      const conn = new RespConnection(socket, opts.commandTimeoutMs);
      onSocket?.(conn);
      const failed = (err: Error) => reject(err);
      socket.once('error', failed);
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
        socket.off('error', failed);
        const setup: Promise<unknown>[] = [];
        conn.batch(() => {
          // A user named without a password logs in as that user all the same (a `nopass` user takes any).
          if (opts.username !== undefined) setup.push(conn.call('AUTH', opts.username, opts.password ?? ''));
          else if (opts.password !== undefined) setup.push(conn.call('AUTH', opts.password));
          if (opts.connectionName) setup.push(conn.call('CLIENT', 'SETNAME', opts.connectionName));
        });
        Promise.all(setup).then(
          () => resolve(conn),
          (err: Error) => {
            conn.close();
            reject(err);
          },
        );
      });
      socket.once('close', () => reject(conn.closedBy ?? new Error(CONNECTION_CLOSED)));
    });
  }

  /** Whether commands can be sent. */
  get alive(): boolean {
    return this.closedBy === undefined && this.socket.writable;
  }

  /** Called once when the connection goes away, whoever closed it. */
  onClose(listener: () => void): void {
    if (this.closedBy !== undefined) listener();
    else this.closeListeners.push(listener);
  }

  /** One command; its reply (strings for bulk and status replies, numbers, arrays, null). */
  call(...args: string[]): Promise<unknown> {
    if (!this.alive) return Promise.reject(new Error(NOT_SENT));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject, deadline: performance.now() + this.commandTimeoutMs });
      this.socket.write(encodeCommand(args));
      this.timer ??= setTimeout(() => this.checkDeadline(), this.commandTimeoutMs);
    });
  }

  /** `INFO <section>` as text. */
  async info(section: string): Promise<string> {
    return String(await this.call('INFO', section));
  }

  /** Run `fn` (its call()s) with the socket corked: the commands leave in one write. */
  batch<T>(fn: () => T): T {
    this.socket.cork();
    try {
      return fn();
    } finally {
      this.socket.uncork();
    }
  }

  /** Close now; commands in flight fail with CONNECTION_CLOSED. Idempotent. */
  close(): void {
    this.fail(new Error(CONNECTION_CLOSED));
  }

  private settle(): Pending | undefined {
    const p = this.pending.shift();
    if (this.pending.length === 0 && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return p;
  }

  /** The oldest command's deadline may have passed (the timer was set for an older one). */
  private checkDeadline(): void {
    this.timer = undefined;
    const head = this.pending[0];
    if (!head) return;
    const left = head.deadline - performance.now();
    if (left > 0) {
      this.timer = setTimeout(() => this.checkDeadline(), Math.ceil(left));
      return;
    }
    // Late replies would be matched to the wrong commands from here on: the caller drops the connection.
    for (const p of this.pending.splice(0)) p.reject(new Error(COMMAND_TIMED_OUT));
  }

  private fail(err: Error): void {
    const first = this.closedBy === undefined;
    this.closedBy ??= err;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // As ioredis said it: a command in flight when the connection went away, whatever the socket's error.
    for (const p of this.pending.splice(0)) p.reject(new Error(CONNECTION_CLOSED));
    if (!this.socket.destroyed) this.socket.destroy();
    if (first) for (const l of this.closeListeners.splice(0)) l();
  }
}

/** A command as a RESP array of bulk strings, in one buffer. */
export function encodeCommand(args: readonly string[]): Buffer {
  let size = 1 + String(args.length).length + 2;
  const lengths = args.map((a) => Buffer.byteLength(a));
  for (const n of lengths) size += 1 + String(n).length + 2 + n + 2;
  const buf = Buffer.allocUnsafe(size);
  let at = buf.write(`*${args.length}\r\n`, 0, 'latin1');
  for (let i = 0; i < args.length; i++) {
    at += buf.write(`$${lengths[i]}\r\n`, at, 'latin1');
    at += buf.write(args[i]!, at, 'utf8');
    at += buf.write('\r\n', at, 'latin1');
  }
  return buf;
}
