/**
 * The simulator's parts, one at a time: what the sweeps rely on without
 * checking it themselves.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DataHistory } from '../../lab/sim/data-epoch.js';
import { EventHeap } from '../../lab/sim/heap.js';
import { isolateCut, Network, oneWayCut, ringCut, symmetricCut } from '../../lab/sim/network.js';
import { defaultParams, livenessBoundMs } from '../../lab/sim/params.js';
import { commonPrefix, RedisModel } from '../../lab/sim/redis.js';
import { Rng } from '../../lab/sim/rng.js';
import { SINGLE_SCENARIOS } from '../../lab/sim/scenarios.js';
import { runSeed } from '../../lab/sim/world.js';
import { Writes } from '../../lab/sim/writes.js';

describe('network partitions', () => {
  it('overlapping cuts heal only when the last one ends', () => {
    const net = new Network(5, new Rng(1, 'links'));
    const a = symmetricCut([0, 1], [2, 3, 4]);
    const b = isolateCut(0, 5);
    net.cut(a, 1);
    net.cut(b, 1);
    expect(net.isUp(0, 2)).toBe(false);
    net.cut(a, -1);
    expect(net.isUp(0, 2)).toBe(false); // still isolated
    expect(net.isUp(1, 2)).toBe(true);
    net.cut(b, -1);
    expect(net.cutCount()).toBe(0);
    expect(() => net.cut(b, -1)).toThrow(/not cut/);
  });

  it('a one-way cut stops one direction only', () => {
    const net = new Network(3, new Rng(1, 'links'));
    net.cut(oneWayCut([0], [1, 2]), 1);
    expect(net.isUp(0, 1)).toBe(false);
    expect(net.isUp(1, 0)).toBe(true);
    expect(net.isUp(1, 2)).toBe(true);
  });

  it('a majorities ring leaves every node a majority and, from 5 nodes, no two the same view', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 15 }), fc.integer(), (n, seed) => {
        const order = new Rng(seed, 'order').shuffle([...Array(n).keys()]);
        const net = new Network(n, new Rng(seed, 'links'));
        net.cut(ringCut(order), 1);
        const majority = Math.floor(n / 2) + 1;
        const views = new Set<string>();
        for (let i = 0; i < n; i++) {
          const sees = [...Array(n).keys()].filter((j) => j === i || (net.isUp(i, j) && net.isUp(j, i)));
          expect(sees.length).toBeGreaterThanOrEqual(majority);
          views.add(sees.join(','));
        }
        if (n >= 5) expect(views.size).toBe(n);
      }),
      { numRuns: 100 },
    );
  });

  it('loss only while a lossy fault is active; the worst active one wins', () => {
    const net = new Network(3, new Rng(1, 'links'));
    const rng = new Rng(2, 'x');
    expect(net.delivers(rng)).toBe(true);
    const q1 = { loss: 0.3, dup: 0, tailP: 0.2, tailMs: 40 };
    const q2 = { loss: 0.1, dup: 0.05, tailP: 0.2, tailMs: 80 };
    net.addLossy(q1);
    net.addLossy(q2);
    expect([net.loss, net.dup, net.tailMs]).toEqual([0.3, 0.05, 80]);
    net.removeLossy(q1);
    expect(net.loss).toBe(0.1);
    net.removeLossy(q2);
    expect(net.loss).toBe(0);
  });
});

describe('redis model', () => {
  const rng = new Rng(7, 'data');
  const primary = (log: number[]): RedisModel => {
    const m = new RedisModel(1, 1);
    m.promote(1, 1);
    m.log = log;
    return m;
  };

  it('a replica on the same history streams a prefix, applyMax entries at most per round', () => {
    const m = primary([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const r = new RedisModel(2, 2);
    r.attach(0, m);
    r.log = [1, 2];
    for (let k = 0; k < 20; k++) {
      const before = r.log.length;
      expect(r.pull(m, k, rng, 4, 200, [10, 40])).toBe('applied');
      expect(r.log.length - before).toBeLessThanOrEqual(4);
      expect(m.log.slice(0, r.log.length)).toEqual(r.log);
    }
    expect(r.log).toEqual(m.log);
    expect(r.linked).toBe(true);
    expect(r.replId).toBe(m.replId);
  });

  it('a divergent replica truncates to the common prefix and full-resyncs (unlinked until done)', () => {
    const m = primary([1, 2, 3, 7, 8]);
    const r = new RedisModel(2, 2);
    r.attach(0, m);
    r.log = [1, 2, 3, 4, 5, 6];
    expect(r.pull(m, 0, rng, 4, 200, [10, 40])).toBe('full-sync');
    expect(r.log).toEqual([1, 2, 3]);
    expect(r.syncing).toBe(true);
    expect(r.linked).toBe(false);
    expect(r.pull(m, 5, rng, 4, 200, [10, 40])).toBe('applied'); // still loading
    expect(r.pull(m, 100, rng, 4, 200, [10, 40])).toBe('synced');
    expect(r.log).toEqual(m.log);
    expect(r.syncing).toBe(false);
    expect(r.linked).toBe(true);
  });

  it('a replica beyond the backlog full-resyncs without truncating', () => {
    const m = primary([...Array(300).keys()].map((i) => i + 1));
    const r = new RedisModel(2, 2);
    r.attach(0, m);
    r.log = [1, 2];
    expect(r.pull(m, 0, rng, 4, 200, [10, 40])).toBe('full-sync');
    expect(r.log).toEqual([1, 2]);
  });

  it('common prefix of logs with unique entries at fixed indices', () => {
    expect(commonPrefix([1, 2, 3, 4], [1, 2, 9])).toBe(2);
    expect(commonPrefix([], [1])).toBe(0);
    expect(commonPrefix([1, 2], [1, 2, 3])).toBe(2);
  });

  it('promotion gives a new replication id, except on a master (REPLICAOF NO ONE does nothing there)', () => {
    const r = new RedisModel(1, 5);
    r.promote(2, 6);
    expect([r.role, r.replId, r.primaryEpoch]).toEqual(['master', 6, 2]);
    r.promote(3, 7);
    expect([r.replId, r.primaryEpoch]).toEqual([6, 3]);
  });

  it('a restart keeps data and replication id, or loses both when EMPTY', () => {
    const r = new RedisModel(1, 5);
    r.log = [1, 2];
    r.kill();
    r.restart(2, false, 9);
    expect([r.log.length, r.replId, r.runId]).toEqual([2, 5, 2]);
    r.restart(3, true, 9);
    expect([r.log.length, r.replId]).toEqual([0, 9]);
  });
});

describe('WAIT', () => {
  function setup() {
    const net = new Network(3, new Rng(1, 'links'));
    const m = new RedisModel(1, 1);
    m.promote(1, 1);
    m.fenced = false;
    const r1 = new RedisModel(2, 2);
    const r2 = new RedisModel(3, 3);
    r1.attach(0, m);
    r2.attach(0, m);
    return { net, m, r1, r2, redis: [m, r1, r2], writes: new Writes(3) };
  }

  it('acknowledges a write once enough attached replicas hold it, in order', () => {
    const { net, m, r1, redis, writes } = setup();
    const acks: number[] = [];
    const a = writes.write(0, m, 0);
    const b = writes.write(0, m, 1);
    writes.settle(redis, net, 2, 100, () => 1, (id) => acks.push(id));
    expect(acks).toEqual([]);
    r1.log = m.log.slice(0, 1);
    writes.settle(redis, net, 3, 100, () => 1, (id) => acks.push(id));
    expect(acks).toEqual([a]);
    r1.log = m.log.slice();
    writes.settle(redis, net, 4, 100, () => 1, (id) => acks.push(id));
    expect(acks).toEqual([a, b]);
  });

  it('does not count a replica whose ack link is cut, that follows another master, or holds a stale credential', () => {
    const { net, m, r1, r2, redis, writes } = setup();
    const acks: number[] = [];
    writes.write(0, m, 0);
    r1.log = m.log.slice();
    r2.log = m.log.slice();
    net.cut([[1, 0]], 1);
    r2.attachRunId = 99; // m restarted since r2 was attached
    writes.settle(redis, net, 1, 100, () => 1, (id) => acks.push(id));
    expect(acks).toEqual([]);
    net.cut([[1, 0]], -1);
    writes.settle(redis, net, 2, 100, () => 1, (id) => acks.push(id));
    expect(acks).toHaveLength(1);
  });

  it('times out, and never acknowledges a write the master no longer holds', () => {
    const { net, m, r1, redis, writes } = setup();
    const acks: number[] = [];
    writes.write(0, m, 0);
    writes.write(0, m, 0);
    writes.settle(redis, net, 150, 100, () => 1, (id) => acks.push(id)); // both timed out
    r1.log = m.log.slice();
    writes.settle(redis, net, 151, 100, () => 1, (id) => acks.push(id));
    expect(acks).toEqual([]);
    const c = writes.write(0, m, 200);
    r1.log = m.log.slice();
    m.log.length = 2; // truncated under us
    writes.settle(redis, net, 201, 100, () => 1, (id) => acks.push(id));
    expect(acks).not.toContain(c);
  });
});

describe('data epoch', () => {
  it('exact: the largest epoch whose stream the log is a prefix of, at least as long as its base', () => {
    const h = new DataHistory();
    h.promoted(1, []);
    for (const id of [1, 2, 3]) h.wrote(id, 1);
    h.promoted(2, [1, 2]); // promoted with 2 of epoch 1's 3 writes
    h.wrote(4, 2);
    expect(h.epochOf([])).toBe(1);
    expect(h.epochOf([1])).toBe(1);
    expect(h.epochOf([1, 2])).toBe(2); // exactly the base of epoch 2 (in the simulator a base ends with its marker)
    expect(h.epochOf([1, 2, 3])).toBe(1); // the deposed primary's tail
    expect(h.epochOf([1, 2, 4])).toBe(2);
    h.promoted(2, [1, 2, 4]); // repeats are ignored
    expect(h.epochOf([1, 2, 4])).toBe(2);
  });

  it('marker: the epoch of the last marker in the log, carried by replication, truncation, resync and restarts', () => {
    const rng = new Rng(3, 'data');
    const m = new RedisModel(1, 1);
    m.promote(4, 1);
    m.appendMarker(1, 1); // the primary of epoch 1 marked its stream first
    m.log.push(2);
    m.appendMarker(3, 4); // the primary of epoch 4, promoted with [1, 2]
    m.log.push(4, 5);
    expect(m.dataEpoch).toBe(4);
    const r = new RedisModel(2, 2);
    expect(r.dataEpoch).toBe(0); // no marker: an empty dataset
    r.attach(0, m);
    while (r.log.length < 2) r.pull(m, 0, rng, 1, 200, [10, 40]);
    expect(r.dataEpoch).toBe(1);
    while (r.log.length < 3) r.pull(m, 0, rng, 1, 200, [10, 40]);
    expect(r.dataEpoch).toBe(4); // marker 4 arrived down the stream
    while (r.log.length < m.log.length) r.pull(m, 0, rng, 4, 200, [10, 40]);
    expect([r.markerIdx, r.markerEpoch]).toEqual([[0, 2], [1, 4]]);
    // The primary of epoch 3 marked its stream and was deposed before anyone replicated it:
    // the divergent tail, marker and all, is truncated away.
    const old = new RedisModel(3, 3);
    old.appendMarker(1, 1);
    old.log.push(2);
    old.appendMarker(9, 3);
    expect(old.dataEpoch).toBe(3);
    old.attach(0, m);
    expect(old.pull(m, 0, rng, 4, 200, [10, 40])).toBe('full-sync');
    expect([old.log, old.dataEpoch]).toEqual([[1, 2], 1]);
    expect(old.pull(m, 100, rng, 4, 200, [10, 40])).toBe('synced');
    expect(old.dataEpoch).toBe(4);
    old.kill();
    old.restart(9, false, 9);
    expect(old.dataEpoch).toBe(4); // restarted with its data: the marker is in the RDB
    old.restart(10, true, 10);
    expect(old.dataEpoch).toBe(0); // EMPTY
  });

  it('marker and exact agree at every poll, across seeds, sizes and scenarios', () => {
    let polls = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const r = runSeed({ seed, nodes: [3, 5, 7][seed % 3]!, scenario: seed % 2 === 0 ? 'mixed' : SINGLE_SCENARIOS[seed % SINGLE_SCENARIOS.length]! });
      expect(r.stats.markerMismatches, `seed ${seed}`).toBe(0);
      polls += r.stats.events;
    }
    expect(polls).toBeGreaterThan(0);
  });
});

describe('event heap', () => {
  it('pops in (time, insertion) order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (times) => {
        const h = new EventHeap<{ t: number; seq: number; k: number }>();
        times.forEach((t, k) => h.push({ t, seq: 0, k }));
        const out: { t: number; k: number }[] = [];
        for (let e = h.pop(); e; e = h.pop()) out.push({ t: e.t, k: e.k });
        const want = times.map((t, k) => ({ t, k })).sort((a, b) => a.t - b.t || a.k - b.k);
        expect(out).toEqual(want);
      }),
    );
  });
});

describe('liveness bound', () => {
  it('is 2·D + 4·(E + 2·B) + R·(n − 1)/4 + S + P', () => {
    const p = defaultParams();
    const c = p.elector;
    for (const n of [3, 5, 7, 101]) {
      expect(livenessBoundMs(p, n)).toBe(2 * c.downAfterMs + 4 * (c.electionTimeoutMs + 2 * c.backoffMs) + (c.rankDelayMs * (n - 1)) / 4 + p.fullSyncMs[1] + c.promoteTimeoutMs);
    }
    expect(livenessBoundMs(p, 7)).toBeGreaterThan(livenessBoundMs(p, 5));
  });
});
