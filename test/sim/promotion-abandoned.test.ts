/**
 * The simulator's promotion step (lab/sim/node.ts promotionDone) when the
 * Elector gave the promotion up while REPLICAOF NO ONE was "in flight": as the
 * runtime's step, it must leave the model's redis as it was, tell the Elector
 * nothing, and never write a marker (least of all of the Elector's newer
 * epoch). The Elector is scripted so the moment it moves on is exact.
 */
import { describe, expect, it } from 'vitest';
import type { MemberSpec } from '../../src/elector/membership.js';
import { SimNode, type GlueHost } from '../../lab/sim/node.js';
import { ScriptedElector } from '../support/scripted-elector.js';

const MEMBERS: MemberSpec[] = [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }];

function harness() {
  const nodes = MEMBERS.map((m, idx) => new SimNode({ ...m, idx }, 1, 0, 100 + idx, 1, 'marker'));
  const markers: Array<{ idx: number; epoch: number }> = [];
  let promotes = 0;
  const host: GlueHost = {
    redisOf: (i) => nodes[i]?.redis ?? null,
    indexOf: (id) => MEMBERS.findIndex((m) => m.id === id),
    scheduleStep: () => undefined,
    schedulePromote: () => void (promotes += 1),
    writeMarker: (idx, epoch) => {
      markers.push({ idx, epoch });
      nodes[idx]!.redis!.appendMarker(1000 + epoch, epoch);
    },
    onPromoted: () => undefined,
    freshReplId: () => 7,
    exactDataEpoch: (log) => (log.length > 0 ? 1 : 0),
    note: () => undefined,
    markerMismatch: () => undefined,
    replicasOf: () => 0,
    observe: () => undefined,
  };
  const n2 = nodes[1]!;
  n2.startSidecar({ members: MEMBERS, config: {}, seed: 1, disabledRules: [], bootstrap: false, host });
  // n2 replicates from n1, and its Elector won epoch 5.
  n2.redis!.attach(0, nodes[0]!.redis);
  const el = new ScriptedElector();
  el.phase = 'promoting';
  el.epoch = 5;
  n2.elector = el.asElector();
  n2.onElectorEvent({ type: 'promote', epoch: 5 });
  return { n2, el, host, markers, promotes: () => promotes };
}

describe('the simulator abandons a promotion the Elector gave up', () => {
  const cases: Array<[string, (el: ScriptedElector) => void]> = [
    [
      'the Elector adopted epoch 6 and follows',
      (el) => {
        el.phase = 'follower';
        el.epoch = 6;
      },
    ],
    [
      'the Elector now promotes epoch 6 (this node won that one too): the epoch-5 step must not answer it',
      (el) => {
        el.phase = 'promoting';
        el.epoch = 6;
      },
    ],
  ];
  for (const [name, moveOn] of cases) {
    it(name, () => {
      const { n2, el, host, markers, promotes } = harness();
      n2.control(0, false);
      expect(promotes()).toBe(1);
      expect(n2.promoting).toBe(true);
      moveOn(el);
      expect(n2.promotionDone(1, host)).toEqual([]);
      expect(el.promotedCalls).toEqual([]);
      expect(markers).toEqual([]);
      expect(n2.redis!.role).toBe('replica');
      expect(n2.promoting).toBe(false);
    });
  }

  it('still promoting the same epoch: promoted, with that epoch\'s marker', () => {
    const { n2, el, host, markers } = harness();
    n2.control(0, false);
    n2.promotionDone(1, host);
    expect(el.promotedCalls).toEqual([{ ok: true, detail: '' }]);
    expect(markers).toEqual([{ idx: 1, epoch: 5 }]);
    expect(n2.redis!.role).toBe('master');
  });
});
