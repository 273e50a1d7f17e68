/**
 * Sweeps: many seeds, one or all scenarios, one or several cluster sizes,
 * with totals for the summary table. A seed maps to its scenario and size
 * deterministically, so any run of a sweep can be replayed on its own.
 */
import type { SafetyRule } from '../../src/elector/safety-rules.js';
import { INVARIANTS, type Invariant } from './checker.js';
import type { SimParams } from './params.js';
import { SCENARIOS, type ScenarioName } from './scenarios.js';
import { fmt, percentile, sortedCopy, table } from './stats.js';
import { runSeed, type Failover, type RunResult, type RunSpec } from './world.js';

export interface SweepOptions {
  /** First seed and how many. */
  start: number;
  seeds: number;
  /** One scenario, or 'all' to cycle through every scenario (mixed included). */
  scenario: ScenarioName | 'all';
  /** Cluster sizes, cycled. */
  nodes: readonly number[];
  disabledRules?: readonly SafetyRule[];
  /** Stop after this many violations (default: never). */
  maxViolations?: number;
  /** Stop once this much wall time has passed, ms. */
  timeBudgetMs?: number;
  params?: SimParams;
  /** Born lists not yet agreed (true), agreed (false), or as each seed draws (undefined). */
  unagreed?: boolean;
  onViolation?: (r: RunResult) => void;
  /** Called about every progressEveryMs with the running totals. */
  onProgress?: (s: SweepSummary) => void;
  progressEveryMs?: number;
}

export interface SweepSummary {
  runs: number;
  wallMs: number;
  violations: Record<Invariant, number>;
  /** The failing runs (spec and violation), in order found. */
  failures: RunResult[];
  elections: number;
  failovers: Failover[];
  /** From the last fault to a settled primary, ms, per run that settled. */
  livenessMs: number[];
  livenessExcused: number;
  writesAcked: number;
  writesExcused: number;
  messages: number;
  /** Sum over runs of members × simulated seconds. */
  memberSeconds: number;
  simMs: number;
  events: number;
  /** Runs in which the epoch marker and the exact data epoch disagreed at some poll (must be 0). */
  markerMismatchRuns: number;
  /** Membership changes: operator requests (tries), accepted, given up; removed nodes stopped; runs that reached 7 members; runs with born lists not yet agreed. */
  memberRequests: number;
  memberAccepted: number;
  memberGaveUp: number;
  membersStopped: number;
  runsAtSeven: number;
  unagreedRuns: number;
}

/** The scenario and size seed `seed` runs with in a sweep. */
export function sweepSpec(seed: number, o: SweepOptions): RunSpec {
  const scenarios = o.scenario === 'all' ? SCENARIOS : [o.scenario];
  const scenario = scenarios[seed % scenarios.length]!;
  const nodes = o.nodes[Math.floor(seed / scenarios.length) % o.nodes.length]!;
  return { seed, nodes, scenario, disabledRules: o.disabledRules, params: o.params, unagreed: o.unagreed };
}

export function emptySummary(): SweepSummary {
  return {
    runs: 0,
    wallMs: 0,
    violations: Object.fromEntries(INVARIANTS.map((i) => [i, 0])) as Record<Invariant, number>,
    failures: [],
    elections: 0,
    failovers: [],
    livenessMs: [],
    livenessExcused: 0,
    writesAcked: 0,
    writesExcused: 0,
    messages: 0,
    memberSeconds: 0,
    simMs: 0,
    events: 0,
    markerMismatchRuns: 0,
    memberRequests: 0,
    memberAccepted: 0,
    memberGaveUp: 0,
    membersStopped: 0,
    runsAtSeven: 0,
    unagreedRuns: 0,
  };
}

export function addRun(s: SweepSummary, r: RunResult): void {
  s.runs++;
  const st = r.stats;
  s.elections += st.elections;
  for (const f of st.failovers) s.failovers.push(f);
  if (st.livenessMs !== null) s.livenessMs.push(st.livenessMs);
  if (st.livenessExcused) s.livenessExcused++;
  s.writesAcked += st.acked;
  s.writesExcused += st.excused;
  s.messages += st.messages;
  s.memberSeconds += (r.spec.nodes * st.simMs) / 1000;
  s.simMs += st.simMs;
  s.events += st.events;
  if (st.markerMismatches > 0) s.markerMismatchRuns++;
  s.memberRequests += st.membership.requests;
  s.memberAccepted += st.membership.accepted;
  s.memberGaveUp += st.membership.gaveUp;
  s.membersStopped += st.membership.stopped;
  if (st.membership.maxMembers >= 7) s.runsAtSeven++;
  if (st.unagreed) s.unagreedRuns++;
  if (r.violation) {
    s.violations[r.violation.invariant]++;
    s.failures.push(r);
  }
}

export function sweep(o: SweepOptions): SweepSummary {
  const s = emptySummary();
  const t0 = Date.now();
  let lastProgress = t0;
  const every = o.progressEveryMs ?? 5000;
  for (let seed = o.start; seed < o.start + o.seeds; seed++) {
    const r = runSeed(sweepSpec(seed, o));
    addRun(s, r);
    if (r.violation) o.onViolation?.(r);
    const now = Date.now();
    s.wallMs = now - t0;
    if (o.maxViolations !== undefined && s.failures.length >= o.maxViolations) break;
    if (o.timeBudgetMs !== undefined && s.wallMs >= o.timeBudgetMs) break;
    if (o.onProgress && now - lastProgress >= every) {
      lastProgress = now;
      o.onProgress(s);
    }
  }
  s.wallMs = Date.now() - t0;
  return s;
}

/** The one-line command that replays a run. */
export function replayCommand(spec: RunSpec, faults?: readonly number[]): string {
  const parts = ['npm run sim --', `--seed ${spec.seed}`, `--scenario ${spec.scenario}`, `--nodes ${spec.nodes}`];
  if (faults) parts.push(`--faults ${faults.length > 0 ? faults.join(',') : 'none'}`);
  for (const r of spec.disabledRules ?? []) parts.push(`--disable-rule ${r}`);
  if (spec.params && spec.params.dataEpochFeed !== 'marker') parts.push(`--data-epoch ${spec.params.dataEpochFeed}`);
  if (spec.unagreed !== undefined) parts.push(`--born ${spec.unagreed ? 'unagreed' : 'agreed'}`);
  return parts.join(' ');
}

/** The summary table printed at the end of a sweep. */
export function summaryTable(s: SweepSummary, downAfterMs: number): string {
  const fo = sortedCopy(s.failovers.map((f) => f.ms));
  const live = sortedCopy(s.livenessMs);
  const rows: string[][] = [
    ['seeds', String(s.runs)],
    ['wall time', `${(s.wallMs / 1000).toFixed(1)} s`],
    ['seeds/s', fmt(s.runs / (s.wallMs / 1000), 1)],
    ['events/s', fmt(s.events / (s.wallMs / 1000), 0)],
    ...INVARIANTS.map((i) => [`violations: ${i}`, String(s.violations[i])]),
    ['elections (election-start)', `${s.elections} (${fmt(s.elections / Math.max(1, s.runs))} per seed)`],
    ['failovers measured', String(fo.length)],
    ['failover p50 / p99 / max', `${fmt(percentile(fo, 50), 0)} / ${fmt(percentile(fo, 99), 0)} / ${fmt(fo[fo.length - 1] ?? NaN, 0)} ms (${fmt(percentile(fo, 50) / downAfterMs)} / ${fmt(percentile(fo, 99) / downAfterMs)} × downAfterMs)`],
    ['elections per failover', fmt(s.failovers.reduce((a, f) => a + f.elections, 0) / Math.max(1, fo.length))],
    ['settle after last fault p50 / p99 / max', `${fmt(percentile(live, 50), 0)} / ${fmt(percentile(live, 99), 0)} / ${fmt(live[live.length - 1] ?? NaN, 0)} ms`],
    ['liveness not required (no electable node could win)', String(s.livenessExcused)],
    ['writes acknowledged', String(s.writesAcked)],
    ['acked writes excused (lost to EMPTY restarts beyond the fault model)', String(s.writesExcused)],
    ['messages per member per second', fmt(s.messages / Math.max(1e-9, s.memberSeconds), 1)],
    ['runs where the epoch marker differed from the exact data epoch', String(s.markerMismatchRuns)],
    ['membership changes accepted / requests (tries) / given up', `${s.memberAccepted} / ${s.memberRequests} / ${s.memberGaveUp}`],
    ['removed members stopped; runs that reached 7 members', `${s.membersStopped}; ${s.runsAtSeven}`],
    ['runs started with born lists not yet agreed', String(s.unagreedRuns)],
  ];
  return table(['', ''], rows);
}
