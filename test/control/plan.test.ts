/**
 * The control plan as a table: knowledge + last poll + context → the one next
 * step. No I/O: these are the ordering decisions the sidecar and the
 * simulator both execute.
 */
import { describe, expect, it } from 'vitest';
import { initialKnowledge, nextAction, wantsFence, type Knowledge, type Observed, type PlanContext } from '../../src/control/index.js';
import { DETACH_HOST, DETACH_PORT } from '../../src/redis/detach.js';

const N2 = { host: '127.0.0.1', port: 6002 };

function ctx(over: Partial<PlanContext> = {}): PlanContext {
  return {
    promoting: null,
    writesAllowed: false,
    fence: 'lifted',
    redisOf: (id) => (id === 'n2' ? N2 : undefined),
    minReplicas: 0,
    minReplicasMaxLagSec: 1,
    killClients: true,
    ...over,
  };
}

const master: Observed = { reachable: true, runId: 'r1', role: 'master', offset: 10, dataEpoch: 1 };
const replicaOfN2: Observed = { reachable: true, runId: 'r1', role: 'slave', masterHost: N2.host, masterPort: N2.port, offset: 10, dataEpoch: 1, replicaReadOnly: true };
const detachedReplica: Observed = { ...replicaOfN2, masterHost: DETACH_HOST, masterPort: DETACH_PORT };
const unreachable: Observed = { reachable: false, error: 'no reply within 500 ms' };

function k(over: Partial<Knowledge> = {}): Knowledge {
  return { ...initialKnowledge(), ...over };
}
const following: Knowledge = k({ desired: { kind: 'follow', id: 'n2', epoch: 3 }, authFor: '3 n2 r1' });

describe('nextAction', () => {
  const rows: Array<[string, Knowledge, Observed | undefined, Partial<PlanContext>, ReturnType<typeof nextAction>]> = [
    ['a pending promotion comes first, even over a wanted fence', k({ promote: 4 }), master, { fence: 'unknown', promoting: 4 }, { kind: 'promote', epoch: 4 }],
    ['a promotion pending on a redis that restarted since standing is abandoned', k({ promote: 4, restartedUnder: 'restarted' }), master, { promoting: 4 }, { kind: 'abandon-promotion', epoch: 4, why: 'restarted' }],
    // The Elector moved on before the loop took the promotion up: redis must not become a master.
    ['a pending promotion the Elector no longer waits on: not promoted, the replica stays as it is', k({ ...following, promote: 4 }), replicaOfN2, { promoting: null }, { kind: 'none' }],
    ['a pending promotion of an older epoch than the one the Elector promotes: not acted on', k({ ...following, promote: 4 }), replicaOfN2, { promoting: 6 }, { kind: 'none' }],
    ['an abandoned promotion on a master is no reason to skip the fence', k({ promote: 4 }), master, { fence: 'lifted', promoting: null }, { kind: 'fence' }],
    ['an abandoned promotion on a redis that restarted: nothing to tell the Elector', k({ ...following, promote: 4, restartedUnder: 'restarted' }), replicaOfN2, { promoting: null }, { kind: 'none' }],
    ['an unreachable redis that may not take writes is fenced (it may be a master)', k(), unreachable, { fence: 'unknown' }, { kind: 'fence' }],
    ['an unreachable redis is fenced also when the last fence is believed lifted', following, unreachable, { fence: 'lifted' }, { kind: 'fence' }],
    ['an unreachable redis already fenced: nothing more', following, unreachable, { fence: 'held' }, { kind: 'none', hold: 'local redis not reachable' }],
    ['never polled: fence first', k(), undefined, { fence: 'unknown' }, { kind: 'fence' }],
    ['unknown desired state, master: fenced', k(), master, { fence: 'unknown' }, { kind: 'fence' }],
    ['unknown desired state, replica, fence unknown: lifted (a paused replica applies no stream)', k(), replicaOfN2, { fence: 'unknown' }, { kind: 'unfence' }],
    ['follow on a master: fence before REPLICAOF', following, master, { fence: 'lifted' }, { kind: 'fence' }],
    ['follow on a fenced master: REPLICAOF, demoting', following, master, { fence: 'held' }, { kind: 'replicate', id: 'n2', epoch: 3, target: N2, demoting: true }],
    ['follow: credentials before REPLICAOF', k({ desired: { kind: 'follow', id: 'n2', epoch: 3 } }), detachedReplica, { fence: 'lifted' }, { kind: 'set-replication-auth', id: 'n2', epoch: 3, key: '3 n2 r1' }],
    ['follow: credentials again after a redis restart (new run_id)', k({ desired: { kind: 'follow', id: 'n2', epoch: 3 }, authFor: '3 n2 r0' }), replicaOfN2, { fence: 'lifted' }, { kind: 'set-replication-auth', id: 'n2', epoch: 3, key: '3 n2 r1' }],
    ['follow: a detached replica is pointed at the primary', following, detachedReplica, {}, { kind: 'replicate', id: 'n2', epoch: 3, target: N2, demoting: false }],
    ['follow: already there, fence lifted: nothing', following, replicaOfN2, {}, { kind: 'none' }],
    ['follow: already there, fence held: lifted only now that redis is a replica', following, replicaOfN2, { fence: 'held' }, { kind: 'unfence' }],
    ['follow: local data newer than that primary: held, redis left alone', k({ desired: { kind: 'follow', id: 'n2', epoch: 3 } }), { ...detachedReplica, dataEpoch: 5 }, { fence: 'held' }, { kind: 'none', hold: 'not following n2: local data holds epoch 5, newer than its epoch 3' }],
    ['follow: no address for that member', k({ desired: { kind: 'follow', id: 'n9', epoch: 3 } }), detachedReplica, {}, { kind: 'none', hold: 'no redis address configured for n9' }],
    ['detached on a master: fence first', k({ desired: { kind: 'detached' } }), master, { fence: 'lifted' }, { kind: 'fence' }],
    ['detached on a fenced master: detach, demoting', k({ desired: { kind: 'detached' } }), master, { fence: 'held' }, { kind: 'detach', demoting: true }],
    ['detached replica of the old primary: detach', k({ desired: { kind: 'detached' } }), replicaOfN2, {}, { kind: 'detach', demoting: false }],
    ['detach confirmed by the poll, fence held: now unfence', k({ desired: { kind: 'detached' } }), detachedReplica, { fence: 'held' }, { kind: 'unfence' }],
    ['demoted master with min-replicas set: turned off before the demotion', k({ desired: { kind: 'detached' }, minReplicas: 2 }), master, { fence: 'held' }, { kind: 'set-min-replicas', n: 0, maxLagSec: 10 }],
    ['a demoted master: its clients are disconnected, then the fence lifted', k({ desired: { kind: 'detached' }, killClients: 'demoted' }), detachedReplica, { fence: 'held' }, { kind: 'kill-clients', why: 'demoted' }],
    ['kill-clients not configured: skipped', k({ desired: { kind: 'detached' }, killClients: 'demoted' }), detachedReplica, { fence: 'held', killClients: false }, { kind: 'unfence' }],
    ['primary without lease: fenced', k({ desired: { kind: 'primary', epoch: 4 } }), master, { fence: 'lifted', writesAllowed: false }, { kind: 'fence' }],
    ['primary with lease: unfenced', k({ desired: { kind: 'primary', epoch: 4 } }), master, { fence: 'held', writesAllowed: true }, { kind: 'unfence' }],
    ['primary with lease, min-replicas configured: set first', k({ desired: { kind: 'primary', epoch: 4 } }), master, { fence: 'held', writesAllowed: true, minReplicas: 1 }, { kind: 'set-min-replicas', n: 1, maxLagSec: 1 }],
    ['primary whose redis is a replica: left alone (reported unhealthy)', k({ desired: { kind: 'primary', epoch: 4 } }), replicaOfN2, { writesAllowed: true }, { kind: 'none', hold: 'local redis is a replica although this node is primary' }],
    ['primary with lease and nothing to do', k({ desired: { kind: 'primary', epoch: 4 } }), master, { writesAllowed: true }, { kind: 'none' }],
    ['a failed REPLICAOF: the master is fenced before the retry', k({ ...following, failure: { action: 'replicate', error: 'NOPERM' } }), master, { fence: 'lifted' }, { kind: 'fence' }],
    ['a failed REPLICAOF, fenced: retried', k({ ...following, failure: { action: 'replicate', error: 'NOPERM' } }), master, { fence: 'held' }, { kind: 'replicate', id: 'n2', epoch: 3, target: N2, demoting: true }],
    ['a failed step on a primary with lease: fenced anyway', k({ desired: { kind: 'primary', epoch: 4 }, failure: { action: 'set-min-replicas', error: 'x' } }), master, { fence: 'lifted', writesAllowed: true }, { kind: 'fence' }],
    ['a replica with replica-read-only no is not fenced (a pause would stop its stream too)', following, { ...replicaOfN2, replicaReadOnly: false }, { fence: 'held' }, { kind: 'unfence' }],
  ];
  for (const [name, knowledge, observed, over, want] of rows) {
    it(name, () => {
      expect(nextAction(knowledge, observed, ctx(over))).toEqual(want);
    });
  }
});

describe('wantsFence', () => {
  it('holds unless writes are allowed or the poll showed a replica', () => {
    expect(wantsFence(k(), master, false)).toBe(true);
    expect(wantsFence(k(), master, true)).toBe(false);
    expect(wantsFence(k(), replicaOfN2, false)).toBe(false);
    expect(wantsFence(k(), { ...replicaOfN2, replicaReadOnly: undefined }, false)).toBe(false);
    expect(wantsFence(k(), { ...replicaOfN2, replicaReadOnly: false }, false)).toBe(false);
    expect(wantsFence(k(), unreachable, false)).toBe(true);
    expect(wantsFence(k(), undefined, false)).toBe(true);
    expect(wantsFence(k({ failure: { action: 'detach', error: 'x' } }), replicaOfN2, true)).toBe(true);
  });
});
