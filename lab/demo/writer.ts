/**
 * The demo's application: a loop of acknowledged writes. Each write is
 * `SET <unique key> <value>` followed by `WAIT <replicas> <timeout>`; it
 * counts as acknowledged only when WAIT reports at least `replicas` copies
 * (quorum − 1, protocol.md §5.9), and only acknowledged keys are promised to
 * survive. It finds the primary the way an application does: ioredis in
 * Sentinel mode against the sidecar ports (`sentinels`, `name`), or, when
 * given `resolve` instead, by asking that function.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { WriteRecord } from './recorder.js';
import { sleep } from './sleep.js';

export interface HostPortLike {
  host: string;
  port: number;
}

export interface WriterOptions {
  /** Sentinel mode: the sidecar addresses and the master name. */
  sentinels?: HostPortLike[];
  masterName?: string;
  /** Fallback mode: where the primary is now (undefined: not known yet). */
  resolve?: () => Promise<HostPortLike | undefined>;
  /** WAIT numreplicas: quorum − 1. */
  replicas: number;
  /** WAIT timeout. Default 200 ms. */
  waitTimeoutMs?: number;
  /** Pause between two writes. Default 5 ms. */
  intervalMs?: number;
  /** Keys are `<prefix><n>`. */
  keyPrefix: string;
  onRecord?: (w: WriteRecord) => void;
  /** Extra ioredis options (tests). */
  redisOptions?: RedisOptions;
}

/** Client settings that make every attempt end quickly with a clear result, whatever the cluster is doing. */
const BASE: RedisOptions = {
  connectTimeout: 500,
  commandTimeout: 1000,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  retryStrategy: () => 25,
  // A write that meets a replica (READONLY) re-resolves the primary; the write itself counts as failed.
  reconnectOnError: (err) => (/^(READONLY|NOREPLICAS|MASTERDOWN)/.test(err.message) ? 1 : false),
  lazyConnect: false,
  // A reset ends the socket; a frozen primary never answers the FIN, so do not wait 2 s to destroy it.
  disconnectTimeout: 100,
};

export class AckedWriter {
  /** Keys whose write was acknowledged, in order; the value of key K is `v:K`. */
  readonly acked: string[] = [];
  unacked = 0;
  errors = 0;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private client: Redis | undefined;
  private readonly opts: WriterOptions;
  private seq = 0;
  /** Set by reset() until the old connection has closed: no attempts meanwhile (they would fail at once). */
  private closingSince: number | undefined;

  constructor(opts: WriterOptions) {
    if (!opts.resolve && !(opts.sentinels && opts.sentinels.length > 0 && opts.masterName)) throw new Error('AckedWriter: give sentinels and masterName, or resolve');
    this.opts = opts;
  }

  get attempts(): number {
    return this.seq;
  }

  get mode(): 'sentinel' | 'resolve' {
    return this.opts.resolve ? 'resolve' : 'sentinel';
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

  private sentinelClient(): Redis {
    const c = new Redis({
      ...BASE,
      sentinels: this.opts.sentinels!.map((s) => ({ host: s.host, port: s.port })),
      name: this.opts.masterName!,
      role: 'master',
      sentinelRetryStrategy: () => 25,
      sentinelCommandTimeout: 300,
      // No failoverDetector: ioredis 6 can wedge when +switch-master arrives while it is
      // reconnecting. Failed or unacknowledged writes make the loop re-resolve instead (reset()).
      failoverDetector: false,
      ...this.opts.redisOptions,
    });
    c.on('error', () => {});
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
    c.on('error', () => {});
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
      this.closingSince = Date.now();
      c.once('close', () => (this.closingSince = undefined));
      c.disconnect(true);
    }
  }

  private async run(): Promise<void> {
    const replicas = this.opts.replicas;
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
        await sleep(5);
        continue;
      }
      this.closingSince = undefined;
      if (c.status !== 'ready') {
        // Connecting or resolving the primary: no attempt, so no record; the gap shows in the acknowledged writes.
        if (this.opts.resolve && (c.status === 'end' || c.status === 'close')) this.reset();
        await sleep(5);
        continue;
      }
      const key = `${this.opts.keyPrefix}${this.seq++}`;
      const started = Date.now();
      const port = c.stream?.remotePort;
      try {
        await c.set(key, `v:${key}`);
        const copies = await c.wait(replicas, waitMs);
        const t = Date.now();
        if (copies >= replicas) {
          this.acked.push(key);
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
        this.errors += 1;
        bad += 1;
        this.record({ t, result: 'error', port, latencyMs: t - started, error: shortError((err as Error).message) });
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
}

/** ioredis's wordier errors, in a few words. */
export function shortError(msg: string): string {
  if (/max retries per request/i.test(msg) || /Connection is closed/i.test(msg)) return 'connection to the primary lost';
  if (/Command timed out/i.test(msg)) return 'no reply in time (command timeout)';
  if (/Stream isn't writeable/i.test(msg)) return 'not connected';
  return msg.length > 120 ? `${msg.slice(0, 117)}...` : msg;
}

/**
 * Check every acknowledged key on `primary`: returns the keys that are
 * missing or hold another value. Pipelined MGETs of 500 keys.
 */
export async function findLostKeys(primary: HostPortLike, keys: readonly string[]): Promise<string[]> {
  const c = new Redis({ host: primary.host, port: primary.port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000, commandTimeout: 10_000 });
  c.on('error', () => {});
  try {
    await c.connect();
    const lost: string[] = [];
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
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
