import type { Elector, Outbound } from '../elector/elector.js';
import type { ElectorEvent } from '../elector/events.js';
import { formatAddress, type HostPort } from '../protocol/index.js';
import { LocalRedis } from '../redis/local-redis.js';
import type { RedisStatus } from '../redis/status.js';
import type { SidecarConfig } from './config.js';
import type { Logger } from './logger.js';
import { replicationCredentials, REPLICATION_USER } from './replication-credentials.js';

/** What the Elector wants the local redis to be. */
type Desired =
  /** Just started: leave replication alone until the Elector knows the cluster, but fence a master. */
  | { kind: 'unknown' }
  | { kind: 'follow'; id: string; epoch: number }
  /** Primary lost: stop replicating from it, stay read-only, keep the data. */
  | { kind: 'detached' }
  | { kind: 'primary'; epoch: number };

export interface RedisRuntimeOptions {
  config: SidecarConfig;
  elector: Elector;
  log: Logger;
  now: () => number;
  deliver: (outs: Outbound[]) => void;
  onStatus?: (status: RedisStatus) => void;
}

/**
 * The control loop between the Elector and the local redis. One loop does
 * everything in order — promote, poll, reconcile, report — so no two redis
 * commands race and every offset handed to the Elector was read after the
 * last change the loop made (the Elector's data rule depends on that: a
 * replica detached from a lost primary must report what it holds after the
 * detach, not before).
 */
export class RedisRuntime {
  readonly redis: LocalRedis;
  status: RedisStatus | undefined;
  fenced = false;
  /**
   * Whether redis may hold a CLIENT PAUSE this process does not know about: a previous sidecar that
   * exited as primary without a hand-off left it fenced for a day (stop({ fenceForever })). Until this
   * runtime has fenced or unfenced redis itself, the first "no fence wanted" sends CLIENT UNPAUSE
   * anyway; otherwise a restart that first reached redis already following a primary left it paused,
   * and a paused replica does not even apply its master's stream.
   */
  private fenceUnknown = true;
  private desired: Desired = { kind: 'unknown' };
  /** The "epoch primary" whose replication credentials redis was last given. */
  private authFor: string | undefined;
  private pendingPromote: number | null = null;
  /** run_id of our redis when it was promoted: a different one means it restarted, possibly empty. */
  private promotedRunId: string | undefined;
  private minReplicasSet: number | undefined;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  /** When the current sleep between polls ends (opts.now() clock); undefined while not sleeping. */
  private sleepDueAt: number | undefined;
  private lastHealthy: boolean | undefined;
  private lastError: string | undefined;
  private readonly opts: RedisRuntimeOptions;
  private readonly fenceMs: number;

  constructor(opts: RedisRuntimeOptions) {
    this.opts = opts;
    const r = opts.config.redis!;
    this.redis = new LocalRedis({ host: r.addr.host, port: r.addr.port, username: r.username, password: r.password, connectTimeout: 500, commandTimeout: 500 });
    // A fence outlives a few missed renewals, but not a dead sidecar for long.
    this.fenceMs = Math.max(200, opts.config.pollIntervalMs * 4);
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
    if (opts.fenceForever && this.status?.role === 'master') {
      // Exiting as primary without a successful hand-off: make sure this redis takes no writes
      // a new primary would never see. A sidecar that starts again lifts it when it follows or wins.
      try {
        await this.redis.fence(24 * 3600 * 1000);
        this.opts.log.warn('left the local redis fenced: it was primary and no hand-off happened');
      } catch (err) {
        this.opts.log.error('could not fence the local redis on exit', { error: (err as Error).message });
      }
    }
    await this.redis.close();
  }

  onElectorEvent(ev: ElectorEvent): void {
    switch (ev.type) {
      case 'promote':
        this.pendingPromote = ev.epoch;
        break;
      case 'follow':
        this.desired = ev.primary === null ? { kind: 'detached' } : ev.primary === this.opts.config.id ? this.desired : { kind: 'follow', id: ev.primary, epoch: ev.epoch };
        break;
      case 'role':
        if (ev.to === 'primary') this.desired = { kind: 'primary', epoch: ev.epoch };
        else if (this.desired.kind === 'primary') this.desired = { kind: 'detached' };
        break;
      case 'writes':
      case 'primary-lost':
      case 'handoff-start':
        break;
      default:
        return;
    }
    this.wake?.();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let changed = false;
      try {
        if (this.pendingPromote !== null) {
          const epoch = this.pendingPromote;
          this.pendingPromote = null;
          await this.promote(epoch);
          changed = true;
        }
        const issuedAt = this.opts.now();
        const status = await this.redis.poll();
        this.status = status;
        this.opts.onStatus?.(status);
        changed = (await this.reconcile(status)) || changed;
        // An offset read before a change we just made is stale: poll again first.
        if (!changed) this.report(status, issuedAt);
        this.lastError = undefined;
      } catch (err) {
        const msg = (err as Error).message;
        if (msg !== this.lastError) this.opts.log.error('redis action failed', { error: msg });
        this.lastError = msg;
        changed = false;
      }
      if (!changed) await this.sleep(this.opts.config.pollIntervalMs);
    }
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

  private async promote(epoch: number): Promise<void> {
    const { elector, log, now, deliver, config } = this.opts;
    try {
      const cred = replicationCredentials(config.secret, epoch, config.id);
      await this.redis.ensureReplicationUser(REPLICATION_USER, cred.password);
      await this.redis.promote();
      // A fence left from before (startup, an earlier term) would hold the marker write: lift it first.
      if (this.fenced || this.fenceUnknown) await this.applyFence(false);
      // Mark the stream: everything before this point is what the primary of `epoch` was elected with.
      await this.redis.writeEpochMarker(epoch);
      const after = await this.redis.poll();
      if (!after.reachable || after.role !== 'master') throw new Error(`redis did not become a master (${after.error ?? after.role ?? 'unknown'})`);
      this.promotedRunId = after.runId;
      this.status = after;
      log.info('local redis promoted: REPLICAOF NO ONE', { epoch, offset: after.offset });
      deliver(elector.promoted(true, now()));
      await this.killClients('promoted to primary');
    } catch (err) {
      log.error('promotion failed: stepping down', { epoch, error: (err as Error).message });
      deliver(elector.promoted(false, now(), (err as Error).message));
    }
  }

  /** Bring redis to the desired state. Returns true when replication or the fence changed. */
  private async reconcile(status: RedisStatus): Promise<boolean> {
    if (!status.reachable) return false;
    const { config, elector, log, now } = this.opts;
    const d = this.desired;
    const wasMaster = status.role === 'master';
    if (d.kind === 'primary') {
      if (status.role !== 'master') return false; // reported as unhealthy: the Elector steps down
      if (config.minReplicas > 0 && this.minReplicasSet !== config.minReplicas) {
        await this.redis.setMinReplicas(config.minReplicas, Math.max(1, Math.ceil(elector.config.downAfterMs / 1000)));
        this.minReplicasSet = config.minReplicas;
      }
      return this.applyFence(!elector.writesAllowed(now()));
    }
    if (this.minReplicasSet !== undefined && this.minReplicasSet !== 0 && wasMaster) {
      await this.redis.setMinReplicas(0, 10);
      this.minReplicasSet = 0;
    }
    if (d.kind === 'follow') {
      const target = config.members.find((m) => m.id === d.id)?.redis;
      if (!target) return false;
      if ((status.dataEpoch ?? 0) > d.epoch) {
        // Our data holds a newer epoch than the primary we were told to follow (a stale LEASE or
        // HB reached a sidecar that just started): a resync from it would throw that data away.
        // Reporting the data epoch makes the Elector adopt the newer epoch and drop this primary.
        log.warn(`not following ${d.id}: local data holds epoch ${status.dataEpoch}, newer than its epoch ${d.epoch}`);
        return false;
      }
      const rep = status.replication;
      const already = status.role === 'slave' && rep?.masterHost?.toLowerCase() === target.host.toLowerCase() && rep.masterPort === target.port;
      const authKey = `${d.epoch} ${d.id}`;
      if (this.authFor !== authKey) {
        // Even when redis already points at this primary (a restarted sidecar, a primary re-elected
        // in a newer epoch), it must present this epoch's credentials, or its next reconnect fails.
        const cred = replicationCredentials(config.secret, d.epoch, d.id);
        await this.redis.setReplicationAuth(REPLICATION_USER, cred.password);
        this.authFor = authKey;
      }
      if (already) return this.applyFence(false);
      if (await this.redis.replicateFrom(target.host, target.port)) {
        log.info(`local redis now replicates from ${d.id}`, { target: formatAddress(target), epoch: d.epoch });
        if (wasMaster) await this.killClients(`demoted, following ${d.id}`);
      }
      await this.applyFence(false);
      return true;
    }
    if (d.kind === 'detached') {
      if (await this.redis.detach()) {
        log.info('local redis detached from the lost primary (read-only, data kept)');
        if (wasMaster) await this.killClients('demoted');
        await this.applyFence(false);
        return true;
      }
      return this.applyFence(false);
    }
    // Unknown: a master that is not the elected primary must not take writes while we find out.
    return this.applyFence(wasMaster);
  }

  /** Fence or unfence; renews an existing fence. Returns true only on a change. */
  private async applyFence(fence: boolean): Promise<boolean> {
    if (fence) {
      await this.redis.fence(this.fenceMs);
      this.fenceUnknown = false;
      if (!this.fenced) {
        this.fenced = true;
        this.opts.log.info('local redis fenced: CLIENT PAUSE WRITE', { renewEveryMs: this.opts.config.pollIntervalMs });
        return true;
      }
      return false;
    }
    if (this.fenced || this.fenceUnknown) {
      await this.redis.unfence();
      const wasFenced = this.fenced;
      this.fenced = false;
      this.fenceUnknown = false;
      if (wasFenced) this.opts.log.info('local redis unfenced: CLIENT UNPAUSE');
      else this.opts.log.info('lifted any fence left on the local redis by an earlier run: CLIENT UNPAUSE');
      return true;
    }
    return false;
  }

  private async killClients(why: string): Promise<void> {
    const types = this.opts.config.killClients;
    if (types.length === 0) return;
    try {
      const n = await this.redis.killClients(types);
      this.opts.log.info(`disconnected ${n} redis clients so they re-resolve the primary`, { types: types.join(','), why });
    } catch (err) {
      this.opts.log.warn('could not disconnect redis clients', { error: (err as Error).message });
    }
  }

  /** Feed the Elector: health and the offset, stamped with when the poll was issued. */
  private report(status: RedisStatus, issuedAt: number): void {
    const { elector, log } = this.opts;
    let healthy = status.reachable && status.unhealthyReason !== 'loading' && status.unhealthyReason !== 'sync-in-progress' && status.unhealthyReason !== 'bad-info';
    let why = status.error ?? status.unhealthyReason;
    if (healthy && status.dataEpoch === undefined) {
      healthy = false;
      why = 'the epoch marker could not be read, so the data epoch is unknown';
    }
    if (healthy && this.desired.kind === 'primary') {
      if (status.role !== 'master') {
        healthy = false;
        why = 'local redis is a replica although this node is primary';
      } else if (this.promotedRunId !== undefined && status.runId !== this.promotedRunId) {
        healthy = false;
        why = `local redis restarted (run_id ${this.promotedRunId} -> ${status.runId}); its data may be gone`;
      }
    }
    if (healthy !== this.lastHealthy) {
      if (healthy) log.info('local redis healthy', { offset: status.offset, role: status.role });
      else log.warn('local redis unhealthy', { reason: why });
      this.lastHealthy = healthy;
    }
    elector.setHealthy(healthy);
    if (status.reachable && status.offset !== undefined) elector.setReplOffset(status.offset, issuedAt, status.dataEpoch ?? 0);
    this.opts.deliver(elector.tick(this.opts.now()));
  }

  /** Whether redis currently matches what the Elector wants. */
  private matches(): boolean {
    const s = this.status;
    const d = this.desired;
    if (!s?.reachable) return false;
    if (d.kind === 'primary') return s.role === 'master';
    if (d.kind === 'follow') {
      const t = this.opts.config.members.find((m) => m.id === d.id)?.redis;
      return s.role === 'slave' && !!t && s.replication?.masterPort === t.port;
    }
    return true;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export type { HostPort };
