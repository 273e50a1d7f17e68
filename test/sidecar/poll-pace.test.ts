/**
 * The control loop's sleep between polls (src/sidecar/poll-pace.ts): the
 * idle interval only while redis and the Elector are both settled, the poll
 * interval the moment anything is under way — and in particular while a
 * hand-off waits on this node's redis: the cluster's writes are paused until
 * the target's poll shows it caught up, so that poll must not wait out an
 * idle interval (the switchover write gap of #16).
 */
import { describe, expect, it } from 'vitest';
import type { Observed } from '../../src/control/observed.js';
import { idlePollIntervalMs, PollPace, type ElectorView } from '../../src/sidecar/poll-pace.js';

const replica: Observed = { reachable: true, role: 'slave', masterHost: '127.0.0.1', masterPort: 7001, runId: 'r'.repeat(40), dataEpoch: 3 };

function follower(over: Partial<ElectorView> = {}): ElectorView {
  return { role: 'replica', following: 'n1', handoffPending: false, writesAllowed: () => false, ...over };
}

/** A pace after two identical, reported, healthy polls. */
function steadyPace(): PollPace {
  const pace = new PollPace(50, 250);
  pace.polled(replica, true, true);
  pace.polled({ ...replica }, true, true);
  return pace;
}

describe('PollPace', () => {
  it('the idle interval is max(poll, min(1000, downAfter))', () => {
    expect(idlePollIntervalMs(50, 1000)).toBe(1000);
    expect(idlePollIntervalMs(50, 300)).toBe(300);
    expect(idlePollIntervalMs(50, 40)).toBe(50);
    expect(idlePollIntervalMs(50, 60_000)).toBe(1000);
  });

  it('a replica following a live primary, with redis unchanged, sleeps the idle interval', () => {
    expect(steadyPace().interval(follower(), 0)).toBe(250);
  });

  it('one poll is not enough to call redis unchanged; a changed fact, a step or a disturbance polls at the poll interval', () => {
    const once = new PollPace(50, 250);
    once.polled(replica, true, true);
    expect(once.interval(follower(), 0)).toBe(50);
    const moved = steadyPace();
    moved.polled({ ...replica, masterPort: 7002 }, true, true);
    expect(moved.interval(follower(), 0)).toBe(50);
    const stepped = steadyPace();
    stepped.polled({ ...replica }, true, false);
    expect(stepped.interval(follower(), 0)).toBe(50);
    const disturbed = steadyPace();
    disturbed.disturb();
    expect(disturbed.interval(follower(), 0)).toBe(50);
  });

  it('the target of a hand-off polls at the poll interval until it stands', () => {
    expect(steadyPace().interval(follower({ handoffPending: true }), 0)).toBe(50);
  });

  it('a follower with no live primary, or a primary whose writes are stopped, polls at the poll interval', () => {
    expect(steadyPace().interval(follower({ following: null }), 0)).toBe(50);
    expect(steadyPace().interval(follower({ role: 'primary', following: null, writesAllowed: () => false }), 0)).toBe(50);
    expect(steadyPace().interval(follower({ role: 'primary', following: null, writesAllowed: () => true }), 0)).toBe(250);
  });
});
