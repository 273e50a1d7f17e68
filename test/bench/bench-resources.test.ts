/**
 * Smoke test of `npm run bench:resources -- --smoke`: a 3-node cluster, 2 s
 * idle sample and one failover. Asserts it completes and reports finite
 * numbers; the targets (< 1 % CPU, < 80 MB) are reported, not asserted.
 */
import { expect, it } from 'vitest';
import { runBenchScript } from './run-script.js';

it('bench:resources --smoke measures CPU and RSS', async () => {
  const { code, output, result } = await runBenchScript('bench-resources', ['--smoke'], 80_000);
  expect(code, output.slice(-3000)).toBe(0);
  expect(Number.isFinite(result?.['maxIdleCpu']), output.slice(-3000)).toBe(true);
  expect(result!['maxRssMb'] as number).toBeGreaterThan(5);
}, 90_000);
