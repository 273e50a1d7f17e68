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

export interface ClientHandlerOptions {
  /** Largest single request. Default 64 KiB. */
  maxRequestBytes?: number;
  /** Most arguments in one request. Default 1024. */
  maxArgs?: number;
  /** Most unprocessed request bytes, and most unread reply bytes, per connection. Default 1 MiB. */
  maxBufferedBytes?: number;
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
};

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

  const server: AdminServer = {
    view,
    hub,
    limits: {
      maxRequestBytes: opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
      maxArgs: opts.maxArgs ?? DEFAULT_MAX_ARGS,
      maxBufferedBytes: opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    },
    runId: randomBytes(20).toString('hex'),
    version: opts.version ?? 'unknown',
    primaryLost: () => events.translator.primaryLost,
    failover: (target) => failover.run(target),
    connectionCount: () => connections.size,
    log,
  };

  const handler = (socket: Socket, initialBytes: Buffer): void => {
    try {
      if (closed) {
        socket.destroy();
        return;
      }
      const conn = new ClientConnection(nextId++, socket, server, dispatch, (c) => connections.delete(c));
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
  }) as ClientHandler;
}
