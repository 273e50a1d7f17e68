/**
 * Figures for docs/simulation.md: per cluster size and fault kind, the time
 * from losing the primary to the next lease (in multiples of downAfterMs),
 * elections per failover, messages per member per second, and the invariant
 * counts, which must all be zero.
 */
import { INVARIANTS } from './checker.js';
import { defaultParams, type SimParams } from './params.js';
import { addRun, emptySummary, type SweepSummary } from './runner.js';
import type { ScenarioName } from './scenarios.js';
import { fmt, percentile, sortedCopy, table } from './stats.js';
import { runSeed } from './world.js';

export const REPORT_SIZES = [3, 5, 7, 15, 51, 101] as const;
export const REPORT_SCENARIOS: readonly ScenarioName[] = ['crash-primary', 'host-crash', 'pause-primary', 'redis-death', 'isolate-primary', 'partition', 'mixed'];

/** Seeds per (size, scenario) cell at scale 1: fewer for big clusters, whose runs cost O(n²) messages. */
export function reportSeeds(size: number, scale: number): number {
  const base = size <= 7 ? 200 : size <= 15 ? 60 : size <= 51 ? 8 : 3;
  return Math.max(1, Math.round(base * scale));
}

export interface ReportRow {
  size: number;
  scenario: ScenarioName;
  summary: SweepSummary;
}

export function runReport(opts: { scale: number; sizes?: readonly number[]; scenarios?: readonly ScenarioName[]; params?: SimParams; onRow?: (r: ReportRow) => void }): ReportRow[] {
  const rows: ReportRow[] = [];
  for (const size of opts.sizes ?? REPORT_SIZES) {
    for (const scenario of opts.scenarios ?? REPORT_SCENARIOS) {
      const s = emptySummary();
      const t0 = Date.now();
      const seeds = reportSeeds(size, opts.scale);
      for (let seed = 1; seed <= seeds; seed++) addRun(s, runSeed({ seed, nodes: size, scenario, params: opts.params }));
      s.wallMs = Date.now() - t0;
      const row = { size, scenario, summary: s };
      rows.push(row);
      opts.onRow?.(row);
    }
  }
  return rows;
}

export function reportTable(rows: readonly ReportRow[]): string {
  const d = defaultParams().elector.downAfterMs;
  return table(
    ['members', 'fault', 'seeds', 'failovers', 'lease again p50 (×D)', 'p99 (×D)', 'elections / failover', 'msgs / member / s', 'violations', 'wall s'],
    rows.map(({ size, scenario, summary: s }) => {
      const fo = sortedCopy(s.failovers.map((f) => f.ms / d));
      const v = INVARIANTS.reduce((a, i) => a + s.violations[i], 0);
      return [
        String(size),
        scenario,
        String(s.runs),
        String(fo.length),
        fmt(percentile(fo, 50)),
        fmt(percentile(fo, 99)),
        fmt(s.failovers.reduce((a, f) => a + f.elections, 0) / Math.max(1, fo.length)),
        fmt(s.messages / Math.max(1e-9, s.memberSeconds), 0),
        v === 0 ? '0' : INVARIANTS.filter((i) => s.violations[i] > 0).map((i) => `${i} ${s.violations[i]}`).join(', '),
        fmt(s.wallMs / 1000, 1),
      ];
    }),
  );
}
