/**
 * Defaults of the --http server that the sidecar needs before (and without)
 * loading it: the connection budget counts --http-max-connections whether or
 * not --http is given. In their own file so importing them does not load
 * node:http and the metrics modules (http-server.ts is imported only with --http).
 */
export const DEFAULT_HTTP_MAX_CONNECTIONS = 64;
export const DEFAULT_METRICS_CACHE_MS = 1000;
