/**
 * Which server the lab runs: `RESP_ELECT_REDIS_SERVER` (a binary name on PATH
 * or a path; default `redis-server`), and its `-cli` / `-sentinel` siblings.
 *
 * This is the one place that knows the binary names, so the demo, the tests,
 * the benchmarks, chaos and the netns harness all start the same server:
 *   redis-server            → redis-cli, redis-sentinel
 *   valkey-server           → valkey-cli, valkey-sentinel
 *   /opt/v8/bin/valkey-server → /opt/v8/bin/valkey-cli, /opt/v8/bin/valkey-sentinel
 * A sibling is found by replacing the `-server` suffix of the name, in the
 * same directory when a path was given (so the three come from one build).
 */
import { spawnSync } from 'node:child_process';
import { basename, dirname, join } from 'node:path';

/** The environment variable that chooses the server binary. */
export const SERVER_ENV = 'RESP_ELECT_REDIS_SERVER';

export interface ServerBinaries {
  /** The server binary as given: `redis-server`, `valkey-server`, or a path. */
  readonly server: string;
  readonly cli: string;
  readonly sentinel: string;
  /** `redis` or `valkey`, from the binary's name. */
  readonly flavour: 'redis' | 'valkey';
}

/**
 * The binaries `env` (default: this process's environment) chooses.
 * Throws, naming the variable, when the name does not end in `-server` or is
 * neither redis nor valkey: a typo must not silently start another server.
 */
export function serverBinaries(env: NodeJS.ProcessEnv = process.env): ServerBinaries {
  const value = env[SERVER_ENV];
  const server = value === undefined || value.trim() === '' ? 'redis-server' : value.trim();
  const name = basename(server);
  const m = /^(redis|valkey)-server$/.exec(name);
  if (!m) {
    throw new Error(`${SERVER_ENV}=${JSON.stringify(value)}: expected redis-server or valkey-server (a name on PATH or a path ending in one of them)`);
  }
  const flavour = m[1] as 'redis' | 'valkey';
  const sibling = (suffix: string) => (server.includes('/') ? join(dirname(server), `${flavour}-${suffix}`) : `${flavour}-${suffix}`);
  return { server, cli: sibling('cli'), sentinel: sibling('sentinel'), flavour };
}

/** Whether the chosen server is Valkey (for tests of Valkey-only behaviour). */
export function isValkey(): boolean {
  return serverBinaries().flavour === 'valkey';
}

/**
 * `<binary> --version`'s first line ("Redis server v=7.0.15 ..." or
 * "Valkey server v=8.0.1 ..."), or an error message naming the binary and
 * the variable when it cannot be run.
 */
export function binaryVersion(binary: string): { ok: true; version: string } | { ok: false; error: string } {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : `exited with status ${r.status}`;
    return { ok: false, error: `${binary} cannot be run (${why}); it is chosen by ${SERVER_ENV} (default redis-server)` };
  }
  return { ok: true, version: r.stdout.split('\n')[0]!.trim() };
}
