/**
 * Smoke test of `npm run chaos -- --netns --smoke`: one short seeded chaos run
 * on a 5-node resp-elect cluster in network namespaces (lab/bench/netns.ts),
 * with network partitions only (`--faults partition`). Asserts that the run
 * completes, that partitions were injected, that no acknowledged write was
 * lost, and that the namespaces are gone afterwards. Timing bounds are
 * reported, not asserted, as in the loopback smoke test. Needs root and
 * `ip netns` (and nft); skipped otherwise.
 */
import { expect, it } from 'vitest';
import { labNamespaces, labUnsupported } from '../../lab/bench/netns.js';
import { runBenchScript } from './run-script.js';

// A prefix of its own, so a manual `npm run chaos -- --netns` (prefix rc-) never collides with the test.
const PREFIX = 'rct-';
const unsupported = labUnsupported();

it.skipIf(unsupported !== undefined)(`chaos --netns --smoke: partitions, no lost acknowledged write, namespaces removed${unsupported ? ` (skipped: ${unsupported})` : ''}`, async () => {
  expect(labNamespaces(PREFIX), `namespaces ${PREFIX}* left by an earlier run: node dist/scripts/chaos.js --netns-cleanup --netns-prefix ${PREFIX}`).toEqual([]);
  try {
    const { code, output, result } = await runBenchScript('chaos', ['--netns', '--netns-prefix', PREFIX, '--smoke', '--seed', '42', '--faults', 'partition'], 150_000);
    expect(code, output.slice(-3000)).toBe(0);
    expect(result?.['mode'], output.slice(-3000)).toBe('netns');
    const r = result?.['resp-elect'] as { runs: number; acked: number; lost: number; partitionFaults: number } | undefined;
    expect(r, output.slice(-3000)).toBeDefined();
    expect(r!.runs).toBe(1);
    expect(r!.partitionFaults, output.slice(-3000)).toBeGreaterThan(0);
    expect(r!.acked, output.slice(-3000)).toBeGreaterThan(0);
    expect(r!.lost, output.slice(-3000)).toBe(0);
  } finally {
    expect(labNamespaces(PREFIX), 'the chaos script left network namespaces behind').toEqual([]);
  }
}, 170_000);
