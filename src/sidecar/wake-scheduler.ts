/**
 * When the sidecar ticks its Elector: at the Elector's next deadline, and
 * right after every input (a peer message, a redis report), never on a fixed
 * period. An idle sidecar used to tick every 25 ms (40 wake-ups a second) to
 * find, almost every time, that nothing was due; the Elector knows when
 * something next is (Elector.nextDeadline), so the process sleeps until then.
 *
 * Why after every input: nextDeadline() only holds until the next input. What
 * an input makes due at once (a vote answered, a fresh offset that lets a
 * hand-off release, an unhealthy redis that makes the primary step down) is
 * done by the tick that follows it, in the same wake-up of the process. The
 * ticks of one burst of inputs (several frames in one socket read) are folded
 * into one, run as a microtask after the burst.
 *
 * The timer is re-armed only when the deadline moved earlier than the one it
 * is set for: a heartbeat from a peer moves that peer's DOWN time later, which
 * needs no new timer; the timer then fires early, the tick finds nothing due,
 * and the timer is set again for the real deadline. A tick at any time is
 * legal, so early is harmless; late is what must not happen.
 */
export interface WakeSchedulerOptions {
  /** The clock the deadlines are in (the sidecar's performance.now()). */
  now: () => number;
  /** One tick at `now`. */
  tick: (now: number) => void;
  /** The earliest time a tick could matter (Infinity: none is known), asked after every tick. */
  nextDeadline: (now: number) => number;
  /** Never sleep longer than this (a backstop: the heartbeat deadline is always closer). */
  maxSleepMs: number;
  /** How late each timer wake-up ran, ms after the deadline it was set for: the event-loop delay that matters. */
  onLate?: (lateMs: number) => void;
}

export class WakeScheduler {
  private timer: NodeJS.Timeout | undefined;
  /** What the timer is set for (opts.now() clock); Infinity when none is set. */
  private armedFor = Infinity;
  private tickQueued = false;
  private stopped = true;
  /** Ticks run so far, by cause: for tests and /metrics-style curiosity, not for decisions. */
  readonly counts = { deadline: 0, input: 0 };

  constructor(private readonly opts: WakeSchedulerOptions) {}

  start(): void {
    this.stopped = false;
    this.run('deadline');
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  /** Something was given to the Elector: tick once the current burst of inputs is over. */
  afterInput(): void {
    if (this.tickQueued || this.stopped) return;
    this.tickQueued = true;
    queueMicrotask(() => {
      this.tickQueued = false;
      if (!this.stopped) this.run('input');
    });
  }

  private run(cause: 'deadline' | 'input'): void {
    const now = this.opts.now();
    this.counts[cause] += 1;
    this.opts.tick(now);
    if (this.stopped) return;
    const at = Math.min(this.opts.nextDeadline(this.opts.now()), now + this.opts.maxSleepMs);
    // A timer already set for no later than the deadline (and not already past) stays: it wakes us in time.
    if (this.timer !== undefined && this.armedFor <= at && this.armedFor > now) return;
    this.arm(at);
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = at;
    // Timers fire no earlier than their delay in whole milliseconds of the event loop's cached
    // clock, which can lag the real one: one extra millisecond keeps a wake-up from landing just
    // before the deadline and needing a second one.
    const delay = Math.max(1, Math.ceil(at - this.opts.now()) + 1);
    // Due when the delay is over: the lateness measured is the loop's, not the rounding's.
    const dueAt = this.opts.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.armedFor = Infinity;
      if (this.stopped) return;
      this.opts.onLate?.(this.opts.now() - dueAt);
      this.run('deadline');
    }, delay);
  }
}
