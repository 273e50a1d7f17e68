/**
 * The simulator's executor of the shared control plan (lab/sim/node.ts)
 * against the redis model: the orderings the sidecar's runtime also follows,
 * where the old hand-made glue disagreed with it.
 */
import { describe, expect, it } from 'vitest';
import type { ElectorEvent } from '../../src/elector/events.js';
import type { MemberSpec } from '../../src/elector/membership.js';
import { SimNode, type GlueHost } from '../../lab/sim/node.js';
import type { RedisModel } from '../../lab/sim/redis.js';

const MEMBERS: MemberSpec[] = [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }];

/** A host for one node: the others' redis exist only as models; events are recorded. */
function harness() {
  const nodes = MEMBERS.map((m, idx) => new SimNode({ ...m, idx }, 1, 0, 100 + idx, 1, 'marker'));
  const notes: string[] = [];
  const host: GlueHost = {
    redisOf: (i) => nodes[i]?.redis ?? null,
    indexOf: (id) => MEMBERS.findIndex((m) => m.id === id),
    scheduleStep: () => undefined,
    schedulePromote: () => undefined,
    writeMarker: (i, epoch) => nodes[i]!.redis!.appendMarker(1000 + epoch, epoch),
    onPromoted: () => undefined,
    freshReplId: () => 7,
    exactDataEpoch: (log) => (log.length > 0 ? 1 : 0),
    note: (_n, text) => notes.push(text),
    markerMismatch: () => undefined,
    replicasOf: () => 0,
    observe: () => undefined,
  };
  const n1 = nodes[0]!;
  n1.startSidecar({ members: MEMBERS, config: {}, seed: 1, disabledRules: [], bootstrap: false, host });
  return { n1, r: n1.redis!, nodes, notes };
}

/** One turn of the loop and every step it leads to (each step's time passing at once). */
function loop(n: SimNode): void {
  n.control(0, false);
  for (let i = 0; i < 20 && n.stepping; i++) n.stepDone(0);
  expect(n.stepping).toBe(false);
}

/** Make the model a writable master, as a primary's redis is before it is demoted. */
function asWritableMaster(r: RedisModel): void {
  r.promote(1, 5);
  r.fenced = false;
}

describe('the simulator executes the control plan', () => {
  it('a demoted primary: fenced first, detached, and unfenced only once the model shows a replica', () => {
    const { n1, r } = harness();
    asWritableMaster(r);
    n1.fence = 'lifted';
    n1.knowledge = { ...n1.knowledge, desired: { kind: 'primary', epoch: 1 } };
    n1.onElectorEvent({ type: 'writes', allowed: false, epoch: 1, reason: 'no longer primary' });
    // Fenced at the event itself, before any poll (as the runtime's fence keeper).
    expect(r.fenced).toBe(true);
    n1.onElectorEvent({ type: 'role', from: 'primary', to: 'replica', epoch: 1, reason: 't' });
    // Watch every unfence: at that moment the model must already be a replica.
    let unfencedWhile: string | undefined;
    let fenced = r.fenced;
    Object.defineProperty(r, 'fenced', {
      get: () => fenced,
      set: (v: boolean) => {
        if (!v) unfencedWhile = r.role;
        fenced = v;
      },
      configurable: true,
    });
    loop(n1);
    expect(r.role).toBe('replica');
    expect(r.masterIdx).toBe(-1);
    expect(unfencedWhile).toBe('replica');
    expect(n1.fence).toBe('lifted');
  });

  it('primary-lost alone leaves redis attached; the follow(null) that comes with it detaches', () => {
    const { n1, r, nodes } = harness();
    r.attach(1, nodes[1]!.redis);
    n1.knowledge = { ...n1.knowledge, desired: { kind: 'follow', id: 'n2', epoch: 1 }, authFor: `1 n2 ${r.runId}` };
    n1.fence = 'lifted';
    const lost: ElectorEvent = { type: 'primary-lost', primary: 'n2', epoch: 1, reason: 'n2 not heard' };
    n1.onElectorEvent(lost);
    loop(n1);
    expect(r.masterIdx).toBe(1);
    n1.onElectorEvent({ type: 'follow', primary: null, epoch: 1, reason: 'n2 not heard' });
    loop(n1);
    expect(r.masterIdx).toBe(-1);
    expect(r.role).toBe('replica');
  });

  it('a follow held back by newer local data leaves redis alone and says why once', () => {
    const { n1, r, notes } = harness();
    r.appendMarker(1, 5);
    n1.fence = 'lifted';
    n1.onElectorEvent({ type: 'follow', primary: 'n2', epoch: 3, reason: 't' });
    loop(n1);
    loop(n1);
    expect(r.masterIdx).toBe(-1);
    expect(notes.filter((t) => t.startsWith('not following n2'))).toEqual(['not following n2: local data holds epoch 5, newer than its epoch 3']);
  });
});
