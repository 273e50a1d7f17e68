/**
 * A minimal RESP2 client for the CLI (`resp-elect status`, `switchover`):
 * one connection, commands answered in order, a deadline per command, error
 * replies as rejected promises, no reconnection. Library clients retry and
 * queue by design; an operator's command should fail fast and say why.
 */
import { connect, type Socket } from 'node:net';
import RedisParser from 'redis-parser';
import type { HostPort } from '../protocol/index.js';
import { hostPort } from './topology.js';

/** An error reply from the server (`-ERR ...`); `message` is the reply text. */
export class ServerReplyError extends Error {
  override readonly name = 'ServerReplyError';
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export interface RespClientOptions {
  /** Deadline for connecting and for each command. Default 5000 ms. */
  timeoutMs?: number;
  /** Sent with AUTH right after connecting. */
  password?: string;
}

export class RespClient {
  private readonly pending: Pending[] = [];
  private closedError: Error | undefined;
  private readonly parser: RedisParser;

  private constructor(
    private readonly socket: Socket,
    private readonly where: string,
    private readonly timeoutMs: number,
  ) {
    this.parser = new RedisParser({
      returnReply: (reply: unknown) => this.pending.shift()?.resolve(reply),
      returnError: (err: Error) => this.settleError(new ServerReplyError(err.message)),
      returnFatalError: (err: Error) => this.fail(new Error(`bad reply from ${this.where}: ${err.message}`)),
    });
    socket.on('data', (chunk: Buffer) => this.parser.execute(chunk));
    socket.on('error', (err) => this.fail(new Error(`${this.where}: ${err.message}`)));
    socket.on('close', () => this.fail(new Error(`${this.where} closed the connection`)));
  }

  static async connect(addr: HostPort, opts: RespClientOptions = {}): Promise<RespClient> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    const where = hostPort(addr);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: addr.host, port: addr.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`could not connect to ${where} within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`could not connect to ${where}: ${err.message}`));
      });
    });
    const client = new RespClient(socket, where, timeoutMs);
    if (opts.password !== undefined) {
      try {
        await client.command(['AUTH', opts.password]);
      } catch (err) {
        client.close();
        throw new Error(`AUTH on ${where} failed: ${(err as Error).message}`);
      }
    }
    return client;
  }

  /** Send one command; resolves with the decoded reply (strings, numbers, arrays, null). */
  command(args: Array<string | number>, timeoutMs = this.timeoutMs): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`${this.where} did not answer ${String(args[0])} within ${timeoutMs} ms`)), timeoutMs);
      this.pending.push({
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
      for (const a of args) {
        const b = Buffer.from(String(a), 'utf8');
        parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
      }
      this.socket.write(Buffer.concat(parts));
    });
  }

  close(): void {
    this.fail(new Error(`connection to ${this.where} closed`));
  }

  private settleError(err: Error): void {
    this.pending.shift()?.reject(err);
  }

  private fail(err: Error): void {
    if (!this.closedError) this.closedError = err;
    this.socket.destroy();
    for (const p of this.pending.splice(0)) p.reject(err);
  }
}
