/**
 * Node built-in modules the sidecar needs only in some configurations, loaded
 * the first time they are used instead of at start-up: `node:tls` (TLS to
 * peers or to redis) and `node:child_process` (the --on-role-change hook).
 * Loading a built-in compiles its JavaScript and touches its part of the node
 * binary for the life of the process: about 1–2 MB of RSS each, measured on
 * node 20 (issue #16), paid by every sidecar that never uses them.
 *
 * Synchronous on purpose (createRequire), so the call sites stay as they are:
 * a built-in is in the binary, there is nothing to wait for.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function tlsModule(): typeof import('node:tls') {
  return require('node:tls') as typeof import('node:tls');
}

export function childProcessModule(): typeof import('node:child_process') {
  return require('node:child_process') as typeof import('node:child_process');
}
