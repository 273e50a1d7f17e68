/**
 * Shrinking: drop faults from a failing schedule, one at a time, keeping
 * every removal after which the run still breaks the same invariant, until no
 * single fault can go. The other random streams are seeded separately from
 * the fault schedule, so removing a fault leaves the rest of the run as
 * similar as it can be.
 */
import type { Invariant } from './checker.js';
import { runSeed, type RunResult, type RunSpec } from './world.js';

export interface Shrunk {
  /** Indices into the generated schedule that still break the invariant. */
  faults: number[];
  /** The shrunk run, traced. */
  result: RunResult;
  /** Runs spent shrinking. */
  runs: number;
}

export function shrink(spec: RunSpec, invariant: Invariant, maxRuns = 200): Shrunk {
  let runs = 0;
  let current: number[];
  if (spec.faults) {
    current = [...spec.faults];
  } else {
    current = runSeed({ ...spec, trace: false }).applied;
    runs++;
  }
  let changed = true;
  while (changed && runs < maxRuns) {
    changed = false;
    for (let k = current.length - 1; k >= 0 && runs < maxRuns; k--) {
      const candidate: number[] = current.filter((_, i) => i !== k);
      const r = runSeed({ ...spec, faults: candidate, trace: false });
      runs++;
      if (r.violation?.invariant === invariant) {
        current = candidate;
        changed = true;
      }
    }
  }
  const result = runSeed({ ...spec, faults: current, trace: true });
  return { faults: current, result, runs: runs + 1 };
}
