/**
 * The cluster the data-driven scenarios drive: real Electors (public API
 * only), a virtual clock stepping 5 ms, messages delivered after a fixed
 * delay over cuttable links, a modelled redis offset and data epoch fed to
 * every Elector each step (as the sidecar's poller does), vote stores kept
 * across restarts. Unlike test/elector/harness.ts it records one ordered
 * transcript: every message sent (or lost) and every event, rendered by the
 * same renderers as the sidecar log and the simulator timeline.
 */
import { Elector, MemoryVoteStore, type ElectionMessage, type ElectorConfig, type ElectorEvent, type MemberSpec, type Outbound, type SafetyRule } from '../../src/index.js';
import { eventLine } from '../../src/elector/render-event.js';
import { renderMessage } from '../../src/protocol/render-message.js';
import { mulberry32 } from '../../lab/util/mulberry32.js';
import { agreedStore, confverLike, knowPeers } from './agree.js';
import type { MemoryConfigStore } from '../../src/index.js';

export const STEP_MS = 5;
export const DELAY_MS = 2;

/** Heartbeat-level chatter left out of the transcript unless asked for (`verbose`). */
const CHATTER = new Set<string>(['HB', 'LEASE', 'LEASEACK', 'CONFVER']);

export interface ClusterSpec {
  members: MemberSpec[];
  bootstrap?: string;
  config: Partial<ElectorConfig>;
  disabledRules: SafetyRule[];
}

interface Node {
  id: string;
  e: Elector;
  store: MemoryVoteStore;
  alive: boolean;
  offset: number;
  healthy: boolean;
  /** Epoch of the primary whose stream the modelled data holds. */
  dataEpoch: number;
  events: ElectorEvent[];
}

interface InFlight {
  at: number;
  from: string;
  to: string;
  msg: ElectionMessage;
}

export interface TranscriptLine {
  t: number;
  text: string;
  /** HB, LEASE, LEASEACK, CONFVER and peer up/down. */
  chatter: boolean;
}

export class ScenarioCluster {
  now = 0;
  readonly nodes = new Map<string, Node>();
  transcript: TranscriptLine[] = [];
  /** epoch -> every node that won it. */
  readonly winners = new Map<number, Set<string>>();
  /** Moments two nodes held a lease at once. */
  readonly overlaps: { t: number; holders: string[] }[] = [];
  private queue: InFlight[] = [];
  private readonly cuts = new Set<string>();
  private readonly slow = new Map<string, number>();

  constructor(readonly spec: ClusterSpec) {
    for (const m of spec.members) this.create(m.id, new MemoryVoteStore(), 0, 0);
  }

  private create(id: string, store: MemoryVoteStore, offset: number, dataEpoch: number): Node {
    const index = this.spec.members.findIndex((m) => m.id === id);
    const events: ElectorEvent[] = [];
    const node: Node = { id, store, alive: true, offset, healthy: true, dataEpoch, events, e: undefined as unknown as Elector };
    const first = !this.configStores.has(id);
    if (first) this.configStores.set(id, agreedStore(this.spec.members));
    node.e = new Elector({
      nodeId: id,
      members: this.spec.members,
      // Born agreed, as after the first CONFVER exchange (test/elector/agree.ts); a restart keeps what it holds.
      configStore: this.configStores.get(id),
      advertisedAddr: `127.0.0.1:${6000 + index}`,
      startRole: this.spec.bootstrap === id ? 'primary' : 'replica',
      config: this.spec.config,
      voteStore: store,
      // Seeded per node and per incarnation count, so a run is the same every time.
      random: mulberry32(7919 + index * 31 + this.restarts(id)),
      disabledRules: this.spec.disabledRules,
      onEvent: (ev) => this.onEvent(node, ev),
    });
    if (first) knowPeers(node.e);
    this.nodes.set(id, node);
    return node;
  }

  private readonly configStores = new Map<string, MemoryConfigStore>();

  private readonly incarnations = new Map<string, number>();
  private restarts(id: string): number {
    const n = this.incarnations.get(id) ?? 0;
    this.incarnations.set(id, n + 1);
    return n;
  }

  private onEvent(node: Node, ev: ElectorEvent): void {
    node.events.push(ev);
    if (ev.type === 'elected') {
      const set = this.winners.get(ev.epoch) ?? new Set<string>();
      set.add(node.id);
      this.winners.set(ev.epoch, set);
    }
    this.record(`${node.id} ${eventLine(ev)}`, ev.type === 'peer');
  }

  private record(text: string, chatter: boolean): void {
    this.transcript.push({ t: this.now, text, chatter });
  }

  node(id: string): Node {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no member ${id}`);
    return n;
  }

  // --- faults and inputs ----------------------------------------------------

  cut(from: string, to: string): void {
    this.node(from);
    this.node(to);
    this.cuts.add(`${from}>${to}`);
  }

  slowLink(from: string, to: string, extraMs: number): void {
    this.slow.set(`${from}>${to}`, extraMs);
  }

  heal(): void {
    this.cuts.clear();
    this.slow.clear();
  }

  crash(id: string): void {
    this.node(id).alive = false;
    this.queue = this.queue.filter((m) => m.to !== id);
  }

  /** A process restart: memory lost, vote store and redis data kept. */
  restart(id: string): void {
    const old = this.node(id);
    this.create(id, old.store, old.offset, old.dataEpoch);
  }

  // --- running --------------------------------------------------------------

  /** Sends what an Elector returned: to one member or to every other member. */
  route(from: string, outs: Outbound[]): void {
    for (const o of outs) {
      const targets = o.to === '*' ? [...this.nodes.keys()].filter((id) => id !== from) : [o.to];
      for (const to of targets) {
        const why = this.cuts.has(`${from}>${to}`) ? 'link cut' : !this.node(to).alive ? `${to} down` : null;
        this.record(`${from}->${to} ${renderMessage(o.msg)}${why ? ` LOST (${why})` : ''}`, CHATTER.has(o.msg.type));
        if (!why) this.queue.push({ at: this.now + DELAY_MS + (this.slow.get(`${from}>${to}`) ?? 0), from, to, msg: o.msg });
      }
    }
  }

  /** A message handed straight to `to` now, as if `from` had sent it (a forged or hand-made one). */
  inject(from: string, to: string, msg: ElectionMessage): void {
    this.record(`${from}->${to} ${renderMessage(msg)} (injected)`, false);
    const n = this.node(to);
    if (!n.alive) return;
    // A real candidate sends its CONFVER just before (protocol.md §5.12): the one `from` holds, or,
    // for a forged sender, the receiver's own.
    if (msg.type === 'PREVOTE' || msg.type === 'OFFER') {
      const sender = this.nodes.get(from)?.e ?? n.e;
      this.route(to, n.e.onMessage(from, { ...confverLike(sender, from) }, this.now));
    }
    this.route(to, n.e.onMessage(from, msg, this.now));
  }

  step(): void {
    this.now += STEP_MS;
    const due = this.queue.filter((m) => m.at <= this.now);
    this.queue = this.queue.filter((m) => m.at > this.now);
    for (const m of due) {
      const n = this.nodes.get(m.to)!;
      if (n.alive) this.route(m.to, n.e.onMessage(m.from, m.msg, this.now));
    }
    for (const n of this.nodes.values()) {
      if (!n.alive) continue;
      n.e.setHealthy(n.healthy);
      // The modelled data catches up at once: a node holds the stream of the primary it follows.
      if (n.e.role === 'primary' || (n.e.currentPrimary !== null && n.e.following !== null)) n.dataEpoch = n.e.epoch;
      n.e.setReplOffset(n.offset, this.now, n.dataEpoch);
      this.route(n.id, n.e.tick(this.now));
    }
    const holders = this.leaseHolders();
    if (holders.length > 1) this.overlaps.push({ t: this.now, holders });
  }

  leaseHolders(): string[] {
    return [...this.nodes.values()].filter((n) => n.alive && n.e.hasLease(this.now)).map((n) => n.id);
  }

  /** The single live lease holder followed by every live member, if there is one. */
  settledLeader(): string | undefined {
    const h = this.leaseHolders();
    if (h.length !== 1) return undefined;
    return [...this.nodes.values()].every((n) => !n.alive || n.e.currentPrimary === h[0]) ? h[0] : undefined;
  }
}
