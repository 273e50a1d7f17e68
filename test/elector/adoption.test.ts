/**
 * The adoption stance (src/elector/adoption.ts), as a table: what a node of a
 * fresh cluster does about the replica set its redis already belongs to.
 * protocol.md §5.13 states the same rules; the Elector's use of them is tested
 * under rule adopt-existing in safety.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { adoptionStance, describeStance, sameStance, type AdoptionInput, type AdoptionStance } from '../../src/elector/adoption.js';

const base: AdoptionInput = {
  fresh: true,
  selfId: 'n1',
  topology: undefined,
  sawReplicas: false,
  sinceBootMs: 100,
  linkDownForMs: 0,
  adoptWaitMs: 30_000,
  downAfterMs: 1000,
  electable: (id) => id !== 'n9',
};
const replicaOf = (master: string | null, linkUp = true) => ({ kind: 'replica' as const, master, masterAddr: master === null ? '10.9.9.9:6379' : `${master}:6379`, linkUp });

const cases: { what: string; in: Partial<AdoptionInput>; want: AdoptionStance['kind']; master?: string }[] = [
  { what: 'nothing reported yet: the ordinary rules', in: {}, want: 'none' },
  { what: 'not fresh (a stored vote, or a primary followed): never adopt', in: { fresh: false, topology: replicaOf('n2') }, want: 'none' },
  { what: 'not fresh, redis a master with replicas: never adopt', in: { fresh: false, topology: { kind: 'master', replicas: 2 } }, want: 'none' },
  { what: 'a master with replicas keeps itself', in: { topology: { kind: 'master', replicas: 2 } }, want: 'keep-self' },
  { what: 'a master that had replicas since start keeps itself while one reconnects', in: { topology: { kind: 'master', replicas: 0 }, sawReplicas: true }, want: 'keep-self' },
  { what: 'a master that never had replicas (an empty cluster) adopts nothing', in: { topology: { kind: 'master', replicas: 0 } }, want: 'none' },
  { what: 'a master keeps itself only within the adoption wait', in: { topology: { kind: 'master', replicas: 2 }, sinceBootMs: 30_000 }, want: 'none' },
  { what: 'a replica of a member waits for that member', in: { topology: replicaOf('n2') }, want: 'await', master: 'n2' },
  { what: 'a replica of a member that can never be primary (priority 0) detaches at once', in: { topology: replicaOf('n9') }, want: 'detach' },
  { what: 'a master with replicas on a node that can never be primary keeps nothing', in: { selfId: 'n9', topology: { kind: 'master', replicas: 2 } }, want: 'none' },
  { what: 'a replica of a member waits while its link was down for less than downAfterMs', in: { topology: replicaOf('n2', false), linkDownForMs: 999 }, want: 'await', master: 'n2' },
  { what: 'a replica whose link stayed down for downAfterMs detaches', in: { topology: replicaOf('n2', false), linkDownForMs: 1000 }, want: 'detach' },
  { what: 'a replica detaches once the adoption wait is over', in: { topology: replicaOf('n2'), sinceBootMs: 30_000 }, want: 'detach' },
  { what: 'a replica of a host that is no member detaches at once', in: { topology: replicaOf(null) }, want: 'detach' },
  { what: 'a replica of its own address detaches', in: { topology: replicaOf('n1') }, want: 'detach' },
  { what: 'detached by a sidecar: nothing to adopt', in: { topology: { kind: 'detached' } }, want: 'none' },
];

describe('adoptionStance', () => {
  for (const c of cases) {
    it(c.what, () => {
      const s = adoptionStance({ ...base, ...c.in });
      expect(s.kind).toBe(c.want);
      if (c.master !== undefined) expect(s).toEqual({ kind: 'await', master: c.master });
      expect(describeStance(s).length).toBeGreaterThan(10);
    });
  }

  it('says why it detaches', () => {
    expect(adoptionStance({ ...base, topology: replicaOf(null) })).toEqual({ kind: 'detach', why: expect.stringContaining("10.9.9.9:6379, which is not a member's redis") });
    expect(adoptionStance({ ...base, topology: replicaOf('n2'), sinceBootMs: 40_000 })).toEqual({ kind: 'detach', why: expect.stringContaining('adoption wait (30000 ms)') });
  });

  it('sameStance tells waits for different masters apart', () => {
    expect(sameStance({ kind: 'await', master: 'n2' }, { kind: 'await', master: 'n2' })).toBe(true);
    expect(sameStance({ kind: 'await', master: 'n2' }, { kind: 'await', master: 'n3' })).toBe(false);
    expect(sameStance({ kind: 'detach', why: 'a' }, { kind: 'detach', why: 'b' })).toBe(true);
    expect(sameStance({ kind: 'none' }, { kind: 'keep-self' })).toBe(false);
  });
});
