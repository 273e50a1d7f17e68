/**
 * Prometheus metrics of one sidecar, in a registry of its own (never the
 * global one, so several sidecars or tests can live in one process). Every
 * value is read from the view at scrape time by collect() callbacks:
 * nothing here needs to be told when things happen.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { reachableVoters } from '../admin/voters.js';
import type { SidecarView } from '../sidecar/view.js';
import type { LoopDelaySample } from './event-loop-delay.js';

/** The protection counters of a sidecar (client port, listener, HTTP), read at scrape time. */
export interface LimitStats {
  clientConnections: number;
  maxClients: number;
  /** Connections refused or closed by a limit, by reason (max-clients, pending-evicted, max-connections, accept-error, http-max-connections). */
  refused: Record<string, number>;
  authFailures: number;
  /** Connections closed over authentication, by reason (failures, timeout). */
  authDisconnects: Record<string, number>;
  /** Client connections closed after the idle timeout. */
  idleDisconnects?: number;
}

export interface MetricsOptions {
  /** Metric name prefix. Default `resp_elect_`. */
  prefix?: string;
  /** Also export Node.js process metrics (CPU, memory, event loop). Default true. */
  processMetrics?: boolean;
  /** Client-port and listener limits; their metrics are absent without it. */
  limits?: () => LimitStats;
  /** The event-loop delay of the last measuring interval; its metric is absent without it. */
  loopDelay?: () => LoopDelaySample | undefined;
}

export const ROLE_LABELS = ['primary', 'replica', 'candidate', 'witness'] as const;

export function createMetricsRegistry(view: SidecarView, opts: MetricsOptions = {}): Registry {
  const p = opts.prefix ?? 'resp_elect_';
  const registry = new Registry();
  const registers = [registry];
  const self = () => view.config.members.find((m) => m.id === view.config.id);

  new Gauge({
    name: `${p}role`,
    help: 'The role of this node: 1 for the current one, 0 for the others',
    labelNames: ['role'],
    registers,
    collect() {
      const role = self()?.witness ? 'witness' : view.snapshot().role;
      for (const r of ROLE_LABELS) this.set({ role: r }, r === role ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}epoch`,
    help: 'The election epoch (term) this node is in',
    registers,
    collect() {
      this.set(view.snapshot().epoch);
    },
  });
  new Gauge({
    name: `${p}primary_info`,
    help: 'The primary clients are sent to, as a label (1 for the current one)',
    labelNames: ['primary'],
    registers,
    collect() {
      this.reset();
      const primary = view.primary();
      if (primary) this.set({ primary: primary.id }, 1);
    },
  });
  new Gauge({
    name: `${p}lease_held`,
    help: '1 while this node is primary and a majority acknowledged its lease',
    registers,
    collect() {
      this.set(view.snapshot().hasLease ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}writes_allowed`,
    help: '1 while this node may take writes (primary with a lease, no hand-off under way)',
    registers,
    collect() {
      this.set(view.snapshot().writesAllowed ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}fenced`,
    help: '1 while this sidecar keeps its redis from taking writes',
    registers,
    collect() {
      this.set(view.fenced() ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}replication_offset`,
    help: 'The replication offset this node reports in elections',
    registers,
    collect() {
      this.set(view.snapshot().offset);
    },
  });
  new Gauge({
    name: `${p}peer_up`,
    help: 'Whether each other member is reachable (heard within downAfterMs)',
    labelNames: ['peer'],
    registers,
    collect() {
      this.reset();
      for (const peer of view.snapshot().peers) this.set({ peer: peer.id }, peer.up ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}peer_last_seen_seconds`,
    help: 'Seconds since each other member was last heard from (absent if never)',
    labelNames: ['peer'],
    registers,
    collect() {
      this.reset();
      const now = view.now();
      for (const peer of view.snapshot().peers) if (peer.lastHeard !== null) this.set({ peer: peer.id }, Math.max(0, (now - peer.lastHeard) / 1000));
    },
  });
  new Gauge({
    name: `${p}quorum_reachable`,
    help: '1 while a majority of the voters (this one included when it is one) is reachable; learners never count',
    registers,
    collect() {
      const snap = view.snapshot();
      this.set(reachableVoters(snap) >= snap.config.quorum ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}quorum`,
    help: 'Votes needed to win an election: a strict majority of the voters of the configuration in use',
    registers,
    collect() {
      this.set(view.snapshot().config.quorum);
    },
  });
  new Gauge({
    name: `${p}config_version`,
    help: 'Version of the member configuration this node holds (grows by one with every change)',
    registers,
    collect() {
      this.set(view.snapshot().config.version);
    },
  });
  new Gauge({
    name: `${p}config_voters`,
    help: 'Voters (witnesses included) in the member configuration this node holds',
    registers,
    collect() {
      this.set(view.snapshot().config.voters.length);
    },
  });
  new Gauge({
    name: `${p}config_learners`,
    help: 'Learners (added, not yet caught up, not voting) in the member configuration this node holds',
    registers,
    collect() {
      this.set(view.snapshot().config.learners.length);
    },
  });
  new Gauge({
    name: `${p}config_member`,
    help: 'Each member of the configuration this node holds, with its kind (voter, learner, witness) as a label',
    labelNames: ['member', 'kind'],
    registers,
    collect() {
      this.reset();
      for (const m of view.snapshot().config.members) this.set({ member: m.id, kind: m.kind }, 1);
    },
  });
  new Gauge({
    name: `${p}redis_healthy`,
    help: 'Whether the local redis is reachable, loaded, not in a full sync and (on a replica) linked (absent on witnesses)',
    registers,
    collect() {
      this.reset();
      const redis = view.redisStatus();
      if (redis) this.set(redis.healthy ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}redis_reachable`,
    help: 'Whether the local redis answered its last poll (absent on witnesses)',
    registers,
    collect() {
      this.reset();
      const redis = view.redisStatus();
      if (redis) this.set(redis.reachable ? 1 : 0);
    },
  });

  // Counters mirror view.counters(): set to the running totals at each scrape.
  const totals = (name: string, help: string, read: () => number) =>
    new Counter({
      name: `${p}${name}`,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(Math.max(0, read()));
      },
    });
  totals('elections_started_total', 'Elections this node stood in', () => view.counters().electionsStarted);
  totals('elections_won_total', 'Elections this node won', () => view.counters().electionsWon);
  totals('elections_lost_total', 'Elections this node lost or gave up', () => view.counters().electionsLost);
  totals('peer_rejections_total', 'Peer connections rejected (bad secret, garbage, oversize frames)', () => view.counters().peerRejections);
  const byReason = (name: string, help: string, read: () => Record<string, number>) =>
    new Counter({
      name: `${p}${name}`,
      help,
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(read())) this.inc({ reason }, Math.max(0, n));
      },
    });
  byReason('votes_granted_total', 'Votes this node granted, by kind (prevote or vote)', () => view.counters().votesGranted);
  byReason('votes_refused_total', 'Votes this node refused, by reason', () => view.counters().votesRefused);

  let observed = 0;
  let lastValue: number | undefined;
  new Histogram({
    name: `${p}failover_duration_seconds`,
    help: 'Time from losing a primary to following a new one',
    buckets: [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60],
    registers,
    collect() {
      const all = view.counters().failoverSeconds;
      if (all.length > observed) {
        for (const s of all.slice(observed)) this.observe(s);
      } else if (all.length > 0 && all.at(-1) !== lastValue) {
        // A capped list that rolled over: count its newest entry.
        this.observe(all.at(-1)!);
      }
      observed = all.length;
      lastValue = all.at(-1);
    },
  });

  const limits = opts.limits;
  if (limits !== undefined) {
    new Gauge({
      name: `${p}client_connections`,
      help: 'Client connections open on the sidecar port',
      registers,
      collect() {
        this.set(limits().clientConnections);
      },
    });
    new Gauge({
      name: `${p}client_connections_max`,
      help: 'The client connection limit (--max-clients, or derived from the nofile limit)',
      registers,
      collect() {
        this.set(limits().maxClients);
      },
    });
    byReason('client_connections_refused_total', 'Connections refused or closed by a limit, by reason', () => limits().refused);
    totals('client_auth_failures_total', 'Failed client authentications (wrong password, or a command refused with NOAUTH)', () => limits().authFailures);
    totals('client_idle_disconnects_total', 'Client connections closed after --client-idle-timeout-ms without traffic', () => limits().idleDisconnects ?? 0);
    byReason('client_auth_disconnects_total', 'Client connections closed over authentication: too many failures, or none within the timeout', () => limits().authDisconnects);
  }
  const loopDelay = opts.loopDelay;
  if (loopDelay !== undefined) {
    new Gauge({
      name: `${p}event_loop_delay_seconds`,
      help: 'Event-loop delay over the last measuring interval (p50, p99, max): how late the control loop runs',
      labelNames: ['stat'],
      registers,
      collect() {
        this.reset();
        const d = loopDelay();
        if (d === undefined) return;
        this.set({ stat: 'p50' }, d.p50Ms / 1000);
        this.set({ stat: 'p99' }, d.p99Ms / 1000);
        this.set({ stat: 'max' }, d.maxMs / 1000);
      },
    });
  }

  // Standard names (process_*, nodejs_*), so stock Node.js dashboards work.
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
