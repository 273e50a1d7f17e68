/**
 * The epoch bound (protocol.md 1.2 and 5.2, issue #17 defect 2). One
 * authenticated frame at epoch 2^53-1 used to be adopted and persisted by
 * every node, after which nobody could stand again: `epoch + 1` no longer
 * encoded, and the vote files kept the value across restarts. Now the codec
 * refuses epochs above MAX_EPOCH, and the Elector never moves to an epoch
 * above MAX_HELD_EPOCH, so the epoch it would stand in next always encodes.
 */
import { describe, expect, it } from 'vitest';
import {
  Elector,
  encodeMessage,
  MAX_EPOCH,
  MAX_HELD_EPOCH,
  MemoryVoteStore,
  MessageDecoder,
  ProtocolError,
  type ElectionMessage,
  type ElectorEvent,
  type Message,
} from '../../src/index.js';
import { Cluster, FAST } from './harness.js';
import { agreedStore, knowPeers } from './agree.js';

const three = [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }];

function lone(store: MemoryVoteStore, id = 'n3') {
  const events: ElectorEvent[] = [];
  const e = knowPeers(new Elector({ configStore: agreedStore(three), nodeId: id, members: three, advertisedAddr: '127.0.0.1:6379', voteStore: store, random: () => 0.5, config: FAST, onEvent: (ev) => events.push(ev) }));
  return { e, events };
}

describe('epoch bound: the codec', () => {
  it('the frame that wedged a cluster (HB at 2^53-1) is malformed, bad-epoch, never a message', () => {
    const frame = '*5\r\n$2\r\nHB\r\n$16\r\n9007199254740991\r\n$2\r\nn2\r\n$7\r\nprimary\r\n$1\r\n0\r\n';
    let err: unknown;
    try {
      new MessageDecoder().push(Buffer.from(frame, 'latin1'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('bad-epoch');
    expect((err as ProtocolError).message).toBe('HB epoch: above the largest epoch 1099511627776: "9007199254740991"');
  });

  it('MAX_EPOCH itself is a valid frame, and leaves the wire limit far away', () => {
    const msg: Message = { type: 'HB', epoch: MAX_EPOCH, nodeId: 'n2', role: 'primary', replOffset: 0 };
    expect(new MessageDecoder().push(encodeMessage(msg))).toEqual([msg]);
    expect(MAX_EPOCH + 1).toBeLessThan(Number.MAX_SAFE_INTEGER);
  });
});

describe('epoch bound: the Elector never moves past MAX_HELD_EPOCH', () => {
  const beyond: [string, ElectionMessage][] = [
    ['HB as primary', { type: 'HB', epoch: MAX_EPOCH, nodeId: 'n2', role: 'primary', replOffset: 0 }],
    ['HB as replica (would depose the primary)', { type: 'HB', epoch: MAX_EPOCH, nodeId: 'n2', role: 'replica', replOffset: 0 }],
    ['LEASE', { type: 'LEASE', epoch: MAX_EPOCH, primaryId: 'n2', seq: 1 }],
    ['ANNOUNCE', { type: 'ANNOUNCE', epoch: MAX_EPOCH, primaryId: 'n2', primaryAddr: '10.0.0.2:6379' }],
    ['OFFER', { type: 'OFFER', epoch: MAX_EPOCH, candidateId: 'n2', replOffset: 1_000_000 }],
  ];
  for (const [what, msg] of beyond) {
    it(`a ${what} at MAX_EPOCH is ignored by every node: no epoch adopted or persisted, the primary keeps its lease`, () => {
      const c = new Cluster({ members: three, bootstrap: 'n1' });
      c.settle();
      c.route('n2', [{ to: '*', msg }]);
      c.runFor(500);
      for (const id of ['n1', 'n3']) {
        expect(c.elector(id).epoch, id).toBe(1);
        expect(c.node(id).store.load().epoch, id).toBe(1);
        expect(c.eventsOf(id, 'ignored').some((e) => e.type === 'ignored' && e.what === msg.type && e.reason.includes(`above the highest epoch a node may hold (${MAX_HELD_EPOCH})`)), id).toBe(true);
      }
      expect(c.leader()).toBe('n1');
      // And the cluster still elects: the bound wedged nothing.
      c.crash('n1');
      c.runUntil(() => c.leader() !== undefined, 5000, 'a new leader after the bogus frame');
      expect(c.elector(c.leader()!).epoch).toBe(2);
      c.expectSafe();
    });
  }

  it('a REFUSE carrying a voter epoch above the bound is not learned', () => {
    const { e } = lone(new MemoryVoteStore({ epoch: 4, votedFor: null }), 'n2');
    e.tick(0);
    e.tick(400);
    e.setReplOffset(0, 400);
    expect(e.tick(405).some((o) => o.msg.type === 'PREVOTE')).toBe(true);
    e.onMessage('n3', { type: 'REFUSE', epoch: 5, voterId: 'n3', voterEpoch: MAX_EPOCH, reason: 'stale-epoch' }, 406);
    expect(e.epoch).toBe(4);
  });

  it('a node at MAX_HELD_EPOCH does not stand (the next epoch would be past it) and says so once', () => {
    const store = new MemoryVoteStore({ epoch: MAX_HELD_EPOCH, votedFor: null });
    const { e, events } = lone(store);
    const sent: Message[] = [];
    for (let t = 0; t < 5000; t += 5) {
      e.setReplOffset(0, t);
      for (const o of e.tick(t)) sent.push(o.msg);
    }
    expect(sent.filter((m) => m.type === 'PREVOTE' || m.type === 'OFFER')).toEqual([]);
    expect(events.filter((ev) => ev.type === 'error')).toEqual([
      { type: 'error', what: 'standing for election', message: expect.stringContaining(`epoch ${MAX_EPOCH} is above the highest epoch a node may hold`) },
    ]);
    expect(store.load().epoch).toBe(MAX_HELD_EPOCH);
  });

  it('one below it, a node still stands and wins the last holdable epoch', () => {
    const c = new Cluster({ members: three });
    for (const id of ['n1', 'n2', 'n3']) c.node(id).store.save({ epoch: MAX_HELD_EPOCH - 1, votedFor: null });
    // Rebuild the Electors over the seeded stores (a restart keeps the store).
    for (const id of ['n1', 'n2', 'n3']) c.restart(id);
    c.runUntil(() => c.leader() !== undefined, 10_000, 'a leader at the last holdable epoch');
    expect(c.elector(c.leader()!).epoch).toBe(MAX_HELD_EPOCH);
    c.expectSafe();
  });

  it('a data epoch above the bound from the local redis is not adopted', () => {
    const store = new MemoryVoteStore({ epoch: 2, votedFor: null });
    const { e, events } = lone(store);
    e.tick(0);
    e.setReplOffset(10, 1, MAX_EPOCH);
    e.setReplOffset(10, 2, MAX_EPOCH);
    expect(e.epoch).toBe(2);
    expect(store.load().epoch).toBe(2);
    expect(events.filter((ev) => ev.type === 'error')).toHaveLength(1);
  });

  it('a vote store holding an epoch above the bound stops the Elector from being built', () => {
    expect(() => lone(new MemoryVoteStore({ epoch: MAX_EPOCH, votedFor: null }))).toThrow(/above the highest epoch a node may hold.*Epoch bound/);
  });
});
