/**
 * Smoke test of `npm run bench:failover -- --smoke`: one redis-only crash on
 * a 3-node resp-elect cluster and on a 3-node Sentinel deployment (down-after
 * 300 ms). Asserts only that it completes and that resp-elect lost no
 * acknowledged write; no timing is asserted (CI machines are busy).
 */
import { expect, it } from 'vitest';
import { runBenchScript } from './run-script.js';

it('bench:failover --smoke completes with no acknowledged write lost by resp-elect', async () => {
  const { code, output, result } = await runBenchScript('bench-failover', ['--smoke'], 80_000);
  expect(code, output.slice(-3000)).toBe(0);
  expect(result, output.slice(-3000)).toBeDefined();
  const lostBy = result!['lostBy'] as Record<string, Record<string, number>>;
  const ackedBy = result!['ackedBy'] as Record<string, Record<string, number>>;
  expect(Object.values(ackedBy['resp-elect']!)[0]).toBeGreaterThan(0);
  expect(Object.values(lostBy['resp-elect']!)[0]).toBe(0);
  expect(result!['rounds']).toBe(2);
}, 90_000);
