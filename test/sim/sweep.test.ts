/**
 * The sweep that runs with `npm test`: every scenario (voter-restart and mixed
 * included) at 3, 5 and 7 members, a fixed block of seeds each, with every
 * safety rule on. All five invariants must hold and the epoch marker must agree
 * with the exact data epoch at every poll. Seeds are fixed, so a failure here
 * is a reproduction: the message carries the seed, the replay command and the
 * trimmed timeline up to the violation. Sized to about 50 s of one core on an
 * idle machine; the long runs (docs/simulation.md) use the CLI.
 */
import { describe, expect, it } from 'vitest';
import { defaultParams } from '../../lab/sim/params.js';
import { replayCommand, sweep, sweepSpec, type SweepOptions } from '../../lab/sim/runner.js';
import { SCENARIOS } from '../../lab/sim/scenarios.js';
import { runSeed, type RunResult } from '../../lab/sim/world.js';

/** Seeds per (scenario, size) pair. */
const PER_PAIR = 120;
const SIZES = [3, 5, 7] as const;

/** The failure message: what broke, how to replay it, and the timeline leading up to it. */
function explain(r: RunResult): string {
  const v = r.violation!;
  const traced = runSeed({ ...r.spec, trace: true });
  const D = defaultParams().elector.downAfterMs;
  const tl = traced.timeline!.trimmed(v.t - 3 * D, v.t);
  const lines = tl.split('\n');
  const shown = lines.length > 240 ? [...lines.slice(0, 40), '…', ...lines.slice(-200)].join('\n') : tl;
  return [
    `VIOLATION ${v.invariant} at t=${v.t.toFixed(3)}: ${v.message}`,
    `seed ${r.spec.seed}, scenario ${r.spec.scenario}, ${r.spec.nodes} members`,
    `replay: ${replayCommand(r.spec)}`,
    `shrink: npm run sim -- --seeds 1 --start ${r.spec.seed} --scenario ${r.spec.scenario} --nodes ${r.spec.nodes}`,
    `timeline from t=${Math.max(0, v.t - 3 * D).toFixed(0)}:`,
    shown,
    `state at the violation:`,
    traced.finalState,
  ].join('\n');
}

describe('sweep: every scenario × 3, 5, 7 members, all rules on', () => {
  for (const size of SIZES) {
    it(`${size} members: ${PER_PAIR * SCENARIOS.length} seeds, no invariant violated`, { timeout: 180_000 }, () => {
      const o: SweepOptions = { start: 1, seeds: PER_PAIR * SCENARIOS.length, scenario: 'all', nodes: [size], maxViolations: 1 };
      // Every scenario is in the block, each PER_PAIR times.
      expect(new Set(Array.from({ length: SCENARIOS.length }, (_, k) => sweepSpec(o.start + k, o).scenario)).size).toBe(SCENARIOS.length);
      const s = sweep(o);
      if (s.failures.length > 0) throw new Error(explain(s.failures[0]!));
      expect(s.runs).toBe(o.seeds);
      expect(s.markerMismatchRuns).toBe(0);
      expect(s.failovers.length).toBeGreaterThan(0);
    });
  }
});
