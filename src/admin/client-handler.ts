/**
 * The Sentinel-compatible client API of a sidecar: give the returned handler
 * to the peer transport as `onClientConnection`, and call `close()` on
 * shutdown (it detaches from the view's events and closes every client).
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { SidecarView } from '../sidecar/view.js';
import { dispatch } from './client-commands.js';
import { ClientConnection, type AdminLogLevel, type AdminServer } from './client-connection.js';
import { FailoverRunner } from './failover-runner.js';
import { PubSubHub } from './pubsub.js';
import { DEFAULT_MAX_ARGS, DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_REQUEST_BYTES } from './request-reader.js';
import { attachSentinelEvents } from './sentinel-events.js';
import { TurnBudget } from './turn-budget.js';
import { LogLimiter } from '../util/log-limiter.js';

export const DEFAULT_MAX_CLIENTS = 10_000;
export const DEFAULT_AUTH_TIMEOUT_MS = 10_000;
export const DEFAULT_AUTH_FAILURE_DELAY_MS = 200;
export const DEFAULT_MAX_AUTH_FAILURES = 5;
/** Share of maxClients that connections not authenticated yet may hold (with a password). */
export const UNAUTHENTICATED_SHARE = 4;
/** What a client over the limit reads before the connection closes: redis's own words. */
const MAX_CLIENTS_REPLY = Buffer.from('-ERR max number of clients reached\r\n');

export interface ClientHandlerOptions {
  /** Largest single request. Default 64 KiB. */
  maxRequestBytes?: number;
  /** Most arguments in one request. Default 1024. */
  maxArgs?: number;
  /** Most unprocessed request bytes, and most unread reply bytes, per connection. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Most client connections at once; more are answered `-ERR max number of clients reached` and closed. Default 10,000. */
  maxClients?: number;
  /** With a client password: close a connection not authenticated this long after it opened (0: never). Default 10 s. */
  authTimeoutMs?: number;
  /** Close a connection idle this long, unless it subscribes (0: never), like redis' `timeout`. Default 0. */
  idleTimeoutMs?: number;
  /** A connection runs nothing for this long after each failed authentication (0: no pause). Default 200 ms. */
  authFailureDelayMs?: number;
  /** Close a connection at this many failed authentications (0: never). Default 5. */
  maxAuthFailures?: number;
  /** The per-turn command budget shared by all connections (default: TurnBudget's). */
  budget?: TurnBudget;
  /** How long SENTINEL FAILOVER waits for the switchover before answering +OK anyway. Default 500 ms. */
  failoverReplyWaitMs?: number;
  /** Shown as `resp_elect_version` in INFO server. */
  version?: string;
  /** Diagnostics (bad requests, slow clients, switchovers). Default: none. */
  log?: (level: AdminLogLevel, msg: string) => void;
}

export type ClientHandler = ((socket: Socket, initialBytes: Buffer) => void) & {
  /** Detach from the view's events and close every client connection. Idempotent. */
  close(): void;
  /** Client connections open right now. */
  readonly connections: number;
  /** Counters since start, for metrics. */
  stats(): ClientHandlerStats;
};

export interface ClientHandlerStats {
  connections: number;
  maxClients: number;
  /** Connections refused or closed by a limit, by reason (`max-clients`, `unauthenticated-evicted`). */
  refused: Record<string, number>;
  /** Failed authentications: wrong passwords and commands refused with NOAUTH. */
  authFailures: number;
  /** Connections closed for too many failed authentications. */
  authFailureDisconnects: number;
  /** Connections closed for not authenticating within authTimeoutMs. */
  authTimeouts: number;
  /** Connections closed after idleTimeoutMs without traffic. */
  idleTimeouts: number;
}

export function createClientHandler(view: SidecarView, opts: ClientHandlerOptions = {}): ClientHandler {
  const log = (level: AdminLogLevel, msg: string) => {
    try {
      opts.log?.(level, msg);
    } catch {
      // a failing logger must not break a client connection
    }
  };
  const hub = new PubSubHub();
  const connections = new Set<ClientConnection>();
  const events = attachSentinelEvents(
    view,
    (m) => hub.publish(m.channel, m.message),
    (err) => log('warn', `could not publish a Sentinel event: ${(err as Error)?.stack ?? String(err)}`),
  );
  const failover = new FailoverRunner(view, opts.failoverReplyWaitMs ?? 500, log);
  let nextId = 1;
  let closed = false;
  const maxClients = opts.maxClients ?? DEFAULT_MAX_CLIENTS;
  const limited = new LogLimiter();
  /**
   * With a password: connections not authenticated yet, oldest first. They may hold at most a
   * quarter of maxClients; a new one beyond that closes the oldest, so clients that never
   * authenticate cannot take the slots of those that do (which authenticate at once).
   */
  const unauthenticated = new Set<ClientConnection>();
  const maxUnauthenticated = Math.max(1, Math.floor(maxClients / UNAUTHENTICATED_SHARE));
  const stats: ClientHandlerStats = { connections: 0, maxClients, refused: {}, authFailures: 0, authFailureDisconnects: 0, authTimeouts: 0, idleTimeouts: 0 };
  /** One warn line per kind and interval, saying how many were left out. */
  const warnLimited = (key: string, msg: string) => {
    const suppressed = limited.allow(key);
    if (suppressed !== undefined) log('warn', suppressed > 0 ? `${msg} (and ${suppressed} more since the last such line)` : msg);
  };

  const server: AdminServer = {
    view,
    hub,
    limits: {
      maxRequestBytes: opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
      maxArgs: opts.maxArgs ?? DEFAULT_MAX_ARGS,
      maxBufferedBytes: opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
      authTimeoutMs: opts.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS,
      authFailureDelayMs: opts.authFailureDelayMs ?? DEFAULT_AUTH_FAILURE_DELAY_MS,
      maxAuthFailures: opts.maxAuthFailures ?? DEFAULT_MAX_AUTH_FAILURES,
      idleTimeoutMs: opts.idleTimeoutMs ?? 0,
    },
    budget: opts.budget ?? new TurnBudget(),
    runId: randomBytes(20).toString('hex'),
    version: opts.version ?? 'unknown',
    primaryLost: () => events.translator.primaryLost,
    failover: (target) => failover.run(target),
    connectionCount: () => connections.size,
    authFailed: (conn, closing) => {
      stats.authFailures += 1;
      if (closing) stats.authFailureDisconnects += 1;
      warnLimited(
        'auth',
        `client ${conn.remote}: authentication failed${closing ? `; closing it after ${conn.authFailureCount} failures` : ''} (${stats.authFailures} failures since start)`,
      );
    },
    authenticationChanged: (conn) => {
      if (conn.authenticated) unauthenticated.delete(conn);
      else if (connections.has(conn)) unauthenticated.add(conn);
    },
    idleTimedOut: () => {
      stats.idleTimeouts += 1;
    },
    authTimedOut: (conn) => {
      stats.authTimeouts += 1;
      warnLimited('auth-timeout', `client ${conn.remote}: not authenticated within ${server.limits.authTimeoutMs} ms; closing it (${stats.authTimeouts} since start)`);
    },
    log,
  };

  const handler = (socket: Socket, initialBytes: Buffer): void => {
    try {
      if (closed) {
        socket.destroy();
        return;
      }
      if (connections.size >= maxClients) {
        stats.refused['max-clients'] = (stats.refused['max-clients'] ?? 0) + 1;
        warnLimited(
          'max-clients',
          `client connection from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'} refused: max number of clients (${maxClients}) reached (${stats.refused['max-clients']} refused since start)`,
        );
        // Free the descriptor at once: write redis's error, close when it is flushed.
        socket.on('error', () => {});
        socket.write(MAX_CLIENTS_REPLY, () => socket.destroy());
        return;
      }
      const conn = new ClientConnection(nextId++, socket, server, dispatch, (c) => {
        connections.delete(c);
        unauthenticated.delete(c);
      });
      if (!conn.authenticated) {
        if (unauthenticated.size >= maxUnauthenticated) {
          const oldest = unauthenticated.values().next().value!;
          unauthenticated.delete(oldest);
          stats.refused['unauthenticated-evicted'] = (stats.refused['unauthenticated-evicted'] ?? 0) + 1;
          warnLimited(
            'unauthenticated-evicted',
            `client ${oldest.remote} closed: ${maxUnauthenticated} connections were waiting to authenticate (a quarter of max-clients; ${stats.refused['unauthenticated-evicted']} closed since start)`,
          );
          oldest.destroy();
        }
        unauthenticated.add(conn);
      }
      connections.add(conn);
      conn.start(initialBytes);
    } catch (err) {
      log('warn', `client connection failed to start: ${(err as Error)?.message ?? String(err)}`);
      socket.destroy();
    }
  };

  return Object.defineProperties(handler, {
    close: {
      value: () => {
        if (closed) return;
        closed = true;
        events.detach();
        for (const c of [...connections]) c.destroy();
        connections.clear();
      },
    },
    connections: { get: () => connections.size },
    stats: { value: (): ClientHandlerStats => ({ ...stats, connections: connections.size, refused: { ...stats.refused } }) },
  }) as ClientHandler;
}
