/**
 * HB cadence (protocol.md §5.1): a follower of a live primary sends its HB in
 * the wake-up where the primary's HB arrives, and its own timer waits 1.5
 * intervals, so the primary's next HB always comes first. An idle replica then
 * wakes for the primary's HB and not again for its own timer (#16), and the
 * primary gets the follower's LEASEACK and HB in one packet. Without a live
 * primary, every node keeps the plain cadence of one HB per interval.
 */
import { describe, expect, it } from 'vitest';
import { Elector, MemoryVoteStore, type ElectionMessage, type Outbound } from '../../src/index.js';
import { agreedStore, knowPeers } from './agree.js';
import { FAST } from './harness.js';

const HB = FAST.hbIntervalMs!;
const members = [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }];

function follower(): Elector {
  const e = new Elector({
    nodeId: 'n2',
    members,
    advertisedAddr: '127.0.0.1:6002',
    startRole: 'replica',
    config: FAST,
    voteStore: new MemoryVoteStore(),
    configStore: agreedStore(members),
    random: () => 0.5,
  });
  return knowPeers(e);
}

const primaryHb = (epoch = 1): ElectionMessage => ({ type: 'HB', epoch, nodeId: 'n1', role: 'primary', replOffset: 100 });
const hbsIn = (outs: Outbound[]) => outs.filter((o) => o.to === '*' && o.msg.type === 'HB').length;

/** A follower of n1 in epoch 1 whose last HB went out at `t`, answering the primary's HB then. */
function following(t: number): Elector {
  const e = follower();
  e.tick(0);
  e.onMessage('n1', primaryHb(), t);
  e.tick(t);
  expect(e.currentPrimary).toBe('n1');
  return e;
}

describe('HB cadence', () => {
  it("a follower answers the primary's HB with its own in the same tick", () => {
    const e = following(1000);
    // Its timer-driven HB is not due for 1.5 intervals; the primary's next HB arrives after one.
    expect(e.nextDeadline(1000)).toBe(1000 + 1.5 * HB);
    const t = 1000 + HB + 1;
    expect(hbsIn(e.tick(t))).toBe(0);
    e.onMessage('n1', primaryHb(), t);
    expect(hbsIn(e.tick(t))).toBe(1);
    expect(e.nextDeadline(t)).toBe(t + 1.5 * HB);
  });

  it("without the primary's HB its own timer sends one after 1.5 intervals: never silent for longer", () => {
    const e = following(1000);
    expect(hbsIn(e.tick(1000 + 1.5 * HB - 1))).toBe(0);
    expect(hbsIn(e.tick(1000 + 1.5 * HB))).toBe(1);
  });

  it("two primary HBs within half an interval draw one HB (a burst does not multiply the follower's)", () => {
    const e = following(1000);
    const t = 1000 + HB / 2 - 1;
    e.onMessage('n1', primaryHb(), t);
    expect(hbsIn(e.tick(t))).toBe(0);
  });

  it('a node with no live primary keeps one HB per interval', () => {
    const e = follower();
    expect(hbsIn(e.tick(0))).toBe(1);
    expect(e.nextDeadline(0)).toBe(HB);
    expect(hbsIn(e.tick(HB - 1))).toBe(0);
    expect(hbsIn(e.tick(HB))).toBe(1);
  });
});
