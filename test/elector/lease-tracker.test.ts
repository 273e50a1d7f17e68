/** LeaseTracker (src/elector/lease-tracker.ts): the lease ends leaseMs after the quorum-th newest acknowledged send time. */
import { describe, expect, it } from 'vitest';
import { LeaseTracker } from '../../src/elector/lease-tracker.js';

const LEASE = 600;

describe('LeaseTracker', () => {
  const cases: { quorum: number; sent: [number, number][]; acks: [string, number][]; now: number; until: number; why: string }[] = [
    { quorum: 1, sent: [], acks: [], now: 100, until: 100 + LEASE, why: 'a one-member cluster: the primary alone is the quorum' },
    { quorum: 2, sent: [[1, 0]], acks: [], now: 100, until: -Infinity, why: 'no acknowledgement: no lease' },
    { quorum: 2, sent: [[1, 0]], acks: [['b', 1]], now: 100, until: 0 + LEASE, why: 'from the send time of the acknowledged round, not the time the ack arrived' },
    { quorum: 2, sent: [[1, 0], [2, 100]], acks: [['b', 2], ['b', 1]], now: 150, until: 100 + LEASE, why: 'a late ack of an older round does not move a voter back' },
    { quorum: 3, sent: [[1, 0], [2, 100]], acks: [['b', 2], ['c', 1]], now: 150, until: 0 + LEASE, why: 'the quorum-th newest: self at 150, b at 100, c at 0' },
    { quorum: 3, sent: [[1, 0], [2, 100]], acks: [['b', 2], ['b', 1]], now: 150, until: -Infinity, why: 'one voter acknowledging twice is still one voter' },
    { quorum: 2, sent: [[1, 0], [2, 1300]], acks: [['b', 1]], now: 1300, until: -Infinity, why: 'round 1 was forgotten (older than two leases) before its ack came' },
    { quorum: 2, sent: [[1, 0]], acks: [['b', 9]], now: 100, until: -Infinity, why: 'an ack of a round never sent counts for nothing' },
  ];
  for (const c of cases) {
    it(c.why, () => {
      const t = new LeaseTracker(c.quorum, LEASE);
      for (const [seq, at] of c.sent) t.sent(seq, at);
      for (const [voter, seq] of c.acks) t.acked(voter, seq);
      expect(t.recompute(c.now)).toBe(c.until);
      expect(t.leaseUntil).toBe(c.until);
    });
  }

  it('acked says whether the round was known', () => {
    const t = new LeaseTracker(2, LEASE);
    t.sent(1, 0);
    expect(t.acked('b', 1)).toBe(true);
    expect(t.acked('b', 2)).toBe(false);
  });

  it('drop ends the lease until the next recompute', () => {
    const t = new LeaseTracker(2, LEASE);
    t.sent(1, 0);
    t.acked('b', 1);
    expect(t.recompute(10)).toBe(LEASE);
    t.drop();
    expect(t.leaseUntil).toBe(-Infinity);
    expect(t.recompute(20)).toBe(LEASE);
  });
});
