/**
 * Watches a real cluster from the outside for the one thing a failover must
 * never allow: two redis-servers taking writes at once. Every `intervalMs`
 * it sends a direct write (`SET`) to every data node's redis in parallel, each
 * on a connection of its own with a short deadline, and records which ones
 * took it. A fenced redis (CLIENT PAUSE WRITE) holds the write past the
 * deadline and a replica refuses it (READONLY), so only a writable master
 * counts.
 *
 * An episode is a run of samples in which two or more redis took the write;
 * its duration runs from the first such sample to the first one after it in
 * which at most one did.
 */
import { Redis } from 'ioredis';
import type { Cluster, ClusterNode } from '../support/cluster.js';

export interface SplitBrainEpisode {
  /** Date.now() of the first sample with two writable masters. */
  start: number;
  /** Until the first sample with at most one. */
  durationMs: number;
  /** The nodes that took writes in the episode's first sample. */
  nodes: string[];
}

export class SplitBrainMonitor {
  readonly episodes: SplitBrainEpisode[] = [];
  samples = 0;
  /** Samples in which no redis took the write (an election in progress, or a starved probe). */
  emptySamples = 0;
  private readonly clients = new Map<string, Redis>();
  private running = true;
  private readonly done: Promise<void>;
  private open: SplitBrainEpisode | undefined;
  private seq = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly intervalMs = 100,
    private readonly probeTimeoutMs = 150,
  ) {
    this.done = this.loop();
  }

  private client(n: ClusterNode): Redis {
    let c = this.clients.get(n.id);
    if (!c) {
      c = new Redis({
        host: '127.0.0.1',
        port: n.redis!.port,
        connectTimeout: 500,
        commandTimeout: this.probeTimeoutMs,
        enableOfflineQueue: false,
        enableReadyCheck: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => 20,
        disableClientInfo: true,
      });
      c.on('error', () => {});
      this.clients.set(n.id, c);
    }
    return c;
  }

  private async sample(): Promise<string[]> {
    const key = `__resp_elect_monitor__:${++this.seq}`;
    const took = await Promise.all(
      this.cluster.dataNodes.map(async (n) => {
        if (!n.redis?.running) return undefined;
        try {
          return (await this.client(n).set(key, '1', 'PX', 5000)) === 'OK' ? n.id : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    return took.filter((x): x is string => x !== undefined);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const started = Date.now();
      const writable = await this.sample();
      this.samples++;
      if (writable.length === 0) this.emptySamples++;
      if (writable.length >= 2) {
        if (!this.open) {
          this.open = { start: started, durationMs: 0, nodes: writable };
          this.episodes.push(this.open);
        }
      } else if (this.open) {
        this.open.durationMs = started - this.open.start;
        this.open = undefined;
      }
      const wait = this.intervalMs - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** The longest episode so far, in ms (an open one counts up to now). */
  longestMs(): number {
    if (this.open) this.open.durationMs = Date.now() - this.open.start;
    return Math.max(0, ...this.episodes.map((e) => e.durationMs));
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    if (this.open) this.open.durationMs = Date.now() - this.open.start;
    for (const c of this.clients.values()) c.disconnect();
    this.clients.clear();
  }
}
