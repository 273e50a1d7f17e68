/**
 * How long the control loop sleeps between polls of the local redis: the
 * poll interval (50 ms by default) while anything moves, a longer idle
 * interval once nothing does. An idle sidecar polled 20 times a second for
 * the life of the process, about 0.03 % of a core per poll per second on the
 * benchmark machine: at 50 ms a third of its idle CPU, to learn nothing.
 *
 * Idle means all of: the last poll needed no step and was reported; redis
 * answered, healthy, with the same facts as the poll before (role, master,
 * run_id, data epoch; the offset may move); and the Elector is settled — a
 * primary whose writes are allowed (lease held, no hand-off), or a follower
 * of a live primary. Anything else (an election, a hand-off, a fence, a
 * failing step, a restart) polls at the poll interval.
 *
 * Why it is safe to poll less when idle: nothing the Elector decides on waits
 * for a periodic poll. Every event that needs redis looked at (primary-lost,
 * follow, promote, role, handoff-start, writes; handoff-released on its
 * target, which then polls at the poll interval until it stands) wakes the loop at once
 * (RedisRuntime.onElectorEvent), so the offsets a vote, a stand or a
 * hand-off use are read after them as before; a lapsed lease fences through
 * the fence keeper, not the poll; and a redis that crashes or restarts closes
 * the poll's connection, which wakes the loop too (LocalRedis
 * onConnectionLost). What an idle poll alone finds — a redis that hangs
 * without closing, an operator's REPLICAOF — is found within the idle
 * interval instead of the poll interval: `max(pollIntervalMs, min(1000,
 * downAfterMs))`, 1 s at the defaults (a hung redis: within that plus the
 * 500 ms command timeout). It was downAfterMs / 4 until #16 measured what
 * each idle poll costs: a quarter of an idle sidecar's CPU at 4 polls a
 * second (INFO is 2 KB to parse), for facts nothing above waits on.
 * The offset a replica's HB carries is then up to the idle interval old;
 * what uses peers' offsets after the primary is lost (who stands first,
 * rank) is re-read within a heartbeat, because primary-lost makes every
 * replica poll at once and its next HB carries the fresh offset.
 */
import type { Role } from '../protocol/messages.js';
import type { Observed } from '../control/observed.js';

/** What pacing reads of the Elector (its public getters; no snapshot built per poll). */
export interface ElectorView {
  readonly role: Role;
  readonly following: string | null;
  /** A hand-off to this node is waiting for its redis to catch up: each poll could let it stand. */
  readonly handoffPending: boolean;
  writesAllowed(nowMs: number): boolean;
}

export function idlePollIntervalMs(pollIntervalMs: number, downAfterMs: number): number {
  return Math.max(pollIntervalMs, Math.min(1000, downAfterMs));
}

/** The facts of a poll that, when unchanged, say redis is as it was. */
function sameFacts(a: Observed, b: Observed): boolean {
  return a.reachable === b.reachable && a.role === b.role && a.masterHost === b.masterHost && a.masterPort === b.masterPort && a.runId === b.runId && a.dataEpoch === b.dataEpoch && a.unhealthyReason === b.unhealthyReason && a.replicaReadOnly === b.replicaReadOnly;
}

/** Whether the Elector has nothing under way that a poll could matter to. */
export function electorSettled(e: ElectorView, nowMs: number): boolean {
  // writesAllowed: primary, lease held, no hand-off. following: a replica whose primary is alive, not lost,
  // and that is not the target of a hand-off (the writes of the cluster wait for its next poll).
  return e.role === 'primary' ? e.writesAllowed(nowMs) : e.role === 'replica' && e.following !== null && !e.handoffPending;
}

/**
 * Tracks the last polls; interval() says how long to sleep after the one just
 * made. `reported`: the poll needed no step and its offset went to the Elector.
 */
export class PollPace {
  private previous: Observed | undefined;
  private steady = false;

  constructor(
    readonly pollIntervalMs: number,
    readonly idleIntervalMs: number,
  ) {}

  /** A poll was taken: `o` its facts, `reported` whether it ended the loop's steps with a report. */
  polled(o: Observed, healthy: boolean, reported: boolean): void {
    this.steady = reported && healthy && o.reachable && this.previous !== undefined && sameFacts(this.previous, o);
    this.previous = o;
  }

  /** Anything happened that a poll must follow quickly: the next sleep is short. */
  disturb(): void {
    this.steady = false;
  }

  interval(elector: ElectorView, nowMs: number): number {
    return this.steady && electorSettled(elector, nowMs) ? this.idleIntervalMs : this.pollIntervalMs;
  }
}
