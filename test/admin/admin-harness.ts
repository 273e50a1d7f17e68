/**
 * A real TCP server handing every connection to createClientHandler, the way
 * the peer transport does (first bytes read, socket paused, then handed
 * over), plus raw-socket helpers. Everything opened is tracked and closed by
 * `closeAll()`, to be called from afterEach.
 */
import net from 'node:net';
import { createClientHandler, type ClientHandler, type ClientHandlerOptions } from '../../src/admin/index.js';
import { RespClient } from '../../src/admin/resp-client.js';
import type { SidecarView } from '../../src/sidecar/view.js';
import { startRedis, type RedisProc } from '../../lab/proc/redis-process.js';
import { FakeView, type FakeMemberSpec } from './fake-view.js';

const closers: Array<() => Promise<void> | void> = [];

export async function closeAll(): Promise<void> {
  for (const fn of closers.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // keep closing the rest
    }
  }
}

export function onCleanup(fn: () => Promise<void> | void): void {
  closers.push(fn);
}

export interface AdminServerHandle {
  port: number;
  handler: ClientHandler;
  logs: string[];
}

export async function startAdmin(view: SidecarView, opts: ClientHandlerOptions = {}): Promise<AdminServerHandle> {
  const logs: string[] = [];
  const handler = createClientHandler(view, { log: (level, msg) => logs.push(`${level}: ${msg}`), ...opts });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', (first: Buffer) => {
      socket.pause();
      handler(socket, first);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  onCleanup(async () => {
    handler.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port, handler, logs };
}

export async function client(port: number, password?: string): Promise<RespClient> {
  const c = await RespClient.connect({ host: '127.0.0.1', port }, { timeoutMs: 3000, ...(password !== undefined ? { password } : {}) });
  onCleanup(() => c.close());
  return c;
}

/** A raw socket collecting everything the server sends. */
export interface RawConn {
  socket: net.Socket;
  /** Everything received so far, latin1. */
  received(): string;
  send(data: string | Buffer): void;
  /** Resolves with the received text once it contains `needle` (or matches). */
  waitFor(needle: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
}

export async function raw(port: number): Promise<RawConn> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  onCleanup(() => {
    socket.destroy();
  });
  let text = '';
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    received: () => text,
    send: (data) => {
      socket.write(data);
    },
    closed,
    waitFor: (needle, timeoutMs = 3000) =>
      new Promise<string>((resolve, reject) => {
        const matches = () => (typeof needle === 'string' ? text.includes(needle) : needle.test(text));
        if (matches()) {
          resolve(text);
          return;
        }
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${String(needle)}; received ${JSON.stringify(text)}`));
        }, timeoutMs);
        const check = () => {
          if (!matches()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(text);
        };
        waiters.add(check);
        void closed.then(() => {
          if (!waiters.has(check)) return;
          check();
          if (waiters.has(check)) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`connection closed while waiting for ${String(needle)}; received ${JSON.stringify(text)}`));
          }
        });
      }),
  };
}

/** Flat [k, v, k, v] → object. */
export function pack(arr: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const a = arr as string[];
  for (let i = 0; i + 1 < a.length; i += 2) out[a[i]!] = a[i + 1]!;
  return out;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/**
 * An admin server over a fake view whose n1 (the primary) and n2 run on real
 * redis-servers; n3 is a witness unless given. Every sidecar address is this
 * one server, so clients that learn sentinels from SENTINEL SENTINELS dial
 * nothing else. The caller cleans up the redis-servers (cleanupAll).
 */
export async function startTwoRedisAdmin(n3: FakeMemberSpec = { id: 'n3', witness: true }): Promise<{ view: FakeView; port: number; a: RedisProc; b: RedisProc }> {
  const [a, b] = await Promise.all([startRedis(), startRedis()]);
  const view = new FakeView({
    members: [{ id: 'n1', redis: { host: '127.0.0.1', port: a.port } }, { id: 'n2', redis: { host: '127.0.0.1', port: b.port } }, n3],
  });
  const { port } = await startAdmin(view);
  for (const m of view.config.members) m.sidecar = { host: '127.0.0.1', port };
  return { view, port, a, b };
}
