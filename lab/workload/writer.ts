/**
 * The application of the demo, the benchmarks, the chaos suite and the
 * integration tests: a loop of unique writes, `SET <key> v:<key>` then
 * `WAIT <replicas> <timeout>`, each acknowledged only when WAIT reports at
 * least `replicas` copies (quorum − 1, protocol.md §5.9). Only acknowledged
 * keys are promised to survive; missingKeys() checks them afterwards.
 *
 * It finds the primary as an application does: ioredis in Sentinel mode
 * against the controller ports (`sentinels`, `masterName`), so the very same
 * code runs against resp-elect sidecars and against redis-sentinel; or, given
 * `resolve` instead, by asking that function (a test that knows the primary
 * from the sidecars' logs).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { sleep } from '../util/wait.js';

export interface HostPort {
  host: string;
  port: number;
}

/** One write attempt, as `onRecord` reports it. */
export interface WriteRecord {
  /** When the attempt finished (the WAIT reply, or the error). */
  t: number;
  result: 'acked' | 'unacked' | 'error';
  /** Redis port the write went to, when known. */
  port?: number;
  latencyMs: number;
  error?: string;
}

export interface WriterOptions {
  /** Sentinel mode: the controller addresses and the master name. */
  sentinels?: HostPort[];
  masterName?: string;
  /** Resolve mode: where the primary is now (undefined: not known yet). */
  resolve?: () => Promise<HostPort | undefined>;
  /** WAIT numreplicas: quorum − 1. */
  replicas: number;
  /** WAIT timeout. Default 200 ms. */
  waitTimeoutMs?: number;
  /** Pause between two writes. Default 5 ms. */
  intervalMs?: number;
  /** Keys are `<prefix><n>`. */
  keyPrefix: string;
  onRecord?: (w: WriteRecord) => void;
  /** Extra ioredis options. */
  redisOptions?: RedisOptions;
}

/** Client settings that make every attempt end quickly with a clear result, whatever the cluster is doing. */
const BASE: RedisOptions = {
  connectTimeout: 500,
  commandTimeout: 1000,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  retryStrategy: () => 20,
  // A write that meets a replica (READONLY) re-resolves the primary; the write itself counts as failed.
  reconnectOnError: (err) => (/^(READONLY|NOREPLICAS|MASTERDOWN)/.test(err.message) ? 1 : false),
  // A reset ends the socket; a frozen primary never answers the FIN, so do not wait 2 s to destroy it.
  disconnectTimeout: 100,
  disableClientInfo: true,
};

/** How long a client may stay unready before the writer replaces it. */
const STUCK_MS = 5000;
/** Pause while there is no usable connection: short, so the first write after a failover is timed closely. */
const IDLE_MS = 2;

export class AckWriter {
  /** Keys whose write was acknowledged, in order; the value of key K is `v:K`. */
  readonly acked: string[] = [];
  /** When each acknowledgement arrived (Date.now()), in the order of `acked`. */
  readonly ackTimes: number[] = [];
  unacked = 0;
  errors = 0;
  /** Clients replaced because they stayed unready too long. */
  replacedClients = 0;
  /** The last error a write or the client reported, for diagnostics. */
  lastError = '';
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private client: Redis | undefined;
  private readonly opts: WriterOptions;
  private seq = 0;
  /** Set by reset() until the old connection has closed: no attempts meanwhile (they would fail at once). */
  private closingSince: number | undefined;
  /** When the client was last seen not ready (undefined: ready). */
  private notReadySince: number | undefined;

  constructor(opts: WriterOptions) {
    if (!opts.resolve && !(opts.sentinels && opts.sentinels.length > 0 && opts.masterName)) throw new Error('AckWriter: give sentinels and masterName, or resolve');
    this.opts = { ...opts };
  }

  /**
   * Change WAIT's numreplicas from the next write on: during a membership
   * change the count that makes a write survive differs (protocol.md §5.12,
   * "Which WAIT holds during a change").
   */
  setReplicas(n: number): void {
    this.opts.replicas = n;
  }

  /** WAIT's numreplicas now. */
  get replicas(): number {
    return this.opts.replicas;
  }

  /** Writes attempted so far. */
  get attempts(): number {
    return this.seq;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.client?.disconnect();
    this.client = undefined;
  }

  /** One line for a report: the client's state and counters. */
  describe(): string {
    return `status ${this.client?.status ?? 'none'}, attempts ${this.attempts}, acked ${this.acked.length}, unacked ${this.unacked}, errors ${this.errors}, clients replaced ${this.replacedClients}${this.lastError ? `, last error: ${this.lastError}` : ''}`;
  }

  private sentinelClient(): Redis {
    const c = new Redis({
      ...BASE,
      sentinels: this.opts.sentinels!.map((s) => ({ host: s.host, port: s.port })),
      name: this.opts.masterName!,
      role: 'master',
      sentinelRetryStrategy: () => 20,
      sentinelCommandTimeout: 300,
      // No failoverDetector: ioredis 6 can wedge when +switch-master arrives while it is
      // reconnecting. Failed or unacknowledged writes make the loop re-resolve instead (reset()).
      failoverDetector: false,
      ...this.opts.redisOptions,
    });
    c.on('error', (err: Error) => (this.lastError = err.message));
    return c;
  }

  private async connection(): Promise<Redis | undefined> {
    if (this.client) return this.client;
    if (!this.opts.resolve) {
      this.client = this.sentinelClient();
      return this.client;
    }
    const addr = await this.opts.resolve().catch(() => undefined);
    if (!addr) return undefined;
    const c = new Redis({ ...BASE, host: addr.host, port: addr.port, retryStrategy: () => null, ...this.opts.redisOptions });
    c.on('error', (err: Error) => (this.lastError = err.message));
    this.client = c;
    return c;
  }

  /** After failed or unacknowledged writes on a live connection: find the primary again. */
  private reset(): void {
    const c = this.client;
    if (!c) return;
    if (this.opts.resolve) {
      c.disconnect();
      this.client = undefined;
    } else if (c.status === 'ready') {
      // ioredis asks the sentinels again on reconnect.
      this.closingSince = Date.now();
      c.once('close', () => (this.closingSince = undefined));
      c.disconnect(true);
    }
  }

  /**
   * An application's last resort: a client that ended, or has stayed unready
   * for {@link STUCK_MS} (it keeps failing to resolve the primary), is thrown
   * away and a new one resolves the primary afresh.
   */
  private replaceIfStuck(c: Redis): void {
    const now = Date.now();
    this.notReadySince ??= now;
    const ended = c.status === 'end' || (this.opts.resolve !== undefined && c.status === 'close');
    if (!ended && now - this.notReadySince < STUCK_MS) return;
    c.disconnect();
    this.client = undefined;
    this.notReadySince = undefined;
    this.replacedClients += 1;
  }

  private async run(): Promise<void> {
    const waitMs = this.opts.waitTimeoutMs ?? 200;
    const interval = this.opts.intervalMs ?? 5;
    let bad = 0;
    while (this.running) {
      const c = await this.connection();
      if (!c) {
        await sleep(25);
        continue;
      }
      if (this.closingSince !== undefined && Date.now() - this.closingSince < 1000) {
        await sleep(IDLE_MS);
        continue;
      }
      this.closingSince = undefined;
      if (c.status !== 'ready') {
        // Connecting or resolving the primary: no attempt, so no record; the gap shows in the acknowledged writes.
        this.replaceIfStuck(c);
        await sleep(IDLE_MS);
        continue;
      }
      this.notReadySince = undefined;
      const key = `${this.opts.keyPrefix}${this.seq++}`;
      const started = Date.now();
      const port = c.stream?.remotePort;
      const replicas = this.opts.replicas;
      try {
        await c.set(key, `v:${key}`);
        const copies = await c.wait(replicas, waitMs);
        const t = Date.now();
        if (copies >= replicas) {
          this.acked.push(key);
          this.ackTimes.push(t);
          bad = 0;
          this.record({ t, result: 'acked', port, latencyMs: t - started });
        } else {
          // Not enough replicas within the WAIT timeout: this primary may be cut off; ask again at once.
          this.unacked += 1;
          bad += 2;
          this.record({ t, result: 'unacked', port, latencyMs: t - started, error: `WAIT reported ${copies} of ${replicas} replicas` });
        }
      } catch (err) {
        const t = Date.now();
        this.lastError = (err as Error).message;
        this.errors += 1;
        bad += 1;
        this.record({ t, result: 'error', port, latencyMs: t - started, error: shortError(this.lastError) });
      }
      // An unacknowledged write, or two failed ones in a row, on a connection that looks fine
      // (a frozen, demoted or cut-off primary): re-resolve.
      if (bad >= 2) {
        this.reset();
        bad = 0;
      }
      if (interval > 0) await sleep(interval);
    }
  }

  private record(w: WriteRecord): void {
    this.opts.onRecord?.(w);
  }

  /** Longest gap between consecutive acknowledgements that overlaps [from, to] (default: all of them). */
  longestGap(from = -Infinity, to = Infinity): number {
    let gap = 0;
    const t = this.ackTimes;
    for (let i = 1; i < t.length; i++) {
      if (t[i]! < from || t[i - 1]! > to) continue;
      gap = Math.max(gap, t[i]! - t[i - 1]!);
    }
    return gap;
  }

  /** First acknowledgement at or after `t` (undefined: none yet). */
  firstAckAfter(t: number): number | undefined {
    for (let i = this.ackTimes.length - 1; i >= 0; i--) {
      if (this.ackTimes[i]! < t) return this.ackTimes[i + 1];
    }
    return this.ackTimes[0];
  }
}

/** ioredis's wordier errors, in a few words. */
export function shortError(msg: string): string {
  if (/max retries per request/i.test(msg) || /Connection is closed/i.test(msg)) return 'connection to the primary lost';
  if (/Command timed out/i.test(msg)) return 'no reply in time (command timeout)';
  if (/Stream isn't writeable/i.test(msg)) return 'not connected';
  return msg.length > 120 ? `${msg.slice(0, 117)}...` : msg;
}

export interface MissingKeysOptions {
  connectMs?: number;
  commandMs?: number;
  /** Any value counts (keys written by another client than AckWriter); default: only `v:<key>`. */
  anyValue?: boolean;
  /** The server's requirepass, if any. */
  password?: string;
}

/**
 * Keys of `keys` missing (or holding another value than `v:<key>`, unless
 * `anyValue`) on the redis at `at`, read with MGETs of 1000 keys. Rejects
 * when that redis cannot be reached or answer within the timeouts (default
 * 2 s to connect, 20 s a command).
 */
export async function missingKeys(at: HostPort, keys: readonly string[], opts: MissingKeysOptions = {}): Promise<string[]> {
  const c = new Redis({ host: at.host, port: at.port, password: opts.password, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: opts.connectMs ?? 2000, commandTimeout: opts.commandMs ?? 20_000, disableClientInfo: true });
  c.on('error', () => {});
  try {
    await c.connect();
    const lost: string[] = [];
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const values = await c.mget(...batch);
      batch.forEach((k, j) => {
        if (opts.anyValue ? values[j] === null : values[j] !== `v:${k}`) lost.push(k);
      });
    }
    return lost;
  } finally {
    c.disconnect();
  }
}
