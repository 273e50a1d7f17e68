/**
 * The simulator catches every safety rule switched off: for each switchable
 * rule of the registry (src/elector/safety-rules.ts) whose `simulator` entry
 * names an invariant (data-memory's says why it has none yet), a short sweep with that rule
 * disabled hits a violation of the invariant the rule protects, on a seed that
 * is clean with every rule on. The windows are where the searches
 * (`npm run sim -- --seeds 2000 --scenario all --nodes 3,5,7 --disable-rule R`)
 * found the first violation; docs/simulation.md has the table.
 */
import { describe, expect, it } from 'vitest';
import type { Invariant } from '../../lab/sim/checker.js';
import { RULES, SAFETY_RULES, type SafetyRule } from '../../src/elector/safety-rules.js';
import { replayCommand, sweep, type SweepOptions } from '../../lab/sim/runner.js';
import type { ScenarioName } from '../../lab/sim/scenarios.js';
import { runSeed } from '../../lab/sim/world.js';

interface Case {
  rule: SafetyRule;
  invariant: Invariant;
  scenario: ScenarioName | 'all';
  nodes: number[];
  /** The seed window swept with the rule off; the first violation must be of `invariant`. */
  start: number;
  seeds: number;
  /** Why the invariant breaks without the rule. */
  why: string;
}

const BROKEN_RULE_CASES: Case[] = [
  { rule: 'vote-stickiness', invariant: 'single-lease', scenario: 'voter-restart', nodes: [3], start: 1, seeds: 10, why: 'voters that still hear the primary grant a candidate that does not, which takes a lease while the first primary still holds one' },
  { rule: 'prevote-probe', invariant: 'stability', scenario: 'all', nodes: [3, 5, 7], start: 1, seeds: 20, why: 'a node cut off from the primary bumps the epoch and forces an election while the primary and a majority were fine' },
  { rule: 'data-rule', invariant: 'acked-writes', scenario: 'all', nodes: [3, 5, 7], start: 1, seeds: 40, why: 'voters grant a candidate with less data, which loses acknowledged writes' },
  { rule: 'data-epoch-order', invariant: 'acked-writes', scenario: 'mixed', nodes: [3], start: 1, seeds: 40, why: 'offsets alone: a longer, divergent log of an older epoch beats acknowledged writes of a newer one' },
  { rule: 'adopt-existing', invariant: 'acked-writes', scenario: 'adopt', nodes: [3, 5, 7], start: 1, seeds: 40, why: "a just-started voter grants on an offset its redis, still replicating from the existing master, keeps adding to; the winner lacks what that master's writes were acknowledged with" },
  { rule: 'durable-vote', invariant: 'one-winner', scenario: 'mixed', nodes: [7], start: 1, seeds: 10, why: 'votes are not persisted: a restarted voter votes again in an epoch it already voted in, and two candidates win it' },
  { rule: 'lease-quorum', invariant: 'single-lease', scenario: 'all', nodes: [3, 5, 7], start: 1, seeds: 20, why: 'a primary keeps its lease without a majority of fresh LEASEACKs and overlaps the next primary' },
  { rule: 'restart-grace', invariant: 'single-lease', scenario: 'voter-restart', nodes: [3], start: 1, seeds: 10, why: 'a voter restarted within the lease it acknowledged votes at once for a new primary' },
  { rule: 'learner-no-vote', invariant: 'single-lease', scenario: 'learner-partition', nodes: [3, 5], start: 1, seeds: 10, why: "a learner's LEASEACK keeps the lease of a primary cut off with it and one voter short of a majority, while the voters' majority elects" },
  { rule: 'config-data', invariant: 'acked-writes', scenario: 'membership', nodes: [3], start: 2993, seeds: 1, why: 'removals go through while a member lags: an acknowledged write ends up only on members that are gone, and the lagging member plus a witness are a majority of what is left' },
  { rule: 'config-agreement', invariant: 'acked-writes', scenario: 'born-mismatch', nodes: [3], start: 1, seeds: 10, why: 'nodes born with two different member lists each use their own: one side elects on the short list, the other on the long one, and the second primary lacks what the first acknowledged' },
  { rule: 'config-own-epoch', invariant: 'single-lease', scenario: 'restamp', nodes: [4], start: 1, seeds: 10, why: "Raft's single-server-change bug: the old primary's uncommitted add and the new primary's removal share no majority, and the old side elects with the removed witness's vote" },
  { rule: 'one-change', invariant: 'single-lease', scenario: 'double-change', nodes: [3], start: 1, seeds: 10, why: 'two witnesses added before the first is committed: the primary counts a majority of five on its side of a cut while the other side is a majority of the three it knows' },
  { rule: 'announce-sender', invariant: 'stability', scenario: 'misdirected-announce', nodes: [3, 5, 7], start: 1, seeds: 10, why: 'an ANNOUNCE naming another node is believed from whoever sends it: followers adopt an epoch nobody stood for' },
];

describe('each safety rule switched off is caught', () => {
  it('covers every switchable rule the registry says the simulator catches, with the invariant it names', () => {
    const swept = SAFETY_RULES.filter((r) => 'invariant' in RULES[r].simulator);
    expect(BROKEN_RULE_CASES.map((c) => c.rule).sort()).toEqual([...swept].sort());
    for (const c of BROKEN_RULE_CASES) expect(RULES[c.rule].simulator, c.rule).toEqual({ invariant: c.invariant });
  });

  for (const c of BROKEN_RULE_CASES) {
    it(`without ${c.rule}: ${c.invariant} breaks (${c.why})`, { timeout: 30_000 }, () => {
      const o: SweepOptions = { start: c.start, seeds: c.seeds, scenario: c.scenario, nodes: c.nodes, disabledRules: [c.rule], maxViolations: 1 };
      const s = sweep(o);
      expect(s.failures.length, `no violation in seeds ${c.start}..${c.start + c.seeds - 1} with ${c.rule} off`).toBe(1);
      const bad = s.failures[0]!;
      expect(bad.violation!.invariant, `${replayCommand(bad.spec)}: ${bad.violation!.message}`).toBe(c.invariant);
      // The same seed is clean with every rule on: the rule is what the run needed.
      const good = runSeed({ ...bad.spec, disabledRules: [] });
      expect(good.violation, replayCommand(good.spec)).toBeNull();
    });
  }
});
