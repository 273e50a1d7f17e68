/**
 * The election rules, one describe block per rule id of the registry
 * (src/elector/safety-rules.ts; protocol.md 5.11 has the table). Where a rule
 * can be switched off (`disabledRules`, test-only), the same scenario is run
 * without it and must go wrong: that is the proof each test can fail.
 */
import { describe, expect, it } from 'vitest';
import { Elector, MemoryVoteStore, type Message, type SafetyRule } from '../../src/index.js';
import { Cluster, FAST } from './harness.js';
import { agreedStore, confverLike, knowPeers } from './agree.js';

const three = [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }];

function lone(opts: { id?: string; members?: { id: string; witness?: boolean; priority?: number }[]; store?: MemoryVoteStore; disabled?: SafetyRule[]; random?: () => number } = {}) {
  const store = opts.store ?? new MemoryVoteStore();
  const e = new Elector({
    nodeId: opts.id ?? 'n3',
    members: opts.members ?? three,
    advertisedAddr: '127.0.0.1:6379',
    voteStore: store,
    random: opts.random ?? (() => 0.5),
    config: FAST,
    disabledRules: opts.disabled,
    configStore: agreedStore(opts.members ?? three),
  });
  knowPeers(e);
  return { e, store };
}

const prevote = (epoch: number, candidateId: string, replOffset = 0, dataEpoch = 0): Message => ({ type: 'PREVOTE', epoch, candidateId, replOffset, dataEpoch });
const offer = (epoch: number, candidateId: string, replOffset = 0): Message => ({ type: 'OFFER', epoch, candidateId, replOffset });

describe('vote-stickiness: no vote while the primary is alive', () => {
  function onePrimaryLinkCut(disabled: SafetyRule[] = []) {
    const c = new Cluster({ members: three, bootstrap: 'n1', disabledRules: disabled });
    c.settle();
    c.cutLink('n1', 'n2'); // only the primary–replica link; n3 hears both
    c.slowLink('n3', 'n1', 100); // and n3's news reaches n1 late, as on a congested path
    let maxPrimaries = 0;
    for (let t = 0; t < 30_000; t += 5) {
      c.step();
      maxPrimaries = Math.max(maxPrimaries, c.primaries().length);
    }
    return { c, maxPrimaries };
  }

  it('cutting only the primary–replica link while a third node hears both never elects a second primary', () => {
    const { c, maxPrimaries } = onePrimaryLinkCut();
    expect(maxPrimaries).toBe(1);
    expect(c.leader()).toBe('n1');
    expect(c.elector('n1').epoch).toBe(1);
    const forN2 = c.eventsOf('n3', 'vote').filter((e) => e.type === 'vote' && e.candidate === 'n2');
    expect(forN2.length).toBeGreaterThan(10);
    expect(forN2.every((e) => e.type === 'vote' && !e.granted && e.reason === 'primary-alive')).toBe(true);
    c.expectSafe();
  });

  it('without the rule the same cut elects a second primary (the test can fail)', () => {
    const { c, maxPrimaries } = onePrimaryLinkCut(['vote-stickiness']);
    expect(maxPrimaries).toBeGreaterThan(1);
    expect(c.leaseOverlaps.length).toBeGreaterThan(0);
    expect(c.elector('n1').epoch).toBeGreaterThan(1);
  });
});

describe('prevote-probe: pre-vote before a new epoch', () => {
  function isolatedReplica(disabled: SafetyRule[] = []) {
    const c = new Cluster({ members: three, bootstrap: 'n1', disabledRules: disabled });
    c.settle();
    c.isolate('n3');
    c.runFor(30_000);
    const isolatedEpoch = c.elector('n3').epoch;
    c.heal();
    c.runFor(3_000);
    return { c, isolatedEpoch };
  }

  it('a replica isolated for 30 s does not inflate its epoch, and after healing the primary stays', () => {
    const { c, isolatedEpoch } = isolatedReplica();
    expect(isolatedEpoch).toBe(1);
    expect(c.leader()).toBe('n1');
    expect(c.elector('n1').epoch).toBe(1);
    expect(c.eventsOf('n1', 'role').filter((e) => e.type === 'role' && e.from === 'primary')).toEqual([]);
    expect(c.elector('n3').currentPrimary).toBe('n1');
    expect(c.sentOf('OFFER', 'n3')).toEqual([]);
    c.expectSafe();
  });

  it('without pre-vote the isolated replica inflates its epoch and deposes the healthy primary on heal', () => {
    const { c, isolatedEpoch } = isolatedReplica(['prevote-probe']);
    expect(isolatedEpoch).toBeGreaterThan(5);
    expect(c.eventsOf('n1', 'role').some((e) => e.type === 'role' && e.from === 'primary')).toBe(true);
  });
});

describe('newer-epoch-only: refusals carry the voter epoch', () => {
  it('a voter refuses with its own epoch and the candidate adopts it after one round', () => {
    const voter = lone({ id: 'n1', store: new MemoryVoteStore({ epoch: 7, votedFor: null }) });
    voter.e.tick(0);
    voter.e.setReplOffset(0, 0);
    const [reply] = voter.e.onMessage('n3', prevote(2, 'n3'), 400);
    expect(reply?.msg).toMatchObject({ type: 'REFUSE', epoch: 2, voterId: 'n1', voterEpoch: 7, reason: 'stale-epoch' });

    const cand = lone({ id: 'n3', store: new MemoryVoteStore({ epoch: 1, votedFor: null }) });
    cand.e.tick(0);
    cand.e.tick(400); // no primary heard for downAfterMs: lost
    cand.e.setReplOffset(0, 400);
    const out = cand.e.tick(405); // and a fresh offset: it stands
    expect(out.find((o) => o.msg.type === 'PREVOTE')?.msg).toMatchObject({ epoch: 2 });
    cand.e.onMessage('n1', reply!.msg, 401);
    expect(cand.e.epoch).toBe(7);
    expect(cand.store.load()).toEqual({ epoch: 7, votedFor: null });
    // Next round asks for 8 straight away, not 3, 4, 5...
    let next: Message | undefined;
    for (let t = 402; t < 1000 && !next; t += 5) {
      cand.e.setReplOffset(0, t);
      next = cand.e.tick(t).find((o) => o.msg.type === 'PREVOTE')?.msg;
    }
    expect(next).toMatchObject({ type: 'PREVOTE', epoch: 8 });
  });
});

describe('data-rule: never vote for less data, and only on a fresh offset', () => {
  function laggingReplicaStandsFirst(disabled: SafetyRule[] = []) {
    const c = new Cluster({ members: three, bootstrap: 'n1', disabledRules: disabled });
    c.settle();
    // A write acknowledged with WAIT 1 at offset 100: on n1 and n2; n3 lags at 50.
    c.setOffset('n1', 100);
    c.setOffset('n2', 100);
    c.setOffset('n3', 50);
    c.runFor(100);
    c.crash('n1');
    // n3 does not hear n2's heartbeats, so it believes it ranks first and stands; then the link heals.
    c.cutOneWay('n2', 'n3');
    c.runUntil(() => c.eventsOf('n3', 'prevote-start').length > 0, 5_000, 'n3 to stand');
    c.heal();
    c.runUntil(() => c.leader() !== undefined, 10_000, 'a new leader');
    return c;
  }

  it('a voter refuses a candidate whose offset is below its own, so the acknowledged write survives', () => {
    const c = laggingReplicaStandsFirst();
    expect(c.eventsOf('n3', 'prevote-start').length).toBeGreaterThan(0);
    expect(c.eventsOf('n2', 'vote').some((e) => e.type === 'vote' && !e.granted && e.reason === 'stale-offset')).toBe(true);
    expect(c.leader()).toBe('n2');
    expect(c.node(c.leader()!).offset).toBeGreaterThanOrEqual(100);
    c.expectSafe();
  });

  it('without the data rule the lagging replica wins and the acknowledged write is lost', () => {
    const c = laggingReplicaStandsFirst(['data-rule']);
    expect(c.leader()).toBe('n3');
    expect(c.node('n3').offset).toBeLessThan(100);
  });

  it('a voter with no offset read since the primary was lost refuses with offset-unknown', () => {
    const { e } = lone({ id: 'n3' });
    e.setReplOffset(10, 0);
    e.tick(0);
    e.tick(400); // no primary heard: lost at 400, the sample from 0 is stale
    const [r] = e.onMessage('n2', prevote(1, 'n2', 10), 401);
    expect(r?.msg).toMatchObject({ type: 'REFUSE', reason: 'offset-unknown' });
    e.setReplOffset(10, 402);
    const [g] = e.onMessage('n2', prevote(1, 'n2', 10), 403);
    expect(g?.msg.type).toBe('PREACCEPT');
  });
});

describe('ranked-standing: the best-ranked candidate stands first', () => {
  it('a voter that ranks better at equal offset refuses the pre-vote; a worse one grants', () => {
    const { e } = lone({ id: 'n1' });
    e.tick(0);
    e.tick(400);
    e.setReplOffset(10, 400);
    expect(e.onMessage('n3', prevote(1, 'n3', 10), 401)[0]?.msg).toMatchObject({ type: 'REFUSE', reason: 'better-candidate' });
    const worse = lone({ id: 'n3' }).e;
    worse.tick(0);
    worse.tick(400);
    worse.setReplOffset(10, 400);
    expect(worse.onMessage('n1', prevote(1, 'n1', 10), 401)[0]?.msg.type).toBe('PREACCEPT');
  });
});

describe('durable-vote: one vote per epoch, persisted before it is sent', () => {
  function freshVoter(store = new MemoryVoteStore(), disabled: SafetyRule[] = []) {
    const v = lone({ id: 'n1', store, disabled });
    v.e.tick(0);
    v.e.tick(400);
    v.e.setReplOffset(0, 400);
    return v;
  }

  it('the vote is persisted before ACCEPT is returned', () => {
    const { e, store } = freshVoter();
    e.onMessage('n2', prevote(1, 'n2'), 401);
    const out = e.onMessage('n2', offer(1, 'n2'), 401);
    expect(out[0]?.msg).toMatchObject({ type: 'ACCEPT', epoch: 1, accepterId: 'n1' });
    expect(store.load()).toEqual({ epoch: 1, votedFor: 'n2' });
  });

  it('a failed persist means no vote: REFUSE persist-failed and the epoch is unchanged', () => {
    const store = new MemoryVoteStore();
    const { e } = freshVoter(store);
    store.failNextSaves = 1;
    e.onMessage('n2', prevote(1, 'n2'), 401);
    const out = e.onMessage('n2', offer(1, 'n2'), 401);
    expect(out.map((o) => o.msg.type)).toEqual(['REFUSE']);
    expect(out[0]?.msg).toMatchObject({ reason: 'persist-failed' });
    expect(e.epoch).toBe(0);
  });

  it('the self-vote is persisted before OFFER goes out; a failed persist sends no OFFER', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.node('n1').store.failNextSaves = 1;
    c.runFor(10);
    expect(c.sentOf('OFFER', 'n1')).toEqual([]);
    c.runUntil(() => c.sentOf('OFFER', 'n1').length > 0, 2000, 'n1 to stand after the failure');
    expect(c.node('n1').store.load()).toEqual({ epoch: 1, votedFor: 'n1' });
  });

  it('following a newer epoch is persisted before the node follows it', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.settle();
    expect(c.node('n3').store.load()).toEqual({ epoch: 1, votedFor: 'n1' });
    const c2 = new Cluster({ members: three, bootstrap: 'n1' });
    c2.isolate('n3');
    c2.runUntil(() => c2.leader() === 'n1', 1000, 'n1 to lead without n3');
    c2.heal();
    c2.runUntil(() => c2.elector('n3').currentPrimary === 'n1', 1000, 'n3 to follow');
    expect(c2.node('n3').store.load()).toEqual({ epoch: 1, votedFor: null });
  });

  function crashBetweenPersistAndSend(disabled: SafetyRule[] = []) {
    const store = new MemoryVoteStore();
    const first = freshVoter(store, disabled);
    first.e.onMessage('n2', prevote(1, 'n2'), 401);
    first.e.onMessage('n2', offer(1, 'n2'), 401); // persisted; the ACCEPT is lost with the crash
    const restarted = lone({ id: 'n1', store, disabled });
    restarted.e.tick(1000);
    restarted.e.tick(1400); // past the restart grace
    restarted.e.setReplOffset(0, 1400);
    restarted.e.onMessage('n3', prevote(1, 'n3'), 1401);
    return restarted.e.onMessage('n3', offer(1, 'n3'), 1401);
  }

  it('crash and restart between persisting a vote and sending it: no second vote in that epoch', () => {
    const out = crashBetweenPersistAndSend();
    expect(out[0]?.msg).toMatchObject({ type: 'REFUSE', reason: 'already-voted' });
  });

  it('without the durable vote the restarted voter votes twice in one epoch', () => {
    const out = crashBetweenPersistAndSend(['durable-vote']);
    expect(out[0]?.msg.type).toBe('ACCEPT');
  });

  it('a store that cannot be read stops the Elector from being built', () => {
    const broken = { load: () => { throw new Error('vote file /x/vote.json is corrupt'); }, save: () => {} };
    expect(() => new Elector({ nodeId: 'n1', members: three, advertisedAddr: 'a:1', voteStore: broken, random: Math.random })).toThrow(/vote\.json is corrupt/);
  });
});

describe('random-backoff: a fresh random back-off per attempt', () => {
  it('successive failed rounds wait different, random amounts drawn from the injected random', () => {
    const draws = [0.05, 0.95, 0.5, 0.2, 0.8, 0.35];
    let i = 0;
    const { e } = lone({ id: 'n3', random: () => draws[i++ % draws.length]! });
    const starts: number[] = [];
    e.on((ev) => {
      if (ev.type === 'prevote-start') starts.push(now);
    });
    let now = 0;
    for (; now < 6000; now += 5) {
      e.setReplOffset(0, now);
      e.tick(now); // nobody answers: every round times out
    }
    const gaps = starts.slice(1).map((s, k) => s - starts[k]!);
    expect(gaps.length).toBeGreaterThanOrEqual(4);
    expect(new Set(gaps).size).toBeGreaterThan(1);
    const cfg = e.config;
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(cfg.electionTimeoutMs + cfg.backoffMs);
      expect(g).toBeLessThanOrEqual(cfg.electionTimeoutMs + 2 * cfg.backoffMs + 10);
    }
  });
});

describe('lease-quorum: the primary lease', () => {
  function isolatedPrimary(disabled: SafetyRule[] = []) {
    const c = new Cluster({ members: three, bootstrap: 'n1', disabledRules: disabled });
    c.settle();
    c.isolate('n1');
    let leaseLostAt: number | undefined;
    let firstStandAt: number | undefined;
    for (let t = 0; t < 5000; t += 5) {
      c.step();
      if (leaseLostAt === undefined && !c.elector('n1').hasLease(c.now)) leaseLostAt = c.now;
      if (firstStandAt === undefined && (c.elector('n2').role !== 'replica' || c.elector('n3').role !== 'replica')) firstStandAt = c.now;
    }
    return { c, leaseLostAt, firstStandAt };
  }

  it('a primary isolated from everyone loses its lease before anyone else stands', () => {
    const { c, leaseLostAt, firstStandAt } = isolatedPrimary();
    expect(leaseLostAt).toBeDefined();
    expect(firstStandAt).toBeDefined();
    expect(firstStandAt! - leaseLostAt!).toBeGreaterThanOrEqual(FAST.maxDriftMs!);
    expect(c.elector('n1').writesAllowed(c.now)).toBe(false);
    c.expectSafe();
  });

  it('without the lease quorum the isolated primary keeps a lease while another node holds one', () => {
    const { c } = isolatedPrimary(['lease-quorum']);
    expect(c.leaseOverlaps.length).toBeGreaterThan(0);
  });
});

describe('restart-grace: a restarted voter refuses for downAfterMs', () => {
  it('a restarted voter refuses votes for downAfterMs, since it may owe a lease it forgot', () => {
    const store = new MemoryVoteStore({ epoch: 3, votedFor: null });
    const { e } = lone({ id: 'n3', store });
    e.tick(1000);
    e.setReplOffset(0, 1000);
    expect(e.onMessage('n2', prevote(4, 'n2'), 1001)[0]?.msg).toMatchObject({ type: 'REFUSE', reason: 'starting' });
    const afterGrace = 1000 + FAST.downAfterMs!;
    e.tick(afterGrace); // no primary heard since the restart: lost, so a fresh offset is needed
    e.setReplOffset(0, afterGrace);
    expect(e.onMessage('n2', prevote(4, 'n2'), afterGrace + 1)[0]?.msg.type).toBe('PREACCEPT');

    const loose = lone({ id: 'n3', store, disabled: ['restart-grace'] }).e;
    loose.tick(1000);
    loose.setReplOffset(0, 1000);
    // The first request makes it detach and read its offset again (data rule); then it grants at once.
    expect(loose.onMessage('n2', prevote(4, 'n2'), 1001)[0]?.msg).toMatchObject({ reason: 'offset-unknown' });
    loose.setReplOffset(0, 1002);
    expect(loose.onMessage('n2', prevote(4, 'n2'), 1003)[0]?.msg.type).toBe('PREACCEPT');
  });
});

describe('fast-step-down: an unhealthy primary steps down at once', () => {
  it('a primary whose redis is unhealthy steps down at once and a replica wins well before downAfterMs', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.settle();
    c.setHealthy('n1', false);
    const took = c.runUntil(() => c.leader() !== undefined && c.leader() !== 'n1', 2000, 'a new leader');
    expect(took).toBeLessThan(FAST.downAfterMs! / 2);
    expect(c.sentOf('HB', 'n1').some((s) => s.msg.type === 'HB' && s.msg.role === 'replica' && s.msg.epoch === 1)).toBe(true);
    c.expectSafe();
  });
});

describe('electable-only: who never stands', () => {
  it('witnesses and priority-0 members never stand, even when nobody else can', () => {
    const c = new Cluster({ members: [{ id: 'n1' }, { id: 'n2', priority: 0 }, { id: 'w', witness: true }], bootstrap: 'n1' });
    c.settle();
    c.crash('n1');
    const crashedAt = c.now;
    c.runFor(10_000);
    expect(c.sentOf('PREVOTE').filter((s) => s.at > crashedAt)).toEqual([]);
    expect(c.sentOf('OFFER').filter((s) => s.at > crashedAt)).toEqual([]);
    expect(c.elector('n2').epoch).toBe(1);
    expect(c.leader()).toBeUndefined();
  });

  it('an unhealthy member never stands, even with the highest offset', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.settle();
    c.setOffset('n2', 500);
    c.setOffset('n3', 400);
    c.setHealthy('n2', false);
    c.runFor(100);
    c.crash('n1');
    c.runFor(3000);
    expect(c.sentOf('PREVOTE', 'n2')).toEqual([]);
    // n2 cannot vote either (its offset is unknown while unhealthy), so n3 cannot reach a majority: none rather than a wrong one.
    expect(c.leader()).toBeUndefined();
    c.setHealthy('n2', true);
    c.runUntil(() => c.leader() !== undefined, 3000, 'a leader once n2 is healthy');
    expect(c.leader()).toBe('n2');
    c.expectSafe();
  });

  it('a voter refuses a witness or priority-0 candidate', () => {
    const { e } = lone({ id: 'n1', members: [{ id: 'n1' }, { id: 'n2', priority: 0 }, { id: 'w', witness: true }] });
    e.tick(0);
    e.tick(400);
    e.setReplOffset(0, 400);
    expect(e.onMessage('n2', offer(1, 'n2'), 401)[0]?.msg).toMatchObject({ reason: 'not-electable' });
    expect(e.onMessage('w', offer(1, 'w'), 402)[0]?.msg).toMatchObject({ reason: 'not-electable' });
  });
});

describe('data-rule: a hand-off target is judged by the data epoch it reports (simulator seed 3498 at hb 60)', () => {
  /** n1 at epoch 4 holding (4, 100), following n2, which released leadership to n3 (HANDOFF); n3 reports data epoch `targetDataEpoch`. */
  function releasedTo(targetDataEpoch: number) {
    const e = knowPeers(new Elector({ configStore: agreedStore(three), nodeId: 'n1', members: three, advertisedAddr: 'a:1', voteStore: new MemoryVoteStore({ epoch: 4, votedFor: null }), random: () => 0.5, config: FAST }));
    e.tick(0);
    e.onMessage('n2', { type: 'HB', epoch: 4, nodeId: 'n2', role: 'primary', replOffset: 100 }, 1);
    e.onMessage('n2', { type: 'HB', epoch: 4, nodeId: 'n2', role: 'primary', replOffset: 100 }, 305);
    e.setReplOffset(100, 306, 4);
    e.onMessage('n2', { type: 'HANDOFF', epoch: 4, targetId: 'n3', primaryOffset: 100 }, 307);
    e.onMessage('n3', confverLike(e, 'n3', targetDataEpoch), 308);
    return e;
  }
  const answer = (out: { msg: Message }[]) => out.find((o) => o.msg.type !== 'CONFVER' && o.msg.type !== 'CONFIG')?.msg;

  it('a target whose redis never caught up (older data epoch, higher offset of its own lineage) is refused for less data', () => {
    const e = releasedTo(3);
    const out = e.onMessage('n3', { type: 'PREVOTE', epoch: 5, candidateId: 'n3', replOffset: 150, dataEpoch: 3 }, 310);
    expect(answer(out)).toMatchObject({ type: 'REFUSE', reason: 'stale-offset' });
  });

  it('a target that caught up still wins the hand-off without a PREVOTE', () => {
    const e = releasedTo(4);
    const out = e.onMessage('n3', { type: 'OFFER', epoch: 5, candidateId: 'n3', replOffset: 100 }, 310);
    expect(answer(out)).toMatchObject({ type: 'ACCEPT', epoch: 5 });
  });
});

describe('planned-handoff: writes stop, the caught-up target wins', () => {
  it('completes: writes stop at once, the caught-up target wins the next epoch without any timeout', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.settle();
    c.setOffset('n1', 300);
    c.setOffset('n2', 300);
    c.setOffset('n3', 280);
    c.runFor(50);
    c.elector('n1').handOff('n3', c.now);
    expect(c.elector('n1').writesAllowed(c.now)).toBe(false);
    c.runFor(30);
    c.setOffset('n3', 300); // replication catches up
    const took = c.runUntil(() => c.leader() === 'n3', 2000, 'n3 to lead');
    expect(took).toBeLessThan(FAST.downAfterMs! / 2);
    expect(c.elector('n3').epoch).toBe(2);
    c.runUntil(() => c.elector('n1').currentPrimary === 'n3' && c.elector('n2').currentPrimary === 'n3', 500, 'everyone to follow n3');
    expect(c.eventsOf('n1', 'handoff-end')).toMatchObject([{ ok: true }]);
    c.expectSafe();
  });

  it('aborts when the target does not catch up: writes resume under the same primary and epoch', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.settle();
    c.setOffset('n1', 300);
    c.setOffset('n3', 100); // never catches up
    c.runFor(50);
    c.elector('n1').handOff('n3', c.now);
    c.runUntil(() => c.eventsOf('n1', 'handoff-end').length > 0, 5000, 'the hand-off to end');
    expect(c.eventsOf('n1', 'handoff-end')).toMatchObject([{ ok: false }]);
    c.runUntil(() => c.elector('n1').writesAllowed(c.now), 500, 'writes to resume');
    expect(c.leader()).toBe('n1');
    expect(c.elector('n1').epoch).toBe(1);
    // The release is withdrawn: a late OFFER from n3 is refused again.
    c.setOffset('n3', 300);
    c.runFor(2000);
    expect(c.leader()).toBe('n1');
    c.expectSafe();
  });

  it('refuses impossible hand-offs with a reason', () => {
    const c = new Cluster({ members: [{ id: 'n1' }, { id: 'n2' }, { id: 'w', witness: true }], bootstrap: 'n1' });
    c.settle();
    expect(() => c.elector('n1').handOff('w', c.now)).toThrow(/witness/);
    expect(() => c.elector('n1').handOff('zz', c.now)).toThrow(/not a member/);
    expect(() => c.elector('n2').handOff('n1', c.now)).toThrow(/not the primary/);
  });
});

describe('announce-sender: ANNOUNCE checks', () => {
  function forgedAnnounce(disabled: SafetyRule[] = []) {
    const c = new Cluster({ members: three, bootstrap: 'n1', disabledRules: disabled });
    c.settle();
    // n3 claims that n2 won epoch 5.
    c.route('n3', [{ to: 'n1', msg: { type: 'ANNOUNCE', epoch: 5, primaryId: 'n2', primaryAddr: '10.9.9.9:1' } }]);
    c.step();
    return c;
  }

  it('ANNOUNCE is honoured only from the node it names', () => {
    const c = forgedAnnounce();
    expect(c.elector('n1').role).toBe('primary');
    expect(c.elector('n1').epoch).toBe(1);
    expect(c.eventsOf('n1', 'ignored').some((e) => e.type === 'ignored' && e.what === 'ANNOUNCE')).toBe(true);
  });

  it('without the check a forged ANNOUNCE deposes the primary', () => {
    const c = forgedAnnounce(['announce-sender']);
    expect(c.elector('n1').role).toBe('replica');
  });

  it('an ANNOUNCE for an older epoch is ignored', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.settle();
    c.crash('n1');
    c.runUntil(() => c.leader() !== undefined, 3000, 'new leader');
    const leader = c.leader()!;
    const other = leader === 'n2' ? 'n3' : 'n2';
    c.route(leader, []);
    c.nodes.get(other)!.e.onMessage(leader, { type: 'ANNOUNCE', epoch: 1, primaryId: leader, primaryAddr: 'x:1' }, c.now);
    expect(c.eventsOf(other, 'ignored').some((e) => e.type === 'ignored' && /older/.test(e.reason))).toBe(true);
    expect(c.elector(other).epoch).toBe(2);
  });
});

describe('data-epoch-order: data compares as (data epoch, offset)', () => {
  function deposedPrimaryWithLongerLog(disabled: SafetyRule[] = []) {
    const c = new Cluster({ members: three, bootstrap: 'n1', disabledRules: disabled });
    c.settle();
    for (const id of ['n1', 'n2', 'n3']) c.setOffset(id, 455);
    c.runFor(50);
    // n1 is cut off and its redis keeps a tail nobody else has (never acknowledged).
    c.isolate('n1');
    c.setOffset('n1', 535);
    c.runUntil(() => c.leader() !== undefined && c.leader() !== 'n1', 3000, 'a new leader');
    const second = c.leader()!;
    const third = second === 'n2' ? 'n3' : 'n2';
    // The new primary takes writes acknowledged with WAIT 1 (the other replica has them).
    c.setOffset(second, 469);
    c.setOffset(third, 469);
    c.runFor(100);
    // Now the new primary is lost, and the old one comes back just as the survivor notices.
    c.crash(second);
    c.cutLink('n1', third);
    const lost = c.eventsOf(third, 'primary-lost').length;
    c.runUntil(() => c.eventsOf(third, 'primary-lost').length > lost, 2000, `${third} to lose ${second}`);
    c.heal();
    c.runUntil(() => c.leader() !== undefined && c.leader() !== second, 5000, 'a third leader');
    return { c, third };
  }

  it('a deposed primary with a longer log from an older epoch loses to a replica holding the newer epoch', () => {
    const { c, third } = deposedPrimaryWithLongerLog();
    expect(c.leader()).toBe(third);
    expect(c.eventsOf(third, 'vote').some((e) => e.type === 'vote' && e.candidate === 'n1' && !e.granted && e.reason === 'stale-offset')).toBe(true);
    c.expectSafe();
  });

  it('comparing offsets alone elects the deposed primary and loses the newer epoch writes', () => {
    const { c } = deposedPrimaryWithLongerLog(['data-epoch-order']);
    expect(c.leader()).toBe('n1');
  });

  it('a voter whose primary went quiet votes only after declaring it lost and reading a fresh offset', () => {
    const c = new Cluster({ members: three, bootstrap: 'n1' });
    c.settle();
    const n3 = c.node('n3');
    c.crash('n1');
    const lastHeard = c.now;
    // No tick at n3 since: a PREVOTE arrives just after downAfterMs of silence.
    const at = lastHeard + FAST.downAfterMs! + 1;
    const reply = n3.e.onMessage('n2', prevote(2, 'n2', 0, 1), at);
    expect(reply[0]?.msg).toMatchObject({ type: 'REFUSE', reason: 'offset-unknown' });
    expect(c.eventsOf('n3', 'primary-lost').length).toBeGreaterThan(0); // the runtime detaches now
    n3.e.setReplOffset(0, at + 1, 1);
    expect(n3.e.onMessage('n2', prevote(2, 'n2', 0, 1), at + 2)[0]?.msg.type).toBe('PREACCEPT');
  });

  it('an OFFER without a PREVOTE for that epoch is refused by a data voter: its data epoch is unknown', () => {
    const { e } = lone({ id: 'n3' });
    e.tick(0);
    e.tick(400);
    e.setReplOffset(0, 400);
    expect(e.onMessage('n2', offer(1, 'n2'), 401)[0]?.msg).toMatchObject({ type: 'REFUSE', reason: 'offset-unknown' });
    e.onMessage('n2', prevote(1, 'n2'), 402);
    expect(e.onMessage('n2', offer(1, 'n2'), 403)[0]?.msg.type).toBe('ACCEPT');
  });
});

describe('data-epoch-order: the epoch is never below the data epoch', () => {
  function staleLeaseAfterRestart(disabled: SafetyRule[] = []) {
    // The sidecar was down while epoch 5 began; its redis kept replicating and holds epoch 5's stream.
    const { e, store } = lone({ id: 'n3', store: new MemoryVoteStore({ epoch: 2, votedFor: 'n1' }), disabled });
    e.tick(1000);
    e.setReplOffset(900, 1001, 5);
    // A LEASE still in flight from n2, which believed itself primary of epoch 3.
    e.onMessage('n2', { type: 'LEASE', epoch: 3, primaryId: 'n2', seq: 9 }, 1002);
    return { e, store };
  }

  it('a node whose data holds a newer epoch adopts it and ignores a primary of an older one', () => {
    const { e, store } = staleLeaseAfterRestart();
    expect(e.epoch).toBe(5);
    expect(store.load()).toEqual({ epoch: 5, votedFor: null });
    expect(e.currentPrimary).toBeNull();
  });

  it('without the rule it follows the stale primary, whose resync would throw the newer data away', () => {
    const { e } = staleLeaseAfterRestart(['data-epoch-order']);
    expect(e.currentPrimary).toBe('n2');
    expect(e.epoch).toBe(3);
  });
});

describe('data-memory: a voter whose redis lost data judges by the data it held', () => {
  /**
   * n1 (primary) and n2 hold a write acknowledged with WAIT 1 at offset 100; n3 lags at 50.
   * n2's redis restarts empty under its live sidecar, then n1 crashes: n3 stands and needs n2's
   * vote. n1 comes back (its redis kept its data) `returnAfterMs` later, unless that is undefined.
   */
  function wipedVoter(dataMemoryMs: number | undefined, returnAfterMs: number | undefined, disabled: SafetyRule[] = []) {
    const c = new Cluster({ members: three, bootstrap: 'n1', disabledRules: disabled, config: { ...FAST, ...(dataMemoryMs !== undefined ? { dataMemoryMs } : {}) } });
    c.settle();
    c.setOffset('n1', 100);
    c.setOffset('n2', 100);
    c.setOffset('n3', 50);
    c.runFor(100);
    c.setOffset('n2', 0); // restarted empty
    c.runFor(20);
    c.crash('n1');
    if (returnAfterMs !== undefined) {
      c.runFor(returnAfterMs);
      c.restart('n1');
    }
    c.runUntil(() => c.leader() !== undefined, 20_000, 'a new leader');
    return c;
  }

  it('the empty voter refuses the lagging candidate, so the holder wins when it returns and the write survives', () => {
    const c = wipedVoter(undefined, 800);
    expect(c.eventsOf('n2', 'data-lost')).toEqual([{ type: 'data-lost', held: { dataEpoch: 1, offset: 100 }, now: { dataEpoch: 1, offset: 0 }, holdMs: 1500 }]);
    const refusals = c.eventsOf('n2', 'vote').filter((e) => e.type === 'vote' && e.candidate === 'n3' && !e.granted);
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals[0]).toMatchObject({ reason: 'stale-offset', detail: expect.stringContaining('held before our redis lost data') });
    expect(c.leader()).toBe('n1');
    expect(c.node('n1').offset).toBe(100);
    c.expectSafe();
  });

  it('without it (dataMemoryMs 0) the empty voter grants the lagging replica, which wins without the write', () => {
    const c = wipedVoter(0, 800);
    expect(c.leader()).toBe('n3');
    expect(c.node('n3').offset).toBeLessThan(100);
  });

  it('switched off (disabledRules data-memory) the same: the lagging replica wins without the write', () => {
    const c = wipedVoter(undefined, 800, ['data-memory']);
    expect(c.eventsOf('n2', 'data-lost')).toEqual([]);
    expect(c.leader()).toBe('n3');
    expect(c.node('n3').offset).toBeLessThan(100);
  });

  it('if no holder returns, it forgets after dataMemoryMs and the cluster elects the best it has', () => {
    const c = wipedVoter(undefined, undefined);
    expect(c.leader()).toBe('n3');
    expect(c.eventsOf('n2', 'data-forgotten')).toHaveLength(1);
    const forgotAt = c.eventsOf('n2').indexOf(c.eventsOf('n2', 'data-forgotten')[0]!);
    const granted = c.eventsOf('n2').findIndex((e) => e.type === 'vote' && e.candidate === 'n3' && e.granted && !e.prevote);
    expect(granted).toBeGreaterThan(forgotAt);
    c.expectSafe();
  });
});

describe('prevote-probe: a transient refusal is asked again', () => {
  const refuse = (e: Elector, at: number) => e.onMessage('n3', { type: 'REFUSE', epoch: 1, voterId: 'n3', voterEpoch: 0, reason: 'offset-unknown' }, at);
  const prevotes = (e: Elector, at: number) => e.tick(at).filter((o) => o.msg.type === 'PREVOTE');
  /** n2, no primary ever heard, in its pre-vote for epoch 1 from t=405. */
  function preVoting(): Elector {
    const { e } = lone({ id: 'n2' });
    e.tick(0);
    e.tick(400); // no primary heard: lost
    e.setReplOffset(0, 400, 0);
    expect(prevotes(e, 405).length).toBeGreaterThan(0);
    return e;
  }

  it('a voter that refused only for lack of a fresh offset gets the PREVOTE again a twentieth of a heartbeat later', () => {
    const e = preVoting();
    refuse(e, 406);
    // FAST's heartbeat is 20 ms: the first wait is 1 ms (10 ms at the default 200 ms heartbeat).
    expect(e.nextDeadline(406)).toBe(407);
    const again = prevotes(e, 407);
    expect(again).toEqual([{ to: 'n3', msg: expect.objectContaining({ type: 'PREVOTE', epoch: 1 }) }]);
    expect(e.onMessage('n3', { type: 'PREACCEPT', epoch: 1, voterId: 'n3' }, 408).some((o) => o.msg.type === 'OFFER')).toBe(true);
  });

  it('each further such refusal doubles the wait, up to half a heartbeat, and nothing is re-sent before its answer', () => {
    const e = preVoting();
    let now = 406;
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      refuse(e, now);
      let wait = 1;
      while (wait < 100 && prevotes(e, now + wait).length === 0) wait++;
      waits.push(wait);
      now += wait;
      // Asked: no further PREVOTE to it until it answers again (the round lasts 150 ms).
      expect(prevotes(e, now + 1)).toEqual([]);
      now += 1;
    }
    expect(waits).toEqual([1, 2, 4, 8, 10, 10]);
  });
});

describe('adopt-existing: a fresh cluster keeps the replica set its redis-servers already form', () => {
  // n2's redis is the existing master (Sentinel ran it); n1's and n3's replicate from it.
  const linkedTo = (master: string, linkUp = true) => ({ kind: 'replica' as const, master, masterAddr: `127.0.0.1:700${master.slice(1)}`, linkUp });
  function replicaOfN2(opts: { id?: string; disabled?: SafetyRule[]; bootstrap?: boolean } = {}) {
    const events: import('../../src/index.js').ElectorEvent[] = [];
    const e = new Elector({
      nodeId: opts.id ?? 'n3',
      members: three,
      advertisedAddr: '127.0.0.1:6379',
      startRole: opts.bootstrap ? 'primary' : 'replica',
      voteStore: new MemoryVoteStore(),
      random: () => 0.5,
      config: { ...FAST, adoptWaitMs: 3000 },
      disabledRules: opts.disabled,
      onEvent: (ev) => events.push(ev),
      configStore: agreedStore(three),
    });
    knowPeers(e);
    e.tick(0);
    e.setLocalTopology(linkedTo('n2'), 10);
    e.setReplOffset(500, 10, 0);
    return { e, events };
  }
  const detached = (events: { type: string; primary?: string | null }[]) => events.some((ev) => ev.type === 'follow' && ev.primary === null);

  it('a voter whose redis still replicates from the existing master refuses every other candidate, and keeps redis linked', () => {
    const { e, events } = replicaOfN2();
    const out = e.onMessage('n1', prevote(1, 'n1', 500), 20);
    expect(out).toEqual([{ to: 'n1', msg: { type: 'REFUSE', epoch: 1, voterId: 'n3', voterEpoch: 0, reason: 'primary-alive' } }]);
    expect(events.find((ev) => ev.type === 'vote')).toMatchObject({ granted: false, detail: expect.stringContaining("replicates from n2's") });
    for (let t = 20; t < 2900; t += 20) e.tick(t);
    expect(detached(events), 'no detach within the adoption wait').toBe(false);
    expect(events.find((ev) => ev.type === 'adoption')).toMatchObject({ stance: 'await', master: 'n2' });
  });

  it("without it the voter grants on an offset its redis is still adding to (the freshBoot exception), and n1 can win while n2's redis takes writes", () => {
    const { e, events } = replicaOfN2({ disabled: ['adopt-existing'] });
    const out = e.onMessage('n1', prevote(1, 'n1', 500), 20);
    expect(out).toEqual([{ to: 'n1', msg: { type: 'PREACCEPT', epoch: 1, voterId: 'n3' } }]);
    expect(detached(events)).toBe(false);
  });

  it('it grants the existing master without detaching, and follows it without a REPLICAOF change', () => {
    const { e, events } = replicaOfN2();
    expect(e.onMessage('n2', prevote(1, 'n2', 500), 20)).toEqual([{ to: 'n2', msg: { type: 'PREACCEPT', epoch: 1, voterId: 'n3' } }]);
    expect(e.onMessage('n2', offer(1, 'n2', 500), 25)).toEqual([{ to: 'n2', msg: { type: 'ACCEPT', epoch: 1, accepterId: 'n3' } }]);
    e.onMessage('n2', { type: 'ANNOUNCE', epoch: 1, primaryId: 'n2', primaryAddr: '127.0.0.1:7002' }, 30);
    expect(detached(events)).toBe(false);
    expect(events.filter((ev) => ev.type === 'follow')).toEqual([expect.objectContaining({ primary: 'n2', epoch: 1 })]);
  });

  it('the data rule still applies to the existing master: less data than ours is refused', () => {
    const { e } = replicaOfN2();
    expect(e.onMessage('n2', prevote(1, 'n2', 400), 20)[0]!.msg).toMatchObject({ type: 'REFUSE', reason: 'stale-offset' });
  });

  it('the bootstrap node named by --bootstrap-primary does not stand while its redis replicates from another member: the data wins', () => {
    const { e, events } = replicaOfN2({ id: 'n1', bootstrap: true });
    for (const p of ['n2', 'n3']) e.onMessage(p, { type: 'HB', epoch: 0, nodeId: p, role: 'replica', replOffset: 500 }, 15);
    const sent = [];
    for (let t = 20; t < 2900; t += 20) {
      e.onMessage('n3', { type: 'HB', epoch: 0, nodeId: 'n3', role: 'replica', replOffset: 500 }, t);
      sent.push(...e.tick(t));
    }
    expect(sent.filter((o) => o.msg.type === 'PREVOTE')).toEqual([]);
    expect(events.find((ev) => ev.type === 'adoption')).toMatchObject({ stance: 'await', reason: expect.stringContaining('the data wins') });
  });

  it('without it the bootstrap node stands at once beside the writable master', () => {
    const { e } = replicaOfN2({ id: 'n1', bootstrap: true, disabled: ['adopt-existing'] });
    e.onMessage('n3', { type: 'HB', epoch: 0, nodeId: 'n3', role: 'replica', replOffset: 500 }, 15);
    expect(e.tick(20).some((o) => o.msg.type === 'PREVOTE')).toBe(true);
  });

  it('the existing master stands at once and keeps its redis all through the wait; it votes for nobody else', () => {
    const events: import('../../src/index.js').ElectorEvent[] = [];
    const e = knowPeers(new Elector({ configStore: agreedStore(three), nodeId: 'n2', members: three, advertisedAddr: '127.0.0.1:7002', voteStore: new MemoryVoteStore(), random: () => 0.5, config: { ...FAST, adoptWaitMs: 3000 }, onEvent: (ev) => events.push(ev) }));
    e.tick(0);
    e.setLocalTopology({ kind: 'master', replicas: 2 }, 10);
    e.setReplOffset(500, 10, 0);
    e.onMessage('n3', { type: 'HB', epoch: 0, nodeId: 'n3', role: 'replica', replOffset: 500 }, 12);
    expect(e.tick(15).find((o) => o.msg.type === 'PREVOTE')?.msg).toMatchObject({ epoch: 1, replOffset: 500 });
    expect(e.onMessage('n1', prevote(1, 'n1', 900), 20)[0]!.msg).toMatchObject({ type: 'REFUSE', reason: 'primary-alive' });
    for (let t = 20; t < 2900; t += 20) e.tick(t);
    expect(detached(events), 'an existing master is never detached during the wait').toBe(false);
  });

  it('after the adoption wait a waiting voter detaches first, and votes only on an offset read after that', () => {
    const { e, events } = replicaOfN2();
    for (let t = 20; t <= 3000; t += 20) e.tick(t);
    expect(events.find((ev) => ev.type === 'primary-lost')).toMatchObject({ reason: expect.stringContaining('adoption wait') });
    expect(detached(events)).toBe(true);
    expect(e.onMessage('n1', prevote(1, 'n1', 500), 3010)[0]!.msg).toMatchObject({ type: 'REFUSE', reason: 'offset-unknown' });
    e.setLocalTopology({ kind: 'detached' }, 3020);
    e.setReplOffset(510, 3020, 0);
    expect(e.onMessage('n1', prevote(1, 'n1', 510), 3030)[0]!.msg).toMatchObject({ type: 'PREACCEPT' });
  });

  it("a voter whose link to the master stayed down for downAfterMs detaches before the wait is over", () => {
    const { e, events } = replicaOfN2();
    e.setLocalTopology(linkedTo('n2', false), 100);
    for (let t = 120; t < 100 + FAST.downAfterMs! + 40; t += 20) e.tick(t);
    expect(events.find((ev) => ev.type === 'primary-lost')).toMatchObject({ reason: expect.stringContaining('link to n2') });
  });

  it('a voter whose redis replicates from a host that is not a member detaches at once', () => {
    const events: import('../../src/index.js').ElectorEvent[] = [];
    const e = knowPeers(new Elector({ configStore: agreedStore(three), nodeId: 'n3', members: three, advertisedAddr: '127.0.0.1:6379', voteStore: new MemoryVoteStore(), random: () => 0.5, config: FAST, onEvent: (ev) => events.push(ev) }));
    e.tick(0);
    e.setLocalTopology({ kind: 'replica', master: null, masterAddr: '10.9.9.9:6379', linkUp: true }, 10);
    e.setReplOffset(500, 10, 0);
    e.tick(20);
    expect(events.find((ev) => ev.type === 'primary-lost')).toMatchObject({ reason: expect.stringContaining("not a member's redis") });
    expect(e.onMessage('n1', prevote(1, 'n1', 500), 25)[0]!.msg).toMatchObject({ type: 'REFUSE', reason: 'offset-unknown' });
  });
});
