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
 * The timer is re-armed whenever the deadline moved, later as well as
 * earlier. Keeping a timer set for an earlier deadline costs a wake-up that
 * finds nothing due: on a replica whose HB rides on the primary's (protocol.md
 * §5.1), every heartbeat moved its own HB deadline later, and the old timer
 * woke the process once more per interval (#16). Re-arming is a timer-list
 * update in the process, no system call. Early would be harmless, since a
 * tick at any time is legal; late is what must not happen.
 */
export interface WakeSchedulerOptions {
  /** The clock the deadlines are in (the sidecar's performance.now()). */
  now: () => number;
  /** One tick at `now`. */
  tick: (now: number) => void;
  /** The earliest time a tick could matter (Infinity: none is known), asked after every tick. */
  nextDeadline: (now: number) => number;
  /** Never sleep longer than this: a backstop, set past every heartbeat deadline (a replica's own HB waits 1.5 intervals). */
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
    // A timer already set for this deadline stays.
    if (this.timer !== undefined && this.armedFor === at) return;
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
