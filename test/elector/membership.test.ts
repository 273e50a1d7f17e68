/**
 * Online membership changes (protocol.md §5.12): the configuration as
 * replicated state, one change at a time, learners, removal, and the rules
 * that keep two configurations from ever forming two quorums. One describe
 * block per rule id; where a rule can be switched off, the same scenario runs
 * without it and must go wrong.
 */
import { describe, expect, it } from 'vitest';
import { type ElectorEvent, type SafetyRule } from '../../src/index.js';
import { Cluster, FAST } from './harness.js';
import { ChangeRefused } from '../../src/elector/change-refused.js';

const three = [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }];
const member = (id: string, witness = false) => ({ id, kind: witness ? ('witness' as const) : ('voter' as const), priority: 1 });

/** Waits until the primary reports `version` committed. */
function committed(c: Cluster, primary: string, version: number, ms = 5000): void {
  c.runUntil(() => c.elector(primary).configSnapshot().committed === true && c.elector(primary).configSnapshot().version >= version, ms, `configuration ${version} committed on ${primary}`);
}

/** Proposes a change on the leader as soon as it may take one (after its restamp committed). */
function change(c: Cluster, primary: string, fn: () => void, ms = 5000): void {
  c.runUntil(
    () => {
      try {
        fn();
        return true;
      } catch (err) {
        if (/in flight|not yet restamped/.test((err as Error).message)) return false;
        throw err;
      }
    },
    ms,
    'a configuration change to be accepted',
  );
}

describe('membership: adding and removing members one at a time (3 -> 5 -> 3)', () => {
  it('adds two members as learners that become voters, then removes two (one of them dead), with one primary throughout', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    const p = c.settle();
    const e = () => c.elector(p);
    committed(c, p, 2);
    for (const id of ['n4', 'n5']) {
      change(c, p, () => e().proposeChange({ kind: 'add', member: member(id) }, c.now));
      expect(e().configSnapshot().learners).toContain(id);
      c.join(id, p);
      // Caught up (the harness's data follows the primary at once): promoted automatically.
      c.runUntil(() => e().configSnapshot().voters.includes(id) && e().configSnapshot().committed === true, 5000, `${id} promoted`);
    }
    expect(e().configSnapshot().quorum).toBe(3);
    expect(e().configSnapshot().voters.sort()).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    // Every node learns the configuration, and it never went back anywhere (the invariant checks each step).
    c.runFor(1000);
    for (const id of ['n2', 'n3', 'n4', 'n5']) expect(c.elector(id).configSnapshot().version).toBe(e().configSnapshot().version);

    c.crash('n5');
    change(c, p, () => e().proposeChange({ kind: 'remove', id: 'n5' }, c.now));
    committed(c, p, e().configSnapshot().version);
    change(c, p, () => e().proposeChange({ kind: 'remove', id: 'n4' }, c.now));
    committed(c, p, e().configSnapshot().version);
    expect(e().configSnapshot().voters.sort()).toEqual(['n1', 'n2', 'n3']);
    expect(e().configSnapshot().quorum).toBe(2);
    c.runFor(1000);
    const n4 = c.elector('n4').configSnapshot();
    expect(n4.removed).toBe(true);
    expect(c.elector('n4').currentPrimary).toBeNull();
    expect(c.eventsOf('n4', 'config').some((ev) => (ev as Extract<ElectorEvent, { type: 'config' }>).self === 'removed')).toBe(true);
    // The removed node takes no part: it sends nothing any more.
    const before = c.sent.filter((s) => s.from === 'n4').length;
    c.runFor(1000);
    expect(c.sent.filter((s) => s.from === 'n4').length).toBe(before);
    expect(c.primaries()).toEqual([p]);
    c.expectSafe();
  });

  it('a failover in the middle of a change leaves a configuration the next primary finishes or replaces, never two primaries', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    const p = c.settle();
    committed(c, p, 2);
    change(c, p, () => c.elector(p).proposeChange({ kind: 'add', member: member('n4') }, c.now));
    c.crash(p); // before anyone may have acknowledged it
    c.join('n4', 'n2');
    const next = c.runUntil(() => c.leader() !== undefined && c.leader() !== p, 5000, 'a new primary');
    expect(next).toBeGreaterThan(0);
    const q = c.leader()!;
    // The new primary restamps what it holds in its own epoch before anything else.
    c.runUntil(() => c.elector(q).configSnapshot().epoch === c.elector(q).epoch && c.elector(q).configSnapshot().committed === true, 5000, 'the restamp committed');
    c.restart(p);
    c.runFor(2000);
    expect(c.elector(p).configSnapshot().version).toBe(c.elector(q).configSnapshot().version);
    c.expectSafe();
  });
});

describe('one-change: one change at a time', () => {
  function twoChanges(disabled: SafetyRule[] = []) {
    const c = new Cluster({ members: three, bootstrap: 'n1', disabledRules: disabled });
    const p = c.settle();
    committed(c, p, 2);
    c.elector(p).proposeChange({ kind: 'add', member: member('n4') }, c.now);
    return () => c.elector(p).proposeChange({ kind: 'add', member: member('n5') }, c.now);
  }
  it('a second change before the first is held by a majority is refused, naming what it waits for', () => {
    expect(twoChanges()).toThrow(/configuration 3 is still in flight/);
  });
  it('without the rule the second change goes through at once', () => {
    expect(twoChanges(['one-change'])).not.toThrow();
  });
});

describe('config-own-epoch: a new primary restamps the configuration before any change', () => {
  function changeRightAfterElection(disabled: SafetyRule[] = []) {
    const c = new Cluster({ members: three, bootstrap: 'n1', disabledRules: disabled });
    const p = c.settle();
    const e = c.elector(p);
    const snap = e.configSnapshot();
    return { snap, epoch: e.epoch, tryChange: () => e.proposeChange({ kind: 'add', member: member('n4') }, c.now), c, p };
  }
  it('the first primary of a fresh cluster restamps the born configuration in its epoch and commits it', () => {
    const { c, p } = changeRightAfterElection();
    committed(c, p, 2);
    const s = c.elector(p).configSnapshot();
    expect([s.version, s.epoch]).toEqual([2, c.elector(p).epoch]);
  });
  it('without the rule the primary builds on a configuration of another epoch', () => {
    const { snap, epoch, tryChange } = changeRightAfterElection(['config-own-epoch', 'one-change', 'config-data']);
    expect(snap.epoch).not.toBe(epoch);
    expect(tryChange).not.toThrow();
  });
});

describe('learner-no-vote: learners never vote and never count toward a quorum', () => {
  /**
   * n1 primary dies. n2 holds the newest data but has priority 0 (it votes, never stands); n3 is
   * behind. Learners n4 and n5 are empty and not caught up. The only legal outcome is no primary:
   * n2 refuses n3 (data rule) and n1 is gone. Counting the learners, n3 wins on empty votes.
   */
  function emptyLearners(disabled: SafetyRule[] = []) {
    const members = [{ id: 'n1' }, { id: 'n2', priority: 0 }, { id: 'n3' }];
    const c = new Cluster({ members, bootstrap: 'n1', disabledRules: disabled, offsets: { n1: 100, n2: 100, n3: 50 } });
    const p = c.settle();
    committed(c, p, 2);
    for (const id of ['n4', 'n5']) {
      change(c, p, () => c.elector(p).proposeChange({ kind: 'add', member: member(id) }, c.now));
      committed(c, p, c.elector(p).configSnapshot().version);
      c.join(id, p, 0);
      c.setHealthy(id, true);
    }
    // The learners never catch up: their offset stays 0 while the primary's is 100.
    c.runFor(500);
    expect(c.elector(p).configSnapshot().learners.sort()).toEqual(['n4', 'n5']);
    c.crash(p);
    c.runFor(6000);
    return c;
  }
  it('with learners present the behind node cannot win on their votes', () => {
    const c = emptyLearners();
    expect(c.primaries()).toEqual([]);
    expect(c.eventsOf('n4', 'vote')).toEqual([]);
  });
  it('without the rule the learners vote and the behind node wins', () => {
    const c = emptyLearners(['learner-no-vote']);
    expect(c.primaries()).toEqual(['n3']);
  });
});

describe('learner-catch-up: a learner becomes a voter only once it keeps up', () => {
  it('a learner behind the primary stays a learner; once its data catches up it is promoted', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1', offsets: { n1: 500, n2: 500, n3: 500 } });
    const p = c.settle();
    committed(c, p, 2);
    change(c, p, () => c.elector(p).proposeChange({ kind: 'add', member: member('n4') }, c.now));
    c.join('n4', p, 0);
    c.runFor(1500);
    expect(c.elector(p).configSnapshot().learners).toEqual(['n4']);
    c.setOffset('n4', 500);
    c.runUntil(() => c.elector(p).configSnapshot().voters.includes('n4'), 2000, 'n4 promoted');
    c.expectSafe();
  });
});

describe('config-agreement: a born member list is used only once a majority holds the same one', () => {
  /**
   * The split: n1 and n3 were given the 3-member list, n2, n4 and n5 the 5-member one.
   * They hear each other first (their first CONFVERs), then, before any election, a partition
   * separates {n1, n3} from {n2, n4, n5}: each side is a majority of its own list. (Cut off from
   * the very first moment, each side would agree with itself: protocol.md §5.12 says so.)
   */
  function twoLists(disabled: SafetyRule[] = []) {
    const small = [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }];
    const big = [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }, { id: 'n4' }, { id: 'n5' }];
    const c = new Cluster({
      members: big,
      bornLists: { n1: small, n3: small, n2: big, n4: big, n5: big },
      unagreed: true,
      disabledRules: disabled,
    });
    c.runFor(100);
    expect(c.primaries()).toEqual([]);
    for (const a of ['n1', 'n3']) for (const b of ['n2', 'n4', 'n5']) c.cutLink(a, b);
    c.runFor(8000);
    return c;
  }
  it('nodes that hear a different list of the same version neither vote nor stand, and say why', () => {
    const c = twoLists();
    expect(c.primaries()).toEqual([]);
    expect(c.eventsOf('n1', 'config-conflict').length).toBeGreaterThan(0);
    expect(c.eventsOf('n2', 'config-conflict').length).toBeGreaterThan(0);
  });
  it('without the rule each side elects its own primary: two primaries', () => {
    const c = twoLists(['config-agreement']);
    expect(c.primaries().length).toBe(2);
  });
  it('a fresh cluster given one list agrees on it and elects', () => {
    const c = new Cluster({ members: three, unagreed: true });
    c.runUntil(() => c.leader() !== undefined, 5000, 'a primary');
    for (const id of ['n1', 'n2', 'n3']) expect(c.elector(id).configSnapshot().agreed).toBe(true);
    c.expectSafe();
  });
});

describe('config-order: no vote for a candidate counting votes in an older configuration', () => {
  /**
   * n3 is cut off from every CONFIG while the cluster grows from 3 voters to 5; n2 never tells it
   * either (its CONFIG messages to n3 are lost). Then {n2, n3} is cut from {n1, n4, n5}: in n3's
   * old configuration {n2, n3} is a majority, in the new one {n1, n4, n5} is.
   */
  function lagging(disabled: SafetyRule[] = []) {
    const c = new Cluster({ members: three, bootstrap: 'n1', disabledRules: disabled });
    const p = c.settle();
    expect(p).toBe('n1');
    for (const from of ['n1', 'n2', 'n4', 'n5']) c.dropType(from, 'n3', 'CONFIG');
    committed(c, p, 2);
    for (const id of ['n4', 'n5']) {
      change(c, p, () => c.elector(p).proposeChange({ kind: 'add', member: member(id) }, c.now));
      c.join(id, p);
      c.runUntil(() => c.elector(p).configSnapshot().voters.includes(id) && c.elector(p).configSnapshot().committed === true, 5000, `${id} promoted`);
    }
    expect(c.elector('n3').configSnapshot().voters.length).toBe(3);
    for (const a of ['n2', 'n3']) for (const b of ['n1', 'n4', 'n5']) c.cutLink(a, b);
    c.runFor(8000);
    return c;
  }
  it('the lagging node cannot win with the one voter it shares an old majority with', () => {
    const c = lagging();
    expect(c.primaries()).toEqual(['n1']);
    c.expectSafe();
  });
  it('without the rule it wins beside the primary of the new configuration: two primaries', () => {
    const c = lagging(['config-order']);
    expect(c.primaries().sort()).toEqual(['n1', 'n3']);
  });
});

/** The ChangeRefused `ask` throws (fails the test when it does not throw one). */
function refusal(ask: () => unknown): ChangeRefused {
  try {
    ask();
  } catch (err) {
    if (err instanceof ChangeRefused) return err;
    throw err;
  }
  throw new Error('the change was made, not refused');
}

describe('membership: refusals and disaster recovery', () => {
  it('a change is refused with a reason on a replica, for a taken id, for the primary itself, and for the last voter', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1', config: FAST });
    const p = c.settle();
    committed(c, p, 2);
    expect(() => c.elector('n2').proposeChange({ kind: 'remove', id: 'n3' }, c.now)).toThrow(/not the primary/);
    expect(() => c.elector(p).proposeChange({ kind: 'add', member: member('n2') }, c.now)).toThrow(/n2 is already a member/);
    expect(() => c.elector(p).proposeChange({ kind: 'remove', id: p }, c.now)).toThrow(/cannot remove itself; hand off first/);
    expect(() => c.elector(p).proposeChange({ kind: 'remove', id: 'zz' }, c.now)).toThrow(/zz is not a member/);
    // None of these ends by itself: the sidecar reports them at once instead of retrying.
    for (const ask of [() => c.elector(p).proposeChange({ kind: 'add', member: member('n2') }, c.now), () => c.elector(p).proposeChange({ kind: 'remove', id: p }, c.now)]) {
      expect(refusal(ask)).toMatchObject({ transient: false });
    }
  });

  it('forcing a configuration from the survivors of a lost majority lets them elect again', () => {
    const c = new Cluster({ members: [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }, { id: 'n4' }, { id: 'n5' }], bootstrap: 'n1' });
    const p = c.settle();
    committed(c, p, 2);
    for (const id of ['n1', 'n3', 'n4']) c.crash(id);
    c.runFor(3000);
    expect(c.primaries()).toEqual([]);
    expect(() => c.elector('n2').forceConfig(['n2', 'zz'], c.now)).toThrow(/zz is not a member/);
    const forced = c.elector('n2').forceConfig(['n2', 'n5'], c.now);
    expect(forced.members.map((m) => m.id).sort()).toEqual(['n2', 'n5']);
    c.runUntil(() => c.leader() !== undefined, 5000, 'a primary of the forced configuration');
    c.runFor(1000);
    expect(c.elector('n5').configSnapshot().version).toBe(c.elector('n2').configSnapshot().version);
    c.expectSafe();
  });
});

describe('config-data: a change is made and committed only while the new voters hold the data', () => {
  /** n1 primary, n3 in step with it, n2 far behind, w a witness. Removing n3 leaves {n1, n2, w}: n2 plus w would be a majority without the data. */
  function removeTheOneInStep(disabled: SafetyRule[] = []) {
    const c = new Cluster({ members: [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }, { id: 'w', witness: true }], bootstrap: 'n1', disabledRules: disabled, offsets: { n1: 900, n2: 900, n3: 900 } });
    const p = c.settle();
    expect(p).toBe('n1');
    committed(c, p, 2);
    c.setOffset('n1', 5000);
    c.setOffset('n3', 5000);
    c.runFor(500);
    return () => c.elector(p).proposeChange({ kind: 'remove', id: 'n3' }, c.now);
  }
  it('removing the only replica in step, leaving a lagging one with a witness, is refused naming who keeps up', () => {
    expect(removeTheOneInStep()).toThrow(/needs 2 data voters holding the data, and only n1 keep up/);
  });
  it('that refusal is transient (the sidecar waits for the voters to catch up), and so is a change asked while the previous one is in flight', () => {
    expect(refusal(removeTheOneInStep())).toMatchObject({ transient: true, name: 'ChangeRefused' });
    const c = new Cluster({ members: three, bootstrap: 'n1', config: FAST });
    const p = c.settle();
    committed(c, p, 2);
    c.elector(p).proposeChange({ kind: 'add', member: member('n4') }, c.now);
    expect(refusal(() => c.elector(p).proposeChange({ kind: 'add', member: member('n5') }, c.now))).toMatchObject({ transient: true, message: expect.stringMatching(/still in flight/) });
  });
  it('without the rule it goes through', () => {
    expect(removeTheOneInStep(['config-data'])).not.toThrow();
  });
});
