/**
 * One simulated member: its clock, its sidecar (a real Elector, rebuilt on
 * every restart from the kept vote store) and, for data nodes, its redis.
 * The glue here does what the real sidecar does with Elector events and on
 * every tick; the world decides when ticks and messages happen.
 */
import { Elector } from '../elector/elector.js';
import type { ElectorEvent } from '../elector/events.js';
import type { MemberSpec } from '../elector/membership.js';
import type { SafetyRule } from '../elector/safety-rules.js';
import { MemoryVoteStore } from '../elector/vote-store.js';
import type { ElectorConfig } from '../elector/config.js';
import type { DataEpochFeed } from './data-epoch.js';
import { RedisModel } from './redis.js';
import { Rng } from './rng.js';

export interface GlueHost {
  /** The redis of node `idx` (null for witnesses). */
  redisOf(idx: number): RedisModel | null;
  indexOf(id: string): number;
  /** REPLICAOF NO ONE is under way; call `promotionDone` on the node when it completes. */
  schedulePromote(node: SimNode): void;
  /** The new primary's sidecar writes the epoch marker of `epoch` into the stream of node `idx`'s redis. */
  writeMarker(idx: number, epoch: number): void;
  /** A redis of node `idx` became primary of `epoch`, marker written (for the exact data epoch). */
  onPromoted(idx: number, epoch: number): void;
  /** A fresh replication id (promotion, EMPTY restart). */
  freshReplId(): number;
  /** The exact data epoch of a log (see DataHistory). */
  exactDataEpoch(log: readonly number[]): number;
  /** A line for the timeline (data epoch changes). */
  note(node: SimNode, text: string): void;
  /** The marker and the exact data epoch disagree at a poll (a simulator bug: counted, and on the timeline). */
  markerMismatch(node: SimNode, marker: number, exact: number): void;
  /** Every Elector event, after the glue acted on it (checker, stats, timeline). */
  observe(node: SimNode, ev: ElectorEvent): void;
}

export interface NodeSpec extends MemberSpec {
  idx: number;
}

export class SimNode {
  readonly idx: number;
  readonly id: string;
  readonly witness: boolean;
  readonly priority: number;
  readonly store = new MemoryVoteStore();
  readonly redis: RedisModel | null;
  /** Local clock: offset + rate * trueTime. */
  readonly rate: number;
  readonly clockOffset: number;

  elector: Elector | null = null;
  /** Bumped on every sidecar start: in-flight messages to an older process are lost. */
  incarnation = 0;
  /** Bumped whenever the tick chain restarts, so an old chain's pending tick is ignored. */
  chain = 0;
  hostUp = true;
  paused = false;
  /** Deliveries and promotions that arrived while paused, replayed in order on resume. */
  readonly inbox: unknown[] = [];
  /** The redis run id the sidecar last saw; a change while primary makes it report unhealthy. */
  knownRunId = -1;
  restartedWhilePrimary = false;
  /** A `promote` event is being acted on (REPLICAOF NO ONE in flight). */
  promoting = false;
  /** Which data epoch is fed to the Elector: the marker read from redis, or the exact one. */
  readonly feed: DataEpochFeed;
  /** The data epoch last passed to setReplOffset. */
  reportedDataEpoch = 0;
  /** The runtime's desired state when following: the primary (node index) and its epoch. */
  private want: { idx: number; epoch: number } | null = null;
  /** The follow in `want` is held back: the local data holds a newer epoch than that primary's. */
  followHeld = false;

  constructor(spec: NodeSpec, rate: number, clockOffset: number, redisRunId: number, replId: number, feed: DataEpochFeed) {
    this.idx = spec.idx;
    this.id = spec.id;
    this.witness = spec.witness === true;
    this.priority = spec.priority ?? 1;
    this.rate = rate;
    this.clockOffset = clockOffset;
    this.feed = feed;
    this.redis = this.witness ? null : new RedisModel(redisRunId, replId);
  }

  local(trueMs: number): number {
    return this.clockOffset + this.rate * trueMs;
  }

  get sidecarUp(): boolean {
    return this.elector !== null;
  }

  /** Start a fresh sidecar process: memory empty, vote store as left by the last one. */
  startSidecar(opts: {
    members: readonly MemberSpec[];
    config: Partial<ElectorConfig>;
    seed: number;
    disabledRules: readonly SafetyRule[];
    bootstrap: boolean;
    host: GlueHost;
  }): void {
    this.incarnation += 1;
    this.chain += 1;
    this.promoting = false;
    this.restartedWhilePrimary = false;
    this.knownRunId = this.redis?.runId ?? -1;
    this.inbox.length = 0;
    this.want = null;
    this.followHeld = false;
    const host = opts.host;
    this.elector = new Elector({
      nodeId: this.id,
      members: opts.members,
      advertisedAddr: `10.0.0.${this.idx + 1}:6379`,
      startRole: opts.bootstrap ? 'primary' : 'replica',
      config: opts.config,
      voteStore: this.store,
      random: new Rng(opts.seed, `elector/${this.idx}/${this.incarnation}`).fn(),
      confirmPromotion: true,
      disabledRules: opts.disabledRules,
      onEvent: (ev) => {
        this.glue(ev, host);
        host.observe(this, ev);
      },
    });
  }

  /** The sidecar process dies; redis keeps running exactly as it was (role, fence, attachment). */
  stopSidecar(): void {
    this.elector = null;
    this.incarnation += 1;
    this.chain += 1;
    this.promoting = false;
    this.inbox.length = 0;
    this.paused = false;
    this.want = null;
    this.followHeld = false;
  }

  /** What the sidecar does with an Elector event. */
  private glue(ev: ElectorEvent, host: GlueHost): void {
    const r = this.redis;
    switch (ev.type) {
      case 'follow':
        if (r === null) return;
        if (ev.primary === null || ev.primary === this.id) {
          this.want = null;
          this.followHeld = false;
          r.detach();
        } else {
          this.want = { idx: host.indexOf(ev.primary), epoch: ev.epoch };
          this.applyFollow(host);
        }
        return;
      case 'primary-lost':
        this.want = null;
        this.followHeld = false;
        if (r !== null) r.detach();
        return;
      case 'writes':
        if (r !== null) r.fenced = !ev.allowed;
        return;
      case 'promote':
        this.promoting = true;
        host.schedulePromote(this);
        return;
      case 'role':
        if (ev.from === 'candidate') this.promoting = false;
        if (r === null) return;
        if (ev.to === 'primary') {
          this.want = null;
          this.followHeld = false;
          this.promoteRedis(ev.epoch, host);
        } else if (ev.from === 'primary') {
          this.want = null;
          this.followHeld = false;
          r.fenced = true;
          r.detach();
        }
        return;
      default:
        return;
    }
  }

  /**
   * As RedisRuntime.reconcile's `follow` branch: never REPLICAOF a primary whose epoch is below
   * the local data epoch (a stale LEASE or HB reached a sidecar that just started; a resync from
   * it would throw newer data away). Redis is left as it is; the data epoch the next poll reports
   * makes the Elector adopt the newer epoch and drop that primary. Retried on every tick, as the
   * runtime reconciles on every poll.
   */
  private applyFollow(host: GlueHost): void {
    const w = this.want;
    const r = this.redis;
    if (w === null || r === null) return;
    const de = r.alive ? this.dataEpoch(host) : 0;
    if (de > w.epoch) {
      if (!this.followHeld) host.note(this, `not following n${w.idx + 1}: local data holds epoch ${de}, newer than its epoch ${w.epoch}`);
      this.followHeld = true;
      return;
    }
    this.followHeld = false;
    this.attachTo(w.idx, host);
  }

  private attachTo(masterIdx: number, host: GlueHost): void {
    const r = this.redis!;
    if (masterIdx < 0 || masterIdx === this.idx) {
      r.detach();
      return;
    }
    r.attach(masterIdx, host.redisOf(masterIdx));
  }

  /**
   * REPLICAOF NO ONE finished (or failed because redis is down). Returns the
   * Elector's outbound messages; none when the Elector is no longer promoting.
   */
  promotionDone(localNow: number, host: GlueHost): ReturnType<Elector['promoted']> {
    const e = this.elector;
    if (e === null || !this.promoting) return [];
    const r = this.redis!;
    if (!r.alive) return e.promoted(false, localNow, 'local redis is down');
    // As the sidecar: REPLICAOF NO ONE, then the epoch marker, then tell the Elector.
    r.promote(e.epoch, host.freshReplId());
    host.writeMarker(this.idx, e.epoch);
    host.onPromoted(this.idx, e.epoch);
    return e.promoted(true, localNow);
  }

  private promoteRedis(epoch: number, host: GlueHost): void {
    const r = this.redis!;
    r.promote(epoch, host.freshReplId());
    host.onPromoted(this.idx, epoch);
  }

  /** The data epoch this node's sidecar reports now (without polling). */
  dataEpoch(host: GlueHost): number {
    const r = this.redis;
    if (r === null) return 0;
    return this.feed === 'exact' ? host.exactDataEpoch(r.log) : r.dataEpoch;
  }

  /** The sidecar's per-tick work before Elector.tick: notice redis restarts, report health and offset. */
  beforeTick(localNow: number, host: GlueHost): void {
    const e = this.elector!;
    const r = this.redis;
    if (r === null) {
      e.setHealthy(true);
      return;
    }
    if (r.alive && r.runId !== this.knownRunId) {
      const primaryish = e.role !== 'replica' || this.promoting;
      if (primaryish) {
        // Our redis restarted under us while we lead: it may have lost data. Step down.
        this.restartedWhilePrimary = true;
      } else {
        this.knownRunId = r.runId;
        this.restartedWhilePrimary = false;
        // Re-apply the current role to the fresh redis.
        const f = e.following;
        if (f !== null) {
          const idx = host.indexOf(f);
          if (this.want === null || this.want.idx !== idx) this.want = { idx, epoch: e.epoch };
          this.applyFollow(host);
        }
      }
    }
    e.setHealthy(r.alive && !r.syncing && !this.restartedWhilePrimary);
    if (!r.alive) return;
    // FCALL_RO resp_elect_epoch: the epoch of the last marker in the data. (While a full resync
    // loads, the real sidecar cannot read it and reports the node unhealthy, as here.)
    const marker = r.dataEpoch;
    const exact = host.exactDataEpoch(r.log);
    if (marker !== exact) host.markerMismatch(this, marker, exact);
    const de = this.feed === 'exact' ? exact : marker;
    if (de !== this.reportedDataEpoch) host.note(this, `data epoch ${this.reportedDataEpoch} → ${de} (offset ${r.log.length})`);
    this.reportedDataEpoch = de;
    if (this.followHeld) this.applyFollow(host);
    e.setReplOffset(r.log.length, localNow, de);
  }

  /** After Elector.tick: the sidecar keeps the fence in line with writesAllowed. */
  afterTick(localNow: number): void {
    const r = this.redis;
    if (r !== null && r.alive) r.fenced = !this.elector!.writesAllowed(localNow);
  }
}
