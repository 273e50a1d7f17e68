/**
 * Rate limit for log lines that an attacker can trigger at will (refused
 * connections, failed AUTH, accept errors): at most one line per key per
 * interval, and the line that is written says how many were left out since
 * the previous one, so nothing is hidden and a flood cannot fill the disk or
 * cost the process its time writing logs.
 */
import { performance } from 'node:perf_hooks';

export const DEFAULT_LOG_INTERVAL_MS = 10_000;
/** Distinct keys remembered; beyond, new keys share one, so attacker-chosen keys cannot grow the map. */
export const DEFAULT_MAX_KEYS = 256;
const OVERFLOW_KEY = '\u0000other';

export class LogLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly intervalMs = DEFAULT_LOG_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {}

  /**
   * Whether a line for `key` may be written now. Returns the number of lines
   * suppressed since the last one written (0 for the first), or undefined
   * when this one must be suppressed (it is counted).
   */
  allow(key: string): number | undefined {
    if (!this.last.has(key) && this.last.size >= this.maxKeys) key = OVERFLOW_KEY;
    const t = this.now();
    const entry = this.last.get(key);
    if (entry !== undefined && t - entry.at < this.intervalMs) {
      entry.suppressed += 1;
      return undefined;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at: t, suppressed: 0 });
    return suppressed;
  }
}
