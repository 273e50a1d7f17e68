/**
 * Smoke test of the membership nemesis: `npm run chaos -- --smoke --faults
 * member-change,kill-ctl`, one short seeded run on a 5-node resp-elect
 * cluster on loopback. Asserts that at least one member-change fault ran,
 * that a removal was committed and every removed node was re-added as a
 * voter (the README procedure: wipe, `member add`, `--join`; by the end of the
 * run at the latest), and that no acknowledged write was lost on the final
 * primary or any replica. Timing bounds are reported, not asserted, as in the
 * other chaos smoke tests.
 */
import { expect, it } from 'vitest';
import { runBenchScript } from './run-script.js';

interface Summary {
  runs: number;
  acked: number;
  lost: number;
  faultCounts: Record<string, number>;
  memberChanges: { removed: number; refused: number; added: number; readded: number };
}

it('chaos --smoke --faults member-change,kill-ctl: members removed and re-added, no acknowledged write lost', async () => {
  const { code, output, result } = await runBenchScript('chaos', ['--smoke', '--seed', '42', '--faults', 'member-change,kill-ctl'], 100_000);
  const tail = output.slice(-4000);
  expect(code, tail).toBe(0);
  const r = result?.['resp-elect'] as Summary | undefined;
  expect(r, tail).toBeDefined();
  expect(r!.runs).toBe(1);
  expect(r!.faultCounts['member-change'] ?? 0, tail).toBeGreaterThan(0);
  expect(r!.memberChanges.removed, tail).toBeGreaterThan(0);
  // Every node a removal took out was added back and is a voter again (a run whose heal cannot re-add one reports nothing here).
  expect(r!.memberChanges.added, tail).toBeGreaterThanOrEqual(r!.memberChanges.removed);
  expect(r!.memberChanges.readded, tail).toBeGreaterThanOrEqual(r!.memberChanges.removed);
  expect(r!.acked, tail).toBeGreaterThan(0);
  expect(r!.lost, tail).toBe(0);
}, 110_000);
