/**
 * Regression tests for the violations the simulator found with the sidecar's
 * old data-epoch *tracker* (src/sidecar/data-epoch.ts, since deleted). The
 * tracker inferred the data epoch from promotions, catch-up offsets and a file
 * keyed by the replication id, and got it wrong across EMPTY restarts and
 * sidecar restarts. The sidecar now reads the data epoch from the data (the
 * epoch marker, src/redis/epoch-marker.ts, protocol.md §5.6), which the
 * simulator models entry for entry (redis.ts); these runs must be clean with
 * it, and with the exact oracle. The schedules are the ones that broke the
 * tracker; the shrunk fault subsets are kept as they were found.
 */
import { describe, expect, it } from 'vitest';
import { defaultParams } from '../../lab/sim/params.js';
import { runSeed } from '../../lab/sim/world.js';

const FEEDS = ['marker', 'exact'] as const;

describe('data-epoch findings (fixed by the epoch marker)', () => {
  // The primary's redis restarted EMPTY under a running sidecar. The tracker checked the
  // replication id only on the first poll after a sidecar start, so it kept data epoch 2 for an
  // empty log; the node stood with (2, 0), the paused old primary (1, 1032) granted, and the empty
  // log won: every acknowledged write was lost. An EMPTY redis has no marker: data epoch 0.
  // npm run sim -- --seed 576 --scenario mixed --nodes 3 --faults 0,4
  it('an EMPTY redis restart under a running sidecar reads data epoch 0', () => {
    for (const feed of FEEDS) {
      const r = runSeed({ seed: 576, nodes: 3, scenario: 'mixed', faults: [0, 4], params: defaultParams({}, feed) });
      expect(r.violation, feed).toBeNull();
      expect(r.stats.markerMismatches).toBe(0);
    }
  });

  // A sidecar restarted after its redis moved to the new primary's replication history (full
  // resync from the primary of epoch 2) but before the tracker saw it catch up: the file's
  // replication id no longer matched, so it reported data epoch 0 although the data held
  // acknowledged writes of epoch 2, and voted for a shorter log of epoch 2. The marker of
  // epoch 2 came with the resync.
  // npm run sim -- --seed 594 --scenario mixed --nodes 3
  it('a restarted sidecar reads the data epoch its data holds', () => {
    for (const feed of FEEDS) {
      const r = runSeed({ seed: 594, nodes: 3, scenario: 'mixed', params: defaultParams({}, feed) });
      expect(r.violation, feed).toBeNull();
      expect(r.stats.markerMismatches).toBe(0);
    }
  });

  // Same class: the sidecar of n2 was down while epoch 2 began; its redis kept replicating (and
  // counted towards WAIT), and the restarted sidecar reported 0.
  // npm run sim -- --seed 681 --scenario mixed --nodes 3 --faults 0,2,4
  it('a sidecar down across a change of primary reads the new epoch when it returns', () => {
    for (const feed of FEEDS) {
      const r = runSeed({ seed: 681, nodes: 3, scenario: 'mixed', faults: [0, 2, 4], params: defaultParams({}, feed) });
      expect(r.violation, feed).toBeNull();
      expect(r.stats.markerMismatches).toBe(0);
    }
  });
});
