import type { ElectorEvent } from '../elector/events.js';
import { renderEvent } from '../elector/render-event.js';
import type { Logger } from './logger.js';

/** How long a run of identical refusals is folded into one summary line. */
export const REFUSAL_WINDOW_MS = 5000;
/** Distinct (kind, candidate, reason) runs tracked at once; any more share one overflow run. */
export const MAX_REFUSAL_RUNS = 32;
const OVERFLOW = '*';

interface Run {
  /** When the logged first line of this run was written. */
  since: number;
  /** Refusals folded since then, and when the latest was. */
  folded: number;
  lastAt: number;
  /** The last folded one, for the summary's fields. */
  last: Extract<ElectorEvent, { type: 'vote' }>;
}

/**
 * Writes every Elector event to the sidecar log, rendered by
 * src/elector/render-event.ts (level, sentence, `event` and data fields).
 *
 * Refused votes are the one event a peer can make us emit at will (a flood
 * of OFFERs wrote 5,000 INFO lines in 5 s): the first refusal of a run with
 * the same kind, candidate and reason is logged in full, identical ones in
 * the next REFUSAL_WINDOW_MS are only counted, and `flush` (called every
 * tick) writes one summary line per run when its window ends. At most two
 * lines per run per window, and at most MAX_REFUSAL_RUNS + 1 runs. Every
 * refusal is still counted in votes_refused_total; only the log is folded.
 */
export class ElectorEventLog {
  private readonly runs = new Map<string, Run>();

  constructor(
    private readonly log: Logger,
    private readonly windowMs = REFUSAL_WINDOW_MS,
    private readonly maxRuns = MAX_REFUSAL_RUNS,
  ) {}

  write(ev: ElectorEvent, nowMs: number): void {
    if (ev.type === 'vote' && !ev.granted) {
      this.flush(nowMs);
      let key = `${ev.prevote ? 'pre-vote' : 'vote'}/${ev.candidate}/${ev.reason ?? ''}`;
      if (!this.runs.has(key) && this.runs.size >= this.maxRuns) key = OVERFLOW;
      const run = this.runs.get(key);
      if (run) {
        run.folded += 1;
        run.lastAt = nowMs;
        run.last = ev;
        return;
      }
      this.runs.set(key, { since: nowMs, folded: 0, lastAt: nowMs, last: ev });
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
      const ev = run.last;
      const seconds = Math.max(1, Math.ceil((run.lastAt - run.since) / 1000));
      const count = run.folded.toLocaleString('en-US');
      if (key === OVERFLOW) {
        // Mixed candidates and reasons: no single one to name.
        this.log.info(`… and ${count} more refusals of other candidates or reasons in the last ${seconds} s`, { repeats: run.folded, granted: false, event: 'vote' });
        continue;
      }
      const r = renderEvent(ev);
      this.log[r.level](`… and ${count} more ${ev.prevote ? 'pre-vote' : 'vote'} refusals to ${ev.candidate} in the last ${seconds} s`, { ...r.fields, repeats: run.folded });
    }
  }
}
