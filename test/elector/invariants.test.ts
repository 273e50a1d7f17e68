/**
 * The Elector's invariants (src/elector/invariants.ts): a state that breaks
 * each one is reported by name, the states the Elector reaches are not, and a
 * broken state makes the next entry point throw InvariantError.
 */
import { describe, expect, it } from 'vitest';
import { Elector, MemoryVoteStore } from '../../src/index.js';
import { InvariantError, invariantViolations, type InvariantState } from '../../src/elector/invariants.js';
import { LeaseTracker } from '../../src/elector/lease-tracker.js';
import { VoteTally } from '../../src/elector/vote-tally.js';
import type { Phase } from '../../src/elector/phase.js';
import { MAX_EPOCH } from '../../src/protocol/limits.js';
import { Cluster, FAST } from './harness.js';

const members = new Set(['n1', 'n2', 'n3']);
const primary: Phase = { kind: 'primary', lease: new LeaseTracker(2, 600), handoff: null };
const candidate = (epoch: number, self = 'n1', deadline = 0): Phase => ({ kind: 'candidate', tally: new VoteTally(epoch, 2, 3, self), deadline, handoff: false });

function state(over: Partial<InvariantState>): InvariantState {
  return {
    nodeId: 'n1',
    phase: { kind: 'follower' },
    epoch: 4,
    previousEpoch: 4,
    votedFor: null,
    currentPrimary: 'n2',
    primaryLost: false,
    isMember: (id) => members.has(id),
    hasLease: false,
    writesAllowed: false,
    config: { version: 3, epoch: 4 },
    previousConfig: { version: 3, epoch: 4 },
    countedNonVoter: null,
    ...over,
  };
}

const broken: [string, Partial<InvariantState>, RegExp][] = [
  ['epoch past the bound', { epoch: MAX_EPOCH, previousEpoch: 0 }, /not an integer in 0\.\./],
  ['epoch going back', { epoch: 3 }, /went back from 4 to 3/],
  ['a configuration going back a version', { config: { version: 2, epoch: 9 } }, /configuration went back from 3\/4 to 2\/9/],
  ['a configuration going back an epoch', { config: { version: 3, epoch: 2 } }, /configuration went back from 3\/4 to 3\/2/],
  ['a learner counted in a round', { countedNonVoter: 'n4' }, /n4 counted in a round but is not a voter/],
  ['following a non-member', { currentPrimary: 'zz' }, /follows zz, which is not a member/],
  ['a primary following another node', { phase: primary, currentPrimary: 'n2', hasLease: true }, /a primary must follow itself/],
  ['a primary that lost its primary', { phase: primary, currentPrimary: 'n1', primaryLost: true }, /a primary has lost its primary/],
  ['a hand-off of another epoch', { phase: { ...primary, handoff: { target: 'n2', epoch: 3, startedAt: 0, deadline: 1, released: false } }, currentPrimary: 'n1' }, /hand-off of epoch 3 in epoch 4/],
  ['a candidate of an older epoch', { phase: candidate(3), votedFor: 'n1', currentPrimary: null }, /a candidate of epoch 3 in epoch 4/],
  ['a candidate that voted for someone else', { phase: candidate(4), votedFor: 'n2', currentPrimary: null }, /a candidate must have voted for itself/],
  ['a candidate whose tally lacks its own vote', { phase: candidate(4, 'n2'), votedFor: 'n1', currentPrimary: null }, /does not count its own vote/],
  ['a candidate following a primary', { phase: candidate(4), votedFor: 'n1', currentPrimary: 'n2' }, /a candidate follows n2/],
  ['promoting for another epoch', { phase: { kind: 'promoting', epoch: 3, deadline: 0 }, votedFor: 'n1', currentPrimary: null }, /promoting for epoch 3 in epoch 4/],
  ['a pre-vote two epochs ahead', { phase: { kind: 'prevote', tally: new VoteTally(6, 2, 3, 'n1'), deadline: 0, askAgain: null } }, /a pre-vote for epoch 6 from epoch 4/],
  ['a follower holding a lease', { hasLease: true }, /a follower holds a lease/],
  ['writes without a lease', { phase: primary, currentPrimary: 'n1', writesAllowed: true }, /writes allowed without a lease/],
];

describe('invariantViolations', () => {
  for (const [what, over, message] of broken) {
    it(`reports ${what}`, () => {
      const bad = invariantViolations(state(over));
      expect(bad.length, JSON.stringify(bad)).toBe(1);
      expect(bad[0]).toMatch(message);
    });
  }

  it.each<[string, Partial<InvariantState>]>([
    ['a follower', {}],
    ['a primary with a lease and writes', { phase: primary, currentPrimary: 'n1', hasLease: true, writesAllowed: true }],
    ['a candidate of its epoch', { phase: candidate(4), votedFor: 'n1', currentPrimary: null }],
    ['a pre-vote left behind by a newer epoch', { phase: { kind: 'prevote', tally: new VoteTally(3, 2, 3, 'n1'), deadline: 0, askAgain: null } }],
  ])('accepts %s', (_what, over) => {
    expect(invariantViolations(state(over))).toEqual([]);
  });
});

describe('Elector.assertInvariants', () => {
  it('holds through a cluster run with failovers', () => {
    const c = new Cluster({ members: [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }], bootstrap: 'n1' });
    c.settle();
    c.crash('n1');
    c.runUntil(() => c.leader() !== undefined, 5000, 'a new leader');
    for (const n of c.nodes.values()) if (n.alive) expect(() => n.e.assertInvariants(c.now)).not.toThrow();
  });

  it('a state the design rules out makes the next entry point throw InvariantError, naming node, phase and invariant', () => {
    const e = new Elector({ nodeId: 'n1', members: [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }], advertisedAddr: 'a:1', voteStore: new MemoryVoteStore({ epoch: 4, votedFor: null }), random: () => 0.5, config: FAST });
    e.tick(0);
    // Reach past the transitions on purpose: a candidate that never voted for itself.
    (e as unknown as { phase: Phase }).phase = candidate(4, 'n1', Infinity);
    expect(() => e.tick(5)).toThrow(InvariantError);
    expect(() => e.tick(10)).toThrow('n1 (candidate, epoch 4): a candidate must have voted for itself, voted for null');
  });
});
