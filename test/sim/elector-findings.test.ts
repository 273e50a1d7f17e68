/**
 * Elector bugs the simulator found, kept as regression tests. They were fixed
 * in src/elector/elector.ts (and, for seed 109021, also in the sidecar runtime,
 * in the control plan, src/control/plan.ts, which the simulator runs too); docs/simulation.md tells the story of each.
 */
import { describe, expect, it } from 'vitest';
import { defaultParams } from '../../lab/sim/params.js';
import { runSeed } from '../../lab/sim/world.js';

describe('simulator findings (fixed Elector bugs)', () => {
  // Bug A. A voter granted a vote on an offset read while its redis still replicated from the
  // old primary (whose paused sidecar left it writable); the write that arrived after that sample
  // was acknowledged with this replica counted, and the winner lacked it. Fixed: a voter whose
  // primary went quiet declares it lost inside the vote (the runtime detaches) and refuses with
  // offset-unknown until it has an offset read after that.
  // npm run sim -- --seed 240 --scenario mixed --nodes 3 --faults 4
  it('stale offset sample: a voter votes only on an offset read after it detached', () => {
    for (const feed of ['marker', 'exact'] as const) {
      const r = runSeed({ seed: 240, nodes: 3, scenario: 'mixed', faults: [4], params: defaultParams({}, feed) });
      expect(r.violation).toBeNull();
      expect(r.stats.livenessMs).not.toBeNull();
    }
  });

  // Bug B. The data rule compared offsets only. The deposed primary's unreplicated tail (written
  // under its lease while isolated) made its log longer than the survivors', whose extra entries
  // were acknowledged writes of the next epoch: the longer, divergent log won and they were lost.
  // Fixed: data compares as (data epoch, offset), as Raft compares (last term, last index).
  // npm run sim -- --seed 91 --scenario mixed --nodes 3 --faults 0,1
  it('divergent log: a longer log from an older epoch no longer beats acknowledged writes of a newer one', () => {
    for (const feed of ['marker', 'exact'] as const) {
      const r = runSeed({ seed: 91, nodes: 3, scenario: 'mixed', faults: [0, 1], params: defaultParams({}, feed) });
      expect(r.violation).toBeNull();
      expect(r.stats.livenessMs).not.toBeNull();
    }
  });

  // Bug C. A sidecar restarted with an old vote store (epoch 2) while its redis already held
  // epoch 5's stream took a stale epoch-3 LEASE as news, followed that primary, and the full
  // resync threw away an acknowledged write; a candidate without it then won. Fixed twice: the
  // Elector adopts (persists) a data epoch above its own, and the runtime never REPLICAOFs a
  // primary of an older epoch than the local data (the control plan both run does the same).
  // npm run sim -- --seed 109021 --scenario mixed --nodes 5 --faults 0,1,2,3,5,6
  it('a restarted sidecar whose data is newer than its vote store never follows an older primary', () => {
    for (const faults of [undefined, [0, 1, 2, 3, 5, 6]]) {
      for (const feed of ['marker', 'exact'] as const) {
        const r = runSeed({ seed: 109021, nodes: 5, scenario: 'mixed', faults, params: defaultParams({}, feed) });
        expect(r.violation, `${feed} ${faults ? 'shrunk' : 'full'}`).toBeNull();
        expect(r.stats.livenessMs).not.toBeNull();
      }
    }
  });

  // The runtime guard alone: with the Elector's adoption off, a stale follow must still be held
  // back. Seed 109021's own schedule no longer brings the stale follow about since CONFVER joined
  // the heartbeats (the timing moved); seed 109179 does (found by scanning 109000-109400).
  it('seed 109179: the runtime guard alone (Elector adoption off) holds the follow back and loses nothing', () => {
    const r = runSeed({ seed: 109179, nodes: 5, scenario: 'mixed', disabledRules: ['data-epoch-order'], trace: true });
    expect(r.violation).toBeNull();
    expect(r.timeline!.text()).toMatch(/not following n\d: local data holds epoch \d+, newer than its epoch \d+/);
  });

  // Fixed: a newer epoch arriving while promoting now abandons the promotion. n7 won epoch 2 and, while
  // promoting, learned epoch 3 from a late refusal (onRefuse adopts a newer epoch in any phase but
  // primary, and there is no round to fail while promoting); promoted(true) then made it primary of
  // epoch 3, which n6 had won. The two ignore each other for good: liveness fails, and n7 wrote an
  // epoch-3 marker into a divergent stream. docs/simulation.md has the timeline.
  // npm run sim -- --seed 78461 --scenario mixed --nodes 7 --faults 0,1
  it('seed 78461 (fixed): a promoting candidate that learns a newer epoch must not become primary of it', () => {
    const r = runSeed({ seed: 78461, nodes: 7, scenario: 'mixed', faults: [0, 1] });
    expect(r.violation).toBeNull();
  });

  // OPEN (found 04:24 by a bigger sweep, on fef782c; not fixed, not analysed to the end). Right
  // after bootstrap n1 wins e1 and gains a lease with n5's LEASEACK among its quorum; 3 ms after
  // reading data epoch 1, n5 stands for e2 ("primary lost"), n3 and n4 (which had not heard n1 as
  // primary yet) grant it, and n5 holds a lease while n1's is still live.
  // npm run sim -- --seed 3049 --scenario cut-link --nodes 5
  it('seed 3049 (fixed): a node that acknowledged a live lease must not stand and win a second one', () => {
    const r = runSeed({ seed: 3049, nodes: 5, scenario: 'cut-link' });
    expect(r.violation).toBeNull();
  });
  // Fixed: a voter judged a hand-off target by the releasing primary's epoch even after the target
  // stood as an ordinary candidate. n4 (primary of e4) handed off to n2 while n2's redis was down, so
  // n2 never caught up and n4 aborted, but a partition kept n3 from hearing the abort. n2's redis came
  // back with the data of its own e3 (offset 841, its lineage since 770 not acknowledged) and n2 stood
  // with PREVOTE data-epoch 3; n3, still "released to n2", took n2's data epoch to be 4, judged
  // (4, 841) above its own (4, 788) and granted; n2 won and lacked w844, acknowledged by n4 and n3.
  // Now the voter judges a released target by the data epoch of its CONFVER, sent right before.
  // Found by the sweep at the production heartbeat ratio once the pre-vote re-ask got faster.
  // npm run sim -- --seed 3498 --scenario mixed --nodes 3 --hb-interval-ms 60
  it('seed 3498 (fixed): a voter released to a target that never caught up judges it by the data it reports', () => {
    for (const feed of ['marker', 'exact'] as const) {
      const r = runSeed({ seed: 3498, nodes: 3, scenario: 'mixed', params: defaultParams({ hbIntervalMs: 60 }, feed) });
      expect(r.violation, feed).toBeNull();
    }
  });
});
