/**
 * The write fence of the local redis (CLIENT PAUSE WRITE), kept on its own
 * connection and its own timer, apart from the poll and the role changes.
 *
 * Why apart: the fence is a lease on redis's side, `fenceMs` long, renewed
 * every poll interval. Renewing it from the control loop tied it to the poll:
 * a poll that waits for its deadline (a flooded or frozen redis, 500 ms) let a
 * 200 ms fence lapse, and a poll that failed skipped the renewal altogether,
 * so a primary that had just lost its lease went on taking writes until the
 * flood ended. Here a renewal is sent every `renewEveryMs` whatever the poll
 * does, and a poll timeout (which drops the poll's connection) cannot take an
 * in-flight fence with it.
 *
 * Fence and unfence go over this one connection, so redis runs them in the
 * order they were sent: an unfence waits for nothing, and no renewal is sent
 * after it until the fence is wanted again. (A renewal whose connection was
 * dropped at its deadline may still run late: it pauses writes for at most
 * `fenceMs` more, never less.)
 */
import type { LocalRedis } from '../redis/local-redis.js';
import type { FenceBelief } from '../control/knowledge.js';

/** Renewals allowed in flight at once: enough to ride out a slow reply, bounded against a frozen redis. */
const MAX_IN_FLIGHT = 3;

export class FenceKeeper {
  private wanted = false;
  private state: FenceBelief = 'unknown';
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  /** The message of the last failed renewal, to log a failing streak once. */
  private lastError: string | undefined;
  /**
   * Bumped by every release(): a fence sent before it confirms nothing after it (the unfence
   * went out behind it on the same connection, so redis ran the unfence last).
   */
  private generation = 0;

  constructor(
    private readonly redis: LocalRedis,
    private readonly fenceMs: number,
    private readonly renewEveryMs: number,
    private readonly onRenewalError: (message: string | undefined) => void,
    /** Redis confirmed a fence that was not held before: the one place a fence is logged. */
    private readonly onHeld: () => void,
  ) {}

  /** What the control plan may assume: `held` once a fence was confirmed since it was last wanted. */
  get belief(): FenceBelief {
    return this.state;
  }

  /**
   * Fence now and keep renewing until release(). Resolves once redis
   * confirmed this fence; rejects (and keeps renewing) when it did not.
   */
  async hold(): Promise<void> {
    if (!this.wanted) {
      this.wanted = true;
      // From here on a fence may be in place even if this one fails: a renewal can land it
      // later. 'lifted' would tell the plan no unfence is owed, and nothing would ever lift it.
      if (this.state === 'lifted') this.state = 'unknown';
      this.timer = setInterval(() => this.renew(), this.renewEveryMs);
      this.timer.unref();
    }
    await this.send();
  }

  /** Start fencing without waiting for the answer (the Elector just stopped writes); errors go to onRenewalError. */
  kick(): void {
    this.hold().catch(() => undefined);
  }

  /** Stop renewing and lift the fence: `CLIENT UNPAUSE`, after every fence already sent. */
  async release(): Promise<void> {
    this.stopRenewing();
    this.generation += 1;
    this.state = 'unknown';
    await this.redis.unfence();
    if (!this.wanted) this.state = 'lifted';
  }

  /** Stop renewing without lifting anything (shutdown, or just before an unfence). */
  stopRenewing(): void {
    this.wanted = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One long fence on the way out (a primary exiting without hand-off). */
  async fenceFor(ms: number): Promise<void> {
    this.stopRenewing();
    await this.redis.fence(ms);
  }

  private renew(): void {
    if (!this.wanted || this.inFlight >= MAX_IN_FLIGHT) return;
    this.send().catch(() => undefined);
  }

  /** One fence; a confirmed one (hold()'s or a renewal's) makes the belief `held` while still wanted. */
  private async send(): Promise<void> {
    this.inFlight += 1;
    const generation = this.generation;
    try {
      await this.redis.fence(this.fenceMs);
      if (this.lastError !== undefined) this.onRenewalError(undefined);
      this.lastError = undefined;
      // A release() while this fence was in flight wins: the unfence went out after it.
      if (this.wanted && generation === this.generation && this.state !== 'held') {
        this.state = 'held';
        this.onHeld();
      }
    } catch (err) {
      const msg = (err as Error).message;
      if (msg !== this.lastError) this.onRenewalError(msg);
      this.lastError = msg;
      throw err;
    } finally {
      this.inFlight -= 1;
    }
  }
}
