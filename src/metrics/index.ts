/** Prometheus metrics and HTTP health checks of a sidecar. */
export { startHttpServer, type HttpServerHandle, type HttpServerOptions } from './http-server.js';
export { createMetricsRegistry, type MetricsOptions } from './registry.js';
export { checkHealth, checkPrimary, checkReplica, type CheckResult } from './health.js';
