/**
 * A run is a function of (seed, size, scenario, fault subset, params): the
 * same seed twice gives byte-identical traces, which is what makes a printed
 * seed a reproduction.
 */
import { describe, expect, it } from 'vitest';
import { defaultParams } from '../../lab/sim/params.js';
import { runSeed, type RunSpec } from '../../lab/sim/world.js';

describe('determinism', () => {
  const specs: RunSpec[] = [
    { seed: 7, nodes: 5, scenario: 'mixed', trace: true },
    { seed: 12, nodes: 3, scenario: 'lossy', trace: true },
    { seed: 3, nodes: 7, scenario: 'switchover', trace: true, params: defaultParams({}, 'exact') },
  ];
  for (const spec of specs) {
    it(`seed ${spec.seed}, ${spec.scenario}, ${spec.nodes} members: the same trace twice`, () => {
      const a = runSeed(spec);
      const b = runSeed(spec);
      const ta = a.timeline!.text();
      expect(a.timeline!.lines.length).toBeGreaterThan(1000);
      expect(b.timeline!.text()).toBe(ta);
      expect(b.timeline!.hash()).toBe(a.timeline!.hash());
      expect(b.stats).toEqual(a.stats);
      expect(b.finalState).toBe(a.finalState);
    });
  }

  it('tracing does not change the run', () => {
    const spec: RunSpec = { seed: 11, nodes: 5, scenario: 'mixed' };
    const quiet = runSeed(spec);
    const traced = runSeed({ ...spec, trace: true });
    expect(traced.stats).toEqual(quiet.stats);
    expect(traced.violation).toEqual(quiet.violation);
  });

  it('another seed gives another trace', () => {
    const a = runSeed({ seed: 7, nodes: 5, scenario: 'mixed', trace: true });
    const b = runSeed({ seed: 8, nodes: 5, scenario: 'mixed', trace: true });
    expect(b.timeline!.hash()).not.toBe(a.timeline!.hash());
  });
});
