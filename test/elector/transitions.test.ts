/**
 * Role transitions found wrong while moving every phase change into the
 * Elector's `become…` methods: each test is the regression test of one bug of
 * the old code, where the per-role reset was copied into several places.
 */
import { describe, expect, it } from 'vitest';
import { Elector, MemoryVoteStore, type ElectorEvent, type Outbound } from '../../src/index.js';
import { Cluster, FAST } from './harness.js';
import { agreedStore, knowPeers } from './agree.js';

const three = [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }];

describe('transitions: every way out of a hand-off ends it', () => {
  /** n1, bootstrap primary of epoch 1 with a lease from n2, hands off to n2. */
  function primaryHandingOff() {
    const events: ElectorEvent[] = [];
    const e = knowPeers(new Elector({ configStore: agreedStore(three), nodeId: 'n1', members: three, startRole: 'primary', advertisedAddr: '127.0.0.1:6379', voteStore: new MemoryVoteStore(), random: () => 0.5, config: FAST, onEvent: (ev) => events.push(ev) }));
    e.onMessage('n2', { type: 'HB', epoch: 0, nodeId: 'n2', role: 'replica', replOffset: 0 }, 1);
    e.setReplOffset(0, 1);
    expect(e.tick(2).map((o) => o.msg.type)).toContain('PREVOTE');
    e.onMessage('n2', { type: 'PREACCEPT', epoch: 1, voterId: 'n2' }, 3);
    const won = e.onMessage('n2', { type: 'ACCEPT', epoch: 1, accepterId: 'n2' }, 4);
    const lease = won.find((o) => o.msg.type === 'LEASE')!.msg as { seq: number };
    e.onMessage('n2', { type: 'LEASEACK', epoch: 1, voterId: 'n2', seq: lease.seq }, 5);
    expect(e.writesAllowed(5)).toBe(true);
    e.handOff('n2', 6);
    return { e, events };
  }

  it('a primary that learns of the new primary from its ANNOUNCE, not from an OFFER or HB, still reports handoff-end', () => {
    const { e, events } = primaryHandingOff();
    e.onMessage('n2', { type: 'ANNOUNCE', epoch: 2, primaryId: 'n2', primaryAddr: '127.0.0.1:6380' }, 7);
    expect(e.role).toBe('replica');
    expect(e.currentPrimary).toBe('n2');
    expect(events.filter((ev) => ev.type === 'handoff-end')).toMatchObject([{ target: 'n2', epoch: 1, ok: true }]);
    // Reported once, before the role change, as the other ways out do.
    const kinds = events.map((ev) => ev.type);
    expect(kinds.indexOf('handoff-end')).toBeLessThan(kinds.lastIndexOf('role'));
  });

  it('granting the OFFER of the target reports it the same way', () => {
    const { e, events } = primaryHandingOff();
    e.setReplOffset(0, 7); // the fresh offset after writes stopped: HANDOFF goes out
    expect(e.tick(8).map((o) => o.msg.type)).toContain('HANDOFF');
    expect(e.onMessage('n2', { type: 'OFFER', epoch: 2, candidateId: 'n2', replOffset: 0 }, 9).map((o) => o.msg.type)).toEqual(['ACCEPT']);
    expect(events.filter((ev) => ev.type === 'handoff-end')).toMatchObject([{ target: 'n2', ok: true }]);
  });
});

describe('transitions: a newer epoch ends a candidacy of an older one', () => {
  function candidateOfEpoch2() {
    const events: ElectorEvent[] = [];
    const e = knowPeers(new Elector({ configStore: agreedStore(three),
      nodeId: 'n2',
      members: three,
      advertisedAddr: '127.0.0.1:6379',
      voteStore: new MemoryVoteStore({ epoch: 1, votedFor: null }),
      random: () => 0.5,
      config: FAST,
      onEvent: (ev) => events.push(ev),
    }));
    e.tick(0);
    e.tick(400); // no primary heard: lost
    e.setReplOffset(0, 400);
    expect(e.tick(405).map((o) => o.msg.type)).toContain('PREVOTE');
    e.onMessage('n1', { type: 'PREACCEPT', epoch: 2, voterId: 'n1' }, 406);
    expect(e.role).toBe('candidate');
    expect(e.epoch).toBe(2);
    return { e, events };
  }

  it('a REFUSE of an older round carrying a newer epoch ends the candidacy: it can no longer win epoch 2 and announce epoch 5', () => {
    const { e, events } = candidateOfEpoch2();
    const sent: Outbound[] = [];
    // A late answer to a pre-vote of epoch 1 from n3, which has moved on to epoch 5.
    sent.push(...e.onMessage('n3', { type: 'REFUSE', epoch: 1, voterId: 'n3', voterEpoch: 5, reason: 'stale-epoch' }, 407));
    expect(e.epoch).toBe(5);
    expect(e.role).toBe('replica');
    expect(events.filter((ev) => ev.type === 'election-lost')).toMatchObject([{ epoch: 2 }]);
    // n1's ACCEPT for epoch 2 arrives: it is for a round that is over.
    sent.push(...e.onMessage('n1', { type: 'ACCEPT', epoch: 2, accepterId: 'n1' }, 408));
    expect(e.role).toBe('replica');
    expect(sent.filter((o) => o.msg.type === 'ANNOUNCE')).toEqual([]);
  });

  it('a data epoch above ours, reported while standing, ends the candidacy too', () => {
    const { e } = candidateOfEpoch2();
    e.setReplOffset(0, 407, 4);
    expect(e.epoch).toBe(4);
    expect(e.role).toBe('replica');
    expect(e.onMessage('n1', { type: 'ACCEPT', epoch: 2, accepterId: 'n1' }, 408).filter((o) => o.msg.type === 'ANNOUNCE')).toEqual([]);
  });

  it('a primary whose local data holds a newer epoch steps down instead of leading that epoch', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.settle();
    c.elector('n1').setReplOffset(0, c.now, 3);
    expect(c.elector('n1').epoch).toBe(3);
    expect(c.elector('n1').role).toBe('replica');
    expect(c.elector('n1').hasLease(c.now)).toBe(false);
  });
});

describe('transitions: the become… methods are the only writers of the phase', () => {
  it('every assignment to this.phase in elector.ts sits in a method named become…', async () => {
    const { readFileSync } = await import('node:fs');
    const src = readFileSync(new URL('../../src/elector/elector.ts', import.meta.url), 'utf8');
    const writers: string[] = [];
    let method = '';
    for (const line of src.split('\n')) {
      const m = /^ {2}(?:private |public |)(?:get )?(\w+)\(/.exec(line);
      if (m) method = m[1]!;
      if (/\bthis\.phase = /.test(line)) writers.push(method);
    }
    expect(writers.length).toBeGreaterThan(0);
    expect(writers.filter((w) => !w.startsWith('become'))).toEqual([]);
  });
});

describe('a vote file naming a member that is no longer in the list', () => {
  // A member was removed (or replaced) after this node voted for it: the sidecar keeps the vote
  // with a warning. The Elector must go on working — an invariant on votedFor once made every
  // tick throw, so the node sent nothing and the cluster could never elect again.
  it('every node restarted with a vote for a removed member: the cluster elects in a newer epoch', () => {
    const c = new Cluster({ members: [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }] });
    for (const id of ['n1', 'n2', 'n3']) {
      c.crash(id);
      c.node(id).store.save({ epoch: 5, votedFor: 'zz' });
      c.restart(id);
    }
    const leader = c.settle();
    expect(c.elector(leader).epoch).toBeGreaterThan(5);
    c.expectSafe();
  });
});
