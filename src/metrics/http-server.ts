/**
 * The sidecar's HTTP endpoint (`--http host:port`): Prometheus `/metrics`
 * and the `/health`, `/primary`, `/replica`, `/ready` and `/live` checks
 * (200 or 503, with a JSON body saying why). Anything else is 404.
 *
 * It runs on the control loop's event loop, so its cost is bounded: at most
 * `maxConnections` connections (more are closed at accept, counted and
 * logged), deadlines for headers, requests and idle keep-alive connections,
 * and `/metrics` rendered at most once per `metricsCacheMs` (rendering is
 * the costly part: 500 scrapers looping on it held a primary's event loop
 * for seconds, issue #17), every request in between served the same text.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { LogLimiter } from '../util/log-limiter.js';
import type { HostPort } from '../protocol/index.js';
import type { SidecarView } from '../sidecar/view.js';
import { checkHealth, checkLive, checkPrimary, checkReplica, type CheckResult } from './health.js';
import { Readiness } from './readiness.js';
import type { MetricsOptions } from './registry.js';

export interface HttpServerHandle {
  /** Stops listening and closes open connections. Idempotent. */
  close(): Promise<void>;
  /** The bound address (the real port when listening on port 0). */
  address(): HostPort;
}

export interface HttpServerOptions extends MetricsOptions {
  /** Most connections at once; more are closed at accept. Default 64. */
  maxConnections?: number;
  /** /metrics is rendered at most this often; 0 renders every request. Default 1000 ms. */
  metricsCacheMs?: number;
  /** A request's headers must arrive within this. Default 5000 ms. */
  headersTimeoutMs?: number;
  /** A whole request must arrive within this. Default 10000 ms. */
  requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this. Default 5000 ms. */
  keepAliveTimeoutMs?: number;
  /** Refused connections (rate-limited). Default: none. */
  log?: (level: 'warn', msg: string) => void;
}

import { DEFAULT_HTTP_MAX_CONNECTIONS, DEFAULT_METRICS_CACHE_MS } from './http-limits.js';

export { DEFAULT_HTTP_MAX_CONNECTIONS, DEFAULT_METRICS_CACHE_MS };
export const DEFAULT_HTTP_HEADERS_TIMEOUT_MS = 5000;
export const DEFAULT_HTTP_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS = 5000;
/** Bounded header count: the node default (2000) is far more than any scraper sends. */
const MAX_HEADERS = 64;

const CHECKS: Record<string, (view: SidecarView) => CheckResult> = {
  '/health': checkHealth,
  '/primary': checkPrimary,
  '/replica': checkReplica,
  '/live': checkLive,
};

function send(res: ServerResponse, status: number, contentType: string, body: string, head: boolean): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, body: unknown, head: boolean): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`, head);
}

export async function startHttpServer(view: SidecarView, addr: HostPort, opts: HttpServerOptions = {}): Promise<HttpServerHandle> {
  // Loaded here, not at the top: prom-client (and the OpenTelemetry API it pulls in) adds about
  // 10 MB to every sidecar's RSS, and a sidecar started without --http never needs it.
  const { createMetricsRegistry } = await import('./registry.js');
  let dropped = 0;
  const limits = opts.limits;
  const registry = createMetricsRegistry(view, {
    ...opts,
    limits:
      limits === undefined
        ? undefined
        : () => {
            const l = limits();
            return { ...l, refused: { ...l.refused, 'http-max-connections': dropped } };
          },
  });
  const cacheMs = opts.metricsCacheMs ?? DEFAULT_METRICS_CACHE_MS;
  let cached: { at: number; text: Promise<string> } | undefined;
  /** One rendering per cacheMs, shared by every request meanwhile (also those arriving while it renders). */
  const renderMetrics = (): Promise<string> => {
    const now = performance.now();
    if (cached === undefined || now - cached.at >= cacheMs) {
      const text = registry.metrics();
      const entry = { at: now, text };
      cached = entry;
      text.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.text;
  };

  // Remembers which redis run has synced, so it lives as long as the server (see readiness.ts).
  const readiness = new Readiness(view);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    const known = path === '/metrics' || path === '/ready' || path in CHECKS;
    if (!known) {
      sendJson(res, 404, { status: 'fail', reason: `no such endpoint ${path}; try /metrics, /health, /primary, /replica, /ready or /live` }, req.method === 'HEAD');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendJson(res, 405, { status: 'fail', reason: `method ${req.method} not allowed` }, false);
      return;
    }
    const head = req.method === 'HEAD';
    if (path === '/metrics') {
      send(res, 200, registry.contentType, await renderMetrics(), head);
      return;
    }
    const check = path === '/ready' ? readiness.check() : CHECKS[path]!(view);
    sendJson(res, check.status, check.body, head);
  };

  const maxConnections = opts.maxConnections ?? DEFAULT_HTTP_MAX_CONNECTIONS;
  const server = createServer(
    {
      headersTimeout: opts.headersTimeoutMs ?? DEFAULT_HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: opts.requestTimeoutMs ?? DEFAULT_HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS,
      // The headers and request deadlines are checked this often (node's default: every 30 s).
      connectionsCheckingInterval: 1000,
      maxHeaderSize: 8 * 1024,
    },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        try {
          if (!res.headersSent) sendJson(res, 500, { status: 'fail', reason: `internal error: ${(err as Error)?.message ?? String(err)}` }, false);
          else res.destroy();
        } catch {
          res.destroy();
        }
      });
    },
  );
  server.maxHeadersCount = MAX_HEADERS;
  server.maxConnections = maxConnections;
  server.on('clientError', (_err, socket) => socket.destroy());
  const limiter = new LogLimiter();
  server.on('drop', (data) => {
    dropped += 1;
    const suppressed = limiter.allow('drop');
    if (suppressed === undefined) return;
    try {
      opts.log?.(
        'warn',
        `--http: connection from ${data?.remoteAddress ?? '?'} refused: ${maxConnections} connections open (the limit; ${dropped} refused since start${suppressed > 0 ? `, ${suppressed} not logged` : ''})`,
      );
    } catch {
      // a failing logger must not break the server
    }
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new Error(`--http ${addr.host}:${addr.port}: ${err.message}`));
    server.once('error', onError);
    server.listen({ host: addr.host, port: addr.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });

  let closing: Promise<void> | undefined;
  return {
    address: () => {
      const a = server.address() as AddressInfo;
      return { host: a.address, port: a.port };
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        registry.clear();
        readiness.close();
      });
      return closing;
    },
  };
}
