/**
 * The simulated world: N members on a seeded network, each with a sidecar
 * running a real Elector and (data nodes) a modelled redis, driven by one
 * event queue in true time. Every Elector call is followed by the checker;
 * faults start and end as scheduled; after the last fault the world watches
 * for liveness and then runs a little longer before the final checks.
 */
import { compareConfigIds, configQuorum, describeConfig, memberOf, votersOf, type ClusterConfig } from '../../src/elector/cluster-config.js';
import type { ConfigChange } from '../../src/elector/config-change.js';
import { MemoryConfigStore } from '../../src/elector/config-store.js';
import type { ElectorEvent } from '../../src/elector/events.js';
import { InvariantError } from '../../src/elector/invariants.js';
import { eventLine } from '../../src/elector/render-event.js';
import type { Outbound } from '../../src/elector/elector.js';
import type { MemberSpec } from '../../src/elector/membership.js';
import type { SafetyRule } from '../../src/elector/safety-rules.js';
import type { ElectionMessage } from '../../src/protocol/messages.js';
import { renderMessage } from '../../src/protocol/render-message.js';
import { Checker, type CheckerHost, type Violation } from './checker.js';
import { DataHistory } from './data-epoch.js';
import { endFault, startFault, type ActiveFault, type Fault, type FaultHost, type FaultKind } from './faults.js';
import { EventHeap, type Timed } from './heap.js';
import { Network } from './network.js';
import { SimNode, type GlueHost } from './node.js';
import { defaultParams, driftRho, livenessBoundMs, type SimParams } from './params.js';
import type { RedisModel } from './redis.js';
import { Rng } from './rng.js';
import { generateFaults, sparesNeeded, type ScenarioName } from './scenarios.js';
import { Timeline } from './timeline.js';
import { Writes } from './writes.js';

export interface RunSpec {
  seed: number;
  nodes: number;
  scenario: ScenarioName;
  disabledRules?: readonly SafetyRule[];
  /** Keep only these indices of the generated fault list (shrinking, replay). Default: all. */
  faults?: readonly number[];
  /** Record the timeline. */
  trace?: boolean;
  params?: SimParams;
  /**
   * Born member lists not yet agreed: every node starts with no stored configuration and must
   * agree on its flags first (rule config-agreement). Default: drawn from the seed (a quarter of
   * the seeds whose schedule changes the membership); otherwise the nodes start past their first
   * CONFVER exchange.
   */
  unagreed?: boolean;
}

/** What the operator's membership requests came to in one run. */
export interface MembershipStats {
  /** Requests made to a primary (first tries and retries). */
  requests: number;
  /** Changes a primary accepted. */
  accepted: number;
  /** Schedule entries given up after their last refused try. */
  gaveUp: number;
  /** Removed nodes stopped for good. */
  stopped: number;
  /** The most members any configuration in the run held. */
  maxMembers: number;
}

export interface Failover {
  kind: FaultKind;
  /** From the fault that took the lease holder down to the next lease, ms. */
  ms: number;
  /** Elections (election-start events) in between. */
  elections: number;
}

export interface RunStats {
  simMs: number;
  events: number;
  messages: number;
  elections: number;
  writes: number;
  acked: number;
  excused: number;
  failovers: Failover[];
  /** End of the last fault (T). */
  faultEnd: number;
  /** From T to a lease holder followed by everyone, or null. */
  livenessMs: number | null;
  livenessExcused: boolean;
  /** The run only hit nodes other than the primary and left it a majority: no election may happen. */
  benign: boolean;
  /** Polls where the epoch marker read from redis differed from the exact data epoch (must stay 0). */
  markerMismatches: number;
  membership: MembershipStats;
  /** The run started with born lists not yet agreed. */
  unagreed: boolean;
}

export interface RunResult {
  spec: RunSpec;
  members: MemberSpec[];
  /** The full generated schedule; `applied` are the indices that ran. */
  faults: Fault[];
  applied: number[];
  violation: Violation | null;
  stats: RunStats;
  timeline: Timeline | null;
  /** Member states at the violation (or the end), one line each. */
  finalState: string;
}

const TICK = 0;
const DELIVER = 1;
const DATA = 2;
const FAULT_START = 3;
const FAULT_END = 4;
const PROMOTE = 5;
const STEP = 6;
const START = 9;
/** The operator asks again for a refused membership change (a: fault, b: attempt). */
const MEMBER_RETRY = 7;
/** A removed node is stopped for good (a: node). */
const RETIRE = 8;

/** A configuration's voters as node slots, for WAIT (no allocation per write). */
interface VoterSet {
  quorum: number;
  voter: boolean[];
}

class Ev implements Timed {
  t = 0;
  seq = 0;
  constructor(
    public kind: number,
    public a: number,
    public b: number,
    public inc: number,
    public msg: ElectionMessage | null,
  ) {}
}

/**
 * The shape the targeted membership scenarios need, else the seed's (makeMembers):
 * `double-change` and `born-mismatch` plain data nodes, `restamp` data nodes and a witness last,
 * `lagging-config` data nodes and n2 a witness.
 */
export function scenarioMembers(scenario: ScenarioName, seed: number, n: number): MemberSpec[] {
  if (scenario === 'double-change' || scenario === 'born-mismatch') return Array.from({ length: n }, (_, i) => ({ id: `n${i + 1}` }));
  if (scenario === 'lagging-config') return Array.from({ length: n }, (_, i) => (i === 1 ? { id: `n${i + 1}`, witness: true } : { id: `n${i + 1}` }));
  if (scenario === 'restamp') return Array.from({ length: n }, (_, i) => (i === n - 1 ? { id: `n${i + 1}`, witness: true } : { id: `n${i + 1}` }));
  return makeMembers(seed, n);
}

/** born-mismatch: two more data nodes, running from the start, born with the longer list. */
const MISMATCH_EXTRA = 2;

/** Cluster shape from the seed: some witnesses (data nodes stay a majority), some priority 0 or 2. n1 bootstraps. */
export function makeMembers(seed: number, n: number): MemberSpec[] {
  const rng = new Rng(seed, 'cluster');
  const witnesses = rng.chance(0.3) ? rng.int(1, Math.floor((n - 1) / 2)) : 0;
  const out: MemberSpec[] = [];
  for (let i = 0; i < n; i++) {
    const id = `n${i + 1}`;
    if (i >= n - witnesses) {
      out.push({ id, witness: true });
      continue;
    }
    const u = rng.next();
    const priority = i === 0 ? 1 : u < 0.12 ? 0 : u < 0.25 ? 2 : 1;
    out.push(priority === 1 ? { id } : { id, priority });
  }
  return out;
}

const HB_KINDS = new Set(['HB', 'LEASE', 'LEASEACK']);

export class World implements GlueHost, FaultHost, CheckerHost {
  now = 0;
  /** Node slots: the born members, then one spare per member-add of the schedule. */
  readonly n: number;
  /** Born members (spec.nodes). */
  readonly born: number;
  /** Majority of the born members. */
  readonly majority: number;
  readonly params: SimParams;
  readonly spec: RunSpec;
  readonly members: MemberSpec[];
  readonly nodes: SimNode[] = [];
  readonly net: Network;
  readonly checker: Checker;
  readonly timeline: Timeline | null;
  readonly allFaults: Fault[];
  readonly applied: number[];
  private readonly faults: Fault[];
  private readonly active: (ActiveFault | null)[];
  private readonly heap = new EventHeap<Ev>();
  private readonly index = new Map<string, number>();
  private readonly redis: (RedisModel | null)[] = [];
  private readonly writes: Writes;
  private readonly rngNet: Rng;
  private readonly rngData: Rng;
  private readonly rngTicks: Rng;
  /** Draws the duration of each control-plan step (its own stream, so steps do not shift the others). */
  private readonly rngSteps: Rng;
  private readonly disabled: readonly SafetyRule[];
  private readonly sidecarDown: number[];
  private readonly redisDown: number[];
  private readonly pendingEmpty: boolean[];
  private readonly pauseDepth: number[];
  private readonly writing: boolean[];
  /** A running member: born, or a spare that joined; not a spare yet to join, not a removed node stopped for good. */
  private readonly present: boolean[];
  private readonly retired: boolean[];
  private readonly unagreed: boolean;
  /** born-mismatch: nodes were given different member lists; no primary need ever be elected (liveness not required). */
  private readonly misconfigured: boolean;
  private readonly bornLists: MemberSpec[][];
  /** Per node, across restarts: the configuration it last installed, the one before, and their voters (the writer's WAIT). */
  private readonly cfgOf: (ClusterConfig | null)[];
  private readonly prevCfgOf: (ClusterConfig | null)[];
  private readonly votersOf: (VoterSet | null)[];
  private readonly prevVotersOf: (VoterSet | null)[];
  private nextRunId = 1;
  private nextReplId = 1;
  private readonly history = new DataHistory();
  private faultEnd: number;
  /** When each applied fault ends; a membership change ends once accepted or given up (plus the stop of a removed node). */
  private readonly ends: number[];
  private readonly bound: number;
  private stopAt: number;
  private livenessAt = -1;
  private everLeased = false;
  private leaderlessSince = -1;
  private lastFault: { kind: FaultKind; at: number; elections: number } | null = null;
  private leaderlessCause: { kind: FaultKind; at: number; elections: number } | null = null;
  private firstElectedAt = -1;
  private electionAfterFirstAt = -1;
  private electionAfterSettleAt = -1;
  private benign = true;
  private benignPrimary = -1;
  private readonly benignAffected = new Set<number>();
  /** `adopt` scenario: when each sidecar first starts (true time), else all at 0. */
  private readonly startAt: number[];
  readonly stats: RunStats;

  constructor(spec: RunSpec) {
    this.spec = spec;
    this.params = spec.params ?? defaultParams();
    const born = spec.nodes;
    if (!Number.isInteger(born) || born < 3) throw new RangeError(`nodes must be an integer >= 3, got ${born}`);
    this.allFaults = generateFaults(spec.scenario, spec.seed, born, this.params);
    const mismatch = spec.scenario === 'born-mismatch';
    const n = born + sparesNeeded(this.allFaults) + (mismatch ? MISMATCH_EXTRA : 0);
    this.n = n;
    this.born = born;
    this.majority = Math.floor(born / 2) + 1;
    this.disabled = spec.disabledRules ?? [];
    this.misconfigured = mismatch;
    // Drawn only for schedules with membership changes, so the other seeds run as they always did.
    const drawn = this.allFaults.some((f) => f.kind === 'member-add' || f.kind === 'member-remove') && new Rng(spec.seed, 'born-lists').chance(0.25);
    this.unagreed = mismatch || (spec.unagreed ?? drawn);
    const longList: MemberSpec[] = [...scenarioMembers(spec.scenario, spec.seed, born), ...Array.from({ length: mismatch ? MISMATCH_EXTRA : 0 }, (_, k) => ({ id: `n${born + k + 1}` }))];
    this.members = scenarioMembers(spec.scenario, spec.seed, born);
    // Each node's born list: everyone's is `members`, but in born-mismatch n2 and the extra nodes have the longer one.
    this.bornLists = Array.from({ length: n }, (_, i) => (mismatch && (i === 1 || i >= born) ? longList : this.members));
    this.timeline = spec.trace ? new Timeline() : null;
    this.rngNet = new Rng(spec.seed, 'net');
    this.rngData = new Rng(spec.seed, 'data');
    this.rngTicks = new Rng(spec.seed, 'ticks');
    this.rngSteps = new Rng(spec.seed, 'control-steps');
    this.net = new Network(n, new Rng(spec.seed, 'links'));
    this.checker = new Checker(this);
    this.writes = new Writes(n);

    // Clocks: no drift, random rates within the bound, or (drift scenario) every clock at an extreme.
    const crng = new Rng(spec.seed, 'clock');
    const rho = driftRho(this.params.elector);
    const mode = spec.scenario === 'drift' ? 'extreme' : crng.chance(0.5) ? 'none' : 'random';
    const fastFirst = crng.chance(0.5);
    const spares: MemberSpec[] = [];
    for (const f of this.allFaults) {
      if (f.kind === 'member-add') spares[f.spare!] = f.witness ? { id: `n${born + f.spare! + 1}`, witness: true } : { id: `n${born + f.spare! + 1}`, priority: f.priority ?? 1 };
    }
    for (let i = 0; i < n; i++) {
      let rate = 1;
      if (mode === 'random') rate = 1 + rho * (crng.chance(0.3) ? (crng.chance(0.5) ? 1 : -1) : crng.range(-1, 1));
      else if (mode === 'extreme') rate = 1 + rho * ((i % 2 === 0) === fastFirst ? 1 : -1);
      const spec0 = i < born ? this.members[i]! : mismatch ? longList[i]! : spares[i - born]!;
      const node = new SimNode({ ...spec0, idx: i }, rate, Math.round(crng.range(0, 100_000)), this.nextRunId++, this.nextReplId++, this.params.dataEpochFeed);
      // A spare's host is not up yet: its redis starts (EMPTY) when it joins.
      if (i >= born && !mismatch) node.redis?.kill();
      this.nodes.push(node);
      this.index.set(node.id, i);
      this.redis.push(node.redis);
    }
    this.present = Array.from({ length: n }, (_, i) => i < born || mismatch);
    this.retired = new Array<boolean>(n).fill(false);
    this.cfgOf = new Array<ClusterConfig | null>(n).fill(null);
    this.prevCfgOf = new Array<ClusterConfig | null>(n).fill(null);
    this.votersOf = new Array<VoterSet | null>(n).fill(null);
    this.prevVotersOf = new Array<VoterSet | null>(n).fill(null);
    this.sidecarDown = new Array<number>(n).fill(0);
    this.redisDown = new Array<number>(n).fill(0);
    this.pendingEmpty = new Array<boolean>(n).fill(false);
    this.pauseDepth = new Array<number>(n).fill(0);
    this.writing = new Array<boolean>(n).fill(false);

    this.startAt = new Array<number>(n).fill(0);
    if (spec.scenario === 'adopt') this.preexistingSet();

    this.applied = spec.faults ? [...spec.faults].filter((k) => k >= 0 && k < this.allFaults.length).sort((a, b) => a - b) : this.allFaults.map((_, k) => k);
    this.faults = this.applied.map((k) => this.allFaults[k]!);
    this.active = this.faults.map(() => null);
    this.ends = this.faults.map((f) => f.at + f.dur);
    let end = this.params.warmupMs;
    for (const e of this.ends) end = Math.max(end, e);
    // Adoption: liveness is owed once every sidecar runs and the adoption wait of each is over.
    for (const t of this.startAt) end = Math.max(end, t);
    if (spec.scenario === 'adopt') end = Math.max(end, Math.max(...this.startAt) + this.params.elector.adoptWaitMs);
    this.faultEnd = end;
    this.bound = livenessBoundMs(this.params, n);
    this.stopAt = end + this.bound + this.params.tickMs * 4;
    this.stats = {
      simMs: 0,
      events: 0,
      messages: 0,
      elections: 0,
      writes: 0,
      acked: 0,
      excused: 0,
      failovers: [],
      faultEnd: end,
      livenessMs: null,
      livenessExcused: false,
      benign: true,
      markerMismatches: 0,
      membership: { requests: 0, accepted: 0, gaveUp: 0, stopped: 0, maxMembers: born },
      unagreed: this.unagreed,
    };
  }

  /** For the checker's excuse of wiped writes: the most voters any member's configuration has. */
  get memberCount(): number {
    let most = 0;
    for (let i = 0; i < this.n; i++) {
      const c = this.cfgOf[i];
      if (this.present[i] && c) most = Math.max(most, this.votersOf[i]!.voter.filter(Boolean).length);
    }
    return most > 0 ? most : this.born;
  }

  // -------------------------------------------------------------------------
  // Running
  // -------------------------------------------------------------------------

  run(): RunResult {
    const tl = this.timeline;
    if (tl) {
      const m = this.members.map((s) => `${s.id}${s.witness ? '(witness)' : s.priority !== undefined ? `(priority ${s.priority})` : ''}`).join(' ');
      const spares = this.nodes.slice(this.born).map((x) => `${x.id}${x.witness ? '(witness)' : x.priority !== 1 ? `(priority ${x.priority})` : ''}`);
      tl.add(0, 'fault', `cluster: ${m}${spares.length ? `; spares: ${spares.join(' ')}` : ''}; born lists ${this.unagreed ? 'NOT agreed yet' : 'agreed'}; clock rates ${this.nodes.map((x) => x.rate.toFixed(4)).join(' ')}; disabled rules: ${this.disabled.join(',') || 'none'}`);
      this.faults.forEach((f, k) => tl.add(0, 'fault', `schedule #${this.applied[k]}: ${f.kind} at ${f.at.toFixed(1)} for ${f.dur.toFixed(0)} ms`));
    }
    for (let i = 0; i < this.n; i++) {
      if (!this.present[i]) continue;
      if (this.startAt[i] === 0) this.startSidecar(i);
      else this.push(this.startAt[i]!, START, i, 0, 0, null);
    }
    this.push(0, DATA, 0, 0, 0, null);
    this.faults.forEach((f, k) => this.push(f.at, FAULT_START, k, 0, 0, null));

    const heap = this.heap;
    const checker = this.checker;
    for (;;) {
      const ev = heap.pop();
      if (ev === undefined || ev.t > this.stopAt) break;
      this.now = ev.t;
      this.stats.events++;
      try {
        this.dispatch(ev);
      } catch (err) {
        // The Elector asserts its invariants after every entry point (learners never counted,
        // configurations never back, ...): a throw is a violation, reported where it happened.
        if (!(err instanceof InvariantError)) throw err;
        checker.fail('elector-invariant', this.now, err.message);
      }
      if (checker.violation !== null) break;
    }
    if (checker.violation === null) this.finalChecks();
    return this.result();
  }

  private dispatch(ev: Ev): void {
      switch (ev.kind) {
        case TICK:
          this.onTick(ev);
          break;
        case DELIVER:
          this.onDeliver(ev);
          break;
        case DATA:
          this.dataTick();
          break;
        case FAULT_START:
          this.onFaultStart(ev.a);
          break;
        case FAULT_END:
          this.onFaultEnd(ev.a);
          break;
        case PROMOTE:
          this.onPromote(ev);
          break;
        case STEP:
          this.onStep(ev);
          break;
        case START:
          // A crash fault may have started it already (its restart), or hold it down still.
          if (this.nodes[ev.a]!.elector === null && this.sidecarDown[ev.a] === 0) this.startSidecar(ev.a);
          break;
        case MEMBER_RETRY: {
          // Not inside timeline?.add(...): the retry must run whether or not the run is traced.
          const text = this.tryChange(ev.a, ev.b);
          this.timeline?.add(this.now, 'fault', `#${this.applied[ev.a]} ${text}`);
          break;
        }
        case RETIRE:
          this.retire(ev.a);
          break;
      }
  }

  private result(): RunResult {
    const tl = this.timeline;
    const checker = this.checker;
    const v = checker.violation;
    if (v && tl) tl.add(v.t, 'check', `VIOLATION ${v.invariant}: ${v.message}`);
    this.stats.simMs = this.now;
    this.stats.writes = this.writes.taken;
    this.stats.acked = this.writes.acked;
    this.stats.excused = checker.excused;
    this.stats.benign = this.benign;
    return {
      spec: this.spec,
      members: this.members,
      faults: this.allFaults,
      applied: this.applied,
      violation: v,
      stats: this.stats,
      timeline: tl,
      finalState: this.stateTable(),
    };
  }

  private push(t: number, kind: number, a: number, b: number, inc: number, msg: ElectionMessage | null): void {
    const ev = new Ev(kind, a, b, inc, msg);
    ev.t = t;
    this.heap.push(ev);
  }

  /**
   * The `adopt` scenario (rule adopt-existing, protocol.md §5.13): before any sidecar runs, the
   * redis-servers already form a replica set, as Sentinel left it: one data node's redis is a
   * writable master taking client writes (acknowledged by WAIT like any), the other data nodes'
   * replicate from it; sometimes one of them is a stray master of its own instead (no replica, so
   * no backlog: offset 0). The sidecars start in a random order within 800 ms, the master's
   * sometimes only after the adoption wait; n1 is still the bootstrap node, so usually a wrong one.
   */
  private preexistingSet(): void {
    const rng = new Rng(this.spec.seed, 'adopt');
    const data = this.nodes.filter((x) => !x.witness).map((x) => x.idx);
    const m = data[rng.int(0, data.length - 1)]!;
    const stray = data.length > 2 && rng.chance(0.2) ? data.filter((i) => i !== m)[rng.int(0, data.length - 2)]! : -1;
    const master = this.redis[m]!;
    master.promote(0, master.replId);
    master.fenced = false;
    for (const i of data) {
      const r = this.redis[i]!;
      if (i === stray) {
        r.promote(0, r.replId);
        r.fenced = false;
        r.backlog = false;
      } else if (i !== m) {
        r.attach(m, master);
      }
    }
    const late = rng.chance(0.25);
    for (let i = 0; i < this.n; i++) this.startAt[i] = Math.round(rng.range(0, 800) * 1000) / 1000;
    if (late) this.startAt[m] = Math.round((this.params.elector.adoptWaitMs + rng.range(0, 600)) * 1000) / 1000;
    const tl = this.timeline;
    if (tl) {
      tl.add(0, 'fault', `pre-existing replica set: n${m + 1}'s redis is the master${stray >= 0 ? `, n${stray + 1}'s a stray master` : ''}; sidecars start at ${this.startAt.map((t, i) => `n${i + 1}@${t.toFixed(0)}`).join(' ')}`);
    }
  }

  // -------------------------------------------------------------------------
  // Sidecars
  // -------------------------------------------------------------------------

  private startSidecar(i: number): void {
    const node = this.nodes[i]!;
    node.startSidecar({
      members: this.bornLists[i]!,
      config: this.params.elector,
      seed: this.spec.seed,
      disabledRules: this.disabled,
      bootstrap: i === 0,
      unagreed: this.unagreed,
      host: this,
    });
    this.pauseDepth[i] = 0;
    this.configInstalled(node, 'start');
    this.timeline?.add(this.now, 'event', `${node.id} sidecar starts (incarnation ${node.incarnation}, vote store e${node.store.load().epoch} voted ${node.store.load().votedFor ?? '-'})`);
    const phase = this.rngTicks.next() * this.params.tickMs;
    this.push(this.now + phase / node.rate, TICK, i, node.chain, 0, null);
  }

  private onTick(ev: Ev): void {
    const node = this.nodes[ev.a]!;
    if (ev.b !== node.chain || node.elector === null || node.paused) return;
    this.tickNode(node);
    this.push(this.now + this.params.tickMs / node.rate, TICK, node.idx, node.chain, 0, null);
  }

  private tickNode(node: SimNode): void {
    const e = node.elector!;
    const local = node.local(this.now);
    // A tick is a poll: the executor steps through the plan and reports, then the Elector ticks,
    // then the executor acts on what the tick changed (a lapsed lease: fence).
    this.route(node, node.control(local, true));
    this.afterEntry(node, local, e.tick(local));
  }

  /**
   * After an Elector entry point on `node`: send what it returned, let the executor act on what it
   * changed (a lapsed lease: fence; a role change: the next plan step), and let the checker look.
   */
  private afterEntry(node: SimNode, local: number, outs: Outbound[]): void {
    this.route(node, outs);
    if (node.elector !== null) this.route(node, node.control(local, false));
    this.checker.afterCall(node.idx, node.elector?.hasLease(local) ?? false, this.now);
  }

  private onDeliver(ev: Ev): void {
    const node = this.nodes[ev.b]!;
    if (node.elector === null || node.incarnation !== ev.inc) return;
    if (node.paused) {
      node.inbox.push(ev);
      return;
    }
    const local = node.local(this.now);
    this.afterEntry(node, local, node.elector.onMessage(this.nodes[ev.a]!.id, ev.msg!, local));
  }

  private onPromote(ev: Ev): void {
    const node = this.nodes[ev.a]!;
    if (node.elector === null || node.incarnation !== ev.inc) return;
    if (node.paused) {
      node.inbox.push(ev);
      return;
    }
    const local = node.local(this.now);
    const outs = node.promotionDone(local, this);
    this.timeline?.add(this.now, 'event', `${node.id} REPLICAOF NO ONE done (redis ${node.redis?.alive ? 'up' : 'down'})`);
    this.afterEntry(node, local, outs);
  }

  private onStep(ev: Ev): void {
    const node = this.nodes[ev.a]!;
    if (node.elector === null || node.incarnation !== ev.inc) return;
    if (node.paused) {
      node.inbox.push(ev);
      return;
    }
    const local = node.local(this.now);
    this.route(node, node.stepDone(local));
    this.checker.afterCall(node.idx, node.elector.hasLease(local), this.now);
  }

  private route(from: SimNode, outs: Outbound[]): void {
    for (let k = 0; k < outs.length; k++) {
      const o = outs[k]!;
      if (o.to === '*') {
        for (let j = 0; j < this.n; j++) if (j !== from.idx) this.send(from.idx, j, o.msg);
      } else {
        const j = this.index.get(o.to);
        if (j !== undefined) this.send(from.idx, j, o.msg);
      }
    }
  }

  private send(from: number, to: number, msg: ElectionMessage): void {
    if (!this.present[to]) return; // no host there (a spare yet to join, a removed node stopped)
    this.stats.messages++;
    const net = this.net;
    const target = this.nodes[to]!;
    const tl = this.timeline;
    if (!net.isUp(from, to) || !net.delivers(this.rngNet) || target.elector === null) {
      if (tl) tl.add(this.now, HB_KINDS.has(msg.type) ? 'hb' : 'msg', `n${from + 1}→n${to + 1} ${renderMessage(msg)} LOST (${!net.isUp(from, to) ? 'link cut' : target.elector === null ? 'sidecar down' : 'loss'})`);
      return;
    }
    const d = net.delay(from, to, this.rngNet);
    this.push(this.now + d, DELIVER, from, to, target.incarnation, msg);
    if (tl) tl.add(this.now, HB_KINDS.has(msg.type) ? 'hb' : 'msg', `n${from + 1}→n${to + 1} ${renderMessage(msg)} (+${d.toFixed(2)} ms)`);
    if (net.dup > 0 && this.rngNet.next() < net.dup) {
      const d2 = net.delay(from, to, this.rngNet);
      this.push(this.now + d2, DELIVER, from, to, target.incarnation, msg);
      if (tl) tl.add(this.now, HB_KINDS.has(msg.type) ? 'hb' : 'msg', `n${from + 1}→n${to + 1} duplicated (+${d2.toFixed(2)} ms)`);
    }
  }

  // --- GlueHost ----------------------------------------------------------------

  redisOf(idx: number): RedisModel | null {
    return this.redis[idx] ?? null;
  }

  replicasOf(idx: number): number {
    const m = this.redis[idx];
    if (!m) return 0;
    let k = 0;
    for (const r of this.redis) if (r !== null && r !== m && r.alive && r.masterIdx === idx && r.attachRunId === m.runId && r.linked) k++;
    return k;
  }

  indexOf(id: string): number {
    return this.index.get(id) ?? -1;
  }

  scheduleStep(node: SimNode): void {
    const [lo, hi] = this.params.stepMs;
    this.push(this.now + lo + this.rngSteps.next() * (hi - lo), STEP, node.idx, 0, node.incarnation, null);
  }

  schedulePromote(node: SimNode): void {
    const [lo, hi] = this.params.promoteMs;
    this.push(this.now + lo + this.rngTicks.next() * (hi - lo), PROMOTE, node.idx, 0, node.incarnation, null);
  }

  writeMarker(idx: number, epoch: number): void {
    const r = this.redis[idx]!;
    const id = this.writes.allocId();
    r.appendMarker(id, epoch);
    this.history.wrote(id, epoch);
    this.timeline?.add(this.now, 'redis', `n${idx + 1} redis: epoch marker e${epoch} (m${id}) written at offset ${r.log.length}`);
  }

  onPromoted(idx: number, epoch: number): void {
    this.history.promoted(epoch, this.redis[idx]!.log);
  }

  freshReplId(): number {
    return this.nextReplId++;
  }

  exactDataEpoch(log: readonly number[]): number {
    return this.history.epochOf(log);
  }

  note(node: SimNode, text: string): void {
    this.timeline?.add(this.now, 'redis', `${node.id} ${text}`);
  }

  markerMismatch(node: SimNode, marker: number, exact: number): void {
    this.stats.markerMismatches++;
    this.timeline?.add(this.now, 'check', `${node.id} MARKER MISMATCH: marker data epoch ${marker}, exact ${exact} (offset ${node.redis?.log.length ?? 0})`);
  }

  observe(node: SimNode, ev: ElectorEvent): void {
    const t = this.now;
    switch (ev.type) {
      case 'elected':
        this.checker.onElected(node.idx, ev.epoch, t);
        if (this.firstElectedAt < 0) this.firstElectedAt = t;
        break;
      case 'election-start':
        this.checker.onElectionStart(ev.epoch);
        this.stats.elections++;
        if (this.firstElectedAt >= 0 && this.electionAfterFirstAt < 0) this.electionAfterFirstAt = t;
        if (this.livenessAt >= 0 && this.electionAfterSettleAt < 0) this.electionAfterSettleAt = t;
        break;
      case 'epoch':
        this.checker.onEpochAdopted(node.idx, ev.to, t);
        break;
      case 'config':
        this.configInstalled(node, `${ev.reason}`);
        break;
      case 'lease':
        if (ev.held) {
          if (node.redis !== null) this.checker.onLeaseGained(node.idx, node.redis.log, t);
          this.everLeased = true;
          if (this.leaderlessSince >= 0) {
            const c = this.leaderlessCause;
            if (c) this.stats.failovers.push({ kind: c.kind, ms: t - c.at, elections: this.stats.elections - c.elections });
            this.leaderlessSince = -1;
            this.leaderlessCause = null;
          }
        }
        break;
      default:
        break;
    }
    const tl = this.timeline;
    if (tl) {
      // Granted pre-votes are chatter beside the PREVOTE and PREACCEPT lines; peer up/down is heartbeat news.
      const kind = ev.type === 'peer' ? 'hb' : ev.type === 'vote' && ev.prevote && ev.granted ? 'msg' : 'event';
      tl.add(t, kind, `${node.id} ${eventLine(ev)}`);
    }
  }

  // --- CheckerHost -------------------------------------------------------------

  name(idx: number): string {
    return this.nodes[idx]?.id ?? `#${idx}`;
  }

  holdsLease(idx: number, t: number): boolean {
    const node = this.nodes[idx]!;
    const e = node.elector;
    return e !== null && e.hasLease(node.local(t));
  }

  // -------------------------------------------------------------------------
  // Redis: replication, writes, WAIT; leadership tracking and liveness
  // -------------------------------------------------------------------------

  private dataTick(): void {
    const n = this.n;
    const p = this.params;
    const now = this.now;
    const tl = this.timeline;
    const redis = this.redis;
    for (let i = 0; i < n; i++) {
      const r = redis[i];
      if (!r || !r.alive || r.masterIdx < 0) continue;
      const m = redis[r.masterIdx];
      if (!m || !m.alive || m.runId !== r.attachRunId) continue;
      if (!this.net.isUp(r.masterIdx, i) || !this.net.delivers(this.rngData)) continue;
      const before = r.log.length;
      const res = r.pull(m, now, this.rngData, p.applyMax, 200, p.fullSyncMs);
      if (res !== 'applied') {
        if (tl) tl.add(now, 'redis', `n${i + 1} redis ${res === 'full-sync' ? `full resync from n${r.masterIdx + 1} starts (offset ${before} → ${r.log.length}, master at ${m.log.length})` : `full resync from n${r.masterIdx + 1} done (offset ${r.log.length})`}`);
      }
    }
    for (let i = 0; i < n; i++) {
      const r = redis[i];
      if (!r) continue;
      const takes = r.alive && r.role === 'master' && !r.fenced;
      if (takes) {
        const id = this.writes.write(i, r, now);
        this.history.wrote(id, r.primaryEpoch);
        if (!this.writing[i] && tl) tl.add(now, 'redis', `n${i + 1} redis takes writes from w${id} at offset ${r.log.length}`);
      } else if (this.writing[i] && tl) {
        tl.add(now, 'redis', `n${i + 1} redis stops taking writes at offset ${r.log.length} (${!r.alive ? 'dead' : r.role !== 'master' ? 'replica' : 'fenced'})`);
      }
      this.writing[i] = takes;
    }
    this.writes.settle(redis, this.net, now, p.waitTimeoutMs, this.waitNeed, this.onAck);

    if (this.everLeased && this.leaderlessSince < 0 && !this.checker.anyHolder(now)) {
      this.leaderlessSince = now;
      this.leaderlessCause = this.lastFault;
    }
    if (now >= this.faultEnd && this.livenessAt < 0) this.checkLiveness();
    this.push(now + p.dataTickMs, DATA, 0, 0, 0, null);
  }

  private readonly onAck = (id: number, idx: number, master: number, took: number, need: number): void => {
    this.checker.onAck(id, idx, this.now);
    if (this.timeline) this.timeline.add(this.now, 'ack', `w${id} at offset ${idx + 1} on n${master + 1} acknowledged (WAIT ${need}, ${took.toFixed(0)} ms)`);
  };

  /**
   * The n of the writer's `WAIT n` on master `m`, as protocol.md §5.12 "Which WAIT holds during a
   * change" gives it: redis counts every replica attached to it (learners and members being
   * removed included), so for each of the two configurations involved (the one the primary's node
   * holds and the one before it) n is a majority of its voters, minus the primary, plus the
   * attached replicas that are not its voters. The larger of the two.
   */
  private readonly waitNeed = (m: number): number => {
    const cur = this.votersOf[m];
    if (cur === null) return this.majority - 1;
    const rm = this.redis[m]!;
    let need = 0;
    for (const vs of [cur, this.prevVotersOf[m] ?? null]) {
      if (vs === null || vs === undefined) continue;
      let outside = 0;
      for (let j = 0; j < this.n; j++) {
        const r = this.redis[j];
        if (j === m || r === null || r === undefined || !r.alive || r.masterIdx !== m || r.attachRunId !== rm.runId) continue;
        if (!vs.voter[j]) outside++;
      }
      need = Math.max(need, vs.quorum - 1 + outside);
    }
    return need;
  };

  /**
   * Node `node` installed a configuration (or started with one): configurations never go back on a
   * node, across its restarts too (invariant config-monotonic); remember it and the one before.
   */
  private configInstalled(node: SimNode, why: string): void {
    const e = node.elector;
    if (e === null) return; // inside the Elector's constructor: the start records it
    const i = node.idx;
    const c = e.clusterConfig;
    const last = this.cfgOf[i]!;
    if (last !== null) {
      const cmp = compareConfigIds(c, last);
      if (cmp < 0) {
        this.checker.fail('config-monotonic', this.now, `${node.id} holds configuration ${c.version}/${c.epoch} after ${last.version}/${last.epoch} (${why})`);
        return;
      }
      if (cmp === 0) return;
    }
    this.prevCfgOf[i] = last;
    this.prevVotersOf[i] = this.votersOf[i]!;
    this.cfgOf[i] = c;
    this.votersOf[i] = this.voterSet(c);
    if (c.members.length > this.stats.membership.maxMembers) this.stats.membership.maxMembers = c.members.length;
  }

  private voterSet(c: ClusterConfig): VoterSet {
    const voter = new Array<boolean>(this.n).fill(false);
    for (const m of votersOf(c)) {
      const j = this.index.get(m.id);
      if (j !== undefined) voter[j] = true;
    }
    return { quorum: configQuorum(c), voter };
  }

  /** Node `j` is present and a voter of every configuration a present member holds. */
  private voterEverywhere(j: number): boolean {
    if (!this.present[j]) return false;
    for (let i = 0; i < this.n; i++) {
      const vs = this.votersOf[i];
      if (this.present[i] && vs !== null && vs !== undefined && !vs.voter[j]) return false;
    }
    return true;
  }

  /** The newest configuration any present member holds (null before the first start). */
  private newestConfig(): ClusterConfig | null {
    let best: ClusterConfig | null = null;
    for (let i = 0; i < this.n; i++) {
      const c = this.cfgOf[i]!;
      if (this.present[i] && c !== null && (best === null || compareConfigIds(c, best) > 0)) best = c;
    }
    return best;
  }

  /** Is node `j` named by configuration `c` (null: the born list)? */
  private isMemberOf(c: ClusterConfig | null, j: number): boolean {
    return c === null ? j < this.born : memberOf(c, this.nodes[j]!.id) !== undefined;
  }

  /** The unique lease holder followed by every member (Elector and redis), or -1. */
  private settledLeader(): number {
    let leader = -1;
    for (let i = 0; i < this.n; i++) {
      if (this.holdsLease(i, this.now)) {
        if (leader >= 0) return -1;
        leader = i;
      }
    }
    if (leader < 0) return -1;
    const lr = this.redis[leader]!;
    const lid = this.nodes[leader]!.id;
    // Everyone the leader's configuration names, learners included, follows it and holds that configuration.
    const lc = this.cfgOf[leader]!;
    for (let j = 0; j < this.n; j++) {
      if (j === leader || !this.present[j] || !this.isMemberOf(lc, j)) continue;
      const node = this.nodes[j]!;
      const e = node.elector;
      if (e === null || node.paused || e.currentPrimary !== lid) return -1;
      const c = this.cfgOf[j]!;
      if (c === null || compareConfigIds(c, lc) !== 0) return -1;
      const r = node.redis;
      if (r !== null && (!r.alive || r.masterIdx !== leader || r.attachRunId !== lr.runId)) return -1;
    }
    return leader;
  }

  private checkLiveness(): void {
    const leader = this.settledLeader();
    if (leader >= 0) {
      this.livenessAt = this.now;
      this.stats.livenessMs = this.now - this.faultEnd;
      this.stopAt = this.now + this.params.settleMs;
      this.timeline?.add(this.now, 'check', `settled: ${this.nodes[leader]!.id} holds the lease and everyone follows it, ${(this.now - this.faultEnd).toFixed(1)} ms after the last fault ended`);
      return;
    }
    if (this.now < this.faultEnd + this.bound) return;
    if (this.misconfigured || !this.electable()) {
      this.stats.livenessExcused = true;
      this.stopAt = this.now;
      this.timeline?.add(this.now, 'check', 'no electable data node holds enough data to win: liveness not required');
      return;
    }
    this.checker.fail(
      'liveness',
      this.now,
      `no single lease holder followed by everyone ${this.bound.toFixed(0)} ms (the bound) after the last fault ended at t=${this.faultEnd.toFixed(1)}`,
    );
  }

  /** Could some electable data node win at all: a majority whose data (data epoch, offset) does not exceed its own? */
  private electable(): boolean {
    const cfg = this.newestConfig();
    const vs = cfg === null ? null : this.voterSet(cfg);
    const isVoter = (j: number): boolean => this.present[j]! && (vs === null ? j < this.born : vs.voter[j]!);
    const majority = vs === null ? this.majority : vs.quorum;
    for (let c = 0; c < this.n; c++) {
      const node = this.nodes[c]!;
      if (!isVoter(c) || node.witness || node.priority <= 0 || !node.redis?.alive) continue;
      // The offset its sidecar reports (a stray master without a backlog reports 0, whatever it holds).
      const off = node.redis.reportedOffset;
      const de = node.dataEpoch(this);
      let grants = 0;
      for (let v = 0; v < this.n; v++) {
        if (!isVoter(v)) continue;
        const voter = this.nodes[v]!;
        const r = voter.redis;
        if (r === null) {
          grants++;
          continue;
        }
        const vde = voter.dataEpoch(this);
        if (vde < de || (vde === de && r.reportedOffset <= off)) grants++;
      }
      if (grants >= majority) return true;
    }
    return false;
  }

  private finalChecks(): void {
    const c = this.checker;
    c.verifyEpochs();
    if (c.violation) return;
    if (this.benign && this.electionAfterFirstAt >= 0) {
      c.fail(
        'stability',
        this.electionAfterFirstAt,
        this.faults.length === 0
          ? 'an election after the first one in a run without faults'
          : 'an election although every fault left the primary and a majority alone',
      );
      return;
    }
    if (this.livenessAt < 0) return;
    if (this.electionAfterSettleAt >= 0) {
      c.fail('stability', this.electionAfterSettleAt, 'an election after the cluster had settled with no faults left');
      return;
    }
    const leader = this.settledLeader();
    if (leader < 0) return;
    const lr = this.redis[leader]!;
    const k = c.firstMissing(lr.log);
    if (k >= 0) {
      c.fail('acked-writes', this.now, `at the end, the primary ${this.nodes[leader]!.id} (offset ${lr.log.length}) lacks ${c.describeMissing(k)}`);
      return;
    }
    const lc = this.cfgOf[leader]!;
    for (let j = 0; j < this.n; j++) {
      const r = this.redis[j];
      if (j === leader || !r || !this.present[j] || !this.isMemberOf(lc, j)) continue;
      const m = c.firstMissing(r.log, this.livenessAt);
      if (m >= 0) {
        c.fail('acked-writes', this.now, `at the end, replica ${this.nodes[j]!.id} (offset ${r.log.length}) following ${this.nodes[leader]!.id} still lacks ${c.describeMissing(m)}`);
        return;
      }
    }
  }

  // -------------------------------------------------------------------------
  // Faults
  // -------------------------------------------------------------------------

  private onFaultStart(k: number): void {
    const f = this.faults[k]!;
    const p = this.leaseHolder();
    if (this.benign) {
      if (p < 0 || (this.benignPrimary >= 0 && p !== this.benignPrimary) || f.kind === 'ring' || f.kind === 'lossy' || f.kind === 'switchover' || f.kind === 'member-add' || f.kind === 'member-remove') this.benign = false;
      else this.benignPrimary = p;
    }
    this.lastFault = { kind: f.kind, at: this.now, elections: this.stats.elections };
    const a = startFault(f, this);
    this.active[k] = a;
    if (this.benign) {
      for (const x of a.affected) this.benignAffected.add(x);
      if (this.benignAffected.has(this.benignPrimary) || this.born - this.benignAffected.size < this.majority) this.benign = false;
    }
    this.timeline?.add(this.now, 'fault', `FAULT #${this.applied[k]} ${a.text}`);
    if (f.dur > 0) this.push(this.now + f.dur, FAULT_END, k, 0, 0, null);
  }

  private onFaultEnd(k: number): void {
    const a = this.active[k];
    if (!a) return;
    this.timeline?.add(this.now, 'fault', `END #${this.applied[k]} ${a.text}`);
    endFault(this.faults[k]!, a, this);
    this.active[k] = null;
  }

  private leaseHolder(): number {
    for (let i = 0; i < this.n; i++) if (this.holdsLease(i, this.now)) return i;
    return -1;
  }

  // --- FaultHost ---------------------------------------------------------------

  primaryIdx(): number {
    const h = this.leaseHolder();
    if (h >= 0) return h;
    for (let i = 0; i < this.n; i++) if (this.nodes[i]!.elector?.role === 'primary') return i;
    return -1;
  }

  isDataNode(idx: number): boolean {
    return !this.nodes[idx]!.witness;
  }

  crashSidecar(i: number): void {
    this.sidecarDown[i]! += 1;
    const node = this.nodes[i]!;
    if (node.elector === null) return;
    node.stopSidecar();
    this.pauseDepth[i] = 0;
    this.checker.forget(i);
    this.timeline?.add(this.now, 'event', `${node.id} sidecar is down`);
  }

  restartSidecar(i: number): void {
    this.sidecarDown[i]! -= 1;
    if (this.sidecarDown[i] === 0 && this.nodes[i]!.elector === null && this.present[i]) this.startSidecar(i);
  }

  killRedis(i: number): void {
    this.redisDown[i]! += 1;
    const r = this.redis[i];
    if (!r || !r.alive) return;
    r.kill();
    this.timeline?.add(this.now, 'redis', `n${i + 1} redis is down`);
    this.noticeRedis(i);
  }

  restartRedis(i: number, empty: boolean): void {
    this.redisDown[i]! -= 1;
    if (empty) this.pendingEmpty[i] = true;
    const r = this.redis[i];
    if (!r || this.redisDown[i]! > 0 || !this.present[i]) return;
    const wipe = this.pendingEmpty[i]!;
    // Copies on a learner or a removed node are no copies an election must meet: only voters of
    // every configuration the members hold count (and the wiped node itself, which loses its copy).
    if (wipe) this.checker.onWipe(i, this.redis.map((x, j) => (x && (j === i || this.voterEverywhere(j)) ? x.log : null)));
    r.restart(this.nextRunId++, wipe, this.nextReplId++);
    this.pendingEmpty[i] = false;
    this.timeline?.add(this.now, 'redis', `n${i + 1} redis restarts${wipe ? ' EMPTY' : ` with its data (offset ${r.log.length})`}, detached and read-only`);
    this.noticeRedis(i);
  }

  /** The sidecar's connection to redis drops or comes back: it notices at once unless paused. */
  private noticeRedis(i: number): void {
    const node = this.nodes[i]!;
    const e = node.elector;
    if (e === null || node.paused) return;
    const local = node.local(this.now);
    this.route(node, node.control(local, true));
    this.checker.afterCall(i, e.hasLease(local), this.now);
  }

  pause(i: number): number {
    const node = this.nodes[i]!;
    if (node.elector === null) return -1;
    this.pauseDepth[i]! += 1;
    if (!node.paused) {
      node.paused = true;
      this.timeline?.add(this.now, 'event', `${node.id} sidecar PAUSED`);
    }
    return node.incarnation;
  }

  resume(i: number, incarnation: number): void {
    const node = this.nodes[i]!;
    if (node.incarnation !== incarnation || !node.paused) return;
    this.pauseDepth[i]! -= 1;
    if (this.pauseDepth[i]! > 0) return;
    node.paused = false;
    node.chain += 1;
    this.timeline?.add(this.now, 'event', `${node.id} sidecar resumes (${node.inbox.length} buffered)`);
    // Like a SIGCONT'd event loop: overdue timers first, then the buffered sockets.
    this.tickNode(node);
    const inbox = node.inbox.splice(0) as Ev[];
    for (const ev of inbox) {
      if (ev.kind === DELIVER) this.onDeliver(ev);
      else if (ev.kind === STEP) this.onStep(ev);
      else this.onPromote(ev);
    }
    if (node.elector !== null) this.push(this.now + this.params.tickMs / node.rate, TICK, i, node.chain, 0, null);
  }

  switchover(): string {
    const p = this.leaseHolder();
    if (p < 0) return 'switchover requested: no lease holder, nothing done';
    const node = this.nodes[p]!;
    const e = node.elector!;
    if (node.paused) return `switchover requested: ${node.id} is paused, nothing done`;
    const target = e.bestHandoffTarget();
    if (target === null) return `switchover requested: ${node.id} has no live target`;
    const local = node.local(this.now);
    try {
      e.handOff(target, local);
      this.afterEntry(node, local, []);
      return `switchover: ${node.id} hands off to ${target}`;
    } catch (err) {
      return `switchover: ${(err as Error).message}`;
    }
  }

  forgeAnnounce(from: number, claimed: number): string {
    const node = this.nodes[from]!;
    const e = node.elector;
    if (e === null || node.paused) return `misdirected ANNOUNCE: ${node.id} is not running, nothing sent`;
    const epoch = e.epoch + 1;
    const target = this.nodes[claimed]!;
    const msg: ElectionMessage = { type: 'ANNOUNCE', epoch, primaryId: target.id, primaryAddr: `10.0.0.${claimed + 1}:6379` };
    for (let j = 0; j < this.n; j++) if (j !== from) this.send(from, j, msg);
    return `misdirected ANNOUNCE: ${node.id} tells everyone that ${target.id} won e${epoch}`;
  }

  // --- Membership ----------------------------------------------------------------

  failConfigSaves(idx: number, failing: boolean): void {
    const store = this.nodes[idx]!.configStore;
    if (store !== null) store.failNextSaves = failing ? Number.MAX_SAFE_INTEGER : 0;
  }

  isPresent(idx: number): boolean {
    return this.present[idx] === true;
  }

  memberChange(f: Fault): string {
    return this.tryChange(this.faults.indexOf(f), 1);
  }

  /** Try `attempt` of membership fault `k`; on a refusal the operator asks again after retryMs, up to `tries` times. */
  private tryChange(k: number, attempt: number): string {
    const f = this.faults[k]!;
    const what = f.kind === 'member-add' ? `member add ${this.nodes[this.born + f.spare!]!.id}` : 'member remove';
    this.stats.membership.requests++;
    const r = this.proposeMemberChange(f);
    if (r.ok) {
      this.stats.membership.accepted++;
      this.endsAt(k, this.now + (f.kind === 'member-remove' ? (f.stopAfterMs ?? 0) : 0));
      return `${what} (try ${attempt}): ${r.text}`;
    }
    const tries = f.tries ?? 1;
    if (r.final || attempt >= tries) {
      this.stats.membership.gaveUp++;
      this.endsAt(k, this.now);
      return `${what} (try ${attempt} of ${tries}) refused, the operator gives up: ${r.text}`;
    }
    this.push(this.now + (f.retryMs ?? 100), MEMBER_RETRY, k, attempt + 1, 0, null);
    return `${what} (try ${attempt} of ${tries}) refused: ${r.text}`;
  }

  /** Fault `k` is over at `t` (before its scheduled end): the liveness watch may start sooner. */
  private endsAt(k: number, t: number): void {
    this.ends[k] = Math.min(this.ends[k]!, t);
    let end = this.params.warmupMs;
    for (const e of this.ends) end = Math.max(end, e);
    this.faultEnd = end;
    this.stats.faultEnd = end;
    if (this.livenessAt < 0) this.stopAt = end + this.bound + this.params.tickMs * 4;
  }

  /** The operator's request to the lease holder (as `resp-elect member add/remove` forwards it). */
  private proposeMemberChange(f: Fault): { ok: boolean; final?: boolean; text: string } {
    const p = this.leaseHolder();
    if (p < 0) return { ok: false, text: 'no lease holder to ask' };
    const node = this.nodes[p]!;
    const e = node.elector!;
    if (node.paused) return { ok: false, text: `${node.id} does not answer (paused)` };
    const cfg = this.cfgOf[p]!;
    let change: ConfigChange;
    let target = -1;
    if (f.kind === 'member-add') {
      target = this.born + f.spare!;
      const s = this.nodes[target]!;
      if (this.present[target] || this.retired[target]) return { ok: false, final: true, text: `${s.id} was added already` };
      // The simulator's clusters stop at seven members; a later removal may make room.
      if (cfg.members.length >= 7) return { ok: false, text: `configuration ${cfg.version} has ${cfg.members.length} members already` };
      change = { kind: 'add', member: s.witness ? { id: s.id, kind: 'witness', priority: 0 } : { id: s.id, kind: 'voter', priority: s.priority } };
    } else {
      const cands: number[] = [];
      for (const m of cfg.members) if (m.id !== node.id) cands.push(this.index.get(m.id)!);
      // An operator keeps at least three members.
      if (cfg.members.length <= 3) return { ok: false, text: `configuration ${cfg.version} has ${cfg.members.length} members: none is removed below three` };
      const t = f.target;
      if (t?.role === 'node') {
        if (!cands.includes(t.idx)) return { ok: false, text: `${this.nodes[t.idx]!.id} is ${t.idx === p ? 'the primary' : 'not a member'}` };
        target = t.idx;
      } else {
        target = cands[Math.floor((t?.role === 'replica' || t?.role === 'any' ? t.pick : 0) * cands.length)]!;
      }
      change = { kind: 'remove', id: this.nodes[target]!.id };
    }
    const local = node.local(this.now);
    let made: ClusterConfig;
    try {
      made = e.proposeChange(change, local);
    } catch (err) {
      if (err instanceof InvariantError) throw err;
      return { ok: false, text: `${node.id}: ${(err as Error).message}` };
    }
    this.afterEntry(node, local, []);
    if (f.kind === 'member-add') {
      this.join(target, made);
    } else if (f.stopAfterMs !== undefined) {
      this.push(this.now + f.stopAfterMs, RETIRE, target, 0, 0, null);
    }
    return { ok: true, text: `${node.id} makes configuration ${describeConfig(made)}${f.kind === 'member-remove' ? (f.stopAfterMs !== undefined ? `; ${this.nodes[target]!.id} is stopped in ${f.stopAfterMs} ms` : `; ${this.nodes[target]!.id} keeps running`) : ''}` };
  }

  /**
   * The new member starts as `resp-elect run --join` does: its config store holds the configuration
   * fetched from the primary (which names it), its vote store is empty, its redis starts EMPTY and
   * syncs from the primary once the sidecar follows it.
   */
  private join(j: number, config: ClusterConfig): void {
    const node = this.nodes[j]!;
    node.configStore = new MemoryConfigStore(config);
    this.present[j] = true;
    if (node.redis !== null) node.redis.restart(this.nextRunId++, true, this.nextReplId++);
    this.timeline?.add(this.now, 'event', `${node.id} joins with configuration ${config.version}/${config.epoch}${node.redis !== null ? ' and an EMPTY redis' : ''}`);
    this.startSidecar(j);
  }

  /** The operator stops a removed node for good, unless a later configuration names it again. */
  private retire(i: number): void {
    const node = this.nodes[i]!;
    if (this.retired[i] || !this.present[i]) return;
    const c = this.newestConfig();
    if (this.isMemberOf(c, i)) {
      this.timeline?.add(this.now, 'fault', `${node.id} is not stopped: configuration ${c!.version}/${c!.epoch} names it again`);
      return;
    }
    this.retired[i] = true;
    this.present[i] = false;
    this.stats.membership.stopped++;
    if (node.elector !== null) node.stopSidecar();
    this.checker.forget(i);
    node.redis?.kill();
    this.timeline?.add(this.now, 'fault', `${node.id} (removed) is stopped for good: sidecar and redis`);
  }

  // -------------------------------------------------------------------------

  /** One line per member: sidecar, Elector and redis state. */
  stateTable(): string {
    const lines: string[] = [];
    for (const node of this.nodes) {
      const e = node.elector;
      const local = node.local(this.now);
      if (!this.present[node.idx]) {
        lines.push(`  ${node.id.padEnd(4)} ${this.retired[node.idx] ? 'removed and stopped' : 'spare, not joined'}`);
        continue;
      }
      const c = this.cfgOf[node.idx];
      const side = e === null ? 'sidecar DOWN' : `${node.paused ? 'PAUSED ' : ''}${e.role} e${e.epoch} primary=${e.currentPrimary ?? '-'} lease=${e.hasLease(local) ? 'yes' : 'no'}`;
      const r = node.redis;
      const red =
        r === null
          ? 'witness'
          : `redis ${r.alive ? 'up' : 'DOWN'} run ${r.runId} data-epoch ${node.dataEpoch(this)} ${r.role}${r.masterIdx >= 0 ? ` of n${r.masterIdx + 1}${this.redis[r.masterIdx]?.runId === r.attachRunId ? '' : ' (stale credential)'}` : ''} offset ${r.log.length}${r.role === 'master' ? (r.fenced ? ' fenced' : ' WRITABLE') : ''}${r.syncing ? ' full-sync' : ''}`;
      lines.push(`  ${node.id.padEnd(4)} ${side.padEnd(44)} ${red}${c ? ` config ${c.version}/${c.epoch}` : ''}`);
    }
    return lines.join('\n');
  }
}

/** Run one seed. */
export function runSeed(spec: RunSpec): RunResult {
  return new World(spec).run();
}
