/** What the control loop tells the Elector about its redis (healthOf), as a table. */
import { describe, expect, it } from 'vitest';
import { healthOf, initialKnowledge, type Knowledge, type Observed } from '../../src/control/index.js';

const replica: Observed = { reachable: true, runId: 'r', role: 'slave', offset: 5, dataEpoch: 2, replicaReadOnly: true };
const k = (over: Partial<Knowledge> = {}): Knowledge => ({ ...initialKnowledge(), ...over });

describe('healthOf', () => {
  const rows: Array<[string, Knowledge, Observed | undefined, boolean, RegExp | undefined]> = [
    ['a read-only replica with a data epoch', k(), replica, true, undefined],
    ['a replica whose link is down is still fit (it holds its data)', k(), { ...replica, unhealthyReason: 'master-link-down' }, true, undefined],
    ['not polled yet', k(), undefined, false, /not polled/],
    ['unreachable', k(), { reachable: false, error: 'no reply within 500 ms' }, false, /no reply within 500 ms/],
    ['loading', k(), { ...replica, unhealthyReason: 'loading' }, false, /loading/],
    ['in a full sync', k(), { ...replica, unhealthyReason: 'sync-in-progress' }, false, /sync-in-progress/],
    ['epoch marker unreadable', k(), { ...replica, dataEpoch: undefined }, false, /data epoch is unknown/],
    ['primary whose redis is a replica', k({ desired: { kind: 'primary', epoch: 2 } }), replica, false, /replica although this node is primary/],
    ['restarted under a primary', k({ restartedUnder: 'local redis restarted (run_id a -> b)' }), replica, false, /restarted/],
    ['a role step failed', k({ failure: { action: 'replicate', error: 'NOPERM this user has no permissions to run the replicaof command' } }), { ...replica, role: 'master' }, false, /redis replicate failed: NOPERM/],
    ['replica-read-only no', k(), { ...replica, replicaReadOnly: false }, false, /replica-read-only is no/],
    ['replica-read-only unknown (CONFIG refused): not held against it', k(), { ...replica, replicaReadOnly: undefined }, true, undefined],
  ];
  for (const [name, knowledge, o, healthy, why] of rows) {
    it(name, () => {
      const h = healthOf(knowledge, o);
      expect(h.healthy).toBe(healthy);
      if (why) expect(h.why).toMatch(why);
    });
  }
});
