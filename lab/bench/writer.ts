/**
 * The application of the bench: a loop of unique writes, `SET key v:key`
 * then `WAIT <replicas> <timeout>`, acknowledged only when WAIT reports at
 * least `replicas` copies. It finds the primary as any application does —
 * ioredis in Sentinel mode against the controller ports — so the very same
 * code runs against resp-elect sidecars and against redis-sentinel.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { sleep } from './procs.js';

export interface WriterOptions {
  sentinels: { host: string; port: number }[];
  masterName: string;
  /** WAIT numreplicas. */
  replicas: number;
  waitTimeoutMs: number;
  /** Pause between writes. */
  intervalMs: number;
  prefix: string;
}

const BASE: RedisOptions = {
  connectTimeout: 500,
  commandTimeout: 1000,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  retryStrategy: () => 20,
  reconnectOnError: (err) => (/^(READONLY|NOREPLICAS|MASTERDOWN)/.test(err.message) ? 1 : false),
  disconnectTimeout: 100,
  disableClientInfo: true,
};

/** How long a client may stay unready before the writer replaces it. */
const STUCK_MS = 5000;

export class AckWriter {
  /** Acknowledged keys and when the acknowledgement arrived (Date.now()). */
  readonly acked: string[] = [];
  readonly ackTimes: number[] = [];
  attempts = 0;
  unacked = 0;
  errors = 0;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private client: Redis | undefined;
  private seq = 0;
  private closingSince: number | undefined;
  /** When the client was last seen not ready (undefined: ready). */
  private notReadySince: number | undefined;
  /** Clients replaced because they stayed unready too long. */
  replacedClients = 0;
  /** The last error a write or the client reported, for diagnostics. */
  lastError = '';

  constructor(private readonly opts: WriterOptions) {}

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

  private connection(): Redis {
    if (this.client) return this.client;
    const c = new Redis({
      ...BASE,
      sentinels: this.opts.sentinels,
      name: this.opts.masterName,
      role: 'master',
      sentinelRetryStrategy: () => 20,
      sentinelCommandTimeout: 300,
      enableTLSForSentinelMode: false,
      failoverDetector: false,
    });
    c.on('error', (err: Error) => (this.lastError = err.message));
    this.client = c;
    return c;
  }

  /** One line for a report: the client's state and counters. */
  describe(): string {
    return `status ${this.client?.status ?? 'none'}, attempts ${this.attempts}, acked ${this.acked.length}, unacked ${this.unacked}, errors ${this.errors}, clients replaced ${this.replacedClients}${this.lastError ? `, last error: ${this.lastError}` : ''}`;
  }

  /**
   * An application's last resort: a client that has stayed unready for
   * {@link STUCK_MS} (ioredis ended it, or it keeps failing to resolve the
   * primary) is thrown away and a new one asks the sentinels afresh.
   */
  private replaceIfStuck(c: Redis): void {
    const now = Date.now();
    this.notReadySince ??= now;
    if (c.status !== 'end' && now - this.notReadySince < STUCK_MS) return;
    c.disconnect();
    this.client = undefined;
    this.notReadySince = undefined;
    this.replacedClients += 1;
  }

  /** Re-resolve the primary: drop the connection; ioredis asks the sentinels again on reconnect. */
  private reset(): void {
    const c = this.client;
    if (!c || c.status !== 'ready') return;
    this.closingSince = Date.now();
    c.once('close', () => (this.closingSince = undefined));
    c.disconnect(true);
  }

  private async run(): Promise<void> {
    let bad = 0;
    while (this.running) {
      const c = this.connection();
      if (this.closingSince !== undefined && Date.now() - this.closingSince < 1000) {
        await sleep(2);
        continue;
      }
      this.closingSince = undefined;
      if (c.status !== 'ready') {
        this.replaceIfStuck(c);
        await sleep(2);
        continue;
      }
      this.notReadySince = undefined;
      const key = `${this.opts.prefix}${this.seq++}`;
      this.attempts += 1;
      try {
        await c.set(key, `v:${key}`);
        const copies = await c.wait(this.opts.replicas, this.opts.waitTimeoutMs);
        if (copies >= this.opts.replicas) {
          this.acked.push(key);
          this.ackTimes.push(Date.now());
          bad = 0;
        } else {
          this.unacked += 1;
          bad += 2;
        }
      } catch (err) {
        this.lastError = (err as Error).message;
        this.errors += 1;
        bad += 1;
      }
      if (bad >= 2) {
        this.reset();
        bad = 0;
      }
      if (this.opts.intervalMs > 0) await sleep(this.opts.intervalMs);
    }
  }

  /** Longest gap between consecutive acknowledgements that overlaps [from, to]. */
  longestGap(from: number, to: number): number {
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

/**
 * Keys of `keys` missing (or with another value) on the redis at `host:port`.
 * Rejects when that redis cannot be reached or answer within the timeouts.
 */
export async function missingKeys(port: number, keys: readonly string[], host = '127.0.0.1', timeouts = { connectMs: 2000, commandMs: 20_000 }): Promise<string[]> {
  const c = new Redis({ host, port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeouts.connectMs, commandTimeout: timeouts.commandMs, disableClientInfo: true });
  c.on('error', () => {});
  try {
    await c.connect();
    const lost: string[] = [];
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const values = await c.mget(...batch);
      batch.forEach((k, j) => {
        if (values[j] !== `v:${k}`) lost.push(k);
      });
    }
    return lost;
  } finally {
    c.disconnect();
  }
}
