/**
 * The sidecar's HTTP endpoint (`--http host:port`): Prometheus `/metrics`
 * and the `/health`, `/primary`, `/replica` checks (200 or 503, with a JSON
 * body saying why). Anything else is 404.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HostPort } from '../protocol/index.js';
import type { SidecarView } from '../sidecar/view.js';
import { checkHealth, checkPrimary, checkReplica, type CheckResult } from './health.js';
import type { MetricsOptions } from './registry.js';

export interface HttpServerHandle {
  /** Stops listening and closes open connections. Idempotent. */
  close(): Promise<void>;
  /** The bound address (the real port when listening on port 0). */
  address(): HostPort;
}

export type HttpServerOptions = MetricsOptions;

const CHECKS: Record<string, (view: SidecarView) => CheckResult> = {
  '/health': checkHealth,
  '/primary': checkPrimary,
  '/replica': checkReplica,
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
  const registry = createMetricsRegistry(view, opts);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    const known = path === '/metrics' || path in CHECKS;
    if (!known) {
      sendJson(res, 404, { status: 'fail', reason: `no such endpoint ${path}; try /metrics, /health, /primary or /replica` }, req.method === 'HEAD');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendJson(res, 405, { status: 'fail', reason: `method ${req.method} not allowed` }, false);
      return;
    }
    const head = req.method === 'HEAD';
    if (path === '/metrics') {
      send(res, 200, registry.contentType, await registry.metrics(), head);
      return;
    }
    const check = CHECKS[path]!(view);
    sendJson(res, check.status, check.body, head);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      try {
        if (!res.headersSent) sendJson(res, 500, { status: 'fail', reason: `internal error: ${(err as Error)?.message ?? String(err)}` }, false);
        else res.destroy();
      } catch {
        res.destroy();
      }
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

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
      });
      return closing;
    },
  };
}
