/**
 * Smoke test of `npm run chaos -- --smoke`: one short seeded chaos run on a
 * 5-node resp-elect cluster. Asserts that no acknowledged write was lost
 * (on the final primary or any replica); timing bounds are reported, not
 * asserted, as CI machines are busy, and neither is a cluster that did not
 * fully settle (reported in the output as "runs not settled").
 */
import { expect, it } from 'vitest';
import { runBenchScript } from './run-script.js';

it('chaos --smoke loses no acknowledged write', async () => {
  const { code, output, result } = await runBenchScript('chaos', ['--smoke', '--seed', '42'], 80_000);
  expect(code, output.slice(-3000)).toBe(0);
  const r = result?.['resp-elect'] as { runs: number; acked: number; lost: number; errors: number } | undefined;
  expect(r, output.slice(-3000)).toBeDefined();
  expect(r!.runs).toBe(1);
  expect(r!.acked, output.slice(-3000)).toBeGreaterThan(0);
  expect(r!.lost, output.slice(-3000)).toBe(0);
}, 90_000);
