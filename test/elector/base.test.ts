/** Base behaviour, kept from kevy: heartbeats, DOWN detection, who stands, quorum, ANNOUNCE, step-down. */
import { describe, expect, it } from 'vitest';
import { Elector, MemoryVoteStore } from '../../src/index.js';
import { Cluster, FAST } from './harness.js';

const three = [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }];

describe('Elector base behaviour', () => {
  it('bootstrap: the configured primary wins epoch 1 at once and everyone follows it', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    const took = c.runUntil(() => c.leader() === 'n1', 200, 'n1 to lead');
    expect(took).toBeLessThan(FAST.downAfterMs!); // no detection wait for a fresh bootstrap
    c.runFor(100);
    expect(c.elector('n1').epoch).toBe(1);
    expect(c.elector('n2').currentPrimary).toBe('n1');
    expect(c.elector('n3').currentPrimary).toBe('n1');
    expect(c.sentOf('ANNOUNCE', 'n1')).toHaveLength(2); // one per peer
    c.expectSafe();
  });

  it('a configured primary starts read-only: no writes until a majority acknowledged its lease', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.isolate('n1');
    for (let i = 0; i < 40; i++) {
      c.step();
      expect(c.elector('n1').writesAllowed(c.now)).toBe(false);
    }
    expect(c.elector('n1').role).not.toBe('primary');
    // It stands only once a majority can hear it: no pre-vote into the void.
    expect(c.sentOf('PREVOTE', 'n1')).toEqual([]);
    c.heal();
    c.runUntil(() => c.elector('n1').writesAllowed(c.now), 1000, 'n1 writable after heal');
    c.expectSafe();
  });

  it('without a bootstrap node a fresh cluster elects the member with the highest offset after downAfterMs', () => {
    const c = new Cluster({ members: three, offsets: { n1: 10, n2: 50, n3: 20 } });
    c.runUntil(() => c.leader() !== undefined, 2000, 'a leader');
    expect(c.leader()).toBe('n2');
    expect(c.eventsOf('n2', 'election-start')[0]).toMatchObject({ epoch: 1 });
    expect(c.now).toBeGreaterThanOrEqual(FAST.downAfterMs!);
    c.expectSafe();
  });

  it('heartbeats go to every peer each hbIntervalMs', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.settle();
    const start = c.now;
    c.runFor(1000);
    const hbs = c.sentOf('HB', 'n2').filter((s) => s.at > start);
    // 1000 ms / 20 ms = 50 rounds, each to 2 peers; allow one round of slack at either end.
    expect(hbs.length).toBeGreaterThanOrEqual(2 * 49);
    expect(hbs.length).toBeLessThanOrEqual(2 * 51);
  });

  it('a peer not heard for downAfterMs is DOWN, and UP again when heard', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.settle();
    c.crash('n3');
    const t0 = c.now;
    c.runUntil(() => c.eventsOf('n1', 'peer').some((e) => e.type === 'peer' && e.id === 'n3' && !e.up), 1000, 'n3 DOWN at n1');
    expect(c.now - t0).toBeGreaterThanOrEqual(FAST.downAfterMs! - FAST.hbIntervalMs!);
    c.restart('n3');
    c.runUntil(() => c.eventsOf('n1', 'peer').filter((e) => e.type === 'peer' && e.id === 'n3' && e.up).length >= 2, 1000, 'n3 UP again');
  });

  it('primary lost: the replica with the highest offset stands, wins a majority and announces', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.settle();
    c.setOffset('n2', 100);
    c.setOffset('n3', 90);
    c.runFor(100);
    c.crash('n1');
    c.runUntil(() => c.leader() !== undefined, 3000, 'new leader');
    expect(c.leader()).toBe('n2');
    expect(c.eventsOf('n3', 'election-start')).toHaveLength(0); // only the best stood
    expect(c.elector('n3').currentPrimary).toBe('n2');
    expect(c.elector('n2').epoch).toBe(2);
    c.expectSafe();
  });

  it('equal offsets: higher priority stands first, then the lowest id', () => {
    const prio = new Cluster({ members: [{ id: 'n1' }, { id: 'n2' }, { id: 'n3', priority: 5 }, { id: 'n4' }, { id: 'n5' }], bootstrap: 'n1' });
    prio.settle();
    prio.crash('n1');
    prio.runUntil(() => prio.leader() !== undefined, 3000, 'new leader');
    expect(prio.leader()).toBe('n3');

    const ids = new Cluster({ members: three, bootstrap: 'n1' });
    ids.settle();
    ids.crash('n1');
    ids.runUntil(() => ids.leader() !== undefined, 3000, 'new leader');
    expect(ids.leader()).toBe('n2');
    prio.expectSafe();
    ids.expectSafe();
  });

  it('a candidate whose round times out backs off and returns to replica', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.settle();
    c.crash('n1');
    // n2 can send but hears no answers: its pre-vote times out.
    c.cutOneWay('n3', 'n2');
    c.runUntil(() => c.eventsOf('n2', 'prevote-failed').length > 0, 3000, 'n2 pre-vote to fail');
    expect(c.elector('n2').role).toBe('replica');
    expect(c.elector('n2').epoch).toBe(1);
  });

  it('a primary that hears a newer epoch steps down and follows the newer primary', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.settle();
    c.isolate('n1');
    c.runUntil(() => c.leader() !== undefined && c.leader() !== 'n1', 3000, 'a new leader');
    expect(c.elector('n1').role).toBe('primary'); // still thinks so, without a lease
    expect(c.elector('n1').hasLease(c.now)).toBe(false);
    c.heal();
    c.runUntil(() => c.elector('n1').role === 'replica', 500, 'n1 to step down');
    c.runUntil(() => c.elector('n1').currentPrimary === c.leader(), 200, 'n1 to follow the new leader');
    expect(c.elector('n1').epoch).toBe(2);
    c.expectSafe();
  });

  it('5 nodes losing two: the remaining three elect one of themselves', () => {
    const members = ['n1', 'n2', 'n3', 'n4', 'n5'].map((id) => ({ id }));
    const c = new Cluster({ members, bootstrap: 'n1' });
    c.settle();
    c.crash('n1');
    c.crash('n2');
    c.runUntil(() => c.leader() !== undefined, 3000, 'new leader');
    expect(['n3', 'n4', 'n5']).toContain(c.leader());
    c.expectSafe();
  });

  it('5 nodes losing three: no primary, no epoch inflation', () => {
    const members = ['n1', 'n2', 'n3', 'n4', 'n5'].map((id) => ({ id }));
    const c = new Cluster({ members, bootstrap: 'n1' });
    c.settle();
    for (const id of ['n1', 'n2', 'n3']) c.crash(id);
    c.runFor(10_000);
    expect(c.leader()).toBeUndefined();
    expect(c.elector('n4').epoch).toBe(1);
    expect(c.elector('n5').epoch).toBe(1);
  });

  it('2 data + 1 witness losing the primary: the other data node wins with the witness vote', () => {
    const c = new Cluster({ members: [{ id: 'd1' }, { id: 'd2' }, { id: 'w', witness: true }], bootstrap: 'd1' });
    c.settle();
    c.crash('d1');
    c.runUntil(() => c.leader() !== undefined, 3000, 'new leader');
    expect(c.leader()).toBe('d2');
    expect(c.eventsOf('w', 'vote').some((e) => e.type === 'vote' && e.granted && !e.prevote && e.candidate === 'd2')).toBe(true);
    c.expectSafe();
  });

  it('two candidates with equal offsets: exactly one wins and the other follows it', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.settle();
    c.crash('n1');
    // Both think they rank first: each is cut off from the other's heartbeats until they stand.
    c.cutLink('n2', 'n3');
    c.runUntil(() => c.eventsOf('n2', 'prevote-start').length > 0 && c.eventsOf('n3', 'prevote-start').length > 0, 2000, 'both to stand');
    c.heal();
    c.runUntil(() => c.leader() !== undefined, 5000, 'a leader');
    const other = c.leader() === 'n2' ? 'n3' : 'n2';
    c.runFor(200);
    expect(c.elector(other).currentPrimary).toBe(c.leader());
    c.expectSafe();
  });

  it('role changes are observable as events with a reason', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.settle();
    const roles = c.eventsOf('n1', 'role');
    expect(roles.map((e) => (e.type === 'role' ? `${e.from}->${e.to}` : ''))).toEqual(['replica->candidate', 'candidate->primary']);
    expect(roles.every((e) => e.type === 'role' && e.reason.length > 0)).toBe(true);
  });

  it('confirmPromotion: ANNOUNCE only after promoted(true); promoted(false) steps down', () => {
    const mk = () => {
      const store = new MemoryVoteStore();
      return new Elector({ nodeId: 'n1', members: [{ id: 'n1' }], advertisedAddr: '127.0.0.1:6379', startRole: 'primary', voteStore: store, random: () => 0.5, confirmPromotion: true, config: FAST });
    };
    const ok = mk();
    ok.setReplOffset(0, 0);
    expect(ok.tick(0).some((o) => o.msg.type === 'ANNOUNCE')).toBe(false);
    expect(ok.role).toBe('candidate');
    expect(ok.promoted(true, 1).some((o) => o.msg.type === 'ANNOUNCE')).toBe(true);
    expect(ok.role).toBe('primary');

    const bad = mk();
    bad.setReplOffset(0, 0);
    bad.tick(0);
    const out = bad.promoted(false, 1, 'REPLICAOF NO ONE failed');
    expect(out.some((o) => o.msg.type === 'ANNOUNCE')).toBe(false);
    expect(bad.role).toBe('replica');
  });
});
