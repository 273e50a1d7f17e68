import type { ConfigMessage, ConfverMessage, ElectionMessage, Message, RefuseReason, Role } from '../protocol/messages.js';
import { membersProblem, membersText, parseMembersText } from '../protocol/members.js';
import { compareConfigIds, configDigest, configQuorum, describeConfig, memberOf, votersOf, type ClusterConfig, type ConfigId } from './cluster-config.js';
import { applyChange, describeChange, type ConfigChange } from './config-change.js';
import { ConfigProgress } from './config-progress.js';
import { ChangeRefused } from './change-refused.js';
import { MemoryConfigStore, type ConfigStore } from './config-store.js';
import { isHoldableEpoch, MAX_HELD_EPOCH } from '../protocol/limits.js';
import { adoptionStance, describeStance, sameStance, type AdoptionStance, type LocalTopology } from './adoption.js';
import { ConfigError, resolveConfig, type ElectorConfig } from './config.js';
import { DataMemory } from './data-memory.js';
import type { ElectorEvent, ElectorEventListener } from './events.js';
import { InvariantError, invariantViolations } from './invariants.js';
import { LeaseTracker } from './lease-tracker.js';
import { epochBoundGate, epochGate, senderGate, type GateVerdict } from './message-gate.js';
import { bornConfig, compareStanding, isElectable, memberFromConfig, resolveMembers, type Member, type MemberSpec } from './membership.js';
import { roleOf, type AskAgain, type Handoff, type Phase, type PhaseName } from './phase.js';
import { RuleSet, type SafetyRule } from './safety-rules.js';
import { judgeVote, type VoterSnapshot, type VoteVerdict } from './vote-rules.js';
import type { VoteStore } from './vote-store.js';
import { VoteTally } from './vote-tally.js';

/** A message to send: to one member, or to every member but self ('*'). */
export interface Outbound {
  to: string | '*';
  msg: ElectionMessage;
}

export interface ElectorOptions {
  nodeId: string;
  /**
   * The member list of a fresh cluster, self included (`--member` flags):
   * the configuration it is born with (version 1, epoch 0), used only when
   * the config store holds none. Every node must be given the same list.
   */
  members?: readonly (MemberSpec & { peer?: string; redis?: string })[];
  /** Instead of `members`: the born configuration itself. */
  initialConfig?: ClusterConfig;
  /** Where the configuration in use is kept durably (protocol.md §5.12); default: in memory. */
  configStore?: ConfigStore;
  /** This node's redis address as peers should REPLICAOF it; carried in ANNOUNCE. */
  advertisedAddr: string;
  /** 'primary' only for the bootstrap node: it stands at once, and only while it has never taken part in an epoch. */
  startRole?: 'primary' | 'replica';
  config?: Partial<ElectorConfig>;
  voteStore: VoteStore;
  /** Uniform in [0, 1); the simulator passes a seeded one. */
  random: () => number;
  onEvent?: ElectorEventListener;
  /**
   * When true, winning an election emits `promote` and waits for `promoted()`
   * before ANNOUNCE goes out (the sidecar runs REPLICAOF NO ONE in between).
   * When false (tests, simulator) the winner becomes primary at once.
   */
  confirmPromotion?: boolean;
  /** Test-only: switch safety rules off (safety-rules.ts) to prove the tests and the simulator catch it. */
  disabledRules?: readonly SafetyRule[];
}

interface PeerView {
  /** Local time we last received anything from this peer, or null if never. */
  lastHeard: number | null;
  up: boolean;
  /** From the peer's last HB. */
  epoch: number;
  role: Role;
  offset: number;
}

/** A snapshot for status displays and the admin API. */
export interface ElectorSnapshot {
  nodeId: string;
  role: Role;
  phase: PhaseName;
  epoch: number;
  votedFor: string | null;
  currentPrimary: string | null;
  leaseUntil: number;
  hasLease: boolean;
  writesAllowed: boolean;
  offset: number;
  healthy: boolean;
  handoff: { target: string; released: boolean } | null;
  peers: { id: string; witness: boolean; learner: boolean; priority: number; up: boolean; lastHeard: number | null; epoch: number; role: Role; offset: number }[];
  /** The member configuration in use (protocol.md §5.12). */
  config: ConfigSnapshot;
}

export interface ConfigSnapshot {
  version: number;
  epoch: number;
  digest: string;
  members: { id: string; kind: 'voter' | 'learner' | 'witness'; priority: number; peer?: string; redis?: string }[];
  voters: string[];
  learners: string[];
  quorum: number;
  /** Born from flags and not yet held by a majority of its voters: this node neither votes nor stands. */
  agreed: boolean;
  /** This node is not in the configuration it holds (removed). */
  removed: boolean;
  /** On the primary: whether a majority of the configuration's voters hold it; null elsewhere (unknown). */
  committed: boolean | null;
  /** A peer holding a configuration of the same version and epoch with other members. */
  conflict: { peer: string; digest: string } | null;
}

/** Every node tells its peers what configuration it holds every this many heartbeats (and at once on a change). */
const CONFVER_EVERY = 5;

/**
 * A follower of a live primary sends its HB in the wake-up where the primary's HB arrives
 * (protocol.md §5.1, "HB cadence"), so its own timer only stands in for a primary HB that did not
 * come: it waits this many intervals, long enough that the primary's next HB always comes first.
 */
const LOCKED_HB_FACTOR = 1.5;

/**
 * A voter that refused a pre-vote for lack of a fresh offset is asked again after this long, then
 * twice as long at each such refusal up to askAgainMaxMs (protocol.md §5.5). In heartbeats, because
 * the heartbeat is the Elector's unit of "a moment" (10 and 100 ms at the defaults).
 */
const askAgainFirstMs = (c: ElectorConfig): number => Math.max(1, Math.round(c.hbIntervalMs / 20));
const askAgainMaxMs = (c: ElectorConfig): number => Math.max(1, Math.round(c.hbIntervalMs / 2));

/**
 * The election state machine. Pure: time comes in as `nowMs`, randomness from
 * `random`, durability through `voteStore`; messages go out as return values
 * and everything else the runtime must know as events. See protocol.md §5 for
 * the rules this class implements; each check names its rule id
 * (safety-rules.ts).
 *
 * Layout: the phase (phase.ts) is a tagged union written only by the
 * `become…` methods; pure pieces hold the vote tally (vote-tally.ts), the
 * lease (lease-tracker.ts), rule data-memory (data-memory.ts) and the vote
 * rules (vote-rules.ts); `assertInvariants()` runs after every public entry
 * point and throws InvariantError when the state is one the design rules out.
 */
export class Elector {
  readonly nodeId: string;
  readonly config: ElectorConfig;
  /** The members of the configuration in use, as the rules see them (learners flagged). */
  members: readonly Member[] = [];
  /** This node's entry; a non-voting placeholder when the configuration does not name it (removed). */
  private self!: Member;
  private quorum = 1;
  private voterIds: ReadonlySet<string> = new Set();
  /** The configuration in use (protocol.md §5.12) and its digest. */
  private cfg!: ClusterConfig;
  private cfgDigest = '';
  private readonly configStore: ConfigStore;
  /** Rule config-agreement: a configuration born from flags is used only once a majority of its voters hold the same one. */
  private agreed: boolean;
  private conflict: { peer: string; digest: string } | null = null;
  private readonly progress = new ConfigProgress();
  /** On the primary: the configuration last seen held by a majority of its voters. */
  private committedId: { version: number; epoch: number } | null = null;
  /** The configuration at the last invariant check: configurations never go back. */
  private checkedConfig: { version: number; epoch: number };
  private hbCount = 0;
  /** A CONFVER must go out with the next heartbeat (the configuration or the data epoch changed). */
  private confverDue = true;
  /** When CONFIG was last sent to each peer, so a lagging peer gets it at most once per heartbeat. */
  private readonly configSentAt = new Map<string, number>();
  /** The primary's recent offsets, to tell a learner that keeps up from one that does not. */
  private readonly offsetHistory: { at: number; offset: number }[] = [];
  private readonly advertisedAddr: string;
  private readonly store: VoteStore;
  private readonly random: () => number;
  private readonly listeners: ElectorEventListener[] = [];
  private readonly confirmPromotion: boolean;
  private readonly rules: RuleSet;
  private memberIds: ReadonlySet<string> = new Set();

  private _epoch: number;
  private votedFor: string | null;
  /** Epoch loaded at start: a node that had taken part in an epoch may owe a lease, so it refuses votes for a while (rule restart-grace). */
  private readonly loadedEpoch: number;
  private bootstrap: boolean;
  /** The epoch at the last invariant check: epochs never go back. */
  private checkedEpoch: number;

  private phase: Phase = { kind: 'follower' };
  private primary: string | null = null;
  /** Last time we heard the current primary acting as primary (HB role primary or LEASE). */
  private primaryContactAt = -Infinity;
  /** Set once we consider the primary gone; cleared when we follow one again. */
  private primaryLost = false;
  private primaryLostAt = -Infinity;

  private offset = 0;
  private offsetAt = -Infinity;
  /** Rule data-memory: the most data the local redis reported in this process's life. */
  private readonly dataMemory: DataMemory;
  /** Epoch of the primary whose stream our data last caught up with; offsets compare only within one. */
  private dataEpoch = 0;
  /** The data epoch each candidate gave in its PREVOTE, for judging its OFFER (which cannot carry it). */
  private readonly prevoteSeen = new Map<string, { epoch: number; dataEpoch: number }>();
  private healthy = true;

  private now = -Infinity;
  private bootAt: number | null = null;
  /** When our last HB went out. */
  private lastHbAt = -Infinity;
  /** An HB is due at this time whatever the cadence says (set to now to send one with the next tick). */
  private hbForcedAt = Infinity;
  private nextStandAt = -Infinity;

  private readonly peers = new Map<string, PeerView>();

  /** LEASE round numbers increase over the process's life, across terms. */
  private leaseSeq = 0;
  private leaseHeld = false;
  private writesWereAllowed = false;

  /** HANDOFF heard from our primary: it released leadership to `target` for the epoch after `epoch`. */
  private released: { epoch: number; target: string; offset: number } | null = null;
  /** The last epoch refused by the epoch bound, so its error event is emitted once, not every poll. */
  private epochBoundReported: number | null = null;

  /** Rule adopt-existing (adoption.ts): what the runtime last said of the local redis's replication role. */
  private topology: LocalTopology | undefined;
  private sawReplicas = false;
  private linkDownSince: number | null = null;
  /** A stored vote, a primary followed or an election won ends adoption for good. */
  private adoptionOver: boolean;
  private stance: AdoptionStance = { kind: 'none' };

  constructor(opts: ElectorOptions) {
    this.nodeId = opts.nodeId;
    this.config = resolveConfig(opts.config);
    this.rules = new RuleSet(opts.disabledRules);
    this.configStore = opts.configStore ?? new MemoryConfigStore();
    // A store that cannot be read throws here, like the vote store: never start as "no configuration".
    const storedConfig = this.configStore.load();
    let born = opts.initialConfig;
    if (!born && opts.members && !storedConfig) {
      resolveMembers(opts.nodeId, opts.members); // throws ConfigError naming what is wrong
      born = bornConfig(opts.members);
    }
    if (!storedConfig && !born) throw new ConfigError('members', 'no member configuration: none stored and none given');
    if (!storedConfig && born) {
      const problem = membersProblem(born.members);
      if (problem) throw new ConfigError('members', problem);
      if (!memberOf(born, opts.nodeId)) throw new ConfigError('members', `this node's id ${opts.nodeId} is not in the membership (${born.members.map((m) => m.id).join(', ')})`);
    }
    // A stored configuration is one this node agreed to or adopted from a primary; a born one must be agreed first.
    this.agreed = storedConfig !== null || !this.rules.enforced('config-agreement');
    this.installConfig(storedConfig ?? born!);
    this.checkedConfig = { version: this.cfg.version, epoch: this.cfg.epoch };
    this.advertisedAddr = opts.advertisedAddr;
    this.store = opts.voteStore;
    this.random = opts.random;
    this.confirmPromotion = opts.confirmPromotion ?? false;
    // rule data-memory off behaves as dataMemoryMs 0: judge by the data held now.
    this.dataMemory = new DataMemory(this.rules.enforced('data-memory') ? this.config.dataMemoryMs : 0, this.rules.enforced('data-epoch-order'));
    if (opts.onEvent) this.listeners.push(opts.onEvent);

    // A store that cannot be read throws here: the caller must stop, never start as "never voted".
    const stored = this.store.load();
    if (!isHoldableEpoch(stored.epoch)) {
      throw new RangeError(`stored epoch ${stored.epoch} is above the highest epoch a node may hold (${MAX_HELD_EPOCH}); see "Epoch bound" in protocol.md 5.2`);
    }
    this._epoch = stored.epoch;
    this.votedFor = stored.votedFor;
    this.loadedEpoch = stored.epoch;
    this.checkedEpoch = stored.epoch;
    this.bootstrap = opts.startRole === 'primary' && stored.epoch === 0 && isElectable(this.self);
    this.checkAgreement();
    this.adoptionOver = stored.epoch > 0;
  }

  // -------------------------------------------------------------------------
  // Observers
  // -------------------------------------------------------------------------

  get role(): Role {
    return roleOf(this.phase.kind);
  }

  get epoch(): number {
    return this._epoch;
  }

  /** The primary this node follows (itself when primary), or null while none is known or alive. */
  get currentPrimary(): string | null {
    return this.primary;
  }

  /** The member whose redis ours should replicate from; null means detached. */
  get following(): string | null {
    if (this.phase.kind === 'primary' || this.primaryLost || this.primary === this.nodeId) return null;
    return this.primary;
  }

  /** Our primary released leadership to this node (HANDOFF): it stands as soon as its redis holds the primary's last offset. */
  get handoffPending(): boolean {
    const r = this.released;
    return r !== null && r.target === this.nodeId && r.epoch === this._epoch && this.phase.kind === 'follower';
  }

  get replOffset(): number {
    return this.offset;
  }

  /** True while this node is primary, healthy, and a majority acknowledged a LEASE sent less than leaseMs ago. */
  hasLease(nowMs: number): boolean {
    const p = this.phase;
    if (p.kind !== 'primary' || !this.healthy) return false;
    if (p.handoff?.released) return false;
    if (!this.rules.enforced('lease-quorum')) return true;
    return nowMs < p.lease.leaseUntil;
  }

  /** Whether the local redis may take writes: a lease and no hand-off draining writes. */
  writesAllowed(nowMs: number): boolean {
    return this.hasLease(nowMs) && this.currentHandoff() === null;
  }

  on(listener: ElectorEventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  snapshot(nowMs: number = this.now): ElectorSnapshot {
    const h = this.currentHandoff();
    return {
      nodeId: this.nodeId,
      role: this.role,
      phase: this.phase.kind,
      epoch: this._epoch,
      votedFor: this.votedFor,
      currentPrimary: this.primary,
      leaseUntil: this.phase.kind === 'primary' ? this.phase.lease.leaseUntil : -Infinity,
      hasLease: this.hasLease(nowMs),
      writesAllowed: this.writesAllowed(nowMs),
      offset: this.offset,
      healthy: this.healthy,
      handoff: h ? { target: h.target, released: h.released } : null,
      peers: this.members
        .filter((m) => m.id !== this.nodeId)
        .map((m) => {
          const p = this.peers.get(m.id)!;
          return { id: m.id, witness: m.witness, learner: m.learner, priority: m.priority, up: p.up, lastHeard: p.lastHeard, epoch: p.epoch, role: p.role, offset: p.offset };
        }),
      config: this.configSnapshot(),
    };
  }

  /** The member configuration in use, for `member list`, INFO and /metrics. */
  configSnapshot(): ConfigSnapshot {
    const c = this.cfg;
    return {
      version: c.version,
      epoch: c.epoch,
      digest: this.cfgDigest,
      members: c.members.map((m) => ({ ...m })),
      voters: votersOf(c).map((m) => m.id),
      learners: c.members.filter((m) => m.kind === 'learner').map((m) => m.id),
      quorum: this.quorum,
      agreed: this.agreed,
      removed: this.isRemoved(),
      committed: this.phase.kind === 'primary' ? this.isCommitted() : null,
      conflict: this.conflict ? { ...this.conflict } : null,
    };
  }

  /** The configuration in use. */
  get clusterConfig(): ClusterConfig {
    return structuredClone(this.cfg);
  }

  /**
   * Throws InvariantError naming every invariant of invariants.ts that the
   * current state breaks. Runs after every public entry point; exposed so
   * tests and the simulator can call it between steps too.
   */
  assertInvariants(nowMs: number = this.now): void {
    const bad = invariantViolations({
      nodeId: this.nodeId,
      phase: this.phase,
      epoch: this._epoch,
      previousEpoch: this.checkedEpoch,
      votedFor: this.votedFor,
      currentPrimary: this.primary,
      primaryLost: this.primaryLost,
      isMember: (id) => this.memberIds.has(id),
      hasLease: this.hasLease(nowMs),
      writesAllowed: this.writesAllowed(nowMs),
      config: { version: this.cfg.version, epoch: this.cfg.epoch },
      previousConfig: this.checkedConfig,
      countedNonVoter: this.countedNonVoter(),
    });
    this.checkedEpoch = this._epoch;
    this.checkedConfig = { version: this.cfg.version, epoch: this.cfg.epoch };
    if (bad.length > 0) throw new InvariantError(`${this.nodeId} (${this.phase.kind}, epoch ${this._epoch}): ${bad.join('; ')}`);
  }

  // -------------------------------------------------------------------------
  // Inputs from the runtime
  // -------------------------------------------------------------------------

  /**
   * The local redis's replication offset. The sample is stamped with `nowMs`
   * (default: the latest time the Elector was given). After a `primary-lost`
   * event the runtime must report an offset read after it detached redis:
   * only such a sample is used to vote or stand.
   *
   * `dataEpoch` is the epoch of the primary whose stream the data last caught
   * up with: the primary's own epoch on a primary; on a replica, the epoch of
   * the primary it follows once its offset reached that primary's offset at
   * the time it started following. Data compares as (dataEpoch, offset), so
   * the longer log of a deposed primary never beats the shorter log of a
   * replica that holds the newer epoch's acknowledged writes. Omitted: kept.
   */
  setReplOffset(offset: number, nowMs: number = this.now, dataEpoch?: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`replication offset must be a non-negative safe integer, got ${offset}`);
    if (dataEpoch !== undefined) {
      if (!Number.isSafeInteger(dataEpoch) || dataEpoch < 0) throw new RangeError(`data epoch must be a non-negative safe integer, got ${dataEpoch}`);
      if (dataEpoch !== this.dataEpoch) this.confverDue = true;
      this.dataEpoch = dataEpoch;
    }
    this.offset = offset;
    this.offsetAt = nowMs;
    if (this.phase.kind === 'primary') this.rememberOffset(offset, nowMs);
    const now = { dataEpoch: this.dataEpoch, offset: this.offset };
    const before = this.dataMemory.observe(now, nowMs);
    if (before) this.emit({ type: 'data-lost', held: before, now, holdMs: this.config.dataMemoryMs });
    if (this.dataEpoch > this._epoch && this.rules.enforced('data-epoch-order')) {
      // Our data already holds a newer epoch's stream than our vote store knows (the sidecar was
      // down while that epoch began). Like Raft's currentTerm >= last log term: adopt it, so no
      // stale primary of an older epoch can make us follow it and resync our data away.
      if (this.persist(this.dataEpoch, null, `adopting epoch ${this.dataEpoch} held by the local data`)) {
        this.adoptEpoch(this.dataEpoch, null, nowMs, `the local data holds epoch ${this.dataEpoch}`);
        this.leaveStaleRole(nowMs, [], `the local data holds newer epoch ${this.dataEpoch}`);
      }
    }
    this.assertInvariants();
  }

  /**
   * The local redis's replication role, from the same poll as the offset (rule adopt-existing):
   * in a fresh cluster it decides whether this node keeps its redis as the existing master, waits
   * for the member its redis replicates from, or detaches first (adoption.ts). Never reported:
   * the ordinary rules.
   */
  setLocalTopology(t: LocalTopology, nowMs: number = this.now): void {
    this.topology = t;
    if (t.kind === 'master' && t.replicas > 0) this.sawReplicas = true;
    if (t.kind === 'replica' && !t.linkUp) this.linkDownSince ??= nowMs;
    else this.linkDownSince = null;
    this.assertInvariants();
  }

  /** Local redis reachable, loaded and not in a full sync. Unhealthy nodes never stand; an unhealthy primary steps down. */
  setHealthy(ok: boolean): void {
    this.healthy = ok;
    this.assertInvariants();
  }

  /** Time passes: peers go up or down, rounds and hand-offs time out, followers stand, HB and LEASE go out. */
  tick(nowMs: number): Outbound[] {
    this.advance(nowMs);
    const out: Outbound[] = this.pendingOut.splice(0);
    this.refreshPeers(nowMs);
    this.expireDataMemory(nowMs);
    const p = this.phase;
    switch (p.kind) {
      case 'primary':
        this.tickPrimary(p, nowMs, out);
        break;
      case 'promoting':
        if (nowMs >= p.deadline) this.stepDown(nowMs, out, 'promotion was not confirmed in time');
        break;
      case 'prevote':
        if (nowMs >= p.deadline) this.failRound(nowMs, 'pre-vote timed out');
        else if (p.askAgain) this.askAgain(p.tally.epoch, p.askAgain, nowMs, out);
        break;
      case 'candidate':
        if (nowMs >= p.deadline) this.failRound(nowMs, 'election timed out');
        break;
      case 'follower':
        this.tickFollower(nowMs, out);
        break;
    }
    if (nowMs >= this.hbDueAt()) {
      if (!this.isRemoved()) {
        out.push({ to: '*', msg: this.hb() });
        const q = this.phase;
        if (q.kind === 'primary' && !q.handoff?.released) out.push(this.leaseRound(q.lease, nowMs));
        // rule config-order: peers learn what we hold every CONFVER_EVERY heartbeats, and at once on a change.
        if (this.confverDue || this.hbCount % CONFVER_EVERY === 0) this.pushConfver(out);
        this.hbCount += 1;
      }
      this.lastHbAt = nowMs;
      this.hbForcedAt = Infinity;
    }
    return this.finish(nowMs, out);
  }

  /**
   * The earliest time at which tick() could do anything that a tick now would
   * not: send the next HB/LEASE, time out a round, a promotion or a hand-off,
   * re-ask a voter, declare the primary lost, stand, mark a peer DOWN, let the
   * lease lapse, forget a data loss. Valid until the next input: after tick(t)
   * and no onMessage/setReplOffset/setHealthy/promoted/handOff since, a tick at
   * any time in [t, nextDeadline(t)) emits nothing and changes nothing. So a
   * runtime may sleep until then, provided it ticks after every input (what
   * an input makes due at once, the tick after it does). Times already passed
   * are skipped: what they trigger is conditional on inputs, not on time.
   */
  nextDeadline(nowMs: number): number {
    let next = Infinity;
    const at = (t: number) => {
      if (t > nowMs && t < next) next = t;
    };
    const down = this.config.downAfterMs;
    // Messages made outside a tick (a membership change) go out with the next one: now.
    if (this.pendingOut.length > 0) return nowMs;
    at(this.hbDueAt());
    // The adoption wait and a link down for downAfterMs end adoption (rule adopt-existing).
    if (!this.adoptionOver && this.bootAt !== null) {
      at(this.bootAt + this.config.adoptWaitMs);
      if (this.linkDownSince !== null) at(this.linkDownSince + down);
    }
    for (const p of this.peers.values()) if (p.up && p.lastHeard !== null) at(p.lastHeard + down);
    const fellAt = this.dataMemory.fellAtMs;
    if (fellAt !== null) at(fellAt + this.dataMemory.memoryMs);
    const p = this.phase;
    switch (p.kind) {
      case 'primary':
        at(p.lease.leaseUntil);
        if (p.handoff) at(p.handoff.deadline);
        break;
      case 'promoting':
      case 'candidate':
        at(p.deadline);
        break;
      case 'prevote':
        at(p.deadline);
        for (const a of p.askAgain?.values() ?? []) if (a.at !== null) at(a.at);
        break;
      case 'follower':
        // Alive until (and, with no primary known, learning until) downAfterMs after the last contact;
        // then standing waits for the back-off and for its rank's turn.
        at(this.primaryContactAt + down);
        at(this.nextStandAt);
        if (this.primaryLost) at(this.primaryLostAt + this.rank(nowMs) * this.config.rankDelayMs);
        break;
    }
    return next;
  }

  /**
   * A message from member `fromId` (the id the handshake proved). It passes,
   * in order, the epoch bound, the sender check and the epoch gate
   * (message-gate.ts) before its handler runs; whatever is dropped on the way
   * still counts as hearing from the peer.
   */
  onMessage(fromId: string, msg: Message, nowMs: number): Outbound[] {
    const out: Outbound[] = [];
    const peer = this.peers.get(fromId);
    if ((msg.type === 'CONFIG' || msg.type === 'CONFVER') && fromId !== this.nodeId && msg.nodeId === fromId && epochBoundGate(msg).pass) {
      // Configuration messages count from anyone the transport authenticated, member or not: a removed
      // node learns from them that a removal was undone, a primary tells a removed node it is removed.
      // They say nothing about time or liveness, so they neither start the boot clock nor mark a peer up.
      if (this.bootAt !== null && nowMs > this.now) this.now = nowMs;
      if (msg.type === 'CONFIG') this.onConfig(fromId, msg, nowMs, out);
      else this.onConfver(fromId, msg, nowMs, out);
      return this.finish(nowMs, out);
    }
    this.advance(nowMs);
    if (!peer || this.isRemoved()) {
      const reason = fromId === this.nodeId ? 'message from self' : !peer ? 'sender is not a member' : `this node is not in configuration ${this.cfg.version}`;
      this.emit({ type: 'ignored', from: fromId, what: msg.type, reason });
      this.assertInvariants(nowMs);
      return out;
    }
    peer.lastHeard = nowMs;
    if (!peer.up) {
      peer.up = true;
      this.emit({ type: 'peer', id: fromId, up: true });
    }
    // No election reaches past the epoch bound, and holding it would leave no epoch to stand in.
    if (!this.passes(fromId, peer, msg, epochBoundGate(msg))) return this.finish(nowMs, out);
    if (msg.type === 'PEER' || msg.type === 'CHALLENGE' || msg.type === 'PROOF' || msg.type === 'CONFGET') {
      this.emit({ type: 'ignored', from: fromId, what: msg.type, reason: 'handshake message reached the Elector' });
      return this.finish(nowMs, out);
    }
    if (!this.passes(fromId, peer, msg, senderGate(fromId, msg, this.rules.enforced('announce-sender')))) return this.finish(nowMs, out);
    if (!this.passes(fromId, peer, msg, epochGate(msg, this._epoch))) return this.finish(nowMs, out);
    switch (msg.type) {
      case 'HB':
        this.onHb(fromId, peer, msg, nowMs, out);
        break;
      case 'PREVOTE':
        this.prevoteSeen.set(fromId, { epoch: msg.epoch, dataEpoch: msg.dataEpoch });
        this.onVoteRequest(fromId, msg.epoch, msg.replOffset, true, nowMs, out);
        break;
      case 'OFFER':
        this.onVoteRequest(fromId, msg.epoch, msg.replOffset, false, nowMs, out);
        break;
      case 'PREACCEPT':
        this.onYes('prevote', fromId, msg.epoch, nowMs, out);
        break;
      case 'ACCEPT':
        this.onYes('candidate', fromId, msg.epoch, nowMs, out);
        break;
      case 'REFUSE':
        this.onRefuse(fromId, msg.epoch, msg.voterEpoch, msg.reason, nowMs, out);
        break;
      case 'ANNOUNCE':
        this.onAnnounce(msg.primaryId, msg.epoch, nowMs, out);
        break;
      case 'LEASE':
        this.onLease(fromId, peer, msg.epoch, msg.seq, nowMs, out);
        break;
      case 'LEASEACK':
        this.onLeaseAck(fromId, msg.seq, nowMs);
        break;
      case 'HANDOFF':
        this.onHandoff(fromId, msg.epoch, msg.targetId, msg.primaryOffset);
        break;
      case 'CONFIG':
      case 'CONFVER':
        break; // handled above
    }
    return this.finish(nowMs, out);
  }

  /** The runtime's answer to a `promote` event: whether REPLICAOF NO ONE succeeded. */
  promoted(ok: boolean, nowMs: number, detail = ''): Outbound[] {
    this.advance(nowMs);
    const out: Outbound[] = [];
    if (this.phase.kind !== 'promoting') {
      this.assertInvariants(nowMs);
      return out;
    }
    if (ok) this.becomePrimary(nowMs, out);
    else this.stepDown(nowMs, out, `promotion failed${detail ? `: ${detail}` : ''}`);
    return this.finish(nowMs, out);
  }

  /**
   * Planned switchover, on the primary. Writes stop at once (the runtime fences
   * redis on the `writes` event and then reports a fresh offset); once that
   * offset is in, HANDOFF releases leadership to the target, which stands as
   * soon as it has caught up. If the target has not won within
   * handoffTimeoutMs the hand-off is aborted and writes resume under the same
   * primary. Throws an Error naming the reason when a hand-off is impossible.
   */
  handOff(targetId: string, nowMs: number): void {
    this.advance(nowMs);
    const target = this.members.find((m) => m.id === targetId);
    const p = this.phase;
    if (p.kind !== 'primary') throw new Error(`hand-off refused: ${this.nodeId} is not the primary (it is ${this.role})`);
    if (p.handoff) throw new Error(`hand-off refused: a hand-off to ${p.handoff.target} is already under way`);
    if (!target) throw new Error(`hand-off refused: ${targetId} is not a member`);
    if (targetId === this.nodeId) throw new Error('hand-off refused: the target is already the primary');
    if (!isElectable(target)) throw new Error(`hand-off refused: ${targetId} can never be primary (witness or priority 0)`);
    if (!this.peers.get(targetId)!.up) throw new Error(`hand-off refused: ${targetId} is not reachable`);
    if (!this.hasLease(nowMs)) throw new Error('hand-off refused: this primary holds no lease');
    // rule planned-handoff
    p.handoff = { target: targetId, epoch: this._epoch, startedAt: nowMs, deadline: nowMs + this.config.handoffTimeoutMs, released: false };
    this.emit({ type: 'handoff-start', target: targetId, epoch: this._epoch, offset: this.offset });
    // Nothing to send yet: the primary stops writes, and the HANDOFF goes out from tick() once the target caught up.
    this.finish(nowMs, []);
  }

  /** The best member to hand off to: live, electable, highest offset, then priority, then id. */
  bestHandoffTarget(): string | null {
    const candidates = this.members
      .filter((m) => m.id !== this.nodeId && isElectable(m) && this.peers.get(m.id)!.up)
      .map((m) => ({ id: m.id, priority: m.priority, offset: this.peers.get(m.id)!.offset }))
      .sort(compareStanding);
    return candidates[0]?.id ?? null;
  }

  // -------------------------------------------------------------------------
  // Role transitions: the only writers of `phase`
  // -------------------------------------------------------------------------

  /**
   * Leave any phase for follower. A hand-off under way ends (`handoff-end`,
   * ok: leadership goes to whoever takes the newer epoch), the role change is
   * emitted, and with `announce` an HB tells everyone at once (a primary or
   * candidate that gives up says so rather than wait for a timeout).
   */
  private becomeFollower(out: Outbound[], reason: string, announce: boolean): void {
    const from = this.phase;
    if (from.kind === 'follower') return;
    const fromRole = this.role;
    this.phase = { kind: 'follower' };
    if (from.kind === 'primary' && from.handoff) {
      this.emit({ type: 'handoff-end', target: from.handoff.target, epoch: from.handoff.epoch, ok: true, reason });
    }
    this.emitRole(fromRole, reason);
    if (announce) out.push({ to: '*', msg: this.hb() });
  }

  /** rule prevote-probe: ask whether a quorum would vote for us in epoch + 1, changing nothing anywhere. */
  private becomePrevote(nowMs: number, out: Outbound[]): void {
    const epoch = this._epoch + 1;
    const tally = this.newTally(epoch);
    this.phase = { kind: 'prevote', tally, deadline: nowMs + this.config.electionTimeoutMs, askAgain: null };
    this.emit({ type: 'prevote-start', epoch, offset: this.offset });
    // rule config-order: on the same connections, so every voter knows the configuration we count in before judging us.
    this.pushConfver(out);
    out.push({ to: '*', msg: { type: 'PREVOTE', epoch, candidateId: this.nodeId, replOffset: this.offset, dataEpoch: this.dataEpoch } });
    if (tally.result() === 'won') this.becomeCandidate(nowMs, out, false);
  }

  /** Stand in epoch + 1: persist the self-vote first (rule durable-vote), then OFFER. */
  private becomeCandidate(nowMs: number, out: Outbound[], handoff: boolean): void {
    const epoch = this._epoch + 1;
    if (!this.persist(epoch, this.nodeId, 'standing for election')) {
      this.becomeFollower(out, 'the self-vote could not be persisted', false);
      this.nextStandAt = nowMs + this.backoff();
      return;
    }
    const fromRole = this.role;
    this.adoptEpoch(epoch, this.nodeId, nowMs, 'stood for election');
    const tally = this.newTally(epoch);
    this.phase = { kind: 'candidate', tally, deadline: nowMs + this.config.electionTimeoutMs, handoff };
    this.pushConfver(out);
    this.emitRole(fromRole, handoff ? `hand-off from the primary of epoch ${epoch - 1}` : 'primary lost and a majority would vote for us');
    this.emit({ type: 'election-start', epoch, offset: this.offset, handoff });
    out.push({ to: '*', msg: { type: 'OFFER', epoch, candidateId: this.nodeId, replOffset: this.offset } });
    if (tally.result() === 'won') this.win(tally, nowMs, out);
  }

  /** Won the election of the current epoch: promote redis first when the runtime confirms promotions. */
  private win(tally: VoteTally, nowMs: number, out: Outbound[]): void {
    this.emit({ type: 'elected', epoch: tally.epoch, votes: tally.granted() });
    if (this.confirmPromotion) this.becomePromoting(tally.epoch, nowMs);
    else this.becomePrimary(nowMs, out);
  }

  /** Ask the runtime to promote redis (REPLICAOF NO ONE); `promoted()` answers, or promoteTimeoutMs passes. */
  private becomePromoting(epoch: number, nowMs: number): void {
    this.phase = { kind: 'promoting', epoch, deadline: nowMs + this.config.promoteTimeoutMs };
    this.emit({ type: 'promote', epoch });
  }

  private becomePrimary(nowMs: number, out: Outbound[]): void {
    const fromRole = this.role;
    const lease = new LeaseTracker(this.quorum, this.config.leaseMs);
    this.phase = { kind: 'primary', lease, handoff: null };
    this.committedId = null;
    this.changeMark = null;
    this.offsetHistory.length = 0;
    this.rememberOffset(this.offset, nowMs);
    this.bootstrap = false;
    this.adoptionOver = true;
    this.primary = this.nodeId;
    this.primaryLost = false;
    this.released = null;
    this.emitRole(fromRole, `won epoch ${this._epoch}`);
    out.push({ to: '*', msg: { type: 'ANNOUNCE', epoch: this._epoch, primaryId: this.nodeId, primaryAddr: this.advertisedAddr } });
    out.push({ to: '*', msg: this.hb() });
    out.push(this.leaseRound(lease, nowMs));
    this.lastHbAt = nowMs;
    this.hbForcedAt = Infinity;
  }

  /** Leave primary, promoting or a round for follower, telling everyone at once with an HB. */
  private stepDown(nowMs: number, out: Outbound[], reason: string): void {
    const wasPrimary = this.phase.kind === 'primary' || this.phase.kind === 'promoting';
    if (wasPrimary) {
      // Set before the transition so its events already see the primary gone.
      this.primary = null;
      this.primaryLost = true;
      this.primaryLostAt = nowMs;
      this.nextStandAt = nowMs + this.backoff();
    }
    this.becomeFollower(out, reason, true);
  }

  /** A round failed: back to follower, with a fresh random back-off (rule random-backoff). */
  private failRound(nowMs: number, reason: string, retrySoon = false): void {
    const p = this.phase;
    if (p.kind === 'prevote') this.emit({ type: 'prevote-failed', epoch: p.tally.epoch, reason });
    if (p.kind === 'candidate') this.emit({ type: 'election-lost', epoch: p.tally.epoch, reason });
    // A fresh random draw per attempt, so two unlucky candidates drift apart.
    this.nextStandAt = nowMs + (retrySoon ? Math.round(this.config.rankDelayMs * this.random()) : this.backoff());
    this.becomeFollower([], reason, false);
  }

  /**
   * After adopting a newer epoch where no transition follows: a candidate or
   * a promoting winner of an older epoch cannot go on (its votes were for that
   * epoch), and a primary of an older epoch steps down.
   */
  private leaveStaleRole(nowMs: number, out: Outbound[], reason: string): void {
    const p = this.phase;
    if (p.kind === 'candidate' && p.tally.epoch !== this._epoch) this.failRound(nowMs, reason, true);
    else if (p.kind === 'primary') this.stepDown(nowMs, out, reason);
  }

  // -------------------------------------------------------------------------
  // Membership (protocol.md §5.12)
  // -------------------------------------------------------------------------

  /**
   * On the primary: make one membership change. It is persisted, in use here
   * at once, and sent to every member; it is committed once a majority of its
   * voters report holding it (`config-committed` event). Throws an Error
   * naming the reason when no change may be made now: not the primary or no
   * lease, a hand-off under way, the previous change (or the new primary's
   * restamp) not committed yet, or a change the configuration cannot take.
   */
  proposeChange(change: ConfigChange, nowMs: number): ClusterConfig {
    this.advance(nowMs);
    const p = this.phase;
    if (p.kind !== 'primary') throw new ChangeRefused(`membership change refused: ${this.nodeId} is not the primary (it is ${this.role})`, false);
    if (!this.hasLease(nowMs)) throw new ChangeRefused('membership change refused: this primary holds no lease', true);
    if (p.handoff) throw new ChangeRefused(`membership change refused: a hand-off to ${p.handoff.target} is under way`, true);
    if (change.kind !== 'restamp') {
      // rule one-change: the previous change, and this primary's restamp, must be committed first.
      if (this.cfg.epoch !== this._epoch && this.rules.enforced('config-own-epoch')) throw new ChangeRefused(`membership change refused: configuration ${this.cfg.version} is not yet restamped in epoch ${this._epoch}; try again in a moment`, true);
      if (!this.isCommitted() && this.rules.enforced('one-change')) {
        const holders = this.progress.holders(this.cfg, this.nodeId, this.cfgDigest);
        throw new ChangeRefused(`membership change refused: configuration ${this.cfg.version} is still in flight (held by ${holders.join(', ')}, needs ${this.quorum} of ${[...this.voterIds].join(', ')}); try again once it is committed`, true);
      }
      if (change.kind === 'remove' && change.id === this.nodeId) throw new ChangeRefused('membership change refused: the primary cannot remove itself; hand off first (resp-elect member remove does)', false);
    }
    const next = applyChange(this.cfg, change, this._epoch);
    if (typeof next === 'string') throw new ChangeRefused(`membership change refused: ${next}`, false);
    const short = this.dataShortfall(next, nowMs);
    if (short !== null) throw new ChangeRefused(`membership change refused: ${short}; try again once they caught up`, true);
    if (!this.saveConfig(next, describeChange(change))) throw new ChangeRefused('membership change refused: the configuration could not be saved (see the error event)', false);
    this.changeMark = { dataEpoch: this.dataEpoch, offset: this.offset };
    this.installConfig(next, `${describeChange(change)} (by ${this.nodeId}, primary of epoch ${this._epoch})`);
    const out: Outbound[] = [{ to: '*', msg: this.configMessage() }];
    this.pushConfver(out);
    this.pendingOut.push(...out);
    this.finish(nowMs, []);
    return structuredClone(next);
  }

  /**
   * Disaster recovery (protocol.md §5.12, "Forcing a configuration"): when a
   * majority of the voters is gone for good, make a configuration of
   * `keep` (this node included) without any quorum, numbered above anything
   * the lost members may hold. Unsafe by nature: if the others are not really
   * gone, two primaries can result. The caller asks for confirmation.
   */
  forceConfig(keep: readonly string[], nowMs: number): ClusterConfig {
    this.advance(nowMs);
    if (!keep.includes(this.nodeId)) throw new Error(`forcing a configuration refused: ${this.nodeId} must be one of the members kept`);
    for (const id of keep) if (!memberOf(this.cfg, id)) throw new Error(`forcing a configuration refused: ${id} is not a member of configuration ${this.cfg.version}`);
    const members = this.cfg.members.filter((m) => keep.includes(m.id)).map((m) => (m.kind === 'learner' ? { ...m, kind: 'voter' as const } : { ...m }));
    const problem = membersProblem(members);
    if (problem) throw new Error(`forcing a configuration refused: ${problem}`);
    // Two above ours: the lost members may hold ours plus one uncommitted change, never more.
    const next: ClusterConfig = { version: this.cfg.version + 2, epoch: this._epoch, members };
    if (!this.saveConfig(next, 'forcing a configuration')) throw new Error('forcing a configuration refused: it could not be saved (see the error event)');
    const lost = this.cfg.members.filter((m) => !keep.includes(m.id)).map((m) => m.id);
    this.installConfig(next, `forced by the operator, dropping ${lost.join(', ')}: writes acknowledged only by them may be lost`);
    this.agreed = true;
    this.conflict = null;
    const out: Outbound[] = [{ to: '*', msg: this.configMessage() }];
    this.pushConfver(out);
    this.pendingOut.push(...out);
    this.finish(nowMs, []);
    return structuredClone(next);
  }

  /** Messages made outside a call that returns messages (proposeChange, forceConfig): sent with the next tick. */
  private readonly pendingOut: Outbound[] = [];

  /** The configuration this node does not appear in: it takes no part (protocol.md §5.12, removing a member). */
  private isRemoved(): boolean {
    return !this.memberIds.has(this.nodeId);
  }

  /**
   * On the primary: a majority of the configuration's voters hold it, and
   * (rule config-data) enough of its data voters hold the data: every write
   * the primary held when it made the change is on at least `V − quorum + 1`
   * of them, so every majority of the new voters meets a copy. Without it a
   * run of removals could leave an acknowledged write only on members that
   * are gone, and a lagging member plus a witness would then be a majority.
   */
  private isCommitted(): boolean {
    if (!this.progress.heldByMajority(this.cfg, this.nodeId, this.cfgDigest)) return false;
    if (!this.rules.enforced('config-data') || this.changeMark === null) return true;
    const mark = this.changeMark;
    const voters = votersOf(this.cfg);
    const needed = voters.length - this.quorum + 1;
    let copies = 0;
    for (const m of voters) {
      if (m.kind === 'witness') continue;
      if (m.id === this.nodeId) {
        copies += 1;
        continue;
      }
      const peer = this.peers.get(m.id);
      const held = this.progress.of(m.id);
      // A later data epoch (the marker this primary wrote after the mark) holds everything before it.
      if (peer && peer.epoch === this._epoch && peer.role === 'replica' && held && (held.dataEpoch > mark.dataEpoch || (held.dataEpoch === mark.dataEpoch && peer.offset >= mark.offset))) copies += 1;
    }
    return copies >= needed;
  }

  /**
   * Rule config-data, before a change is made: the new configuration must
   * already have `V − quorum + 1` data voters (this primary included) that
   * keep up with it (following it in its epoch, its data epoch, an offset at
   * least what it held three heartbeats ago); else a majority of the new
   * voters could hold no copy of writes acknowledged so far (a lagging member
   * plus a witness). Null when it does, else why not.
   */
  private dataShortfall(next: ClusterConfig, nowMs: number): string | null {
    if (!this.rules.enforced('config-data')) return null;
    const voters = votersOf(next);
    const q = Math.floor(voters.length / 2) + 1;
    const needed = voters.length - q + 1;
    const target = this.offsetAgo(nowMs - 3 * this.config.hbIntervalMs) ?? this.offset;
    const upToDate: string[] = [];
    for (const m of voters) {
      if (m.kind === 'witness') continue;
      if (m.id === this.nodeId) {
        upToDate.push(m.id);
        continue;
      }
      const peer = this.peers.get(m.id);
      const held = this.progress.of(m.id);
      if (peer && peer.up && peer.epoch === this._epoch && peer.role === 'replica' && held && held.dataEpoch >= this.dataEpoch && peer.offset >= target) upToDate.push(m.id);
    }
    if (upToDate.length >= needed) return null;
    return `configuration ${next.version} needs ${needed} data voters holding the data, and only ${upToDate.join(', ')} keep up`;
  }

  /** The primary's data when it made the configuration in use: what its data voters must hold before it is committed. */
  private changeMark: { dataEpoch: number; offset: number } | null = null;

  /** Make `c` the configuration in use: members, voters, quorum, peers and the lease follow it. */
  private installConfig(c: ClusterConfig, reason?: string): void {
    const before = this.cfg as ClusterConfig | undefined;
    this.cfg = c;
    this.cfgDigest = configDigest(c);
    this.members = c.members.map(memberFromConfig);
    this.memberIds = new Set(c.members.map((m) => m.id));
    this.self = this.members.find((m) => m.id === this.nodeId) ?? { id: this.nodeId, witness: false, priority: 0, learner: true };
    this.voterIds = new Set(votersOf(c).map((m) => m.id));
    this.quorum = configQuorum(c);
    for (const m of c.members) {
      if (m.id !== this.nodeId && !this.peers.has(m.id)) this.peers.set(m.id, { lastHeard: null, up: false, epoch: 0, role: 'replica', offset: 0 });
    }
    for (const id of [...this.peers.keys()]) if (!this.memberIds.has(id)) this.peers.delete(id);
    this.confverDue = true;
    if (this.primary !== null && this.primary !== this.nodeId && !this.memberIds.has(this.primary)) {
      // The primary we followed is not a member any more (a forced configuration dropped it).
      if (!this.primaryLost) this.markPrimaryLost(this.now, `${this.primary} is not in configuration ${c.version}`);
      this.primary = null;
    }
    const p = this.phase;
    if (p.kind === 'primary') {
      p.lease.retain(this.voterIds, this.quorum);
      if (this.primary === this.nodeId && !this.memberIds.has(this.nodeId)) this.stepDown(this.now, [], 'this node is not in the new configuration');
    }
    if (before === undefined) return;
    const removed = !this.memberIds.has(this.nodeId);
    this.emit({ type: 'config', version: c.version, epoch: c.epoch, members: describeConfig(c), self: removed ? 'removed' : this.self.learner ? 'learner' : this.self.witness ? 'witness' : 'voter', reason: reason ?? 'configuration changed' });
    // A round counts votes in the configuration it began in; in a new one it starts again.
    if ((p.kind === 'prevote' || p.kind === 'candidate') && !p.tally.eligibleEquals(this.voterIds)) this.failRound(this.now, `configuration ${c.version} arrived during the round`, true);
    if (removed && (p.kind === 'promoting')) this.stepDown(this.now, [], 'this node is not in the new configuration');
  }

  private saveConfig(c: ClusterConfig, what: string): boolean {
    try {
      this.configStore.save(c);
      return true;
    } catch (err) {
      this.emit({ type: 'error', what: `persisting configuration ${c.version} (${what})`, message: (err as Error).message });
      return false;
    }
  }

  private newTally(epoch: number): VoteTally {
    return new VoteTally(epoch, this.quorum, this.voterIds.size, this.nodeId, this.rules.enforced('learner-no-vote') ? this.voterIds : undefined);
  }

  /** Rule config-agreement for a configuration born from flags: held by a majority of its voters and by nobody else differently. */
  private checkAgreement(): void {
    const conflict = this.progress.conflict(this.cfg, this.cfgDigest);
    if (conflict && (!this.conflict || this.conflict.peer !== conflict.peer || this.conflict.digest !== conflict.digest)) {
      this.conflict = conflict;
      this.emit({ type: 'config-conflict', peer: conflict.peer, version: this.cfg.version, epoch: this.cfg.epoch, ours: this.cfgDigest, theirs: conflict.digest });
    }
    if (this.agreed || this.cfg.epoch !== 0) return;
    if (!this.progress.heldByMajority(this.cfg, this.nodeId, this.cfgDigest)) return;
    if (!this.saveConfig(this.cfg, 'the member list a majority agreed on')) return;
    this.agreed = true;
    this.emit({ type: 'config', version: this.cfg.version, epoch: this.cfg.epoch, members: describeConfig(this.cfg), self: this.self.witness ? 'witness' : 'voter', reason: `a majority holds the same member list (${this.progress.holders(this.cfg, this.nodeId, this.cfgDigest).join(', ')})` });
  }

  private configMessage(): ConfigMessage {
    return { type: 'CONFIG', nodeId: this.nodeId, version: this.cfg.version, configEpoch: this.cfg.epoch, members: membersText(this.cfg.members) };
  }

  private pushConfver(out: Outbound[]): void {
    this.confverDue = false;
    const msg: ConfverMessage = { type: 'CONFVER', nodeId: this.nodeId, version: this.cfg.version, configEpoch: this.cfg.epoch, digest: this.cfgDigest, dataEpoch: this.dataEpoch };
    out.push({ to: '*', msg });
  }

  /** Send our configuration to a peer that holds an older one; at most once per heartbeat unless `now`. Born configurations are never sent. */
  private sendConfigTo(peer: string, nowMs: number, out: Outbound[], now = false): void {
    if (this.cfg.epoch === 0 || (!this.agreed && this.rules.enforced('config-agreement'))) return;
    const last = this.configSentAt.get(peer) ?? -Infinity;
    if (!now && nowMs - last < this.config.hbIntervalMs) return;
    this.configSentAt.set(peer, nowMs);
    out.push({ to: peer, msg: this.configMessage() });
  }

  /** CONFVER: what a peer holds. */
  private onConfver(from: string, msg: ConfverMessage, nowMs: number, out: Outbound[]): void {
    const id: ConfigId = { version: msg.version, epoch: msg.configEpoch, digest: msg.digest };
    this.progress.report(from, id, msg.dataEpoch, nowMs);
    if (compareConfigIds(id, this.cfg) < 0) this.sendConfigTo(from, nowMs, out);
    this.checkAgreement();
  }

  /** CONFIG: a whole configuration; adopted when newer than ours (protocol.md §5.12). */
  private onConfig(from: string, msg: ConfigMessage, nowMs: number, out: Outbound[]): void {
    const members = parseMembersText(msg.members);
    if (typeof members === 'string') {
      this.emit({ type: 'ignored', from, what: 'CONFIG', reason: `bad member list: ${members}` });
      return;
    }
    const incoming: ClusterConfig = { version: msg.version, epoch: msg.configEpoch, members };
    const cmp = compareConfigIds(incoming, this.cfg);
    if (cmp < 0) return; // older than ours: our CONFVER tells the sender
    if (cmp === 0) {
      if (configDigest(incoming) !== this.cfgDigest) {
        this.progress.report(from, { version: incoming.version, epoch: incoming.epoch, digest: configDigest(incoming) }, this.progress.of(from)?.dataEpoch ?? 0, nowMs);
        this.checkAgreement();
      }
      return;
    }
    // Only a primary makes configurations; a born one (epoch 0) is the flags of one node, never adopted from another.
    if (incoming.epoch === 0) {
      this.emit({ type: 'ignored', from, what: 'CONFIG', reason: 'a configuration of epoch 0 comes from flags and is never adopted from a peer' });
      return;
    }
    if (!this.saveConfig(incoming, `adopting configuration ${incoming.version} from ${from}`)) return;
    this.installConfig(incoming, `CONFIG from ${from}`);
    this.agreed = true;
    this.conflict = null;
    this.pushConfver(out);
  }

  /**
   * On the primary holding its lease, once per tick: commit what a majority
   * holds, then make the next change it owes — the restamp of a new primary
   * first (rule config-own-epoch), then one promotion of a learner that keeps
   * up — and resend the configuration to members that lag.
   */
  private advanceConfig(nowMs: number, out: Outbound[]): void {
    for (const peer of this.progress.behind(this.cfg)) if (this.peers.has(peer)) this.sendConfigTo(peer, nowMs, out);
    // A member never heard from (a removed node named again sends no CONFVER; a new one has not yet):
    // it gets the configuration every downAfterMs, so it can take part.
    for (const m of this.cfg.members) {
      if (m.id === this.nodeId || this.progress.of(m.id)) continue;
      if (nowMs - (this.configSentAt.get(m.id) ?? -Infinity) >= this.config.downAfterMs) this.sendConfigTo(m.id, nowMs, out, true);
    }
    if (!this.hasLease(nowMs)) return;
    const committed = this.isCommitted();
    if (committed && (this.committedId?.version !== this.cfg.version || this.committedId.epoch !== this.cfg.epoch)) {
      this.committedId = { version: this.cfg.version, epoch: this.cfg.epoch };
      this.emit({ type: 'config-committed', version: this.cfg.version, epoch: this.cfg.epoch, members: describeConfig(this.cfg) });
    }
    if (this.cfg.epoch !== this._epoch && this.rules.enforced('config-own-epoch')) {
      if (this.cfg.epoch === 0 && !this.agreed) return;
      this.proposeInternal({ kind: 'restamp' }, nowMs, out);
      return;
    }
    if (!committed && this.rules.enforced('one-change')) return;
    for (const m of this.cfg.members) {
      if (m.kind === 'learner' && this.learnerCaughtUp(m.id, nowMs)) {
        this.proposeInternal({ kind: 'promote', id: m.id }, nowMs, out);
        return;
      }
    }
  }

  private proposeInternal(change: ConfigChange, nowMs: number, out: Outbound[]): void {
    const next = applyChange(this.cfg, change, this._epoch);
    if (typeof next === 'string') return;
    if (change.kind === 'promote' && this.dataShortfall(next, nowMs) !== null) return;
    if (!this.saveConfig(next, describeChange(change))) return;
    this.changeMark = { dataEpoch: this.dataEpoch, offset: this.offset };
    this.installConfig(next, `${describeChange(change)} (by ${this.nodeId}, primary of epoch ${this._epoch})`);
    out.push({ to: '*', msg: this.configMessage() });
    this.pushConfver(out);
  }

  /**
   * A learner keeps up (rule learner-catch-up): heard recently, following us in
   * our epoch, its data holds our epoch's marker (so it caught up with our
   * stream), and its offset reached the offset we had three heartbeats ago.
   */
  private learnerCaughtUp(id: string, nowMs: number): boolean {
    const peer = this.peers.get(id);
    const held = this.progress.of(id);
    if (!peer || !peer.up || !held) return false;
    if (peer.role !== 'replica' || peer.epoch !== this._epoch || held.dataEpoch !== this._epoch) return false;
    const target = this.offsetAgo(nowMs - 3 * this.config.hbIntervalMs);
    return target !== undefined && peer.offset >= target;
  }

  private rememberOffset(offset: number, nowMs: number): void {
    const h = this.offsetHistory;
    h.push({ at: nowMs, offset });
    const keepFrom = nowMs - 10 * this.config.hbIntervalMs;
    while (h.length > 2 && h[1]!.at <= keepFrom) h.shift();
  }

  /** Our offset as of `at` (the newest sample not after it), or undefined when we have none that old. */
  private offsetAgo(at: number): number | undefined {
    let found: number | undefined;
    for (const s of this.offsetHistory) if (s.at <= at) found = s.offset;
    return found;
  }

  /** Invariant: a round never counts a member that is not a voter of the configuration (rule learner-no-vote). */
  private countedNonVoter(): string | null {
    const p = this.phase;
    if ((p.kind !== 'prevote' && p.kind !== 'candidate') || !this.rules.enforced('learner-no-vote')) return null;
    for (const id of p.tally.granted()) if (id !== this.nodeId && !p.tally.counts(id)) return id;
    return null;
  }

  // -------------------------------------------------------------------------
  // Time-driven behaviour
  // -------------------------------------------------------------------------

  private advance(nowMs: number): void {
    if (this.bootAt === null) {
      this.bootAt = nowMs;
      // With no primary known, wait a full downAfterMs before deciding there is none.
      this.primaryContactAt = nowMs;
      this.primaryLostAt = nowMs;
    }
    if (nowMs > this.now) this.now = nowMs;
  }

  /** The end of every public entry point that returns messages: derived events, then the invariants. */
  private finish(nowMs: number, out: Outbound[]): Outbound[] {
    this.refreshDerived(nowMs);
    this.assertInvariants(nowMs);
    return out;
  }

  private refreshPeers(nowMs: number): void {
    for (const [id, p] of this.peers) {
      const up = p.lastHeard !== null && nowMs - p.lastHeard < this.config.downAfterMs;
      if (up !== p.up) {
        p.up = up;
        this.emit({ type: 'peer', id, up });
      }
    }
  }

  private tickPrimary(p: Extract<Phase, { kind: 'primary' }>, nowMs: number, out: Outbound[]): void {
    if (!this.healthy) {
      // rule fast-step-down: say so in an HB right away so replicas stand without waiting downAfterMs.
      this.stepDown(nowMs, out, 'local redis is unhealthy');
      return;
    }
    if (!p.handoff?.released) p.lease.recompute(nowMs);
    const h = p.handoff;
    if (!h) {
      // Membership work rides on the heartbeat (protocol.md §5.12): no deadline of its own to wake for.
      if (nowMs >= this.hbDueAt()) this.advanceConfig(nowMs, out);
      return;
    }
    if (nowMs >= h.deadline) {
      p.handoff = null;
      this.emit({ type: 'handoff-end', target: h.target, epoch: h.epoch, ok: false, reason: `${h.target} did not take over within ${this.config.handoffTimeoutMs} ms; resuming as primary` });
      // Regain the lease from the next round on; voters drop the release when they see our LEASE.
      this.hbForcedAt = nowMs;
      return;
    }
    if (!h.released && this.offsetAt > h.startedAt) {
      // Writes are fenced and we have an offset read after that: nothing more can be written here.
      h.released = true;
      p.lease.drop();
      out.push({ to: '*', msg: { type: 'HANDOFF', epoch: this._epoch, targetId: h.target, primaryOffset: this.offset } });
    }
  }

  private tickFollower(nowMs: number, out: Outbound[]): void {
    const electable = isElectable(this.self) && this.healthy;
    const req = this.released;
    if (electable && req && req.target === this.nodeId && req.epoch === this._epoch && this.dataEpoch === req.epoch && this.offset >= req.offset) {
      // rule planned-handoff: our primary released leadership to us and we hold everything it wrote: stand now.
      this.becomeCandidate(nowMs, out, true);
      return;
    }
    if (this.primaryAlive(nowMs)) return;
    if (this.isRemoved()) {
      if (this.primary !== null || !this.primaryLost) this.markPrimaryLost(nowMs, `this node is not in configuration ${this.cfg.version}`);
      this.primary = null;
      return;
    }
    // rule adopt-existing: redis replicating from a member's redis waits for it, linked (no detach, no stand).
    const adoption = this.adoption(nowMs);
    if (adoption.kind === 'await') return;
    const keepSelf = adoption.kind === 'keep-self';
    // Just started and no primary heard yet: give the cluster downAfterMs to introduce itself
    // (an existing master keeps its redis as it is all through the adoption wait).
    const learning = adoption.kind !== 'detach' && !this.primaryLost && this.primary === null && (keepSelf || nowMs - this.primaryContactAt < this.config.downAfterMs);
    if (!this.primaryLost && !learning) this.markPrimaryLost(nowMs, adoption.kind === 'detach' ? adoption.why : this.lostReason(nowMs));
    // rule electable-only: witnesses, learners, priority 0 and unhealthy nodes never stand.
    if (!electable) return;
    // rule config-agreement: never stand on a member list a majority has not confirmed, or that another node contradicts.
    if ((!this.agreed || this.conflict !== null) && this.rules.enforced('config-agreement')) return;
    if (nowMs < this.nextStandAt) return;
    // The bootstrap node of a fresh cluster does not wait; it retries (with back-off) until it leads or follows.
    if (learning && !this.bootstrap && !keepSelf) return;
    // Only a sample read after the primary was lost says what we really hold.
    if (this.offsetAt < this.primaryLostAt && this.rules.enforced('data-rule')) return;
    if ((this.bootstrap || keepSelf) && this.primary === null) {
      // Stand once a majority can hear us: a pre-vote sent before the peer links are up only times out.
      const reachable = 1 + [...this.peers.values()].filter((p) => p.up).length;
      if (reachable >= this.quorum) this.stand(nowMs, out);
      return;
    }
    // rule ranked-standing
    const standAt = this.primaryLostAt + this.rank(nowMs) * this.config.rankDelayMs;
    if (nowMs >= standAt) this.stand(nowMs, out);
  }

  /** Stand: pre-vote first (rule prevote-probe), unless the next epoch would pass the epoch bound. */
  private stand(nowMs: number, out: Outbound[]): void {
    if (!this.withinEpochBound(this._epoch + 1, 'standing for election')) {
      this.nextStandAt = nowMs + this.backoff();
      return;
    }
    if (this.rules.enforced('prevote-probe')) this.becomePrevote(nowMs, out);
    else this.becomeCandidate(nowMs, out, false);
  }

  /** Our place among live, electable members: 0 stands first. */
  private rank(nowMs: number): number {
    const me = { id: this.nodeId, offset: this.offset, priority: this.self.priority };
    let better = 0;
    for (const m of this.members) {
      if (m.id === this.nodeId || !isElectable(m)) continue;
      const p = this.peers.get(m.id)!;
      if (!p.up || nowMs - (p.lastHeard ?? -Infinity) >= this.config.downAfterMs) continue;
      if (m.id === this.primary) continue; // the lost primary
      if (compareStanding({ id: m.id, offset: p.offset, priority: m.priority }, me) < 0) better += 1;
    }
    return better;
  }

  /** The adoption stance now (adoption.ts), with an `adoption` event when it changed. */
  private adoption(nowMs: number): AdoptionStance {
    const s = adoptionStance({
      fresh: !this.adoptionOver && this.rules.enforced('adopt-existing'),
      selfId: this.nodeId,
      topology: this.topology,
      sawReplicas: this.sawReplicas,
      sinceBootMs: nowMs - (this.bootAt ?? nowMs),
      linkDownForMs: this.linkDownSince === null ? 0 : nowMs - this.linkDownSince,
      adoptWaitMs: this.config.adoptWaitMs,
      downAfterMs: this.config.downAfterMs,
      electable: (id) => {
        const m = this.members.find((x) => x.id === id);
        return m !== undefined && isElectable(m);
      },
    });
    if (!sameStance(s, this.stance)) {
      this.stance = s;
      const overruled = this.bootstrap && s.kind === 'await' ? `; this node is the bootstrap primary, but the data says ${s.master}'s redis is the master: the data wins` : '';
      this.emit({ type: 'adoption', stance: s.kind, master: s.kind === 'await' ? s.master : null, reason: describeStance(s) + overruled });
    }
    return s;
  }

  private primaryAlive(nowMs: number): boolean {
    if (this.primary === null) return false;
    if (this.primary === this.nodeId) return this.phase.kind === 'primary';
    const p = this.peers.get(this.primary);
    if (!p || p.role !== 'primary') return false;
    return nowMs - this.primaryContactAt < this.config.downAfterMs;
  }

  private lostReason(nowMs: number): string {
    if (this.primary === null) return 'no primary known';
    const p = this.peers.get(this.primary);
    if (p && p.role !== 'primary') return `${this.primary} stepped down`;
    return `${this.primary} not heard for ${Math.round(nowMs - this.primaryContactAt)} ms`;
  }

  private markPrimaryLost(nowMs: number, reason: string): void {
    this.primaryLost = true;
    this.primaryLostAt = nowMs;
    this.emit({ type: 'primary-lost', primary: this.primary, epoch: this._epoch, reason });
    this.emit({ type: 'follow', primary: null, epoch: this._epoch, reason });
  }

  private askAgain(epoch: number, askAgain: Map<string, AskAgain>, nowMs: number, out: Outbound[]): void {
    for (const [voter, a] of askAgain) {
      if (a.at === null || nowMs < a.at) continue;
      a.at = null;
      out.push({ to: voter, msg: { type: 'PREVOTE', epoch, candidateId: this.nodeId, replOffset: this.offset, dataEpoch: this.dataEpoch } });
    }
  }

  private backoff(): number {
    return Math.round(this.config.backoffMs * (1 + this.random()));
  }

  private leaseRound(lease: LeaseTracker, nowMs: number): Outbound {
    this.leaseSeq += 1;
    lease.sent(this.leaseSeq, nowMs);
    return { to: '*', msg: { type: 'LEASE', epoch: this._epoch, primaryId: this.nodeId, seq: this.leaseSeq } };
  }

  private currentHandoff(): Handoff | null {
    return this.phase.kind === 'primary' ? this.phase.handoff : null;
  }

  /** Emit lease and writes events when they change. */
  private refreshDerived(nowMs: number): void {
    const held = this.hasLease(nowMs);
    if (held !== this.leaseHeld) {
      this.leaseHeld = held;
      this.emit({ type: 'lease', held, epoch: this._epoch });
    }
    const writes = this.writesAllowed(nowMs);
    if (writes !== this.writesWereAllowed) {
      this.writesWereAllowed = writes;
      const h = this.currentHandoff();
      const reason = writes
        ? 'primary holds a lease'
        : this.phase.kind !== 'primary'
          ? `no longer primary (${this.role})`
          : h
            ? `hand-off to ${h.target} under way`
            : !this.healthy
              ? 'local redis unhealthy'
              : 'lease lapsed: no majority acknowledged a recent LEASE';
      this.emit({ type: 'writes', allowed: writes, epoch: this._epoch, reason });
    }
  }

  /** Rule data-memory: after dataMemoryMs without the data coming back, judge by the data held now. */
  private expireDataMemory(nowMs: number): void {
    const now = { dataEpoch: this.dataEpoch, offset: this.offset };
    const held = this.dataMemory.expire(now, nowMs);
    if (held) this.emit({ type: 'data-forgotten', held, now: { ...now } });
  }

  /**
   * Applies a gate verdict (message-gate.ts): an `ignored` event when it
   * says so, and the sender's own claim kept in our view of it.
   */
  private passes(from: string, peer: PeerView, msg: Message, verdict: GateVerdict): boolean {
    if (verdict.pass) return true;
    if (verdict.ignored !== undefined) this.emit({ type: 'ignored', from, what: msg.type, reason: verdict.ignored });
    // An older claim than the last one the sender made (reordered on the way) is not news: kept, a
    // late "replica" HB of the epoch before overwrote the role of the primary we follow, the next
    // tick declared it lost, and the vote its lease was owed went elsewhere (simulator seed 79833).
    if (verdict.keepClaim && (msg.type === 'HB' || msg.type === 'LEASE') && msg.epoch >= peer.epoch) {
      peer.epoch = msg.epoch;
      if (msg.type === 'HB') {
        peer.role = msg.role;
        peer.offset = msg.replOffset;
      } else peer.role = 'primary';
    }
    return false;
  }

  // -------------------------------------------------------------------------
  // Message handlers
  // -------------------------------------------------------------------------

  /** An HB of our epoch or a newer one (the epoch gate took the older ones). */
  private onHb(from: string, peer: PeerView, msg: Extract<Message, { type: 'HB' }>, nowMs: number, out: Outbound[]): void {
    if (msg.role === 'candidate' && from === this.primary && msg.epoch === this._epoch) {
      // The primary of an epoch was its candidate only before it won: this HB is older than the
      // ANNOUNCE or LEASE we followed (delivered late), not news. Taking it as "no longer primary"
      // would drop stickiness while we still owe that primary a lease.
      this.emit({ type: 'ignored', from, what: 'HB', reason: `stale candidate HB from the primary of epoch ${msg.epoch}` });
      return;
    }
    peer.epoch = msg.epoch;
    peer.role = msg.role;
    peer.offset = msg.replOffset;
    if (msg.role === 'primary') {
      // HB cadence: answer the primary's HB with ours in the same wake-up (never twice in half an interval).
      if (this.onPrimaryHeard(from, msg.epoch, nowMs, out, 'HB') && this.hbLockedToPrimary() && nowMs - this.lastHbAt >= this.config.hbIntervalMs / 2) this.hbForcedAt = Math.min(this.hbForcedAt, nowMs);
      return;
    }
    if (from === this.primary && !this.primaryLost && this.phase.kind === 'follower') {
      // Our primary says it is no longer primary: it dropped its lease before saying so.
      this.markPrimaryLost(nowMs, `${from} stepped down`);
    }
    if (msg.epoch > this._epoch && this.phase.kind === 'primary') {
      if (this.persist(msg.epoch, null, `stepping down for epoch ${msg.epoch}`)) {
        this.adoptEpoch(msg.epoch, null, nowMs, `${from} is at a newer epoch`);
        this.stepDown(nowMs, out, `${from} is at newer epoch ${msg.epoch}`);
      }
    }
  }

  /** HB with role primary, LEASE or ANNOUNCE: `from` claims to be the primary of `epoch`. */
  private onPrimaryHeard(from: string, epoch: number, nowMs: number, out: Outbound[], what: string): boolean {
    if (epoch < this._epoch) return false; // a deposed primary; its own next HB from us will tell it
    if (epoch > this._epoch) {
      if (!this.persist(epoch, null, `following ${from} in epoch ${epoch}`)) return false;
      this.adoptEpoch(epoch, null, nowMs, `${what} from ${from}, primary of a newer epoch`, true);
      this.follow(from, nowMs, out, `${from} is primary of newer epoch ${epoch}`);
      return true;
    }
    if (this.phase.kind === 'primary') {
      if (from !== this.nodeId) this.emit({ type: 'ignored', from, what, reason: `${from} claims primary of our own epoch ${epoch}` });
      return false;
    }
    if (this.primary !== null && this.primary !== from) {
      this.emit({ type: 'ignored', from, what, reason: `we follow ${this.primary} in epoch ${epoch}` });
      return false;
    }
    this.follow(from, nowMs, out, `${from} is primary of epoch ${epoch}`);
    return true;
  }

  private follow(id: string, nowMs: number, out: Outbound[], reason: string): void {
    this.becomeFollower(out, reason, true);
    this.primaryContactAt = nowMs;
    this.bootstrap = false;
    this.adoptionOver = true;
    // A back-off belongs to a failed round; with a primary to follow it no longer applies.
    this.nextStandAt = -Infinity;
    const changed = this.primary !== id || this.primaryLost;
    this.primary = id;
    this.primaryLost = false;
    if (changed) this.emit({ type: 'follow', primary: id, epoch: this._epoch, reason });
  }

  /** A PREVOTE or OFFER from `candidate` itself, of any epoch (the epoch gate's exception). */
  private onVoteRequest(candidate: string, epoch: number, candOffset: number, prevote: boolean, nowMs: number, out: Outbound[]): void {
    const from = candidate;
    if (!this.voterIds.has(this.nodeId) && this.rules.enforced('learner-no-vote')) {
      // A learner does not vote, and its answer would not count: silence, as from a stranger.
      this.emit({ type: 'ignored', from, what: prevote ? 'PREVOTE' : 'OFFER', reason: `this node is a learner in configuration ${this.cfg.version}: it does not vote` });
      return;
    }
    const verdict = this.judge(candidate, epoch, candOffset, prevote, nowMs);
    if (verdict.kind === 'refuse') {
      this.emit({ type: 'vote', candidate, epoch, granted: false, prevote, reason: verdict.reason, detail: verdict.detail });
      out.push({ to: from, msg: { type: 'REFUSE', epoch, voterId: this.nodeId, voterEpoch: this._epoch, reason: verdict.reason } });
      // A candidate that counts its votes in an older configuration learns ours at once.
      if (verdict.reason === 'stale-config') this.sendConfigTo(from, nowMs, out, true);
      return;
    }
    if (prevote) {
      this.emit({ type: 'vote', candidate, epoch, granted: true, prevote });
      out.push({ to: from, msg: { type: 'PREACCEPT', epoch, voterId: this.nodeId } });
      return;
    }
    const repeat = epoch === this._epoch && this.votedFor === candidate;
    if (!repeat) {
      // rule durable-vote: the vote is on disk before the ACCEPT exists.
      if (!this.persist(epoch, candidate, `voting for ${candidate} in epoch ${epoch}`)) {
        out.push({ to: from, msg: { type: 'REFUSE', epoch, voterId: this.nodeId, voterEpoch: this._epoch, reason: 'persist-failed' } });
        return;
      }
      const wasPrimary = this.phase.kind === 'primary';
      this.adoptEpoch(epoch, candidate, nowMs, `voted for ${candidate}`);
      this.becomeFollower(out, `voted for ${candidate} in epoch ${epoch}`, false);
      if (wasPrimary) this.primaryLostAt = nowMs;
      // Give the candidate time to win before we consider standing ourselves.
      this.nextStandAt = Math.max(this.nextStandAt, nowMs + this.config.electionTimeoutMs);
    }
    this.emit({ type: 'vote', candidate, epoch, granted: true, prevote });
    out.push({ to: from, msg: { type: 'ACCEPT', epoch, accepterId: this.nodeId } });
  }

  /**
   * Applies the vote rules (vote-rules.ts) to a snapshot of this voter. A
   * voter whose primary went quiet declares it lost first (the runtime then
   * detaches and reports a fresh offset) and is judged again; a data-memory
   * expiry the rules relied on takes effect, with its event, before the answer.
   */
  private judge(candidate: string, epoch: number, offset: number, prevote: boolean, nowMs: number): Extract<VoteVerdict, { kind: 'grant' | 'refuse' }> {
    const request = { candidate, member: this.members.find((m) => m.id === candidate), epoch, offset, prevote };
    let verdict = judgeVote(this.voterSnapshot(candidate, epoch, nowMs), request);
    if (verdict.kind === 'declare-primary-lost') {
      this.markPrimaryLost(nowMs, this.lostReason(nowMs));
      verdict = judgeVote(this.voterSnapshot(candidate, epoch, nowMs), request);
      if (verdict.kind === 'declare-primary-lost') throw new InvariantError(`${this.nodeId}: the primary is still not lost after declaring it lost`);
    }
    if (verdict.dataCompared) this.expireDataMemory(nowMs);
    return verdict;
  }

  private voterSnapshot(candidate: string, epoch: number, nowMs: number): VoterSnapshot {
    const bootAt = this.bootAt ?? nowMs;
    const rel = this.released;
    const releasedToCandidate = rel !== null && rel.epoch === this._epoch && rel.target === candidate && epoch === this._epoch + 1;
    const h = this.currentHandoff();
    const releasedByUs = h?.released === true && h.target === candidate && epoch === this._epoch + 1;
    const current = { dataEpoch: this.dataEpoch, offset: this.offset };
    const judged = this.dataMemory.judgeBy(current, nowMs);
    const seen = this.prevoteSeen.get(candidate);
    let candidateDataEpoch: number | undefined;
    if (releasedToCandidate || releasedByUs) {
      // rule data-rule: a hand-off target stands without a PREVOTE, once its data holds the releasing
      // primary's epoch (planned-handoff). Its CONFVER, sent just before its OFFER or PREVOTE on the
      // same connection, says what it holds: a target whose redis never caught up (the hand-off was
      // aborted unheard by us, then it stood as any candidate) must not be judged as if it had.
      // Without a CONFVER from it yet, the hand-off is the only thing known: it caught up.
      candidateDataEpoch = this.progress.of(candidate)?.dataEpoch ?? this._epoch;
    } else if (seen && seen.epoch === epoch) candidateDataEpoch = seen.dataEpoch;
    else if (!this.rules.enforced('prevote-probe')) candidateDataEpoch = this.dataEpoch;
    return {
      nowMs,
      self: this.self,
      epoch: this._epoch,
      votedFor: this.votedFor,
      restartedAgoMs: this.loadedEpoch > 0 && nowMs < bootAt + this.config.downAfterMs ? nowMs - bootAt : null,
      healthyPrimary: this.phase.kind === 'primary' && this.healthy,
      alivePrimary: this.primaryAlive(nowMs) ? { id: this.primary!, heardAgoMs: nowMs - this.primaryContactAt } : null,
      releasedToCandidate,
      releasedByUs,
      healthy: this.healthy,
      primaryLost: this.primaryLost,
      // rule adopt-existing: an offset read while redis replicates from a master nobody controls still grows.
      freshBoot:
        this.loadedEpoch === 0 &&
        this.primary === null &&
        nowMs - this.primaryContactAt < this.config.downAfterMs &&
        !(this.rules.enforced('adopt-existing') && this.topology?.kind === 'replica'),
      adoption: this.adoption(nowMs),
      offsetAt: this.offsetAt,
      primaryLostAt: this.primaryLostAt,
      candidateDataEpoch,
      held: judged.held,
      heldBeforeLoss: judged.lost,
      current,
      mayStand: isElectable(this.self) && nowMs >= this.nextStandAt,
      rules: this.rules,
      config: { version: this.cfg.version, epoch: this.cfg.epoch, digest: this.cfgDigest },
      configAgreed: this.agreed && this.conflict === null,
      candidateConfig: this.progress.of(candidate)?.config,
    };
  }

  private onYes(phase: 'prevote' | 'candidate', voter: string, epoch: number, nowMs: number, out: Outbound[]): void {
    const p = this.phase;
    if (p.kind !== phase || p.tally.epoch !== epoch) return;
    if (p.tally.grant(voter) !== 'won') return;
    if (p.kind === 'prevote') this.becomeCandidate(nowMs, out, false);
    else this.win(p.tally, nowMs, out);
  }

  private onRefuse(from: string, epoch: number, voterEpoch: number, reason: RefuseReason, nowMs: number, out: Outbound[]): void {
    const p = this.phase;
    const round = p.kind === 'prevote' || p.kind === 'candidate' ? p : null;
    const ours = round !== null && round.tally.epoch === epoch;
    if (ours && round.kind === 'prevote' && reason === 'offset-unknown' && voterEpoch <= this._epoch) {
      // The voter lost the primary a moment ago and is re-reading its offset: not a no, ask again
      // shortly rather than wait out the round for a node that may be dead. Its re-read is a detach
      // and one INFO, a few ms on a healthy host, so the first wait is a twentieth of a heartbeat
      // (10 ms at the defaults); each further such refusal doubles it, up to half a heartbeat, so a
      // voter whose redis stays unhealthy costs a handful of PREVOTEs per round, not one per tick.
      const asked = (round.askAgain ??= new Map()).get(from);
      const waitMs = asked ? Math.min(2 * asked.waitMs, askAgainMaxMs(this.config)) : askAgainFirstMs(this.config);
      round.askAgain.set(from, { at: nowMs + waitMs, waitMs });
      return;
    }
    const result = ours ? round.tally.refuse(from) : 'pending';
    if (voterEpoch > this._epoch && p.kind !== 'primary') {
      // rule newer-epoch-only: learn the higher epoch at once, instead of losing round after round.
      if (this.persist(voterEpoch, null, `learning epoch ${voterEpoch} from ${from}`)) {
        const why = `${from} is at epoch ${voterEpoch} (${reason})`;
        this.adoptEpoch(voterEpoch, null, nowMs, `${from} refused us with epoch ${voterEpoch}`);
        if (ours) this.failRound(nowMs, why, true);
        // A candidate refused for an older round is still a candidate of an epoch now behind us.
        else this.leaveStaleRole(nowMs, out, why);
        return;
      }
    }
    if (ours && result === 'lost') {
      this.failRound(nowMs, `refused by ${round.tally.refused().join(', ')} (last: ${reason})`);
    }
  }

  /** An ANNOUNCE of our epoch or a newer one, from the node it names (unless announce-sender is off). */
  private onAnnounce(primaryId: string, epoch: number, nowMs: number, out: Outbound[]): void {
    const checked = this.rules.enforced('announce-sender');
    const peer = this.peers.get(primaryId);
    if (peer) peer.role = 'primary';
    if (!this.onPrimaryHeard(primaryId, epoch, nowMs, out, 'ANNOUNCE') && !checked && primaryId !== this.nodeId) {
      this.follow(primaryId, nowMs, out, `unchecked ANNOUNCE of ${primaryId}`);
    }
  }

  /** A LEASE of our epoch or a newer one from the primary it names. */
  private onLease(from: string, peer: PeerView, epoch: number, seq: number, nowMs: number, out: Outbound[]): void {
    peer.role = 'primary';
    this.onPrimaryHeard(from, epoch, nowMs, out, 'LEASE');
    if (this.primary !== from || epoch !== this._epoch || this.phase.kind !== 'follower') return;
    // A LEASE from our primary after a HANDOFF means the hand-off was aborted: stickiness is back.
    if (this.released && this.released.epoch === epoch) this.released = null;
    this.primaryContactAt = nowMs;
    out.push({ to: from, msg: { type: 'LEASEACK', epoch, voterId: this.nodeId, seq } });
  }

  /** A LEASEACK of our epoch (the gate took the others). */
  private onLeaseAck(from: string, seq: number, nowMs: number): void {
    const p = this.phase;
    if (p.kind !== 'primary') return;
    // rule learner-no-vote: only the voters of the configuration in use keep a lease.
    if (!this.voterIds.has(from) && this.rules.enforced('learner-no-vote')) return;
    // rule lease-quorum
    if (p.lease.acked(from, seq)) p.lease.recompute(nowMs);
  }

  /** A HANDOFF of our epoch. */
  private onHandoff(from: string, epoch: number, target: string, primaryOffset: number): void {
    if (from !== this.primary || this.phase.kind !== 'follower') {
      this.emit({ type: 'ignored', from, what: 'HANDOFF', reason: 'not from our primary in our epoch' });
      return;
    }
    const t = this.members.find((m) => m.id === target);
    if (!t || !isElectable(t)) {
      this.emit({ type: 'ignored', from, what: 'HANDOFF', reason: `${target} cannot be primary` });
      return;
    }
    this.released = { epoch, target, offset: primaryOffset };
    // The target's runtime polls its redis at once (and then at the poll interval) to see that offset.
    this.emit({ type: 'handoff-released', from, target, epoch, offset: primaryOffset });
  }

  // -------------------------------------------------------------------------
  // State helpers
  // -------------------------------------------------------------------------

  /**
   * Persist before acting; false (and an error event) when the store fails or
   * the epoch is past the epoch bound: then no vote and no follow.
   */
  private persist(epoch: number, votedFor: string | null, what: string): boolean {
    if (!this.withinEpochBound(epoch, what)) return false;
    if (!this.rules.enforced('durable-vote')) return true;
    try {
      this.store.save({ epoch, votedFor });
      return true;
    } catch (err) {
      this.emit({ type: 'error', what: `persisting vote (${what})`, message: (err as Error).message });
      return false;
    }
  }

  /**
   * Whether a node may move to `epoch`: at most MAX_HELD_EPOCH, so the epoch it would stand in
   * next still encodes. Past it an error event says so, once per epoch, and nothing is adopted.
   */
  private withinEpochBound(epoch: number, what: string): boolean {
    if (isHoldableEpoch(epoch)) return true;
    if (this.epochBoundReported !== epoch) {
      this.epochBoundReported = epoch;
      this.emit({ type: 'error', what, message: `epoch ${epoch} is above the highest epoch a node may hold (${MAX_HELD_EPOCH}); see "Epoch bound" in protocol.md 5.2` });
    }
    return false;
  }

  /**
   * Adopt an epoch already persisted. The primary we followed belonged to the
   * old epoch, so it is lost now, unless the caller follows the new epoch's
   * primary right away (`followingNext`), which spares redis a detach. A
   * promotion under way is abandoned: we won only the older epoch.
   */
  private adoptEpoch(epoch: number, votedFor: string | null, nowMs: number, reason: string, followingNext = false): void {
    const from = this._epoch;
    if (epoch !== from) {
      this._epoch = epoch;
      this.emit({ type: 'epoch', from, to: epoch, reason });
      if (this.phase.kind === 'promoting') {
        // We won an older epoch but a newer one began before our promotion was confirmed: we must
        // not become primary of an epoch someone else may have won.
        this.becomeFollower([], `epoch ${epoch} began before the promotion completed`, false);
      }
      if (this.primary !== null) {
        if (this.primary !== this.nodeId && !this.primaryLost && !followingNext) this.markPrimaryLost(nowMs, `epoch ${epoch} began: ${reason}`);
        this.primary = null;
      }
    }
    this.votedFor = votedFor;
  }

  /**
   * When our next HB is due: every hbIntervalMs, except on a follower of a live primary, whose
   * HBs ride on the primary's (onHb) and whose own timer waits LOCKED_HB_FACTOR intervals; or at
   * once when something forced one.
   */
  private hbDueAt(): number {
    const every = this.hbLockedToPrimary() ? LOCKED_HB_FACTOR * this.config.hbIntervalMs : this.config.hbIntervalMs;
    return Math.min(this.hbForcedAt, this.lastHbAt + every);
  }

  private hbLockedToPrimary(): boolean {
    return this.phase.kind === 'follower' && this.primary !== null && this.primary !== this.nodeId && !this.primaryLost;
  }

  private hb(): ElectionMessage {
    return { type: 'HB', epoch: this._epoch, nodeId: this.nodeId, role: this.role, replOffset: this.offset };
  }

  private emitRole(from: Role, reason: string): void {
    const to = this.role;
    if (from !== to) this.emit({ type: 'role', from, to, epoch: this._epoch, reason });
  }

  private emit(event: ElectorEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A faulty listener must not corrupt the state machine mid-transition.
      }
    }
  }
}
