/**
 * The epoch gate (Elector.passesEpochGate, protocol.md 5.7): one place that
 * decides, from a message's epoch, whether its handler runs, with its
 * exceptions (PREVOTE, OFFER, REFUSE, PREACCEPT) spelled out.
 */
import { describe, expect, it } from 'vitest';
import { Elector, MemoryVoteStore, type ElectionMessage, type ElectorEvent, type Outbound } from '../../src/index.js';
import { FAST } from './harness.js';
import { agreedStore, knowPeers } from './agree.js';

const three = [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }];

/** n1 at epoch 4, following n2, the primary of epoch 4, past its restart grace (downAfterMs 300). */
function follower() {
  const events: ElectorEvent[] = [];
  const e = knowPeers(new Elector({ configStore: agreedStore(three), nodeId: 'n1', members: three, advertisedAddr: 'a:1', voteStore: new MemoryVoteStore({ epoch: 4, votedFor: null }), random: () => 0.5, config: FAST, onEvent: (ev) => events.push(ev) }));
  e.tick(0);
  e.onMessage('n2', { type: 'HB', epoch: 4, nodeId: 'n2', role: 'primary', replOffset: 0 }, 1);
  e.onMessage('n2', { type: 'HB', epoch: 4, nodeId: 'n2', role: 'primary', replOffset: 0 }, 305);
  expect(e.currentPrimary).toBe('n2');
  return { e, events, send: (from: string, msg: ElectionMessage, at = 310): Outbound[] => e.onMessage(from, msg, at) };
}

describe('epoch gate: messages of an older epoch', () => {
  it('an HB of an older primary only updates what we know of it', () => {
    const { e, send } = follower();
    expect(send('n3', { type: 'HB', epoch: 3, nodeId: 'n3', role: 'primary', replOffset: 77 })).toEqual([]);
    expect(e.snapshot().peers.find((p) => p.id === 'n3')).toMatchObject({ epoch: 3, role: 'primary', offset: 77 });
    expect(e.currentPrimary).toBe('n2');
    expect(e.epoch).toBe(4);
  });

  it('a late HB of our own primary from an older epoch, saying replica, is not read as a step-down', () => {
    const { e, events, send } = follower();
    send('n2', { type: 'HB', epoch: 3, nodeId: 'n2', role: 'replica', replOffset: 0 });
    expect(events.filter((ev) => ev.type === 'primary-lost')).toEqual([]);
    expect(e.following).toBe('n2');
  });

  it("nor does it overwrite the primary's role: the next tick keeps following it and a candidate is still refused (simulator seed 79833 of mixed)", () => {
    // The reordered HB said role replica; kept as n2's claim it made primaryAlive() false, the
    // next tick declared n2 lost, and the vote it owed n2's lease went to n3 while n2 still held it.
    const { e, events, send } = follower();
    send('n2', { type: 'HB', epoch: 3, nodeId: 'n2', role: 'replica', replOffset: 0 });
    expect(e.snapshot().peers.find((p) => p.id === 'n2')).toMatchObject({ epoch: 4, role: 'primary' });
    e.tick(311);
    expect(events.filter((ev) => ev.type === 'primary-lost')).toEqual([]);
    expect(e.following).toBe('n2');
    const out = send('n3', { type: 'OFFER', epoch: 5, candidateId: 'n3', replOffset: 0 }, 312);
    expect(out.map((o) => o.msg.type)).toEqual(['REFUSE']);
  });

  it('a LEASE of an older primary gets no LEASEACK', () => {
    const { e, send } = follower();
    expect(send('n3', { type: 'LEASE', epoch: 3, primaryId: 'n3', seq: 5 })).toEqual([]);
    expect(e.snapshot().peers.find((p) => p.id === 'n3')?.role).toBe('primary');
    expect(e.currentPrimary).toBe('n2');
  });

  it('an ANNOUNCE of an older epoch is ignored, with an event', () => {
    const { e, events, send } = follower();
    send('n3', { type: 'ANNOUNCE', epoch: 3, primaryId: 'n3', primaryAddr: 'b:1' });
    expect(events.at(-1)).toMatchObject({ type: 'ignored', what: 'ANNOUNCE', reason: 'epoch 3 is older than ours 4' });
    expect(e.currentPrimary).toBe('n2');
  });

  it('a HANDOFF of another epoch from our primary is ignored, so its target gets no waiver', () => {
    const { events, send } = follower();
    send('n2', { type: 'HANDOFF', epoch: 3, targetId: 'n3', primaryOffset: 0 });
    expect(events.at(-1)).toMatchObject({ type: 'ignored', what: 'HANDOFF', reason: 'not from our primary in our epoch' });
    // n2 is alive: without a release for epoch 4, n3's OFFER for 5 meets vote stickiness.
    send('n3', { type: 'PREVOTE', epoch: 5, candidateId: 'n3', replOffset: 0, dataEpoch: 4 }, 311);
    expect(send('n3', { type: 'OFFER', epoch: 5, candidateId: 'n3', replOffset: 0 }, 312)[0]?.msg).toMatchObject({ type: 'REFUSE', reason: 'primary-alive' });
  });
});

describe('epoch gate: answers to our own rounds count only in their epoch', () => {
  it('a LEASEACK of an older epoch gives a primary no lease', () => {
    const e = knowPeers(new Elector({ configStore: agreedStore(three), nodeId: 'n1', members: three, startRole: 'primary', advertisedAddr: 'a:1', voteStore: new MemoryVoteStore(), random: () => 0.5, config: FAST }));
    e.onMessage('n2', { type: 'HB', epoch: 0, nodeId: 'n2', role: 'replica', replOffset: 0 }, 1);
    e.setReplOffset(0, 1);
    e.tick(2);
    e.onMessage('n2', { type: 'PREACCEPT', epoch: 1, voterId: 'n2' }, 3);
    const won = e.onMessage('n2', { type: 'ACCEPT', epoch: 1, accepterId: 'n2' }, 4);
    const seq = (won.find((o) => o.msg.type === 'LEASE')!.msg as { seq: number }).seq;
    expect(e.role).toBe('primary');
    e.onMessage('n2', { type: 'LEASEACK', epoch: 0, voterId: 'n2', seq }, 5);
    expect(e.hasLease(5)).toBe(false);
    e.onMessage('n2', { type: 'LEASEACK', epoch: 1, voterId: 'n2', seq }, 6);
    expect(e.hasLease(6)).toBe(true);
  });
});

describe('epoch gate: the exceptions', () => {
  it('an OFFER of an older epoch is answered, with our epoch, so the candidate catches up', () => {
    const { send } = follower();
    expect(send('n3', { type: 'OFFER', epoch: 2, candidateId: 'n3', replOffset: 0 })[0]?.msg).toEqual({ type: 'REFUSE', epoch: 2, voterId: 'n1', voterEpoch: 4, reason: 'stale-epoch' });
  });

  it('a PREVOTE of a newer epoch is judged and never adopted', () => {
    const { e, send } = follower();
    expect(send('n3', { type: 'PREVOTE', epoch: 9, candidateId: 'n3', replOffset: 0, dataEpoch: 4 })[0]?.msg).toMatchObject({ type: 'REFUSE', reason: 'primary-alive', voterEpoch: 4 });
    expect(e.epoch).toBe(4);
  });

  it('a REFUSE carrying a newer voter epoch is learned even when it answers no round of ours', () => {
    const { e, send } = follower();
    send('n3', { type: 'REFUSE', epoch: 1, voterId: 'n3', voterEpoch: 6, reason: 'stale-epoch' });
    expect(e.epoch).toBe(6);
  });
});
