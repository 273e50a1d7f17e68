import { setTimeout as sleep } from 'node:timers/promises';
import type { Elector, Outbound } from '../elector/elector.js';
import type { ElectorEvent } from '../elector/events.js';
import { actionName, type ControlAction } from '../control/action.js';
import { healthOf, type HealthReport } from '../control/health.js';
import { initialKnowledge, type Knowledge } from '../control/knowledge.js';
import { observedFromStatus, type Observed } from '../control/observed.js';
import { knowledgeAfterAction, knowledgeAfterEvent, knowledgeAfterPoll, leading, promotionEnded, promotionStarted, settled } from '../control/outcome.js';
import { nextAction, promotingEpoch, wantsFence, type PlanContext } from '../control/plan.js';
import { replicationAuthMode, type ReplicationAuthMode } from '../control/replication-auth.js';
import { localTopology } from '../control/topology.js';
import { formatAddress, type HostPort } from '../protocol/index.js';
import { LocalRedis } from '../redis/local-redis.js';
import { requiredCommands } from '../redis/required-commands.js';
import type { RedisStatus } from '../redis/status.js';
import type { SidecarConfig } from './config.js';
import { FenceKeeper } from './fence-keeper.js';
import { PollPace, idlePollIntervalMs } from './poll-pace.js';
import type { Logger } from './logger.js';
import { replicationCredentials, REPLICATION_USER } from './replication-credentials.js';

export interface RedisRuntimeOptions {
  config: SidecarConfig;
  elector: Elector;
  log: Logger;
  now: () => number;
  deliver: (outs: Outbound[]) => void;
  onStatus?: (status: RedisStatus) => void;
}

/** Steps taken back to back (each after a fresh poll) before the loop sleeps anyway: a plan that never settles must not spin. */
const MAX_STEPS_WITHOUT_SLEEP = 8;

/**
 * The executor of the control plan (src/control/) against the real local
 * redis. One loop: poll → plan → carry out the one step the plan names →
 * remember the outcome → poll again, until the plan asks for nothing; then
 * report health and offset to the Elector and sleep one poll interval. So no
 * two role commands race, every step is decided on a poll taken after the
 * previous step, and every offset handed to the Elector was read after the
 * last change the loop made (the Elector's data rule depends on that: a
 * replica detached from a lost primary must report what it holds after the
 * detach, not before).
 *
 * The write fence is the one exception to "one step at a time": it is held
 * and renewed by a FenceKeeper on its own connection and timer, so a slow or
 * failed poll cannot let it lapse, and an Elector that stops writes gets its
 * fence at once instead of after the poll under way. So a fence can be
 * confirmed while a poll is in flight, and redis may have run that poll's
 * INFO before the pause: while the fence is wanted, an offset is reported
 * only from a poll issued after the fence was confirmed (a hand-off releases
 * with it). Every step is logged only after redis confirmed it, with the
 * field `action` naming it.
 */
export class RedisRuntime {
  readonly redis: LocalRedis;
  status: RedisStatus | undefined;
  private readonly fenceRedis: LocalRedis;
  private readonly fence: FenceKeeper;
  private knowledge: Knowledge = initialKnowledge();
  private observed: Observed | undefined;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  /** When the current sleep between polls ends (opts.now() clock); undefined while not sleeping. */
  private sleepDueAt: number | undefined;
  private lastHealthy: boolean | undefined;
  /** The last failure logged, `<action> <message>`, so a failing streak is logged once. */
  private lastFailure: string | undefined;
  /** The last reason the plan gave for leaving redis as it is, logged once per change. */
  private lastHold: string | undefined;
  private readonly opts: RedisRuntimeOptions;
  private readonly fenceMs: number;
  /** Whose replication credentials replicas present (control/replication-auth.ts); read once, when first needed. */
  private authMode: ReplicationAuthMode | undefined;
  /** The sleep between polls: the poll interval, or the idle interval once nothing moves (poll-pace.ts). */
  private readonly pace: PollPace;

  constructor(opts: RedisRuntimeOptions) {
    this.opts = opts;
    const r = opts.config.redis!;
    const common = { host: r.addr.host, port: r.addr.port, username: r.username, password: r.password, connectTimeout: 500, commandTimeout: 500 };
    // A redis that crashes or restarts closes this connection: poll at once instead of at the next poll.
    this.redis = new LocalRedis({ ...common, onConnectionLost: () => this.pollNow() });
    this.pace = new PollPace(opts.config.pollIntervalMs, idlePollIntervalMs(opts.config.pollIntervalMs, opts.elector.config.downAfterMs));
    this.fenceRedis = new LocalRedis({ ...common, connectionName: 'resp-elect-fence' });
    // A fence outlives a few missed renewals, but not a dead sidecar for long.
    this.fenceMs = Math.max(200, opts.config.pollIntervalMs * 4);
    this.fence = new FenceKeeper(this.fenceRedis, this.fenceMs, opts.config.pollIntervalMs, (msg) => {
      if (msg === undefined) opts.log.info('renewing the fence works again', { action: 'fence' });
      else opts.log.error('could not renew the fence', { action: 'action-failed', failed: 'fence', error: msg });
    }, () => opts.log.info('local redis fenced: CLIENT PAUSE WRITE', { action: 'fence', renewEveryMs: opts.config.pollIntervalMs }));
  }

  /** Whether the fence is held (set and renewed) as far as this process knows. */
  get fenced(): boolean {
    return this.fence.belief === 'held';
  }

  /**
   * Start-up check: may the redis user run every command the sidecar sends?
   * Rejects naming the missing ones (a fatal start-up error: a sidecar that
   * cannot REPLICAOF or fence its redis cannot keep it safe). A check that
   * cannot run (redis down, ACL DRYRUN itself refused) is logged and passed:
   * the control loop then reports any refusal as it meets it.
   */
  async checkPermissions(): Promise<void> {
    const { config, log } = this.opts;
    const checks = requiredCommands({ killClients: config.killClients.length > 0, minReplicas: config.minReplicas > 0 });
    const result = await this.redis.deniedCommands(checks);
    if (!result.checked) {
      log.warn('could not check which redis commands the sidecar may run', { action: 'check-permissions', error: result.why });
      return;
    }
    if (result.denied.length === 0) return;
    const user = config.redis?.username ?? 'default';
    const list = result.denied.map((d) => `${d.check.name} (${d.check.why}): ${d.why}`).join('; ');
    throw new Error(`redis ${this.redis.addr}: user ${user} may not run ${result.denied.length} command(s) the sidecar needs: ${list}`);
  }

  /**
   * Before the Elector's first tick: one poll, to tell it the local redis's replication role (rule
   * adopt-existing, protocol.md §5.13). Else, on a loaded machine whose first loop poll comes late,
   * a fresh node would end its start-up wait knowing nothing of the replica set its redis belongs
   * to, and detach a replica it should have kept linked. Bounded by the poll's deadline; a redis
   * that does not answer says nothing (the loop reports it later).
   */
  async introduce(): Promise<void> {
    const issuedAt = this.opts.now();
    const topology = localTopology(observedFromStatus(await this.redis.poll()), this.opts.config.members);
    if (topology !== undefined) this.opts.elector.setLocalTopology(topology, issuedAt);
  }

  start(): void {
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Wait until the loop has applied the current desired state (best effort, bounded). */
  async settle(timeoutMs: number): Promise<void> {
    const end = this.opts.now() + timeoutMs;
    while (this.opts.now() < end && !this.matches()) await sleep(this.opts.config.pollIntervalMs);
  }

  async stop(opts: { fenceForever?: boolean } = {}): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loopDone;
    this.fence.stopRenewing();
    if (opts.fenceForever && this.status?.role === 'master') {
      // Exiting as primary without a successful hand-off: make sure this redis takes no writes
      // a new primary would never see. A sidecar that starts again lifts it when it follows or wins.
      try {
        await this.fence.fenceFor(24 * 3600 * 1000);
        this.opts.log.warn('left the local redis fenced: it was primary and no hand-off happened', { action: 'fence' });
      } catch (err) {
        this.opts.log.error('could not fence the local redis on exit', { action: 'action-failed', failed: 'fence', error: (err as Error).message });
      }
    }
    await Promise.all([this.redis.close(), this.fenceRedis.close()]);
  }

  onElectorEvent(ev: ElectorEvent): void {
    this.knowledge = knowledgeAfterEvent(this.knowledge, ev, this.opts.config.id);
    switch (ev.type) {
      case 'writes':
        // Fence now, not after the poll under way: the lease margin covers the fence's round trip only.
        if (!ev.allowed && wantsFence(this.knowledge, this.observed, false)) this.fence.kick();
        break;
      case 'promote':
      case 'follow':
      case 'role':
      case 'primary-lost':
      case 'handoff-start':
        break;
      case 'handoff-released':
        // The target: its next poll may be the one that lets it stand (writes are paused until then).
        if (ev.target !== this.opts.config.id) return;
        break;
      default:
        return;
    }
    this.pollNow();
  }

  /** Poll now, and keep polling at the poll interval until things are idle again. */
  pollNow(): void {
    this.pace.disturb();
    this.wake?.();
  }

  private async loop(): Promise<void> {
    let steps = 0;
    while (this.running) {
      try {
        if (await this.step()) {
          // Poll again at once: the next step is decided on what redis looks like after this one.
          if (++steps < MAX_STEPS_WITHOUT_SLEEP) continue;
        }
      } catch (err) {
        // A bug, not a redis failure (those are outcomes): log it and keep the loop alive.
        this.pace.disturb();
        this.opts.log.error('control loop step failed', { action: 'action-failed', error: (err as Error).stack ?? String(err) });
      }
      steps = 0;
      if (this.running) await this.sleep(this.pace.interval(this.opts.elector, this.opts.now()));
    }
  }

  /** One poll, one plan, at most one step. Returns true when a step succeeded (poll again at once). */
  private async step(): Promise<boolean> {
    // Read before the poll goes out: only a fence redis confirmed by then is sure to have run before
    // the poll's INFO (the two share no connection, so a PAUSE sent during the poll may run after
    // its INFO and still be confirmed first).
    const fencedBeforePoll = this.fence.belief === 'held';
    const issuedAt = this.opts.now();
    const status = await this.redis.poll();
    if (!this.running) return false;
    const o = observedFromStatus(status);
    this.observed = o;
    this.knowledge = knowledgeAfterPoll(this.knowledge, o, leading(this.knowledge, this.opts.elector.role));
    // /health and the Sentinel events show what the Elector is told, not only what INFO says.
    this.status = withControlHealth(status, healthOf(this.knowledge, o));
    this.opts.onStatus?.(this.status);
    const ctx = this.planContext();
    const action = nextAction(this.knowledge, o, ctx);
    if (action.kind === 'none') {
      this.knowledge = settled(this.knowledge);
      this.noteHold(action.hold);
      if (!fencedBeforePoll && wantsFence(this.knowledge, o, ctx.writesAllowed)) {
        // The fence was confirmed while this poll was under way: its offset may miss writes redis
        // took before the pause (a hand-off releasing with it could lose an acknowledged write).
        // Health only, and poll again at once: that poll comes after the fence.
        this.reportHealth(o);
        this.pace.polled(o, false, false);
        return true;
      }
      this.report(o, issuedAt);
      this.pace.polled(o, healthOf(this.knowledge, o).healthy, true);
      return false;
    }
    this.noteHold(undefined);
    this.pace.polled(o, false, false);
    if (await this.execute(action)) return true;
    // Health only: an offset read before a step that may have half-happened is no sample.
    this.reportHealth(o);
    this.opts.deliver(this.opts.elector.tick(this.opts.now()));
    return false;
  }

  private planContext(): PlanContext {
    const { config, elector } = this.opts;
    return {
      promoting: promotingEpoch(elector.snapshot(this.opts.now())),
      writesAllowed: elector.writesAllowed(this.opts.now()),
      fence: this.fence.belief,
      redisOf: (id) => config.members.find((m) => m.id === id)?.redis,
      minReplicas: config.minReplicas,
      minReplicasMaxLagSec: Math.max(1, Math.ceil(elector.config.downAfterMs / 1000)),
      killClients: config.killClients.length > 0,
    };
  }

  /** Carry out one step; true when redis confirmed it. */
  private async execute(a: ControlAction): Promise<boolean> {
    const { config, log } = this.opts;
    if (a.kind === 'promote') return this.promote(a.epoch);
    if (a.kind === 'abandon-promotion') {
      this.knowledge = promotionEnded(promotionStarted(this.knowledge), false);
      log.error('promotion failed: stepping down', { action: 'action-failed', failed: 'promote', epoch: a.epoch, error: a.why });
      this.opts.deliver(this.opts.elector.promoted(false, this.opts.now(), a.why));
      return true;
    }
    try {
      switch (a.kind) {
        case 'fence':
          await this.fence.hold(); // logged by the keeper once confirmed
          break;
        case 'unfence': {
          const known = this.fence.belief === 'held';
          await this.fence.release();
          if (known) log.info('local redis unfenced: CLIENT UNPAUSE', { action: 'unfence' });
          else log.info('lifted any fence left on the local redis by an earlier run: CLIENT UNPAUSE', { action: 'unfence' });
          break;
        }
        case 'set-replication-auth': {
          if (this.authMode === undefined) {
            this.authMode = replicationAuthMode(await this.redis.replicationAuth(), REPLICATION_USER);
            if (this.authMode === 'user') {
              log.info("local redis has its own masterauth: replicas keep presenting it, the sidecar's replication user is not used", { action: 'set-replication-auth', mode: 'user' });
            }
          }
          if (this.authMode === 'user') break;
          const cred = replicationCredentials(config.secret, a.epoch, a.id);
          await this.redis.setReplicationAuth(REPLICATION_USER, cred.password);
          log.debug(`local redis presents the replication credentials of ${a.id} in epoch ${a.epoch}`, { action: 'set-replication-auth', epoch: a.epoch });
          break;
        }
        case 'replicate':
          if (await this.redis.replicateFrom(a.target.host, a.target.port)) {
            log.info(`local redis now replicates from ${a.id}`, { action: 'replicate', target: formatAddress(a.target), epoch: a.epoch });
          }
          break;
        case 'detach':
          if (await this.redis.detach()) log.info('local redis detached from the lost primary (read-only, data kept)', { action: 'detach' });
          break;
        case 'set-min-replicas':
          await this.redis.setMinReplicas(a.n, a.maxLagSec);
          log.info(`local redis min-replicas-to-write set to ${a.n}`, { action: 'set-min-replicas', maxLagSec: a.maxLagSec });
          break;
        case 'kill-clients': {
          const types = config.killClients;
          const n = await this.redis.killClients(types);
          log.info(`disconnected ${n} redis clients so they re-resolve the primary`, { action: 'kill-clients', types: types.join(','), why: a.why });
          break;
        }
      }
    } catch (err) {
      const msg = (err as Error).message;
      const name = actionName(a.kind);
      if (`${name} ${msg}` !== this.lastFailure) {
        if (a.kind === 'kill-clients') log.warn('could not disconnect redis clients', { action: 'action-failed', failed: name, error: msg });
        else log.error('redis action failed', { action: 'action-failed', failed: name, error: msg });
      }
      this.lastFailure = `${name} ${msg}`;
      this.knowledge = knowledgeAfterAction(this.knowledge, a, msg);
      return false;
    }
    this.lastFailure = undefined;
    this.knowledge = knowledgeAfterAction(this.knowledge, a);
    return true;
  }

  /**
   * The `promote` step, whole: replication user, REPLICAOF NO ONE, fence lifted (it would hold the
   * marker write), epoch marker, a poll that confirms a master, then the Elector is told. Always
   * returns true (a failure is the Elector's to handle: it steps down).
   *
   * The Elector may abandon the promotion while this runs (a newer epoch, its promote timeout):
   * then another node may be promoting, and this redis must not become a writable master. So it
   * is asked again before REPLICAOF NO ONE, before the fence is lifted and before promoted(true);
   * when it moved on the promotion is abandoned: no promoted() at all (promoted(false) would fail
   * a newer promotion of this node), redis fenced if it may be a master already, and the next
   * plan step makes redis what the Elector now wants.
   */
  private async promote(epoch: number): Promise<boolean> {
    const { elector, log, now, deliver, config } = this.opts;
    const trusted = this.knowledge.trustedRunId;
    this.knowledge = promotionStarted(this.knowledge);
    const stillWanted = (): boolean => promotingEpoch(elector.snapshot(now())) === epoch;
    // Set once REPLICAOF NO ONE went out (it may have run even when its reply never came).
    let mayBeMaster = false;
    try {
      const cred = replicationCredentials(config.secret, epoch, config.id);
      await this.redis.ensureReplicationUser(REPLICATION_USER, cred.password);
      if (!stillWanted()) return await this.abandonPromotion(epoch, 'before REPLICAOF NO ONE', false);
      mayBeMaster = true;
      await this.redis.promote();
      if (!stillWanted()) return await this.abandonPromotion(epoch, 'after REPLICAOF NO ONE, before the fence was lifted', true);
      if (this.fence.belief !== 'lifted') {
        await this.fence.release();
        // Logged like the unfence step: operators (and the demo) read the fence's state from these lines.
        log.info('local redis unfenced: CLIENT UNPAUSE (promotion: the epoch marker must be written)', { action: 'unfence' });
      }
      // Mark the stream: everything before this point is what the primary of `epoch` was elected with.
      // A min-replicas-to-write already in redis (the user's own setting, or one a sidecar that crashed
      // with --min-replicas left) refuses that write with NOREPLICAS: right after REPLICAOF NO ONE no
      // replica is attached yet, so every promotion of this node would fail. Write the marker with the
      // check off, then put the setting back as it was.
      const minReplicas = await this.redis.minReplicas();
      if (minReplicas.n > 0) await this.redis.setMinReplicas(0, minReplicas.maxLagSec);
      try {
        await this.redis.writeEpochMarker(epoch);
      } finally {
        if (minReplicas.n > 0) await this.redis.setMinReplicas(minReplicas.n, minReplicas.maxLagSec);
      }
      const after = await this.redis.poll();
      if (!after.reachable || after.role !== 'master') throw new Error(`redis did not become a master (${after.error ?? after.role ?? 'unknown'})`);
      if (trusted !== undefined && after.runId !== trusted) throw new Error(`local redis restarted (run_id ${trusted} -> ${after.runId}); its data may be gone`);
      this.status = after;
      this.observed = observedFromStatus(after);
      if (!stillWanted()) return await this.abandonPromotion(epoch, 'after the epoch marker, before the Elector was told', true);
      this.knowledge = promotionEnded(this.knowledge, true, after.runId);
      log.info('local redis promoted: REPLICAOF NO ONE', { action: 'promote', epoch, offset: after.offset });
      deliver(elector.promoted(true, now()));
    } catch (err) {
      this.knowledge = promotionEnded(this.knowledge, false);
      const msg = (err as Error).message;
      if (!stillWanted()) {
        log.warn('promotion failed, and the Elector had already given it up', { action: 'action-failed', failed: 'promote', epoch, error: msg });
        if (mayBeMaster) this.fence.kick();
        return true;
      }
      log.error('promotion failed: stepping down', { action: 'action-failed', failed: 'promote', epoch, error: msg });
      deliver(elector.promoted(false, now(), msg));
    }
    return true;
  }

  /**
   * The Elector stopped promoting `epoch` while the promote step ran: the step ends without telling
   * it anything. When REPLICAOF NO ONE already went out, redis may be a master taking writes: it is
   * fenced at once, not one poll later; the next plan step demotes it.
   */
  private async abandonPromotion(epoch: number, where: string, mayBeMaster: boolean): Promise<boolean> {
    const { elector, log } = this.opts;
    this.knowledge = promotionEnded(this.knowledge, false);
    log.warn(`promotion abandoned ${where}: the Elector no longer promotes epoch ${epoch}`, { action: 'promote-abandoned', epoch, electorEpoch: elector.epoch, role: elector.role });
    if (mayBeMaster) {
      try {
        await this.fence.hold();
      } catch {
        // Logged by the keeper; the plan fences again on its next step.
      }
    }
    return true;
  }

  /**
   * The sidecar's tick (every few ms, on its own timer): a poll due within `earlyMs` starts now,
   * in this wakeup of the process, instead of on its own timer a moment later. An idle sidecar is
   * mostly the cost of waking up, and the two timers never coincide by themselves; this way they
   * share one wakeup. Polls only ever move earlier, never later: the fencing bound stays.
   */
  onTick(now: number, earlyMs: number): void {
    if (this.wake && this.sleepDueAt !== undefined && now >= this.sleepDueAt - earlyMs) this.wake();
  }

  private sleep(ms: number): Promise<void> {
    this.sleepDueAt = this.opts.now() + ms;
    return new Promise((resolve) => {
      const t = setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        this.wake = undefined;
        this.sleepDueAt = undefined;
        clearTimeout(t);
        resolve();
      };
    });
  }

  private noteHold(hold: string | undefined): void {
    if (hold !== undefined && hold !== this.lastHold && this.observed?.reachable) this.opts.log.warn(hold, { action: 'hold' });
    this.lastHold = hold;
  }

  /** Feed the Elector: health and the offset, stamped with when the poll was issued. */
  private report(o: Observed, issuedAt: number): void {
    const { elector } = this.opts;
    this.reportHealth(o);
    // The replication role goes with the offset of the same poll (rule adopt-existing).
    const topology = localTopology(o, this.opts.config.members);
    if (topology !== undefined) elector.setLocalTopology(topology, issuedAt);
    if (o.reachable && o.offset !== undefined) elector.setReplOffset(o.offset, issuedAt, o.dataEpoch ?? 0);
    this.opts.deliver(elector.tick(this.opts.now()));
  }

  private reportHealth(o: Observed): void {
    const { elector, log } = this.opts;
    const h = healthOf(this.knowledge, o);
    if (h.healthy !== this.lastHealthy) {
      if (h.healthy) log.info('local redis healthy', { action: 'health', offset: o.offset, role: o.role });
      else log.warn('local redis unhealthy', { action: 'health', reason: h.why });
      this.lastHealthy = h.healthy;
    }
    elector.setHealthy(h.healthy);
  }

  /** Whether redis currently matches what the Elector wants. */
  private matches(): boolean {
    const s = this.status;
    const d = this.knowledge.desired;
    if (!s?.reachable) return false;
    if (d.kind === 'primary') return s.role === 'master';
    if (d.kind === 'follow') {
      const t = this.opts.config.members.find((m) => m.id === d.id)?.redis;
      return s.role === 'slave' && !!t && s.replication?.masterPort === t.port;
    }
    return true;
  }
}

/** The poll's status, marked unhealthy when the control loop's health check says so and INFO alone did not. */
function withControlHealth(status: RedisStatus, h: HealthReport): RedisStatus {
  if (h.healthy || !status.healthy) return status;
  return { ...status, healthy: false, unhealthyReason: 'control-loop', error: h.why };
}

export type { HostPort };
