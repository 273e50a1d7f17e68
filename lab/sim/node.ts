/**
 * One simulated member: its clock, its sidecar (a real Elector, rebuilt on
 * every restart from the kept vote store, and the real control plan of
 * src/control/) and, for data nodes, its redis model. This file is the
 * simulator's *executor* of that plan: it carries out each step against the
 * RedisModel instead of a redis-server, as src/sidecar/redis-runtime.ts does
 * against the real one. What is modelled here is only the executor's timing:
 * a poll is instant, a step takes `stepMs` before the next is decided, a
 * promotion `promoteMs` (the world schedules both ends), a step on a dead
 * redis fails.
 * The world decides when ticks (= polls) and messages happen.
 */
import { Elector, type Outbound } from '../../src/elector/elector.js';
import type { ElectorEvent } from '../../src/elector/events.js';
import type { MemberSpec } from '../../src/elector/membership.js';
import type { SafetyRule } from '../../src/elector/safety-rules.js';
import { MemoryVoteStore } from '../../src/elector/vote-store.js';
import { MemoryConfigStore } from '../../src/elector/config-store.js';
import { bornConfig } from '../../src/elector/membership.js';
import type { ElectorConfig } from '../../src/elector/config.js';
import type { ControlAction } from '../../src/control/action.js';
import { healthOf } from '../../src/control/health.js';
import { initialKnowledge, type FenceBelief, type Knowledge } from '../../src/control/knowledge.js';
import type { Observed } from '../../src/control/observed.js';
import { knowledgeAfterAction, knowledgeAfterEvent, knowledgeAfterPoll, leading, promotionEnded, promotionStarted, settled } from '../../src/control/outcome.js';
import { nextAction, promotingEpoch, wantsFence, type PlanContext } from '../../src/control/plan.js';
import { localTopology } from '../../src/control/topology.js';
import type { HostPort } from '../../src/protocol/index.js';
import { DETACH_HOST, DETACH_PORT } from '../../src/redis/detach.js';
import type { DataEpochFeed } from './data-epoch.js';
import { RedisModel } from './redis.js';
import { Rng } from './rng.js';

/** The port every modelled redis listens on; node i's host is 10.0.0.(i+1). */
const REDIS_PORT = 6379;

/** The redis address of node `idx`, as the membership configures it. */
export function simRedisAddr(idx: number): HostPort {
  return { host: `10.0.0.${idx + 1}`, port: REDIS_PORT };
}

/** The node index of a modelled redis address, or -1. */
function simRedisIdx(addr: HostPort): number {
  const m = /^10\.0\.0\.(\d+)$/.exec(addr.host);
  return m !== null && addr.port === REDIS_PORT ? Number(m[1]) - 1 : -1;
}

export interface GlueHost {
  /** The redis of node `idx` (null for witnesses). */
  redisOf(idx: number): RedisModel | null;
  /** A plan step was carried out; call `stepDone` on the node once its time (params.stepMs) has passed. */
  scheduleStep(node: SimNode): void;
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
  /** How many replicas stream from node `idx`'s redis now (its `connected_slaves`). */
  replicasOf(idx: number): number;
  /** The marker and the exact data epoch disagree at a poll (a simulator bug: counted, and on the timeline). */
  markerMismatch(node: SimNode, marker: number, exact: number): void;
  /** Every Elector event, after the executor noted it (checker, stats, timeline). */
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
  /**
   * The configuration store, kept across sidecar restarts like the vote store. A simulated cluster
   * starts past its first CONFVER exchange: the born member list already agreed (protocol.md §5.12).
   */
  configStore: MemoryConfigStore | null = null;
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
  /** Which data epoch is fed to the Elector: the marker read from redis, or the exact one. */
  readonly feed: DataEpochFeed;
  /** The data epoch last passed to setReplOffset. */
  reportedDataEpoch = 0;
  /** The control loop's memory (src/control/knowledge.ts), lost with the sidecar process. */
  knowledge: Knowledge = initialKnowledge();
  /** The executor's knowledge of the fence (the runtime's FenceKeeper.belief). */
  fence: FenceBelief = 'unknown';
  /** The epoch of the promotion under way (the plan's `promote` step), as the runtime's promote() holds it. */
  private promotingEpoch: number | null = null;
  /** The plan's last reason to leave redis as it is (for the timeline, once per change). */
  private lastHold: string | undefined;
  private host: GlueHost | null = null;
  /** Every member's id and configured redis address, to name the master a replica follows (topology.ts). */
  private memberAddrs: { id: string; redis?: HostPort }[] = [];

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

  /** A step is under way: the executor decides the next one when the world's STEP event ends it. */
  stepping = false;

  /** A promotion is under way (REPLICAOF NO ONE in flight): the world's PROMOTE event ends it. */
  get promoting(): boolean {
    return this.knowledge.promoting;
  }

  /** Start a fresh sidecar process: memory empty, vote store as left by the last one. */
  startSidecar(opts: {
    members: readonly MemberSpec[];
    config: Partial<ElectorConfig>;
    seed: number;
    disabledRules: readonly SafetyRule[];
    bootstrap: boolean;
    /** Born lists not agreed yet: a first start holds no stored configuration (rule config-agreement). */
    unagreed?: boolean;
    host: GlueHost;
  }): void {
    this.incarnation += 1;
    this.chain += 1;
    this.inbox.length = 0;
    this.resetControl();
    const host = opts.host;
    this.host = host;
    this.configStore ??= opts.unagreed ? new MemoryConfigStore() : new MemoryConfigStore(bornConfig(opts.members));
    this.memberAddrs = opts.members.map((m, i) => (m.witness ? { id: m.id } : { id: m.id, redis: simRedisAddr(i) }));
    this.elector = new Elector({
      nodeId: this.id,
      members: opts.members,
      configStore: this.configStore,
      advertisedAddr: `${simRedisAddr(this.idx).host}:${REDIS_PORT}`,
      startRole: opts.bootstrap ? 'primary' : 'replica',
      config: opts.config,
      voteStore: this.store,
      random: new Rng(opts.seed, `elector/${this.idx}/${this.incarnation}`).fn(),
      confirmPromotion: true,
      disabledRules: opts.disabledRules,
      onEvent: (ev) => {
        this.onElectorEvent(ev);
        host.observe(this, ev);
      },
    });
  }

  /** The sidecar process dies; redis keeps running exactly as it was (role, fence, attachment). */
  stopSidecar(): void {
    this.elector = null;
    this.incarnation += 1;
    this.chain += 1;
    this.inbox.length = 0;
    this.paused = false;
    this.resetControl();
  }

  private resetControl(): void {
    this.knowledge = initialKnowledge();
    this.fence = 'unknown';
    this.lastHold = undefined;
    this.stepping = false;
    this.promotingEpoch = null;
  }

  /** As RedisRuntime.onElectorEvent: remember, and fence at once when writes stop. */
  onElectorEvent(ev: ElectorEvent): void {
    const r = this.redis;
    if (r === null) return;
    this.knowledge = knowledgeAfterEvent(this.knowledge, ev, this.id);
    if (ev.type === 'writes' && !ev.allowed && wantsFence(this.knowledge, this.observe(), false)) this.fenceNow();
  }

  /** What a poll of the modelled redis returns now (FCALL_RO gives the marker, or the exact epoch with --data-epoch exact). */
  observe(): Observed | undefined {
    const r = this.redis;
    const host = this.host;
    if (r === null || host === null) return undefined;
    if (!r.alive) return { reachable: false, error: 'redis is down' };
    const attached = r.role === 'replica' && r.masterIdx >= 0 ? simRedisAddr(r.masterIdx) : { host: DETACH_HOST, port: DETACH_PORT };
    const o: Observed = {
      reachable: true,
      runId: String(r.runId),
      role: r.role === 'master' ? 'master' : 'slave',
      offset: r.reportedOffset,
      dataEpoch: this.dataEpoch(host),
      replicaReadOnly: true,
    };
    if (r.role === 'replica') {
      o.masterHost = attached.host;
      o.masterPort = attached.port;
      o.linkUp = r.linked;
    } else {
      o.replicas = host.replicasOf(this.idx);
    }
    if (r.syncing) o.unhealthyReason = 'sync-in-progress';
    return o;
  }

  private planContext(localNow: number): PlanContext {
    return {
      // Only a candidate can be promoting: the snapshot (with its configuration part) is too dear for every poll.
      promoting: this.elector!.role === 'candidate' ? promotingEpoch(this.elector!.snapshot(localNow)) : null,
      writesAllowed: this.elector!.writesAllowed(localNow),
      fence: this.fence,
      redisOf: (id) => {
        const i = this.host!.indexOf(id);
        return i >= 0 && this.host!.redisOf(i) !== null ? simRedisAddr(i) : undefined;
      },
      minReplicas: 0,
      minReplicasMaxLagSec: 1,
      killClients: false,
    };
  }

  /**
   * One turn of the runtime's loop: poll, plan, and either report (nothing to
   * do) or carry out the one step the plan names. A step takes time
   * (params.stepMs): the next one is decided only at `stepDone`, after a
   * fresh poll, so writes and replication run in between, as they do around
   * the real loop. While a step or a promotion is under way the loop is busy
   * and a call does nothing (only the fence on a writes event acts at once).
   * Returns the Elector's outbound messages (an abandoned promotion).
   * `report`: feed health and offset when no step is needed, as the runtime
   * does after every such poll.
   */
  control(localNow: number, report: boolean): Outbound[] {
    const e = this.elector;
    const r = this.redis;
    const host = this.host;
    if (e === null || host === null) return [];
    if (r === null) {
      e.setHealthy(true);
      return [];
    }
    if (this.stepping || this.knowledge.promoting) return [];
    const outs: Outbound[] = [];
    const o = this.poll(e);
    const a = nextAction(this.knowledge, o, this.planContext(localNow));
    if (a.kind === 'none') {
      this.knowledge = settled(this.knowledge);
      if (a.hold !== this.lastHold && a.hold !== undefined && o?.reachable) host.note(this, a.hold);
      this.lastHold = a.hold;
      if (report) this.report(o, localNow);
      return outs;
    }
    this.lastHold = undefined;
    const ok = this.execute(a, localNow, outs);
    if (a.kind === 'promote') return outs; // the PROMOTE event continues
    if (!ok) {
      // Health only (the runtime's failed step): the offset of a poll before a half-done step is no sample.
      if (report) e.setHealthy(healthOf(this.knowledge, this.poll(e)).healthy);
      return outs;
    }
    this.stepping = true;
    host.scheduleStep(this);
    return outs;
  }

  /** The step's time has passed: the loop polls and goes on. */
  stepDone(localNow: number): Outbound[] {
    this.stepping = false;
    return this.control(localNow, true);
  }

  private poll(e: Elector): Observed | undefined {
    const o = this.observe();
    if (o !== undefined) this.knowledge = knowledgeAfterPoll(this.knowledge, o, leading(this.knowledge, e.role));
    return o;
  }

  /** One step against the model; false when it failed (a dead redis answers nothing). */
  private execute(a: ControlAction, localNow: number, outs: Outbound[]): boolean {
    const r = this.redis!;
    const host = this.host!;
    switch (a.kind) {
      case 'promote':
        this.knowledge = promotionStarted(this.knowledge);
        this.promotingEpoch = a.epoch;
        host.schedulePromote(this);
        return true;
      case 'abandon-promotion':
        this.knowledge = promotionEnded(promotionStarted(this.knowledge), false);
        for (const m of this.elector!.promoted(false, localNow, a.why)) outs.push(m);
        return true;
      case 'fence':
        return this.fenceNow();
      default:
        break;
    }
    if (!r.alive) {
      this.knowledge = knowledgeAfterAction(this.knowledge, a, 'redis is down');
      return false;
    }
    switch (a.kind) {
      case 'unfence':
        r.fenced = false;
        this.fence = 'lifted';
        break;
      case 'set-replication-auth': {
        // The credentials of this epoch's primary: valid for its redis process as it is now (the
        // replication user is created at its promotion and not saved, so a restart loses it).
        const m = host.indexOf(a.id);
        if (r.role === 'replica' && r.masterIdx === m && m >= 0) {
          const mr = host.redisOf(m);
          r.attachRunId = mr !== null && mr.alive ? mr.runId : -1;
        }
        break;
      }
      case 'replicate': {
        const m = simRedisIdx(a.target);
        if (m < 0 || m === this.idx) r.detach();
        else r.attach(m, host.redisOf(m));
        break;
      }
      case 'detach':
        r.detach();
        break;
      default:
        break; // set-min-replicas, kill-clients: not modelled
    }
    this.knowledge = knowledgeAfterAction(this.knowledge, a);
    return true;
  }

  /** CLIENT PAUSE WRITE on the model (the runtime's FenceKeeper.hold); a dead redis refuses. */
  private fenceNow(): boolean {
    const r = this.redis!;
    if (!r.alive) return false;
    r.fenced = true;
    this.fence = 'held';
    return true;
  }

  /**
   * REPLICAOF NO ONE finished (or failed because redis is down). Returns the
   * Elector's outbound messages; none when no promotion is under way. As the
   * runtime's promote step: the Elector must still be promoting the epoch the
   * step started for (else the promotion is abandoned: redis untouched, the
   * Elector told nothing), a redis restarted since the node stood fails it,
   * then REPLICAOF NO ONE, lift the fence, the marker of that epoch, and tell
   * the Elector. The model's promotion is one instant, so one check covers
   * the runtime's several.
   */
  promotionDone(localNow: number, host: GlueHost): Outbound[] {
    const e = this.elector;
    const epoch = this.promotingEpoch;
    if (e === null || !this.knowledge.promoting || epoch === null) return [];
    this.promotingEpoch = null;
    const r = this.redis!;
    const trusted = this.knowledge.trustedRunId;
    if (promotingEpoch(e.snapshot(localNow)) !== epoch) {
      this.knowledge = promotionEnded(this.knowledge, false);
      host.note(this, `promotion of epoch ${epoch} abandoned: the Elector no longer promotes it (epoch ${e.epoch}, ${e.role})`);
      return [];
    }
    if (!r.alive) {
      this.knowledge = promotionEnded(this.knowledge, false);
      return e.promoted(false, localNow, 'local redis is down');
    }
    if (trusted !== undefined && String(r.runId) !== trusted) {
      this.knowledge = promotionEnded(this.knowledge, false);
      return e.promoted(false, localNow, 'redis restarted');
    }
    r.promote(epoch, host.freshReplId());
    r.fenced = false;
    this.fence = 'lifted';
    host.writeMarker(this.idx, epoch);
    host.onPromoted(this.idx, epoch);
    this.knowledge = promotionEnded(this.knowledge, true, String(r.runId));
    return e.promoted(true, localNow);
  }

  /** The data epoch this node's sidecar reports now (without polling). */
  dataEpoch(host: GlueHost): number {
    const r = this.redis;
    if (r === null) return 0;
    return this.feed === 'exact' ? host.exactDataEpoch(r.log) : r.dataEpoch;
  }

  /** As RedisRuntime.report: health (src/control/health.ts), then offset and data epoch. */
  private report(o: Observed | undefined, localNow: number): void {
    const e = this.elector!;
    const r = this.redis!;
    const host = this.host!;
    e.setHealthy(healthOf(this.knowledge, o).healthy);
    if (!r.alive) return;
    const marker = r.dataEpoch;
    const exact = host.exactDataEpoch(r.log);
    if (marker !== exact) host.markerMismatch(this, marker, exact);
    const de = this.feed === 'exact' ? exact : marker;
    if (de !== this.reportedDataEpoch) host.note(this, `data epoch ${this.reportedDataEpoch} → ${de} (offset ${r.log.length})`);
    this.reportedDataEpoch = de;
    // As the runtime: the replication role of the same poll goes with its offset (rule adopt-existing).
    const topology = o === undefined ? undefined : localTopology(o, this.memberAddrs);
    if (topology !== undefined) e.setLocalTopology(topology, localNow);
    e.setReplOffset(r.reportedOffset, localNow, de);
  }
}
