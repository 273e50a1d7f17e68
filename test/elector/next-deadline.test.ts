/**
 * Elector.nextDeadline(): the sidecar sleeps until it instead of ticking on a
 * fixed period, and ticks after every input. Two things must hold:
 *
 * 1. Nothing is missed: after a tick at t0 and no input since, a tick at any
 *    time before nextDeadline(t0) emits no message and no event and changes
 *    nothing visible. Checked by probe ticks at random times in between,
 *    through whole failover scenarios.
 * 2. Ticking only at deadlines and after inputs is enough: the cluster elects
 *    a primary, replaces a crashed one within its timings, hands off, and no
 *    two leases ever overlap.
 */
import { agreedStore } from './agree.js';
import { describe, expect, it } from 'vitest';
import { Elector, MemoryVoteStore, type ElectionMessage, type ElectorEvent, type Outbound } from '../../src/index.js';
import { mulberry32 } from '../../lab/util/mulberry32.js';
import { FAST as HARNESS_FAST } from './harness.js';

/** Fast timings whose deadlines do not line up with the heartbeats, so no deadline hides behind an HB tick. */
const FAST = { ...HARNESS_FAST, leaseMs: 187, rankDelayMs: 33, backoffMs: 71, electionTimeoutMs: 143 };

interface Node {
  id: string;
  e: Elector;
  events: ElectorEvent[];
  alive: boolean;
  offset: number;
  dataEpoch: number;
  /** When the Elector said a tick could next matter. */
  next: number;
  /** Time of its last tick, when nothing was given to it since (else undefined). */
  quietSince: number | undefined;
  nextPollAt: number;
  /** Redis restarted empty: the modelled data stays at nothing. */
  wiped: boolean;
}

/** A cluster driven the way the sidecar's wake scheduler drives it: ticks at nextDeadline() and after every input, never on a period. */
class DeadlineCluster {
  now = 0;
  readonly nodes: Node[] = [];
  private queue: Array<{ at: number; from: string; to: string; msg: ElectionMessage }> = [];
  readonly rng: () => number;
  probes = 0;
  readonly leaseOverlaps: number[] = [];
  readonly winners = new Map<number, Set<string>>();
  /** Nodes cut off from everyone (both ways). */
  readonly isolated = new Set<string>();

  constructor(
    n: number,
    seed: number,
    readonly pollMs = 37,
    readonly delayMs = 2,
  ) {
    this.rng = mulberry32(seed);
    const members = Array.from({ length: n }, (_, i) => ({ id: `n${i + 1}` }));
    for (const m of members) {
      const events: ElectorEvent[] = [];
      const e = new Elector({
        nodeId: m.id,
        members,
        advertisedAddr: `127.0.0.1:${6000 + members.indexOf(m)}`,
        startRole: m.id === 'n1' ? 'primary' : 'replica',
        config: FAST,
        voteStore: new MemoryVoteStore(),
        configStore: agreedStore(members),
        random: mulberry32(seed * 31 + members.indexOf(m)),
        onEvent: (ev) => {
          events.push(ev);
          if (ev.type === 'elected') this.winners.set(ev.epoch, (this.winners.get(ev.epoch) ?? new Set()).add(m.id));
        },
      });
      this.nodes.push({ id: m.id, e, events, alive: true, offset: 0, dataEpoch: 0, next: 0, quietSince: undefined, nextPollAt: this.rng() * pollMs, wiped: false });
    }
  }

  node(id: string): Node {
    return this.nodes.find((n) => n.id === id)!;
  }

  private route(from: string, outs: Outbound[]): void {
    for (const o of outs) {
      for (const to of o.to === '*' ? this.nodes.filter((n) => n.id !== from).map((n) => n.id) : [o.to]) {
        if (this.isolated.has(from) || this.isolated.has(to)) continue;
        this.queue.push({ at: this.now + this.delayMs * (0.5 + this.rng()), from, to, msg: o.msg });
      }
    }
  }

  private tick(n: Node): void {
    this.route(n.id, n.e.tick(this.now));
    n.next = n.e.nextDeadline(this.now);
    expect(n.next, `${n.id}: nextDeadline after a tick`).toBeGreaterThan(this.now);
    n.quietSince = this.now;
  }

  /** A tick at a random time before the deadline, with no input since the last tick, must change nothing. */
  private probe(until: number): void {
    for (const n of this.nodes) {
      if (!n.alive || n.quietSince === undefined) continue;
      const end = Math.min(until, n.next);
      if (end <= n.quietSince) continue;
      const t = n.quietSince + (end - n.quietSince) * this.rng();
      if (t >= n.next) continue;
      const before = JSON.stringify(n.e.snapshot(t));
      const events = n.events.length;
      const out = n.e.tick(t);
      this.probes += 1;
      expect(out, `${n.id}: a tick at ${t} before its deadline ${n.next} sent messages`).toEqual([]);
      expect(n.events.slice(events), `${n.id}: a tick at ${t} before its deadline ${n.next} emitted events`).toEqual([]);
      expect(JSON.stringify(n.e.snapshot(t)), `${n.id}: a tick at ${t} before its deadline ${n.next} changed the state`).toBe(before);
    }
  }

  runFor(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const alive = this.nodes.filter((n) => n.alive);
      const t = Math.min(end, ...this.queue.map((m) => m.at), ...alive.map((n) => n.next), ...alive.map((n) => n.nextPollAt));
      this.probe(t);
      if (t >= end && this.now >= end) break;
      this.now = Math.max(this.now, t);
      // Inputs first (messages due, then a poll's health and offset), each followed by a tick: what an input makes due at once.
      const due = this.queue.filter((m) => m.at <= this.now);
      this.queue = this.queue.filter((m) => m.at > this.now);
      for (const m of due) {
        const n = this.node(m.to);
        if (!n.alive) continue;
        this.route(n.id, n.e.onMessage(m.from, m.msg, this.now));
        n.quietSince = undefined;
        this.tick(n);
      }
      for (const n of alive) {
        if (n.nextPollAt <= this.now) {
          // The primary's data grows with time; a follower holds all of it (it catches up at once here).
          const p = this.nodes.find((x) => x.alive && x.e.role === 'primary');
          if (n.wiped) [n.offset, n.dataEpoch] = [0, 0];
          else if (n.e.role === 'primary') [n.offset, n.dataEpoch] = [Math.floor(this.now), n.e.epoch];
          else if (n.e.following !== null && p?.id === n.e.following) [n.offset, n.dataEpoch] = [p.offset, n.e.epoch];
          n.e.setHealthy(true);
          n.e.setReplOffset(n.offset, this.now, n.dataEpoch);
          n.nextPollAt = this.now + this.pollMs;
          this.tick(n);
        } else if (n.next <= this.now) this.tick(n);
      }
      if (alive.filter((n) => n.e.hasLease(this.now)).length > 1) this.leaseOverlaps.push(this.now);
      if (this.now >= end) break;
    }
  }

  leader(): string | undefined {
    const h = this.nodes.filter((n) => n.alive && n.e.hasLease(this.now));
    return h.length === 1 ? h[0]!.id : undefined;
  }

  /** Answer a promote event as the runtime would (REPLICAOF NO ONE worked). */
  confirmPromotions(): void {
    for (const n of this.nodes) {
      if (!n.alive || n.e.snapshot(this.now).phase !== 'promoting') continue;
      this.route(n.id, n.e.promoted(true, this.now));
      n.quietSince = undefined;
      this.tick(n);
    }
  }

  runUntil(pred: () => boolean, ms: number, what: string): number {
    const start = this.now;
    while (!pred()) {
      if (this.now - start > ms) throw new Error(`no ${what} within ${ms} ms`);
      this.runFor(1);
      this.confirmPromotions();
    }
    return this.now - start;
  }

  expectSafe(): void {
    for (const [epoch, set] of this.winners) expect(set.size, `winners of epoch ${epoch}`).toBeLessThanOrEqual(1);
    expect(this.leaseOverlaps, 'moments with two lease holders').toEqual([]);
  }
}

describe('Elector.nextDeadline', () => {
  for (const size of [3, 5]) {
    for (const seed of [1, 2, 3]) {
      it(`${size} nodes, seed ${seed}: ticks before the deadline change nothing, and deadline-only ticking still fails over and hands off`, () => {
        const c = new DeadlineCluster(size, seed);
        const down = FAST.downAfterMs!;
        c.runUntil(() => c.leader() === 'n1' && c.nodes.every((n) => n.e.currentPrimary === 'n1'), 3000, 'bootstrap leader followed by all');
        c.runFor(500);
        // The primary is cut off: its lease lapses on time (the deadline wakes it), the others elect.
        c.isolated.add('n1');
        c.runUntil(() => !c.node('n1').e.hasLease(c.now), FAST.leaseMs! + FAST.hbIntervalMs!, 'the cut-off primary losing its lease');
        c.runUntil(() => c.leader() !== undefined && c.leader() !== 'n1', 4 * down, 'a leader on the majority side');
        c.isolated.clear();
        c.runUntil(() => c.nodes.every((n) => n.e.currentPrimary === c.leader()), 2000, 'n1 following the new leader');
        c.runFor(300);
        // The primary crashes: a new one within down-after plus a round or two.
        const first = c.leader()!;
        c.node(first).alive = false;
        const took = c.runUntil(() => c.leader() !== undefined, 4 * down, 'new leader after the crash');
        // down-after plus at most one failed round and its back-off.
        expect(took).toBeLessThan(2 * down + 2 * Math.round(down / 4));
        const second = c.leader()!;
        c.runFor(300);
        // A planned hand-off to another live node.
        const target = c.nodes.find((n) => n.alive && n.id !== second)!.id;
        c.node(second).e.handOff(target, c.now);
        c.node(second).quietSince = undefined;
        c.runUntil(() => c.leader() === target, 2000, `hand-off to ${target}`);
        c.runFor(300);
        // Only one replica left: its pre-votes time out and it backs off, again and again.
        const last = c.nodes.find((n) => n.alive && n.id !== target)!;
        for (const n of c.nodes) if (n !== last) n.alive = false;
        c.runFor(3 * down);
        expect(last.events.filter((ev) => ev.type === 'prevote-failed').length).toBeGreaterThan(1);
        // Its redis restarts empty: the loss is remembered for dataMemoryMs, then forgotten on time.
        last.wiped = true;
        c.runFor(6 * down);
        expect(last.events.map((ev) => ev.type)).toContain('data-forgotten');
        c.expectSafe();
        expect(c.probes).toBeGreaterThan(500);
      });
    }
  }
});
