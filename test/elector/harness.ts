/**
 * A small deterministic cluster for scenario tests of the Elector: real
 * Elector instances, a virtual clock, a message network with a fixed delay and
 * cuttable links. The full fault-injecting simulator lives in lab/sim; this
 * harness stays small so each scenario reads like the rule it tests.
 */
import { expect } from 'vitest';
import {
  Elector,
  MemoryVoteStore,
  type ElectorConfig,
  type ElectorEvent,
  type MemberSpec,
  type Outbound,
  type SafetyRule,
  type ElectionMessage,
} from '../../src/index.js';
import { mulberry32 as seeded } from '../../lab/util/mulberry32.js';
import { agreedStore, knowPeers } from './agree.js';
import { MemoryConfigStore as MemoryConfigStoreImpl, type ClusterConfig, type MemoryConfigStore } from '../../src/index.js';

export const FAST: Partial<ElectorConfig> = { hbIntervalMs: 20, downAfterMs: 300, leaseMs: 180, maxDriftMs: 40 };

export interface HarnessOptions {
  members: MemberSpec[];
  bootstrap?: string;
  config?: Partial<ElectorConfig>;
  disabledRules?: SafetyRule[];
  /** One-way delivery delay in ms. */
  delayMs?: number;
  stepMs?: number;
  seed?: number;
  offsets?: Record<string, number>;
  /** Per-node born member lists, where a test gives nodes different ones (default: `members` for all). */
  bornLists?: Record<string, MemberSpec[]>;
  /** Start with born lists that still have to be agreed (default: agreed, as after the first CONFVER exchange). */
  unagreed?: boolean;
}

interface Node {
  id: string;
  e: Elector;
  store: MemoryVoteStore;
  events: ElectorEvent[];
  alive: boolean;
  /** The modelled redis offset, fed to the Elector every tick (as the sidecar's poller does). */
  offset: number;
  healthy: boolean;
  /** Epoch of the primary whose stream this node's modelled data holds. */
  dataEpoch: number;
  rngState: number;
}

interface InFlight {
  at: number;
  from: string;
  to: string;
  msg: ElectionMessage;
}

export interface Sent {
  at: number;
  from: string;
  to: string;
  msg: ElectionMessage;
}


export class Cluster {
  now = 0;
  readonly nodes = new Map<string, Node>();
  private queue: InFlight[] = [];
  /** Directed cuts "a>b": messages from a to b are dropped. */
  private readonly cuts = new Set<string>();
  /** Directed extra delays "a>b" in ms, on top of delayMs. */
  private readonly slow = new Map<string, number>();
  readonly sent: Sent[] = [];
  /** epoch -> winners seen in that epoch (for the "one winner per epoch" check). */
  readonly winners = new Map<number, Set<string>>();
  /** Every moment two nodes held a lease at once. */
  readonly leaseOverlaps: { at: number; holders: string[] }[] = [];
  private readonly opts: Required<Pick<HarnessOptions, 'delayMs' | 'stepMs'>> & HarnessOptions;

  constructor(opts: HarnessOptions) {
    this.opts = { delayMs: 2, stepMs: 5, ...opts };
    for (const m of opts.members) this.create(m.id, new MemoryVoteStore(), opts.offsets?.[m.id] ?? 0);
  }

  private create(id: string, store: MemoryVoteStore, offset: number): Node {
    const events: ElectorEvent[] = [];
    const rng = seeded((this.opts.seed ?? 1) * 7919 + [...id].reduce((a, c) => a * 31 + c.charCodeAt(0), 0));
    const first = !this.configStores.has(id);
    const born = this.opts.bornLists?.[id] ?? this.opts.members;
    if (first) this.configStores.set(id, this.opts.unagreed ? new MemoryConfigStoreImpl() : agreedStore(born));
    const e = new Elector({
      nodeId: id,
      members: born,
      // Born agreed, as after the first CONFVER exchange (agree.ts); a restart keeps what it holds.
      configStore: this.configStores.get(id),
      advertisedAddr: `127.0.0.1:${6000 + this.opts.members.findIndex((m) => m.id === id)}`,
      startRole: this.opts.bootstrap === id ? 'primary' : 'replica',
      config: this.opts.config ?? FAST,
      voteStore: store,
      random: rng,
      disabledRules: this.opts.disabledRules,
      onEvent: (ev) => {
        events.push(ev);
        if (ev.type === 'elected') {
          const set = this.winners.get(ev.epoch) ?? new Set<string>();
          set.add(id);
          this.winners.set(ev.epoch, set);
        }
      },
    });
    if (first && !this.opts.unagreed) knowPeers(e);
    const node: Node = { id, e, store, events, alive: true, offset, healthy: true, dataEpoch: 0, rngState: 0 };
    this.nodes.set(id, node);
    return node;
  }

  private readonly configStores = new Map<string, MemoryConfigStore>();

  node(id: string): Node {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  elector(id: string): Elector {
    return this.node(id).e;
  }

  // --- faults ---------------------------------------------------------------

  cutOneWay(from: string, to: string): void {
    this.cuts.add(`${from}>${to}`);
  }

  cutLink(a: string, b: string): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }

  /** Messages from `from` to `to` take `extraMs` longer (a slow, congested path). */
  slowLink(from: string, to: string, extraMs: number): void {
    this.slow.set(`${from}>${to}`, extraMs);
  }

  isolate(id: string): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cutLink(id, other);
  }

  heal(): void {
    this.cuts.clear();
    this.slow.clear();
  }

  crash(id: string): void {
    const n = this.node(id);
    n.alive = false;
    this.queue = this.queue.filter((m) => m.to !== id);
  }

  /** Restart with memory lost and the vote store kept, as a real process restart. */
  restart(id: string): Node {
    const old = this.node(id);
    const n = this.create(id, old.store, old.offset);
    n.dataEpoch = old.dataEpoch;
    return n;
  }

  /**
   * A new member starts, as `resp-elect run --join` does: its config store
   * holds the configuration fetched from `from` (which must already name it).
   */
  join(id: string, from: string, offset = 0): Node {
    const config: ClusterConfig = this.elector(from).clusterConfig;
    this.configStores.set(id, new MemoryConfigStoreImpl(config));
    return this.create(id, new MemoryVoteStore(), offset);
  }

  /** Drop every message of `type` from `from` to `to` (a lossy link that happens to lose just those). */
  dropType(from: string, to: string, type: ElectionMessage['type']): void {
    this.dropped.add(`${from}>${to}:${type}`);
  }

  private readonly dropped = new Set<string>();

  setOffset(id: string, offset: number): void {
    this.node(id).offset = offset;
  }

  setHealthy(id: string, ok: boolean): void {
    this.node(id).healthy = ok;
  }

  // --- running ----------------------------------------------------------------

  route(from: string, outs: Outbound[]): void {
    for (const o of outs) {
      const targets = o.to === '*' ? [...this.nodes.keys()].filter((id) => id !== from) : [o.to];
      for (const to of targets) {
        this.sent.push({ at: this.now, from, to, msg: o.msg });
        if (this.cuts.has(`${from}>${to}`) || this.dropped.has(`${from}>${to}:${o.msg.type}`)) continue;
        this.queue.push({ at: this.now + this.opts.delayMs + (this.slow.get(`${from}>${to}`) ?? 0), from, to, msg: o.msg });
      }
    }
  }

  step(): void {
    this.now += this.opts.stepMs;
    const due = this.queue.filter((m) => m.at <= this.now);
    this.queue = this.queue.filter((m) => m.at > this.now);
    for (const m of due) {
      const n = this.nodes.get(m.to);
      if (!n || !n.alive) continue;
      this.route(m.to, n.e.onMessage(m.from, m.msg, this.now));
    }
    for (const n of this.nodes.values()) {
      if (!n.alive) continue;
      n.e.setHealthy(n.healthy);
      // Data catches up at once here: a node holds the stream of the primary it follows.
      if (n.e.role === 'primary') n.dataEpoch = n.e.epoch;
      else if (n.e.currentPrimary !== null && n.e.following !== null) n.dataEpoch = n.e.epoch;
      n.e.setReplOffset(n.offset, this.now, n.dataEpoch);
      this.route(n.id, n.e.tick(this.now));
    }
    this.checkLeases();
  }

  runFor(ms: number): void {
    const end = this.now + ms;
    while (this.now < end) this.step();
  }

  /** Run until `pred` holds, failing the test if it does not within `ms`. */
  runUntil(pred: () => boolean, ms: number, what: string): number {
    const start = this.now;
    while (!pred()) {
      if (this.now - start > ms) throw new Error(`timed out after ${ms} virtual ms waiting for ${what}`);
      this.step();
    }
    return this.now - start;
  }

  private checkLeases(): void {
    const holders = this.leaseHolders();
    if (holders.length > 1) this.leaseOverlaps.push({ at: this.now, holders });
  }

  // --- observations -----------------------------------------------------------

  leaseHolders(): string[] {
    return [...this.nodes.values()].filter((n) => n.alive && n.e.hasLease(this.now)).map((n) => n.id);
  }

  primaries(): string[] {
    return [...this.nodes.values()].filter((n) => n.alive && n.e.role === 'primary').map((n) => n.id);
  }

  /** The single primary holding a lease, or undefined. */
  leader(): string | undefined {
    const h = this.leaseHolders();
    return h.length === 1 ? h[0] : undefined;
  }

  eventsOf(id: string, type?: ElectorEvent['type']): ElectorEvent[] {
    const evs = this.node(id).events;
    return type ? evs.filter((e) => e.type === type) : evs;
  }

  sentOf(type: ElectionMessage['type'], from?: string): Sent[] {
    return this.sent.filter((s) => s.msg.type === type && (from === undefined || s.from === from));
  }

  /** The safety properties every scenario must keep. */
  expectSafe(): void {
    for (const [epoch, set] of this.winners) expect(set.size, `winners of epoch ${epoch}: ${[...set].join(',')}`).toBeLessThanOrEqual(1);
    expect(this.leaseOverlaps, 'moments when two nodes held a lease').toEqual([]);
  }

  /** Bring up a cluster with `bootstrap` as primary holding a lease and everyone following it. */
  settle(ms = 2000): string {
    this.runUntil(() => {
      const l = this.leader();
      return l !== undefined && [...this.nodes.values()].every((n) => !n.alive || n.e.currentPrimary === l);
    }, ms, 'a leader followed by everyone');
    return this.leader()!;
  }
}
