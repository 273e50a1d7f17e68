/**
 * Reconnect delays for outbound peer links: capped exponential back-off with
 * jitter. Exponential so a long-dead peer costs little; capped (default 1 s)
 * so a peer that comes back is reconnected within about a second, which
 * matters because the election's failure detector runs on the order of
 * seconds; jittered so nodes that lost the same peer at the same moment do
 * not all redial in lock-step.
 */

export interface BackoffOptions {
  /** Delay before the first retry, before jitter. Default 50 ms. */
  baseMs?: number;
  /** Upper bound of any delay. Default 1000 ms. */
  maxMs?: number;
  /** Uniform random in [0, 1); injectable for tests. Default Math.random. */
  random?: () => number;
}

export const DEFAULT_BACKOFF_BASE_MS = 50;
export const DEFAULT_BACKOFF_MAX_MS = 1000;

export class Backoff {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = Math.max(1, opts.baseMs ?? DEFAULT_BACKOFF_BASE_MS);
    this.maxMs = Math.max(this.baseMs, opts.maxMs ?? DEFAULT_BACKOFF_MAX_MS);
    this.random = opts.random ?? Math.random;
  }

  /**
   * The delay before the next attempt, and counts one more failure.
   * "Equal jitter": half the exponential step is fixed, half is random, so
   * the delay lies in [step/2, step) and never collapses to zero.
   */
  next(): number {
    const step = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    let r = this.random();
    if (!(r >= 0 && r < 1)) r = 0.5; // a broken random source must not break the timer
    return Math.round(step / 2 + (step / 2) * r);
  }

  /** After a successful handshake: the next failure starts again from baseMs. */
  reset(): void {
    this.failures = 0;
  }
}
