/**
 * How much client work one turn of the event loop may do.
 *
 * The client port shares the process with the control loop (leases, the
 * redis poll, peer traffic), which only runs between callbacks. A client
 * that pipelines thousands of commands, or hundreds of clients doing so at
 * once, would otherwise have every one of them answered inside a single
 * turn and hold the control loop off for seconds (issue #17: 400
 * connections × 2,000 `AUTH` stalled a primary for 7–15 s).
 *
 * So every command a connection runs is taken from this budget: at most
 * `perTurn` across all connections and `perConnection` for any one of them
 * before it yields. A connection that has to yield hands `resume` to
 * `defer()` and stops reading (its socket is paused: TCP back-pressure, its
 * requests wait in the kernel, not in our memory); the budget is refilled
 * in the event loop's check phase (setImmediate), after the timers and I/O
 * of that turn ran, and the deferred connections resume in the order they
 * yielded, so every one makes progress and none starves the others.
 */
export const DEFAULT_COMMANDS_PER_TURN = 256;
export const DEFAULT_COMMANDS_PER_CONNECTION_TURN = 32;

export class TurnBudget {
  private left: number;
  private waiting: Array<() => void> = [];
  private refillScheduled = false;

  constructor(
    readonly perTurn = DEFAULT_COMMANDS_PER_TURN,
    readonly perConnection = DEFAULT_COMMANDS_PER_CONNECTION_TURN,
  ) {
    if (!(Number.isInteger(perTurn) && perTurn > 0) || !(Number.isInteger(perConnection) && perConnection > 0)) {
      throw new TypeError('TurnBudget: perTurn and perConnection must be positive integers');
    }
    this.left = perTurn;
  }

  /** Commands still allowed in this turn. */
  get remaining(): number {
    return this.left;
  }

  /** Connections waiting for the next turn. */
  get deferred(): number {
    return this.waiting.length;
  }

  /** Takes one command from this turn's budget; false when it is spent (then defer()). */
  take(): boolean {
    if (this.left <= 0) return false;
    this.left -= 1;
    this.scheduleRefill();
    return true;
  }

  /** Runs `resume` at the next refill, after the control loop had its turn. */
  defer(resume: () => void): void {
    this.waiting.push(resume);
    this.scheduleRefill();
  }

  private scheduleRefill(): void {
    if (this.refillScheduled) return;
    this.refillScheduled = true;
    setImmediate(() => this.refill());
  }

  private refill(): void {
    this.refillScheduled = false;
    this.left = this.perTurn;
    const waiting = this.waiting;
    this.waiting = [];
    for (const resume of waiting) {
      try {
        resume();
      } catch {
        // A connection's own errors are handled inside it; one must never stop the others resuming.
      }
    }
  }
}
