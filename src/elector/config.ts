/**
 * Election timings, their defaults, and the validation that keeps them safe.
 *
 * Every field is optional on input. Unset fields are derived from
 * `downAfterMs` so that a user who only changes the detection timeout still
 * gets a safe, proportional configuration; with nothing set the defaults are
 * the documented ones (hb 100, down 1000, lease 600, drift 100).
 */

export interface ElectorConfig {
  /** How often every node sends HB to every peer, and the primary sends LEASE. */
  hbIntervalMs: number;
  /** A peer not heard for this long is DOWN; a voter that heard the primary this recently refuses to vote. */
  downAfterMs: number;
  /** How long one majority LEASEACK round keeps the primary's lease, counted from when the LEASE was sent. */
  leaseMs: number;
  /** Bound on how far two nodes' clocks may disagree about an interval of downAfterMs, plus fencing latency. */
  maxDriftMs: number;
  /** How long a PREVOTE or OFFER round may take before the candidate gives up and backs off. */
  electionTimeoutMs: number;
  /** Base of the randomized back-off after a failed round: the wait is drawn from [backoffMs, 2 * backoffMs). */
  backoffMs: number;
  /** Extra wait per rank for candidates that are not the best one, so the best stands first. */
  rankDelayMs: number;
  /** How long a planned hand-off may take before the primary aborts it and resumes. */
  handoffTimeoutMs: number;
  /** How long a won election may wait for the runtime to confirm promotion before stepping down. */
  promoteTimeoutMs: number;
  /**
   * How long a voter whose redis lost data (restarted empty, or from an old
   * snapshot) keeps judging candidates against the most data it held, as if
   * it still held it (protocol.md §5.6, rule data-memory). 0 turns that off.
   */
  dataMemoryMs: number;
  /**
   * How long the nodes of a fresh cluster whose redis replicates from a
   * member's redis wait for that member's sidecar before they detach and
   * elect among themselves (protocol.md §5.13, rule adopt-existing); also how
   * long an existing master's sidecar keeps its claim.
   */
  adoptWaitMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    /** The option at fault, as the user wrote it (e.g. `leaseMs`). */
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
  }
}

const FIELDS: readonly (keyof ElectorConfig)[] = [
  'hbIntervalMs',
  'downAfterMs',
  'leaseMs',
  'maxDriftMs',
  'electionTimeoutMs',
  'backoffMs',
  'rankDelayMs',
  'handoffTimeoutMs',
  'promoteTimeoutMs',
  'dataMemoryMs',
  'adoptWaitMs',
];

/** Fill in the defaults, derived from downAfterMs, and validate the result. Throws ConfigError. */
export function resolveConfig(input: Partial<ElectorConfig> = {}): ElectorConfig {
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!(FIELDS as readonly string[]).includes(key)) {
      throw new ConfigError(key, `unknown timing option (known: ${FIELDS.join(', ')})`);
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new ConfigError(key, `must be a non-negative integer number of milliseconds, got ${JSON.stringify(value)}`);
    }
  }
  const down = input.downAfterMs ?? 1000;
  const config: ElectorConfig = {
    downAfterMs: down,
    hbIntervalMs: input.hbIntervalMs ?? Math.max(1, Math.round(down / 5)),
    leaseMs: input.leaseMs ?? Math.round(down * 0.6),
    maxDriftMs: input.maxDriftMs ?? Math.round(down / 10),
    electionTimeoutMs: input.electionTimeoutMs ?? Math.max(1, Math.round(down / 2)),
    backoffMs: input.backoffMs ?? Math.max(1, Math.round(down / 4)),
    rankDelayMs: input.rankDelayMs ?? Math.max(1, Math.round(down / 10)),
    handoffTimeoutMs: input.handoffTimeoutMs ?? down * 2,
    promoteTimeoutMs: input.promoteTimeoutMs ?? down,
    dataMemoryMs: input.dataMemoryMs ?? down * 5,
    adoptWaitMs: input.adoptWaitMs ?? down * 30,
  };
  validateConfig(config);
  return config;
}

/** Throws ConfigError naming the first option that breaks a rule. */
export function validateConfig(c: ElectorConfig): void {
  for (const key of ['hbIntervalMs', 'downAfterMs', 'leaseMs', 'electionTimeoutMs', 'backoffMs', 'handoffTimeoutMs', 'promoteTimeoutMs'] as const) {
    if (c[key] <= 0) throw new ConfigError(key, `must be greater than 0, got ${c[key]}`);
  }
  if (c.hbIntervalMs * 2 > c.downAfterMs) {
    throw new ConfigError(
      'hbIntervalMs',
      `must be at most half of downAfterMs so one lost heartbeat does not mark a peer DOWN (hbIntervalMs ${c.hbIntervalMs}, downAfterMs ${c.downAfterMs})`,
    );
  }
  // The safety core of the lease: a voter refuses every candidate for downAfterMs after it last
  // heard the primary, and the primary's lease runs leaseMs from a LEASE that voter acknowledged.
  // The heartbeat interval and the drift margin cover the time the runtime needs to notice the
  // lapse and fence redis, and clocks that run at slightly different rates.
  if (c.leaseMs + c.hbIntervalMs + c.maxDriftMs >= c.downAfterMs) {
    throw new ConfigError(
      'leaseMs',
      `leaseMs + hbIntervalMs + maxDriftMs must be below downAfterMs, or two nodes could hold a lease at once (${c.leaseMs} + ${c.hbIntervalMs} + ${c.maxDriftMs} >= ${c.downAfterMs})`,
    );
  }
  if (c.leaseMs < c.hbIntervalMs * 2) {
    throw new ConfigError(
      'leaseMs',
      `must be at least two heartbeat intervals, or the primary loses its lease between two rounds (leaseMs ${c.leaseMs}, hbIntervalMs ${c.hbIntervalMs})`,
    );
  }
}
