import type { ElectorEvent } from '../elector/events.js';
import { renderEvent, type EventFields } from '../elector/render-event.js';
import type { Logger } from './logger.js';

/** How long a run of identical refusals is folded into one summary line. */
export const REFUSAL_WINDOW_MS = 5000;
/** Distinct runs tracked at once; any more share one overflow run per event type. */
export const MAX_REFUSAL_RUNS = 32;

/** The events a peer can make us emit at will, one per message it sends. */
type Foldable = Extract<ElectorEvent, { type: 'vote' } | { type: 'ignored' }>;

interface Run {
  /** When the logged first line of this run was written. */
  since: number;
  /** Events folded since then, and when the latest was. */
  folded: number;
  lastAt: number;
  /** The last folded one, for the summary's fields. */
  last: Foldable;
  overflow: boolean;
}

/** Which run an event belongs to: same kind, same peer, same reason. Undefined: never folded. */
function runKey(ev: ElectorEvent): string | undefined {
  if (ev.type === 'vote' && !ev.granted) return `vote/${ev.prevote}/${ev.candidate}/${ev.reason ?? ''}`;
  if (ev.type === 'ignored') return `ignored/${ev.from}/${ev.what}/${ev.reason}`;
  return undefined;
}

/** What a summary line counts: `vote refusals to n3`, `ignored OFFER from n3`… */
function counted(ev: Foldable, overflow: boolean): string {
  if (ev.type === 'vote') return overflow ? 'refusals of other candidates or reasons' : `${ev.prevote ? 'pre-vote' : 'vote'} refusals to ${ev.candidate}`;
  return overflow ? 'ignored messages of other senders or reasons' : `ignored ${ev.what} from ${ev.from}`;
}

/**
 * Writes every Elector event to the sidecar log, rendered by
 * src/elector/render-event.ts (level, sentence, `event` and data fields).
 *
 * Refused votes and ignored messages are the events a peer can make us emit
 * at will (a flood of OFFERs wrote 5,000 INFO lines in 5 s): the first of a
 * run (same kind, peer and reason) is logged in full, identical ones in the
 * next REFUSAL_WINDOW_MS are only counted, and `flush` (called every tick)
 * writes one summary line per run, with a `repeats` field, when its window
 * ends. At most two lines per run per window, and at most MAX_REFUSAL_RUNS
 * runs plus one overflow run per event type. Every refusal is still counted
 * in votes_refused_total; only the log is folded.
 */
export class ElectorEventLog {
  private readonly runs = new Map<string, Run>();

  constructor(
    private readonly log: Logger,
    private readonly windowMs = REFUSAL_WINDOW_MS,
    private readonly maxRuns = MAX_REFUSAL_RUNS,
  ) {}

  write(ev: ElectorEvent, nowMs: number): void {
    let key = runKey(ev);
    if (key !== undefined) {
      this.flush(nowMs);
      const overflow = !this.runs.has(key) && this.runs.size >= this.maxRuns;
      if (overflow) key = `*/${ev.type}`;
      const run = this.runs.get(key);
      if (run) {
        run.folded += 1;
        run.lastAt = nowMs;
        run.last = ev as Foldable;
        return;
      }
      this.runs.set(key, { since: nowMs, folded: 0, lastAt: nowMs, last: ev as Foldable, overflow });
    }
    const r = renderEvent(ev);
    this.log[r.level](r.msg, r.fields);
  }

  /** Summarise every run whose window has ended (all of them with Infinity, at shutdown). */
  flush(nowMs: number): void {
    for (const [key, run] of this.runs) {
      if (nowMs < run.since + this.windowMs) continue;
      this.runs.delete(key);
      if (run.folded === 0) continue;
      const seconds = Math.max(1, Math.ceil((run.lastAt - run.since) / 1000));
      const r = renderEvent(run.last);
      // An overflow run mixes peers and reasons: no single one to name.
      const fields: EventFields = run.overflow ? { ...(run.last.type === 'vote' ? { granted: false } : {}), event: r.event } : { ...r.fields };
      fields['repeats'] = run.folded;
      this.log[r.level](`… and ${run.folded.toLocaleString('en-US')} more ${counted(run.last, run.overflow)} in the last ${seconds} s`, fields);
    }
  }
}
