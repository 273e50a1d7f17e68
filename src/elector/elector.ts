import type {
  ElectionMessage,
  Message,
  RefuseReason,
  Role,
} from '../protocol/messages.js';
import { resolveConfig, type ElectorConfig } from './config.js';
import type { DataPoint, ElectorEvent, ElectorEventListener } from './events.js';
import { compareStanding, isElectable, quorumSize, resolveMembers, type Member, type MemberSpec } from './membership.js';
import { isHoldableEpoch, MAX_HELD_EPOCH } from '../protocol/limits.js';
import type { SafetyRule } from './safety-rules.js';
import type { VoteStore } from './vote-store.js';

/** A message to send: to one member, or to every member but self ('*'). */
export interface Outbound {
  to: string | '*';
  msg: ElectionMessage;
}

export interface ElectorOptions {
  nodeId: string;
  /** Full membership, self included; every node must be given the same list. */
  members: readonly MemberSpec[];
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
  /** Test-only: switch safety rules off to prove the tests and the simulator catch it. */
  disabledRules?: readonly SafetyRule[];
}

/** Internal phase; `role` is what the wire and the runtime see. */
type Phase = 'follower' | 'prevote' | 'candidate' | 'promoting' | 'primary';

interface PeerView {
  /** Local time we last received anything from this peer, or null if never. */
  lastHeard: number | null;
  up: boolean;
  /** From the peer's last HB. */
  epoch: number;
  role: Role;
  offset: number;
}

interface Round {
  epoch: number;
  yes: Set<string>;
  no: Set<string>;
  deadline: number;
  /** Voters that refused only for now (no fresh offset yet): ask them again at the given time. */
  askAgain?: Map<string, number>;
}

interface Handoff {
  target: string;
  epoch: number;
  startedAt: number;
  deadline: number;
  /** HANDOFF sent and lease dropped. */
  released: boolean;
}

/** A snapshot for status displays and the admin API. */
export interface ElectorSnapshot {
  nodeId: string;
  role: Role;
  phase: Phase;
  epoch: number;
  votedFor: string | null;
  currentPrimary: string | null;
  leaseUntil: number;
  hasLease: boolean;
  writesAllowed: boolean;
  offset: number;
  healthy: boolean;
  handoff: { target: string; released: boolean } | null;
  peers: { id: string; witness: boolean; priority: number; up: boolean; lastHeard: number | null; epoch: number; role: Role; offset: number }[];
}

/**
 * The election state machine. Pure: time comes in as `nowMs`, randomness from
 * `random`, durability through `voteStore`; messages go out as return values
 * and everything else the runtime must know as events. See protocol.md §5 for
 * the rules this class implements, one by one.
 */
export class Elector {
  readonly nodeId: string;
  readonly config: ElectorConfig;
  readonly members: readonly Member[];
  private readonly self: Member;
  private readonly quorum: number;
  private readonly advertisedAddr: string;
  private readonly store: VoteStore;
  private readonly random: () => number;
  private readonly listeners: ElectorEventListener[] = [];
  private readonly confirmPromotion: boolean;
  private readonly disabled: ReadonlySet<SafetyRule>;

  private _epoch: number;
  private votedFor: string | null;
  /** Epoch loaded at start: a node that had taken part in an epoch may owe a lease and waits out restartGrace. */
  private readonly loadedEpoch: number;
  private bootstrap: boolean;

  private phase: Phase = 'follower';
  private primary: string | null = null;
  /** Last time we heard the current primary acting as primary (HB role primary or LEASE). */
  private primaryContactAt = -Infinity;
  /** Set once we consider the primary gone; cleared when we follow one again. */
  private primaryLost = false;
  private primaryLostAt = -Infinity;

  private offset = 0;
  private offsetAt = -Infinity;
  /** The most data, as (dataEpoch, offset), the local redis reported in this process's life (rule 4d). */
  private dataHeld: DataPoint = { dataEpoch: 0, offset: 0 };
  /** When the local data was first seen below `dataHeld`, i.e. the redis lost data; null while it has not. */
  private dataLostAt: number | null = null;
  /** Epoch of the primary whose stream our data last caught up with; offsets compare only within one. */
  private dataEpoch = 0;
  /** The data epoch each candidate gave in its PREVOTE, for judging its OFFER (which cannot carry it). */
  private readonly prevoteSeen = new Map<string, { epoch: number; dataEpoch: number }>();
  private healthy = true;

  private now = -Infinity;
  private bootAt: number | null = null;
  private nextHbAt = -Infinity;
  private nextStandAt = -Infinity;

  private readonly peers = new Map<string, PeerView>();
  private prevote: Round | null = null;
  private election: (Round & { handoff: boolean }) | null = null;
  private promoteDeadline = Infinity;

  private leaseSeq = 0;
  private readonly leaseSentAt = new Map<number, number>();
  private readonly leaseAckedAt = new Map<string, number>();
  private leaseUntil = -Infinity;
  private leaseHeld = false;
  private writesWereAllowed = false;

  private handoff: Handoff | null = null;
  /** The last epoch refused by the epoch bound, so its error event is emitted once, not every poll. */
  private epochBoundReported: number | null = null;
  /** HANDOFF heard from our primary: it released leadership to `target` for the epoch after `epoch`. */
  private released: { epoch: number; target: string; offset: number } | null = null;

  constructor(opts: ElectorOptions) {
    this.nodeId = opts.nodeId;
    this.config = resolveConfig(opts.config);
    this.members = resolveMembers(opts.nodeId, opts.members);
    this.self = this.members.find((m) => m.id === opts.nodeId)!;
    this.quorum = quorumSize(this.members.length);
    this.advertisedAddr = opts.advertisedAddr;
    this.store = opts.voteStore;
    this.random = opts.random;
    this.confirmPromotion = opts.confirmPromotion ?? false;
    this.disabled = new Set(opts.disabledRules ?? []);
    if (opts.onEvent) this.listeners.push(opts.onEvent);

    // A store that cannot be read throws here: the caller must stop, never start as "never voted".
    const stored = this.store.load();
    if (!isHoldableEpoch(stored.epoch)) {
      throw new RangeError(`stored epoch ${stored.epoch} is above the highest epoch a node may hold (${MAX_HELD_EPOCH}); see "Epoch bound" in protocol.md 5.2`);
    }
    this._epoch = stored.epoch;
    this.votedFor = stored.votedFor;
    this.loadedEpoch = stored.epoch;
    this.bootstrap = opts.startRole === 'primary' && stored.epoch === 0 && isElectable(this.self);

    for (const m of this.members) {
      if (m.id === this.nodeId) continue;
      this.peers.set(m.id, { lastHeard: null, up: false, epoch: 0, role: 'replica', offset: 0 });
    }
  }

  // -------------------------------------------------------------------------
  // Observers
  // -------------------------------------------------------------------------

  get role(): Role {
    switch (this.phase) {
      case 'primary':
        return 'primary';
      case 'candidate':
      case 'promoting':
        return 'candidate';
      default:
        return 'replica';
    }
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
    if (this.phase === 'primary' || this.primaryLost || this.primary === this.nodeId) return null;
    return this.primary;
  }

  get replOffset(): number {
    return this.offset;
  }

  /** True while this node is primary, healthy, and a majority acknowledged a LEASE sent less than leaseMs ago. */
  hasLease(nowMs: number): boolean {
    if (this.phase !== 'primary' || !this.healthy) return false;
    if (this.handoff?.released) return false;
    if (this.disabled.has('lease-quorum')) return true;
    return nowMs < this.leaseUntil;
  }

  /** Whether the local redis may take writes: a lease and no hand-off draining writes. */
  writesAllowed(nowMs: number): boolean {
    return this.hasLease(nowMs) && this.handoff === null;
  }

  on(listener: ElectorEventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  snapshot(nowMs: number = this.now): ElectorSnapshot {
    return {
      nodeId: this.nodeId,
      role: this.role,
      phase: this.phase,
      epoch: this._epoch,
      votedFor: this.votedFor,
      currentPrimary: this.primary,
      leaseUntil: this.leaseUntil,
      hasLease: this.hasLease(nowMs),
      writesAllowed: this.writesAllowed(nowMs),
      offset: this.offset,
      healthy: this.healthy,
      handoff: this.handoff ? { target: this.handoff.target, released: this.handoff.released } : null,
      peers: this.members
        .filter((m) => m.id !== this.nodeId)
        .map((m) => {
          const p = this.peers.get(m.id)!;
          return { id: m.id, witness: m.witness, priority: m.priority, up: p.up, lastHeard: p.lastHeard, epoch: p.epoch, role: p.role, offset: p.offset };
        }),
    };
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
      this.dataEpoch = dataEpoch;
    }
    this.offset = offset;
    this.offsetAt = nowMs;
    this.trackDataHeld(nowMs);
    if (this.dataEpoch > this._epoch && !this.disabled.has('data-epoch')) {
      // Our data already holds a newer epoch's stream than our vote store knows (the sidecar was
      // down while that epoch began). Like Raft's currentTerm >= last log term: adopt it, so no
      // stale primary of an older epoch can make us follow it and resync our data away.
      if (this.persist(this.dataEpoch, null, `adopting epoch ${this.dataEpoch} held by the local data`)) {
        this.setEpochFields(this.dataEpoch, null, nowMs, `the local data holds epoch ${this.dataEpoch}`);
      }
    }
  }

  /** Local redis reachable, loaded and not in a full sync. Unhealthy nodes never stand; an unhealthy primary steps down. */
  setHealthy(ok: boolean): void {
    this.healthy = ok;
  }

  tick(nowMs: number): Outbound[] {
    this.advance(nowMs);
    const out: Outbound[] = [];
    this.refreshPeers(nowMs);
    this.forgetLostData(nowMs);
    switch (this.phase) {
      case 'primary':
        this.tickPrimary(nowMs, out);
        break;
      case 'promoting':
        if (nowMs >= this.promoteDeadline) this.stepDown(nowMs, out, 'promotion was not confirmed in time');
        break;
      case 'prevote':
        if (this.prevote && nowMs >= this.prevote.deadline) this.failRound(nowMs, out, 'pre-vote timed out');
        else if (this.prevote?.askAgain) this.askAgain(this.prevote, nowMs, out);
        break;
      case 'candidate':
        if (this.election && nowMs >= this.election.deadline) this.failRound(nowMs, out, 'election timed out');
        break;
      case 'follower':
        this.tickFollower(nowMs, out);
        break;
    }
    if (nowMs >= this.nextHbAt) {
      out.push({ to: '*', msg: this.hb() });
      if (this.phase === 'primary' && !this.handoff?.released) out.push(this.leaseRound(nowMs));
      this.nextHbAt = nowMs + this.config.hbIntervalMs;
    }
    this.refreshDerived(nowMs);
    return out;
  }

  onMessage(fromId: string, msg: Message, nowMs: number): Outbound[] {
    this.advance(nowMs);
    const out: Outbound[] = [];
    const peer = this.peers.get(fromId);
    if (!peer) {
      this.emit({ type: 'ignored', from: fromId, what: msg.type, reason: fromId === this.nodeId ? 'message from self' : 'sender is not a member' });
      return out;
    }
    peer.lastHeard = nowMs;
    if (!peer.up) {
      peer.up = true;
      this.emit({ type: 'peer', id: fromId, up: true });
    }
    const highest = highestEpochIn(msg);
    if (highest > MAX_HELD_EPOCH) {
      // No election reaches it, and holding it would leave no epoch to stand in (protocol.md 5.2).
      this.emit({ type: 'ignored', from: fromId, what: msg.type, reason: `epoch ${highest} is above the highest epoch a node may hold (${MAX_HELD_EPOCH})` });
      this.refreshDerived(nowMs);
      return out;
    }
    switch (msg.type) {
      case 'HB':
        this.onHb(fromId, peer, msg, nowMs, out);
        break;
      case 'PREVOTE':
        if (msg.candidateId === fromId) this.prevoteSeen.set(fromId, { epoch: msg.epoch, dataEpoch: msg.dataEpoch });
        this.onVoteRequest(fromId, msg.candidateId, msg.epoch, msg.replOffset, true, nowMs, out);
        break;
      case 'OFFER':
        this.onVoteRequest(fromId, msg.candidateId, msg.epoch, msg.replOffset, false, nowMs, out);
        break;
      case 'PREACCEPT':
        this.onYes(this.prevote, 'prevote', fromId, msg.voterId, msg.epoch, nowMs, out);
        break;
      case 'ACCEPT':
        this.onYes(this.election, 'candidate', fromId, msg.accepterId, msg.epoch, nowMs, out);
        break;
      case 'REFUSE':
        this.onRefuse(fromId, msg.voterId, msg.epoch, msg.voterEpoch, msg.reason, nowMs, out);
        break;
      case 'ANNOUNCE':
        this.onAnnounce(fromId, msg.primaryId, msg.epoch, nowMs, out);
        break;
      case 'LEASE':
        this.onLease(fromId, peer, msg.primaryId, msg.epoch, msg.seq, nowMs, out);
        break;
      case 'LEASEACK':
        this.onLeaseAck(fromId, msg.voterId, msg.epoch, msg.seq, nowMs);
        break;
      case 'HANDOFF':
        this.onHandoff(fromId, msg.epoch, msg.targetId, msg.primaryOffset);
        break;
      default:
        this.emit({ type: 'ignored', from: fromId, what: msg.type, reason: 'handshake message reached the Elector' });
    }
    this.refreshDerived(nowMs);
    return out;
  }

  /** The runtime's answer to a `promote` event: whether REPLICAOF NO ONE succeeded. */
  promoted(ok: boolean, nowMs: number, detail = ''): Outbound[] {
    this.advance(nowMs);
    const out: Outbound[] = [];
    if (this.phase !== 'promoting') return out;
    if (ok) this.becomePrimary(nowMs, out);
    else this.stepDown(nowMs, out, `promotion failed${detail ? `: ${detail}` : ''}`);
    this.refreshDerived(nowMs);
    return out;
  }

  /**
   * Planned switchover, on the primary. Writes stop at once (the runtime fences
   * redis on the `writes` event and then reports a fresh offset); once that
   * offset is in, HANDOFF releases leadership to the target, which stands as
   * soon as it has caught up. If the target has not won within
   * handoffTimeoutMs the hand-off is aborted and writes resume under the same
   * primary. Throws an Error naming the reason when a hand-off is impossible.
   */
  handOff(targetId: string, nowMs: number): Outbound[] {
    this.advance(nowMs);
    const target = this.members.find((m) => m.id === targetId);
    if (this.phase !== 'primary') throw new Error(`hand-off refused: ${this.nodeId} is not the primary (it is ${this.role})`);
    if (this.handoff) throw new Error(`hand-off refused: a hand-off to ${this.handoff.target} is already under way`);
    if (!target) throw new Error(`hand-off refused: ${targetId} is not a member`);
    if (targetId === this.nodeId) throw new Error('hand-off refused: the target is already the primary');
    if (!isElectable(target)) throw new Error(`hand-off refused: ${targetId} can never be primary (witness or priority 0)`);
    if (!this.peers.get(targetId)!.up) throw new Error(`hand-off refused: ${targetId} is not reachable`);
    if (!this.hasLease(nowMs)) throw new Error('hand-off refused: this primary holds no lease');
    this.handoff = { target: targetId, epoch: this._epoch, startedAt: nowMs, deadline: nowMs + this.config.handoffTimeoutMs, released: false };
    this.emit({ type: 'handoff-start', target: targetId, epoch: this._epoch, offset: this.offset });
    const out: Outbound[] = [];
    this.refreshDerived(nowMs);
    return out;
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

  private refreshPeers(nowMs: number): void {
    for (const [id, p] of this.peers) {
      const up = p.lastHeard !== null && nowMs - p.lastHeard < this.config.downAfterMs;
      if (up !== p.up) {
        p.up = up;
        this.emit({ type: 'peer', id, up });
      }
    }
  }

  private tickPrimary(nowMs: number, out: Outbound[]): void {
    if (!this.healthy) {
      // Fast step-down: say so in an HB right away so replicas stand without waiting downAfterMs.
      this.stepDown(nowMs, out, 'local redis is unhealthy');
      return;
    }
    if (!this.handoff?.released) this.recomputeLease(nowMs);
    const h = this.handoff;
    if (!h) return;
    if (nowMs >= h.deadline) {
      this.handoff = null;
      this.emit({ type: 'handoff-end', target: h.target, epoch: h.epoch, ok: false, reason: `${h.target} did not take over within ${this.config.handoffTimeoutMs} ms; resuming as primary` });
      // Regain the lease from the next round on; voters drop the release when they see our LEASE.
      this.nextHbAt = nowMs;
      return;
    }
    if (!h.released && this.offsetAt > h.startedAt) {
      // Writes are fenced and we have an offset read after that: nothing more can be written here.
      h.released = true;
      this.leaseUntil = -Infinity;
      out.push({ to: '*', msg: { type: 'HANDOFF', epoch: this._epoch, targetId: h.target, primaryOffset: this.offset } });
    }
  }

  private tickFollower(nowMs: number, out: Outbound[]): void {
    const electable = isElectable(this.self) && this.healthy;
    const req = this.released;
    if (electable && req && req.target === this.nodeId && req.epoch === this._epoch && this.dataEpoch === req.epoch && this.offset >= req.offset) {
      // Our primary released leadership to us and we hold everything it wrote: stand now.
      this.startElection(nowMs, out, true);
      return;
    }
    if (this.primaryAlive(nowMs)) return;
    // Just started and no primary heard yet: give the cluster downAfterMs to introduce itself.
    const learning = !this.primaryLost && this.primary === null && nowMs - this.primaryContactAt < this.config.downAfterMs;
    if (!this.primaryLost && !learning) this.markPrimaryLost(nowMs, this.lostReason(nowMs));
    if (!electable) return;
    if (nowMs < this.nextStandAt) return;
    // The bootstrap node of a fresh cluster does not wait; it retries (with back-off) until it leads or follows.
    if (learning && !this.bootstrap) return;
    // Only a sample read after the primary was lost says what we really hold.
    if (this.offsetAt < this.primaryLostAt && !this.disabled.has('data-rule')) return;
    if (this.bootstrap && this.primary === null) {
      // Stand once a majority can hear us: a pre-vote sent before the peer links are up only times out.
      const reachable = 1 + [...this.peers.values()].filter((p) => p.up).length;
      if (reachable >= this.quorum) this.startPrevote(nowMs, out);
      return;
    }
    const standAt = this.primaryLostAt + this.rank(nowMs) * this.config.rankDelayMs;
    if (nowMs >= standAt) this.startPrevote(nowMs, out);
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

  private primaryAlive(nowMs: number): boolean {
    if (this.primary === null) return false;
    if (this.primary === this.nodeId) return this.phase === 'primary';
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

  private startPrevote(nowMs: number, out: Outbound[]): void {
    if (!this.withinEpochBound(this._epoch + 1, 'standing for election')) {
      this.nextStandAt = nowMs + this.backoff();
      return;
    }
    if (this.disabled.has('pre-vote')) {
      this.startElection(nowMs, out, false);
      return;
    }
    const epoch = this._epoch + 1;
    this.prevote = { epoch, yes: new Set([this.nodeId]), no: new Set(), deadline: nowMs + this.config.electionTimeoutMs };
    this.phase = 'prevote';
    this.emit({ type: 'prevote-start', epoch, offset: this.offset });
    out.push({ to: '*', msg: { type: 'PREVOTE', epoch, candidateId: this.nodeId, replOffset: this.offset, dataEpoch: this.dataEpoch } });
    if (this.prevote.yes.size >= this.quorum) this.startElection(nowMs, out, false);
  }

  private startElection(nowMs: number, out: Outbound[], handoff: boolean): void {
    const epoch = this._epoch + 1;
    this.prevote = null;
    if (!this.persist(epoch, this.nodeId, 'standing for election')) {
      this.phase = 'follower';
      this.nextStandAt = nowMs + this.backoff();
      return;
    }
    const fromRole = this.role;
    this.setEpochFields(epoch, this.nodeId, nowMs, 'stood for election');
    this.phase = 'candidate';
    this.election = { epoch, yes: new Set([this.nodeId]), no: new Set(), deadline: nowMs + this.config.electionTimeoutMs, handoff };
    this.emitRole(fromRole, handoff ? `hand-off from the primary of epoch ${epoch - 1}` : 'primary lost and a majority would vote for us');
    this.emit({ type: 'election-start', epoch, offset: this.offset, handoff });
    out.push({ to: '*', msg: { type: 'OFFER', epoch, candidateId: this.nodeId, replOffset: this.offset } });
    if (this.election.yes.size >= this.quorum) this.win(nowMs, out);
  }

  private failRound(nowMs: number, out: Outbound[], reason: string, retrySoon = false): void {
    void out;
    const fromRole = this.role;
    if (this.phase === 'prevote' && this.prevote) this.emit({ type: 'prevote-failed', epoch: this.prevote.epoch, reason });
    if (this.phase === 'candidate' && this.election) this.emit({ type: 'election-lost', epoch: this.election.epoch, reason });
    this.prevote = null;
    this.election = null;
    this.phase = 'follower';
    // A fresh random draw per attempt, so two unlucky candidates drift apart.
    this.nextStandAt = nowMs + (retrySoon ? Math.round(this.config.rankDelayMs * this.random()) : this.backoff());
    this.emitRole(fromRole, reason);
  }

  private askAgain(round: Round, nowMs: number, out: Outbound[]): void {
    for (const [voter, at] of round.askAgain!) {
      if (nowMs < at) continue;
      round.askAgain!.delete(voter);
      out.push({ to: voter, msg: { type: 'PREVOTE', epoch: round.epoch, candidateId: this.nodeId, replOffset: this.offset, dataEpoch: this.dataEpoch } });
    }
  }

  private backoff(): number {
    return Math.round(this.config.backoffMs * (1 + this.random()));
  }

  private win(nowMs: number, out: Outbound[]): void {
    const e = this.election!;
    this.emit({ type: 'elected', epoch: e.epoch, votes: [...e.yes].sort() });
    this.election = null;
    if (this.confirmPromotion) {
      this.phase = 'promoting';
      this.promoteDeadline = nowMs + this.config.promoteTimeoutMs;
      this.emit({ type: 'promote', epoch: e.epoch });
    } else {
      this.becomePrimary(nowMs, out);
    }
  }

  private becomePrimary(nowMs: number, out: Outbound[]): void {
    const fromRole = this.role;
    this.phase = 'primary';
    this.bootstrap = false;
    this.primary = this.nodeId;
    this.primaryLost = false;
    this.released = null;
    this.leaseAckedAt.clear();
    this.leaseSentAt.clear();
    this.leaseUntil = -Infinity;
    this.emitRole(fromRole, `won epoch ${this._epoch}`);
    out.push({ to: '*', msg: { type: 'ANNOUNCE', epoch: this._epoch, primaryId: this.nodeId, primaryAddr: this.advertisedAddr } });
    out.push({ to: '*', msg: this.hb() });
    out.push(this.leaseRound(nowMs));
    this.nextHbAt = nowMs + this.config.hbIntervalMs;
  }

  /** Leave primary/candidate for follower, telling everyone at once with an HB. */
  private stepDown(nowMs: number, out: Outbound[], reason: string): void {
    const fromRole = this.role;
    const wasPrimary = this.phase === 'primary' || this.phase === 'promoting';
    this.phase = 'follower';
    this.prevote = null;
    this.election = null;
    this.leaseUntil = -Infinity;
    if (this.handoff) {
      this.emit({ type: 'handoff-end', target: this.handoff.target, epoch: this.handoff.epoch, ok: true, reason });
      this.handoff = null;
    }
    if (wasPrimary) {
      this.primary = null;
      this.primaryLost = true;
      this.primaryLostAt = nowMs;
      this.nextStandAt = nowMs + this.backoff();
    }
    this.emitRole(fromRole, reason);
    out.push({ to: '*', msg: this.hb() });
  }

  private leaseRound(nowMs: number): Outbound {
    this.leaseSeq += 1;
    this.leaseSentAt.set(this.leaseSeq, nowMs);
    // Acks older than a lease are worthless; keep the map small.
    for (const [seq, at] of this.leaseSentAt) if (nowMs - at > this.config.leaseMs * 2) this.leaseSentAt.delete(seq);
    return { to: '*', msg: { type: 'LEASE', epoch: this._epoch, primaryId: this.nodeId, seq: this.leaseSeq } };
  }

  private recomputeLease(nowMs: number): void {
    const times = [nowMs];
    for (const at of this.leaseAckedAt.values()) times.push(at);
    times.sort((a, b) => b - a);
    const qth = times[this.quorum - 1];
    this.leaseUntil = qth === undefined ? -Infinity : qth + this.config.leaseMs;
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
      const reason = writes
        ? 'primary holds a lease'
        : this.phase !== 'primary'
          ? `no longer primary (${this.role})`
          : this.handoff
            ? `hand-off to ${this.handoff.target} under way`
            : !this.healthy
              ? 'local redis unhealthy'
              : 'lease lapsed: no majority acknowledged a recent LEASE';
      this.emit({ type: 'writes', allowed: writes, epoch: this._epoch, reason });
    }
  }

  // -------------------------------------------------------------------------
  // Message handlers
  // -------------------------------------------------------------------------

  private onHb(from: string, peer: PeerView, msg: Extract<Message, { type: 'HB' }>, nowMs: number, out: Outbound[]): void {
    if (msg.nodeId !== from) {
      this.emit({ type: 'ignored', from, what: 'HB', reason: `HB names ${msg.nodeId} but came from ${from}` });
      return;
    }
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
      this.onPrimaryHeard(from, msg.epoch, nowMs, out, 'HB');
      return;
    }
    if (from === this.primary && msg.epoch >= this._epoch && !this.primaryLost && this.phase === 'follower') {
      // Our primary says it is no longer primary: it dropped its lease before saying so.
      this.markPrimaryLost(nowMs, `${from} stepped down`);
    }
    if (msg.epoch > this._epoch && this.phase === 'primary') {
      if (this.persist(msg.epoch, null, `stepping down for epoch ${msg.epoch}`)) {
        this.setEpochFields(msg.epoch, null, nowMs, `${from} is at a newer epoch`);
        this.stepDown(nowMs, out, `${from} is at newer epoch ${msg.epoch}`);
      }
    }
  }

  /** HB with role primary, or LEASE: `from` claims to be the primary of `epoch`. */
  private onPrimaryHeard(from: string, epoch: number, nowMs: number, out: Outbound[], what: string): boolean {
    if (epoch < this._epoch) return false; // a deposed primary; its own next HB from us will tell it
    if (epoch > this._epoch) {
      if (!this.persist(epoch, null, `following ${from} in epoch ${epoch}`)) return false;
      this.setEpochFields(epoch, null, nowMs, `${what} from ${from}, primary of a newer epoch`, true);
      this.follow(from, nowMs, out, `${from} is primary of newer epoch ${epoch}`);
      return true;
    }
    if (this.phase === 'primary') {
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
    if (this.phase !== 'follower') {
      const fromRole = this.role;
      this.phase = 'follower';
      this.prevote = null;
      this.election = null;
      this.handoff = null;
      this.leaseUntil = -Infinity;
      this.emitRole(fromRole, reason);
      out.push({ to: '*', msg: this.hb() });
    }
    this.primaryContactAt = nowMs;
    this.bootstrap = false;
    // A back-off belongs to a failed round; with a primary to follow it no longer applies.
    this.nextStandAt = -Infinity;
    const changed = this.primary !== id || this.primaryLost;
    this.primary = id;
    this.primaryLost = false;
    if (changed) this.emit({ type: 'follow', primary: id, epoch: this._epoch, reason });
  }

  private onVoteRequest(from: string, candidate: string, epoch: number, candOffset: number, prevote: boolean, nowMs: number, out: Outbound[]): void {
    if (candidate !== from) {
      this.emit({ type: 'ignored', from, what: prevote ? 'PREVOTE' : 'OFFER', reason: `names candidate ${candidate} but came from ${from}` });
      return;
    }
    const refusal = this.voteRefusal(candidate, epoch, candOffset, prevote, nowMs);
    if (refusal) {
      this.emit({ type: 'vote', candidate, epoch, granted: false, prevote, reason: refusal.reason, detail: refusal.detail });
      out.push({ to: from, msg: { type: 'REFUSE', epoch, voterId: this.nodeId, voterEpoch: this._epoch, reason: refusal.reason } });
      return;
    }
    if (prevote) {
      this.emit({ type: 'vote', candidate, epoch, granted: true, prevote });
      out.push({ to: from, msg: { type: 'PREACCEPT', epoch, voterId: this.nodeId } });
      return;
    }
    const repeat = epoch === this._epoch && this.votedFor === candidate;
    if (!repeat) {
      if (!this.persist(epoch, candidate, `voting for ${candidate} in epoch ${epoch}`)) {
        out.push({ to: from, msg: { type: 'REFUSE', epoch, voterId: this.nodeId, voterEpoch: this._epoch, reason: 'persist-failed' } });
        return;
      }
      const fromRole = this.role;
      const wasPrimary = this.phase === 'primary';
      this.setEpochFields(epoch, candidate, nowMs, `voted for ${candidate}`);
      if (this.phase !== 'follower') {
        this.phase = 'follower';
        this.prevote = null;
        this.election = null;
        this.leaseUntil = -Infinity;
        if (this.handoff) {
          this.emit({ type: 'handoff-end', target: this.handoff.target, epoch: this.handoff.epoch, ok: true, reason: `voted for ${candidate} in epoch ${epoch}` });
          this.handoff = null;
        }
        this.emitRole(fromRole, `voted for ${candidate} in epoch ${epoch}`);
      }
      if (wasPrimary) this.primaryLostAt = nowMs;
      // Give the candidate time to win before we consider standing ourselves.
      this.nextStandAt = Math.max(this.nextStandAt, nowMs + this.config.electionTimeoutMs);
    }
    this.emit({ type: 'vote', candidate, epoch, granted: true, prevote });
    out.push({ to: from, msg: { type: 'ACCEPT', epoch, accepterId: this.nodeId } });
  }

  /** Why we would refuse `candidate` for `epoch`, or null to grant. The safety rules, in order. */
  private voteRefusal(candidate: string, epoch: number, candOffset: number, prevote: boolean, nowMs: number): { reason: RefuseReason; detail: string } | null {
    const cand = this.members.find((m) => m.id === candidate);
    if (!cand || !isElectable(cand)) return { reason: 'not-electable', detail: `${candidate} is a witness, has priority 0, or is unknown` };

    const oneVote = !this.disabled.has('durable-vote');
    if (prevote) {
      if (epoch <= this._epoch) return { reason: 'stale-epoch', detail: `pre-vote for epoch ${epoch}, ours is ${this._epoch}` };
    } else if (epoch < this._epoch) {
      return { reason: 'stale-epoch', detail: `offer for epoch ${epoch}, ours is ${this._epoch}` };
    } else if (epoch === this._epoch && oneVote) {
      if (this.votedFor === candidate) return null; // a repeated OFFER gets the same answer
      if (this.votedFor !== null) return { reason: 'already-voted', detail: `voted for ${this.votedFor} in epoch ${epoch}` };
    }

    // Rule: a restarted voter may have acknowledged a LEASE it no longer remembers.
    const graceUntil = (this.bootAt ?? nowMs) + this.config.downAfterMs;
    if (this.loadedEpoch > 0 && nowMs < graceUntil && !this.disabled.has('restart-grace')) {
      return { reason: 'starting', detail: `restarted ${Math.round(nowMs - (this.bootAt ?? nowMs))} ms ago; waiting out downAfterMs` };
    }

    const rel = this.released;
    const handoffFor = rel !== null && rel.epoch === this._epoch && rel.target === candidate && epoch === this._epoch + 1;
    const releasedByUs = this.handoff?.released === true && this.handoff.target === candidate && epoch === this._epoch + 1;
    if (!handoffFor && !releasedByUs && !this.disabled.has('vote-stickiness')) {
      if (this.phase === 'primary' && this.healthy) return { reason: 'primary-alive', detail: 'we are the primary' };
      if (this.primaryAlive(nowMs)) {
        return { reason: 'primary-alive', detail: `heard primary ${this.primary} ${Math.round(nowMs - this.primaryContactAt)} ms ago` };
      }
    }

    if (!this.self.witness && !this.disabled.has('data-rule')) {
      if (!this.healthy) return { reason: 'offset-unknown', detail: 'local redis is unhealthy, our offset is unknown' };
      const inHandoff = handoffFor || releasedByUs;
      const freshBoot = this.loadedEpoch === 0 && this.primary === null && nowMs - this.primaryContactAt < this.config.downAfterMs;
      if (!inHandoff && !this.primaryLost && !freshBoot && !this.primaryAlive(nowMs)) {
        // The primary went quiet but no tick has declared it lost yet: declare it now, so the
        // runtime detaches redis, and wait for an offset read after that before voting.
        // (A node of a brand-new cluster has followed no one; any sample since boot will do.)
        this.markPrimaryLost(nowMs, this.lostReason(nowMs));
      }
      if (!inHandoff && this.offsetAt < this.primaryLostAt) {
        return { reason: 'offset-unknown', detail: 'no offset read since the primary was lost' };
      }
      const seen = this.prevoteSeen.get(candidate);
      let candDataEpoch: number | undefined;
      if (inHandoff) candDataEpoch = this._epoch; // the target caught up with the releasing primary's stream
      else if (seen && seen.epoch === epoch) candDataEpoch = seen.dataEpoch;
      else if (this.disabled.has('pre-vote')) candDataEpoch = this.dataEpoch;
      if (candDataEpoch === undefined) return { reason: 'offset-unknown', detail: `no PREVOTE from ${candidate} for epoch ${epoch}, so its data epoch is unknown` };
      // Rule 4d: a voter whose redis lost data judges by the most it held, for dataMemoryMs.
      this.forgetLostData(nowMs);
      const mine = this.dataHeld;
      const theirs = { dataEpoch: candDataEpoch, offset: candOffset };
      const byEpoch = !this.disabled.has('data-epoch');
      if (compareData(theirs, mine, byEpoch) < 0) {
        const held = this.dataLostAt === null ? '' : ` (held before our redis lost data; it holds epoch ${this.dataEpoch}, offset ${this.offset} now)`;
        return { reason: 'stale-offset', detail: `candidate data (epoch ${theirs.dataEpoch}, offset ${candOffset}) is behind ours (epoch ${mine.dataEpoch}, offset ${mine.offset})${held}` };
      }
      if (
        prevote &&
        !handoffFor &&
        // Ranking is about who should stand, which only the data held now can win with.
        compareData(theirs, { dataEpoch: this.dataEpoch, offset: this.offset }, byEpoch) === 0 &&
        isElectable(this.self) &&
        nowMs >= this.nextStandAt &&
        compareStanding({ id: this.nodeId, offset: this.offset, priority: this.self.priority }, { id: candidate, offset: candOffset, priority: cand.priority }) < 0
      ) {
        return { reason: 'better-candidate', detail: `equal data (epoch ${this.dataEpoch}, offset ${candOffset}), and we rank first (priority ${this.self.priority} vs ${cand.priority})` };
      }
    }
    return null;
  }

  private onYes(round: Round | null, phase: Phase, from: string, voter: string, epoch: number, nowMs: number, out: Outbound[]): void {
    if (voter !== from || this.phase !== phase || !round || round.epoch !== epoch) return;
    round.yes.add(from);
    if (round.yes.size < this.quorum) return;
    if (phase === 'prevote') this.startElection(nowMs, out, false);
    else this.win(nowMs, out);
  }

  private onRefuse(from: string, voter: string, epoch: number, voterEpoch: number, reason: RefuseReason, nowMs: number, out: Outbound[]): void {
    if (voter !== from) return;
    const round = this.phase === 'prevote' ? this.prevote : this.phase === 'candidate' ? this.election : null;
    const ours = round !== null && round.epoch === epoch;
    if (ours && this.phase === 'prevote' && reason === 'offset-unknown' && voterEpoch <= this._epoch) {
      // The voter lost the primary a moment ago and is re-reading its offset: not a no, ask again
      // shortly rather than wait out the round for a node that may be dead.
      (round.askAgain ??= new Map()).set(from, nowMs + Math.max(1, Math.round(this.config.hbIntervalMs / 2)));
      return;
    }
    if (ours) round.no.add(from);
    if (voterEpoch > this._epoch && this.phase !== 'primary') {
      // Learn the higher epoch at once, instead of losing round after round.
      if (this.persist(voterEpoch, null, `learning epoch ${voterEpoch} from ${from}`)) {
        this.setEpochFields(voterEpoch, null, nowMs, `${from} refused us with epoch ${voterEpoch}`);
        if (ours) this.failRound(nowMs, out, `${from} is at epoch ${voterEpoch} (${reason})`, true);
        return;
      }
    }
    if (ours && round.no.size > this.members.length - this.quorum) {
      this.failRound(nowMs, out, `refused by ${[...round.no].sort().join(', ')} (last: ${reason})`);
    }
  }

  private onAnnounce(from: string, primaryId: string, epoch: number, nowMs: number, out: Outbound[]): void {
    if (primaryId !== from && !this.disabled.has('announce-sender')) {
      this.emit({ type: 'ignored', from, what: 'ANNOUNCE', reason: `announces ${primaryId} but came from ${from}` });
      return;
    }
    if (epoch < this._epoch) {
      this.emit({ type: 'ignored', from, what: 'ANNOUNCE', reason: `epoch ${epoch} is older than ours ${this._epoch}` });
      return;
    }
    const peer = this.peers.get(primaryId);
    if (peer) peer.role = 'primary';
    if (!this.onPrimaryHeard(primaryId, epoch, nowMs, out, 'ANNOUNCE') && this.disabled.has('announce-sender') && primaryId !== this.nodeId) {
      this.follow(primaryId, nowMs, out, `unchecked ANNOUNCE of ${primaryId}`);
    }
  }

  private onLease(from: string, peer: PeerView, primaryId: string, epoch: number, seq: number, nowMs: number, out: Outbound[]): void {
    if (primaryId !== from) return;
    peer.role = 'primary';
    this.onPrimaryHeard(from, epoch, nowMs, out, 'LEASE');
    if (this.primary !== from || epoch !== this._epoch || this.phase !== 'follower') return;
    // A LEASE from our primary after a HANDOFF means the hand-off was aborted: stickiness is back.
    if (this.released && this.released.epoch === epoch) this.released = null;
    this.primaryContactAt = nowMs;
    out.push({ to: from, msg: { type: 'LEASEACK', epoch, voterId: this.nodeId, seq } });
  }

  private onLeaseAck(from: string, voter: string, epoch: number, seq: number, nowMs: number): void {
    if (voter !== from || this.phase !== 'primary' || epoch !== this._epoch) return;
    const sentAt = this.leaseSentAt.get(seq);
    if (sentAt === undefined) return;
    const prev = this.leaseAckedAt.get(from) ?? -Infinity;
    if (sentAt > prev) this.leaseAckedAt.set(from, sentAt);
    this.recomputeLease(nowMs);
  }

  private onHandoff(from: string, epoch: number, target: string, primaryOffset: number): void {
    if (from !== this.primary || epoch !== this._epoch || this.phase !== 'follower') {
      this.emit({ type: 'ignored', from, what: 'HANDOFF', reason: 'not from our primary in our epoch' });
      return;
    }
    const t = this.members.find((m) => m.id === target);
    if (!t || !isElectable(t)) {
      this.emit({ type: 'ignored', from, what: 'HANDOFF', reason: `${target} cannot be primary` });
      return;
    }
    this.released = { epoch, target, offset: primaryOffset };
  }

  // -------------------------------------------------------------------------
  // State helpers
  // -------------------------------------------------------------------------

  /** Persist before acting; false (and an error event) when the store fails: then no vote and no follow. */
  private persist(epoch: number, votedFor: string | null, what: string): boolean {
    if (!this.withinEpochBound(epoch, what)) return false;
    if (this.disabled.has('durable-vote')) return true;
    try {
      this.store.save({ epoch, votedFor });
      return true;
    } catch (err) {
      this.emit({ type: 'error', what: `persisting vote (${what})`, message: (err as Error).message });
      return false;
    }
  }

  /**
   * Adopt an epoch already persisted. The primary we followed belonged to the
   * old epoch, so it is lost now, unless the caller follows the new epoch's
   * primary right away (`followingNext`), which spares redis a detach.
   */
  private setEpochFields(epoch: number, votedFor: string | null, nowMs: number, reason: string, followingNext = false): void {
    const from = this._epoch;
    if (epoch !== from) {
      this._epoch = epoch;
      this.emit({ type: 'epoch', from, to: epoch, reason });
      if (this.phase === 'promoting') {
        // We won an older epoch but a newer one began before our promotion was confirmed: we must
        // not become primary of an epoch someone else may have won.
        this.phase = 'follower';
        this.promoteDeadline = Infinity;
        this.emitRole('candidate', `epoch ${epoch} began before the promotion completed`);
      }
      if (this.primary !== null) {
        if (this.primary !== this.nodeId && !this.primaryLost && !followingNext) this.markPrimaryLost(nowMs, `epoch ${epoch} began: ${reason}`);
        this.primary = null;
      }
    }
    this.votedFor = votedFor;
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

  /**
   * Rule 4d. Data only falls below the most this node held when its redis lost data: restarted
   * empty, or from an older snapshot (a resync from a newer primary raises the data epoch). Such
   * a voter cannot see which acknowledged writes it held, so for dataMemoryMs it judges candidates
   * against what it held: a candidate that lacks them is refused, a holder elsewhere can still win.
   */
  private trackDataHeld(nowMs: number): void {
    const now = { dataEpoch: this.dataEpoch, offset: this.offset };
    if (compareData(now, this.dataHeld, !this.disabled.has('data-epoch')) >= 0 || this.config.dataMemoryMs <= 0) {
      this.dataHeld = now;
      this.dataLostAt = null;
      return;
    }
    if (this.dataLostAt !== null) return;
    this.dataLostAt = nowMs;
    this.emit({ type: 'data-lost', held: { ...this.dataHeld }, now, holdMs: this.config.dataMemoryMs });
  }

  /**
   * After dataMemoryMs the voter judges by the data it holds now. If every holder of some write
   * is gone, remembering it forever would only stop every election; the write is lost either way.
   */
  private forgetLostData(nowMs: number): void {
    if (this.dataLostAt === null || nowMs - this.dataLostAt < this.config.dataMemoryMs) return;
    const held = this.dataHeld;
    this.dataHeld = { dataEpoch: this.dataEpoch, offset: this.offset };
    this.dataLostAt = null;
    this.emit({ type: 'data-forgotten', held, now: { ...this.dataHeld } });
  }
}

/** The highest epoch a message carries in any field (0 for handshake messages, which carry none). */
function highestEpochIn(msg: Message): number {
  switch (msg.type) {
    case 'REFUSE':
      return Math.max(msg.epoch, msg.voterEpoch);
    case 'PREVOTE':
      return Math.max(msg.epoch, msg.dataEpoch);
    case 'PEER':
    case 'CHALLENGE':
    case 'PROOF':
      return 0;
    default:
      return msg.epoch;
  }
}

/** Orders data: a later data epoch first, then a higher offset. Negative when `a` holds less than `b`. */
function compareData(a: { dataEpoch: number; offset: number }, b: { dataEpoch: number; offset: number }, byEpoch = true): number {
  if (byEpoch && a.dataEpoch !== b.dataEpoch) return a.dataEpoch - b.dataEpoch;
  return a.offset - b.offset;
}
