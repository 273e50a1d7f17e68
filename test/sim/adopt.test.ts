/**
 * The `adopt` scenario beyond "no invariant broken" (the sweep checks that):
 * what adoption promises when nothing goes wrong (protocol.md §5.13). In every
 * run without faults whose master's sidecar starts within the adoption wait
 * (on a node that may be primary: priority 0 is not kept), the node whose redis was the master wins epoch 1 and no replica full-resyncs
 * (when it starts after the wait the replicas have detached: whoever then holds
 * the most data wins, which the sweep's invariants cover). Read from each run's
 * timeline.
 */
import { describe, expect, it } from 'vitest';
import { defaultParams } from '../../lab/sim/params.js';
import { runSeed } from '../../lab/sim/world.js';

const WAIT = defaultParams().elector.adoptWaitMs;

describe('adopt scenario: the existing master is kept', () => {
  for (const nodes of [3, 5]) {
    it(`${nodes} members, seeds 1..250: kept without a resync when its sidecar comes within the wait`, { timeout: 60_000 }, () => {
      let onTime = 0;
      let late = 0;
      for (let seed = 1; seed <= 250; seed++) {
        const r = runSeed({ seed, nodes, scenario: 'adopt', trace: true });
        expect(r.violation, `seed ${seed}`).toBeNull();
        if (r.applied.length > 0) continue;
        const text = r.timeline!.text();
        const setup = /pre-existing replica set: (n\d+)'s redis is the master(?:, (n\d+)'s a stray master)?; sidecars start at (.*)/.exec(text)!;
        const [, master, stray] = setup;
        const starts = Object.fromEntries([...setup[3]!.matchAll(/(n\d+)@(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
        const winner = /(n\d+) won epoch 1\b/.exec(text)?.[1];
        const resynced = [...text.matchAll(/(n\d+) redis full resync from/g)].map((m) => m[1]!);
        // A master on a priority-0 node is not kept: its replicas detach at once (adoption.ts).
        if (r.members.find((m) => m.id === master)!.priority === 0) continue;
        if (starts[master!]! < WAIT) {
          onTime++;
          expect(winner, `seed ${seed}: ${master} held the data and its sidecar came at ${starts[master!]} ms`).toBe(master);
          expect(resynced.filter((id) => id !== stray), `seed ${seed}: no replica of ${master} resyncs`).toEqual([]);
        } else {
          late++;
        }
      }
      expect(onTime).toBeGreaterThanOrEqual(20);
      expect(late).toBeGreaterThanOrEqual(3);
    });
  }
});
