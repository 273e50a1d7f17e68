/**
 * Real redis-server processes for integration tests and the benchmarks.
 *
 * Each server gets a free loopback port, its own temporary directory and log
 * file, no persistence (so a restart comes back EMPTY, as a crashed cache
 * node would) and diskless replication with no delay (so a full sync takes
 * milliseconds). Every server is tracked in the lab's registry
 * (lab/proc/children.ts): call `cleanupAll()` from `afterAll` (or
 * `afterEach`), and a process 'exit' hook SIGKILLs whatever is left, so a
 * failing or interrupted test never leaves redis-server processes behind.
 *
 * Usage:
 *   import { afterAll } from 'vitest';
 *   import { startRedis, cleanupAll } from '../../lab/proc/redis-process.js';
 *   afterAll(cleanupAll);
 *   const primary = await startRedis();
 *   const replica = await startRedis({ replicaOf: { host: '127.0.0.1', port: primary.port } });
 *
 * Set RESP_ELECT_KEEP_REDIS_DIRS=1 to keep the directories (and logs) after cleanup.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { flattenInfo, parseInfo } from '../../src/redis/info.js';
import { logTail, probeRedis, scratchRedisArgs } from './scratch-redis.js';
import { type Child, spawnChild, track, untrack, type Resource } from './children.js';
import { sleep } from '../util/wait.js';
import { freePort } from './ports.js';
import { serverBinaries } from './server-binaries.js';

export interface StartRedisOptions {
  /** Listen here instead of a free port (no retry on "Address already in use" then). */
  port?: number;
  /** Use this directory (kept after cleanup) instead of a fresh temporary one (removed). */
  dir?: string;
  /** Extra redis-server arguments, after the defaults so they override them: ['--maxmemory', '10mb']. */
  args?: string[];
  /** Start as a replica of this address (`--replicaof`); restart() starts it that way again. */
  replicaOf?: { host: string; port: number };
  /** How long to wait for the server to answer. Default 10 000 ms. */
  startTimeoutMs?: number;
  /** Run in a process group of its own (lab/proc/children.ts; the demo's, so Ctrl-C reaches only the demo). Default false. */
  group?: boolean;
}

export interface RedisProc {
  readonly port: number;
  /** `127.0.0.1:<port>` */
  readonly addr: string;
  /** Pid of the current process (a new one after restart()). */
  readonly pid: number;
  /** The server's working directory. */
  readonly dir: string;
  /** The server's log file (in `dir`). */
  readonly logPath: string;
  /** Whether the process is alive (a SIGSTOPped process counts as alive). */
  readonly running: boolean;
  /** The `--requirepass` given in args, if any: what every client of this server must present. */
  readonly requirepass: string | undefined;
  /**
   * Send a signal (default SIGKILL). For signals that end redis (KILL, TERM,
   * INT, QUIT, ABRT) waits until the process has exited; for others
   * (STOP, CONT, ...) returns at once. Clients stay open (they reconnect after restart()).
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM (SIGKILL after 3 s), close the clients, remove it from the registry. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stop the process if it runs and start it again with the same port,
   * directory and arguments. Without persistence it comes back EMPTY, as a
   * master again unless started with `replicaOf` (runtime REPLICAOF changes
   * are not remembered, as with a config file never rewritten). Clients from
   * client() reconnect by themselves.
   */
  restart(): Promise<void>;
  /**
   * A new ioredis client to this server, closed by stop()/cleanupAll().
   * Defaults: reconnect every 50–500 ms, maxRetriesPerRequest 1, the
   * `--requirepass` from args if any, errors swallowed by a listener
   * (commands still reject). Override with `options`.
   */
  client(options?: RedisOptions): Redis;
  /** Leave the server running when this process exits (the demo's --keep): no longer tracked, its directory kept. */
  release(): void;
  /** `INFO <section>` (or default INFO) as a flat field → value record. */
  info(section?: string): Promise<Record<string, string>>;
  /** The last lines of the log file, for failure messages. */
  logTail(lines?: number): string;
}

/**
 * Kill (SIGKILL) every server this process started and has not stopped, close
 * their clients, remove their temp dirs — and everything else the lab's one
 * registry tracks (lab/proc/children.ts).
 */
export { cleanupAll } from './children.js';

// ---------------------------------------------------------------------------

const ENDING_SIGNALS = new Set<NodeJS.Signals>(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGABRT']);
const KEEP_DIRS = process.env['RESP_ELECT_KEEP_REDIS_DIRS'] === '1';

class RedisProcImpl implements RedisProc, Resource {
  readonly addr: string;
  readonly logPath: string;
  private child: Child | undefined;
  private readonly clients = new Set<Redis>();
  private admin: Redis | undefined;
  private stopped = false;

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly ownsDir: boolean,
    private readonly options: StartRedisOptions,
  ) {
    this.addr = `127.0.0.1:${port}`;
    this.logPath = join(dir, 'redis.log');
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get running(): boolean {
    return this.child?.running ?? false;
  }

  /** The `--requirepass` given in args, if any: what every client of this server must present. */
  get requirepass(): string | undefined {
    return this.password();
  }

  /** The `--requirepass` given in args, so client() and info() work on such servers too. */
  private password(): string | undefined {
    const args = this.options.args ?? [];
    const at = args.lastIndexOf('--requirepass');
    return at >= 0 ? args[at + 1] : undefined;
  }

  private args(): string[] {
    const { replicaOf, args = [] } = this.options;
    return [
      ...scratchRedisArgs({ port: this.port, bind: ['127.0.0.1'], dir: this.dir, logfile: this.logPath }),
      // DEBUG SLEEP / DEBUG POPULATE for tests that need a frozen or a big redis.
      '--enable-debug-command', 'local',
      ...(replicaOf ? ['--replicaof', replicaOf.host, String(replicaOf.port)] : []),
      ...args,
    ];
  }

  /** Spawn redis-server and wait until it answers. */
  async launch(): Promise<void> {
    track(this);
    const child = spawnChild(`redis-server ${this.addr}`, serverBinaries().server, this.args(), { stdio: ['ignore', 'ignore', 'pipe'], group: this.options.group ?? false });
    this.child = child;
    let stderr = '';
    let failure: string | undefined;
    child.process.stderr?.setEncoding('utf8');
    child.process.stderr?.on('data', (text: string) => {
      stderr = (stderr + text).slice(-4000);
    });
    void child.exited.then(({ code, signal }) => (failure ??= code === -1 ? 'could not be started' : `exited (${signal ?? `code ${code}`})`));

    const deadline = Date.now() + (this.options.startTimeoutMs ?? 10_000);
    for (;;) {
      if (failure === undefined) {
        const { up, pid } = await probeRedis('127.0.0.1', this.port);
        if (up && (pid === undefined || pid === child.pid) && this.running) return;
      }
      if (failure !== undefined || Date.now() > deadline) {
        if (failure === undefined) {
          failure = 'did not answer in time';
          child.killSync();
        }
        await child.exited;
        throw new Error(
          `redis-server on ${this.addr} ${failure}\n` +
            (stderr ? `stderr:\n${stderr}\n` : '') +
            `log ${this.logPath}:\n${this.logTail(20)}`,
        );
      }
      await sleep(20);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child?.running) return;
    child.signal(signal);
    if (ENDING_SIGNALS.has(signal)) await this.waitExit(15_000, `exit after ${signal}`);
  }

  private async waitExit(ms: number, what: string): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const ok = await Promise.race([(this.child?.exited ?? Promise.resolve()).then(() => true), timedOut]);
    clearTimeout(timer);
    if (!ok && what) throw new Error(`redis-server ${this.addr} (pid ${this.pid}) did not ${what} within ${ms} ms`);
    return ok;
  }

  /** SIGTERM (and SIGCONT, in case it is stopped), then SIGKILL if it lingers. */
  private async terminate(): Promise<void> {
    const child = this.child;
    if (!child?.running) return;
    if (await child.kill('SIGTERM', 3000)) return;
    child.signal('SIGKILL');
    await this.waitExit(5000, 'exit after SIGKILL');
  }

  async restart(): Promise<void> {
    if (this.stopped) throw new Error(`redis-server ${this.addr} was stopped; start a new one instead`);
    await this.terminate();
    await this.launch();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.terminate();
    await this.dispose();
  }

  async cleanup(removeDir = true): Promise<void> {
    if (this.running) {
      this.child?.signal('SIGKILL');
      await this.waitExit(5000, 'exit after SIGKILL');
    }
    await this.dispose(removeDir);
  }

  /** For the process 'exit' hook: no awaiting possible, so kill and remove the dir synchronously. */
  killSync(): void {
    this.child?.killSync();
    if (this.ownsDir && !KEEP_DIRS) rmSync(this.dir, { recursive: true, force: true });
  }

  release(): void {
    this.child?.release();
    untrack(this);
  }

  private async dispose(removeDir = true): Promise<void> {
    this.stopped = true;
    untrack(this);
    for (const c of this.clients) c.disconnect();
    this.clients.clear();
    this.admin = undefined;
    if (removeDir && this.ownsDir && !KEEP_DIRS) await rm(this.dir, { recursive: true, force: true });
  }

  client(options: RedisOptions = {}): Redis {
    if (this.stopped) throw new Error(`redis-server ${this.addr} was stopped`);
    const client = new Redis({
      host: '127.0.0.1',
      port: this.port,
      password: this.password(),
      connectTimeout: 2000,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(times * 50, 500),
      disableClientInfo: true,
      ...options,
    });
    client.on('error', () => {
      // Tests observe failures through rejected commands; this only stops "Unhandled error event" noise.
    });
    this.clients.add(client);
    return client;
  }

  async info(section?: string): Promise<Record<string, string>> {
    if (!this.admin || this.admin.status === 'end') this.admin = this.client({ commandTimeout: 2000 });
    const text = section === undefined ? await this.admin.info() : await this.admin.info(section);
    return flattenInfo(parseInfo(text));
  }

  logTail(lines = 30): string {
    return logTail(this.logPath, lines);
  }
}

function portInUse(err: unknown): boolean {
  return err instanceof Error && /address already in use/i.test(err.message);
}

/** Start a redis-server on a free loopback port and wait until it answers. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisProc> {
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'resp-elect-redis-')));
  const attempts = options.port === undefined ? 5 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freePort());
    const proc = new RedisProcImpl(port, dir, ownsDir, options);
    try {
      await proc.launch();
      return proc;
    } catch (err) {
      await proc.cleanup(false);
      lastError = err;
      if (!portInUse(err)) break;
    }
  }
  if (ownsDir && !KEEP_DIRS) await rm(dir, { recursive: true, force: true });
  throw lastError;
}
