/**
 * The simulator's fixed parameters: the Elector timings every node runs with,
 * how the modelled sidecar and redis behave, and the liveness bound derived
 * from the timings. Everything here is plain data so a run is described by
 * (params, seed, cluster size, scenario, fault subset) alone.
 */
import { resolveConfig, type ElectorConfig } from '../../src/elector/config.js';
import type { DataEpochFeed } from './data-epoch.js';

export interface SimParams {
  /** Elector timings (resolved). */
  elector: ElectorConfig;
  /** The sidecar ticks its Elector every tickMs of its local clock. */
  tickMs: number;
  /** Redis work (client writes, replication, WAIT) advances every dataTickMs of true time. */
  dataTickMs: number;
  /** WAIT timeout for a client write, true time. */
  waitTimeoutMs: number;
  /** A replica applies 0..applyMax entries per data tick (seeded), so it lags. */
  applyMax: number;
  /** A full resync keeps the replica unhealthy for a time drawn from this range. */
  fullSyncMs: [number, number];
  /** REPLICAOF NO ONE takes this long (the sidecar then calls promoted()). */
  promoteMs: [number, number];
  /**
   * One step of the control plan plus the poll after it takes this long: the executor decides the
   * next step only then, so client writes and replication interleave with a sequence of steps (an
   * unfence before a confirmed demotion would let writes in).
   */
  stepMs: [number, number];
  /** Bootstrap and first lease happen before this; faults start after. */
  warmupMs: number;
  /** How long faults may keep starting after warm-up (upper bound; scenarios draw below it). */
  faultWindowMs: number;
  /** After the liveness condition holds, keep running this long (replicas catch up, stability). */
  settleMs: number;
  /** Which data epoch the sidecars feed the Elector: the epoch marker read from redis (the real sidecar), or the exact one (see data-epoch.ts). */
  dataEpochFeed: DataEpochFeed;
}

/**
 * The default timings: downAfterMs 300 and everything derived from it, as resolveConfig does,
 * except the adoption wait (5 × downAfterMs instead of 30 ×), so the `adopt` scenario's late
 * sidecars outlast it within a short run. It matters only to that scenario: every other one
 * starts its redis-servers detached, with nothing to adopt.
 */
export const SIM_ELECTOR_CONFIG: Partial<ElectorConfig> = { hbIntervalMs: 20, downAfterMs: 300, leaseMs: 180, maxDriftMs: 40, adoptWaitMs: 1500 };

export function defaultParams(overrides: Partial<ElectorConfig> = {}, feed: DataEpochFeed = 'marker'): SimParams {
  const elector = resolveConfig({ ...SIM_ELECTOR_CONFIG, ...overrides });
  return {
    elector,
    tickMs: Math.max(1, Math.round(elector.hbIntervalMs / 4)),
    dataTickMs: 2,
    waitTimeoutMs: 100,
    applyMax: 4,
    fullSyncMs: [10, 40],
    promoteMs: [1, 4],
    stepMs: [0.5, 3],
    warmupMs: 400,
    faultWindowMs: 3000,
    settleMs: 2 * elector.downAfterMs,
    dataEpochFeed: feed,
  };
}

/**
 * Clock rate bound: each node's clock runs at a rate in [1 - rho, 1 + rho],
 * so two clocks disagree by at most 2 * rho * downAfterMs = maxDriftMs over
 * any interval of downAfterMs.
 */
export function driftRho(c: ElectorConfig): number {
  return c.maxDriftMs / (2 * c.downAfterMs);
}

/**
 * Liveness bound, counted from the moment the last fault ended (all nodes up,
 * every link healed, no loss), within which a single primary must hold a
 * lease and every live member must follow it:
 *
 *   bound = 2·D + 4·(E + 2·B) + R·(n - 1) / 4 + S + P
 *
 * D = downAfterMs: a restarted voter refuses votes for D after boot (restart
 *     grace), and a stale primary can be believed alive for D after its last
 *     contact; the two overlap at most once, hence 2·D for detection.
 * E + 2·B: one failed pre-vote or election round plus its longest back-off
 *     (electionTimeoutMs + 2·backoffMs); four such rounds are allowed for
 *     split votes and offers refused while voters re-sample offsets.
 * R·(n-1)/4: rank delay when peers' offsets are stale, a quarter of the worst
 *     case (only n - 1 better candidates could make the best one wait).
 * S: the longest full resync (a node is unhealthy while it syncs).
 * P: promoteTimeoutMs, a promotion that is never confirmed.
 */
export function livenessBoundMs(p: SimParams, members: number): number {
  const c = p.elector;
  return (
    2 * c.downAfterMs +
    4 * (c.electionTimeoutMs + 2 * c.backoffMs) +
    (c.rankDelayMs * (members - 1)) / 4 +
    p.fullSyncMs[1] +
    c.promoteTimeoutMs
  );
}
