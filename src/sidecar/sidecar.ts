import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Elector, type ElectorSnapshot, type Outbound } from '../elector/elector.js';
import type { ElectorEvent } from '../elector/events.js';
import { resolveConfig } from '../elector/config.js';
import { FileVoteStore } from '../elector/file-vote-store.js';
import { FileConfigStore } from '../elector/file-config-store.js';
import { configDigest, describeConfig, describeDifference, type ClusterConfig } from '../elector/cluster-config.js';
import type { ConfigSnapshot } from '../elector/elector.js';
import { ChangeRefused } from '../elector/change-refused.js';
import type { ConfigMessage } from '../protocol/messages.js';
import { bornFromFlags, memberConfigsOf } from './cluster-members.js';
import { parseMember } from './member-spec.js';
import { changeCommitted, changeIn, describeRequest } from './member-change-done.js';
import { newerConfigFromMembers } from './join.js';
import { ForwardLost, forwardMemberCommand } from './forward-member.js';
import { formatAddress, membersText, type HostPort } from '../protocol/index.js';
import type { RedisStatus } from '../redis/status.js';
import { RedisLinkWatch } from '../redis/link-watch.js';
import { DEFAULT_MAX_PENDING_CONNECTIONS, PeerTransport } from '../transport/index.js';
import { deriveConnectionLimits, readSoftNofile, type ConnectionLimits } from '../transport/fd-limit.js';
import { EventLoopDelayWatch } from '../metrics/event-loop-delay.js';
import type { LimitStats } from '../metrics/registry.js';
import { LogLimiter } from '../util/log-limiter.js';
import type { SidecarConfig } from './config.js';
import { ElectorEventLog } from './event-log.js';
import { renderEvent } from '../elector/render-event.js';
import { createLogger, type Logger } from './logger.js';
import { RedisRuntime } from './redis-runtime.js';
import { forwardSwitchover } from './forward-switchover.js';
import type { MemberChangeRequest, SidecarCounters, SidecarEvents, SidecarView } from './view.js';
import { createClientHandler, type ClientHandler, type ClientHandlerStats } from '../admin/index.js';
// Not metrics/index.js: that re-exports the registry, which loads prom-client even without --http.
import type { HttpServerHandle } from '../metrics/http-server.js';
import { DEFAULT_HTTP_MAX_CONNECTIONS } from '../metrics/http-limits.js';
import { runRoleChangeHook } from './hook.js';
import { WakeScheduler } from './wake-scheduler.js';

/** While vote saves fail, how often the tick tries again (rewriting the durable record) to see the disk is back. */
const VOTE_RECHECK_MS = 5000;

export type ClientHandlerFactory = (
  view: SidecarView,
) => ((socket: Socket, initialBytes: Buffer) => void) & { close?: () => void; stats?: () => ClientHandlerStats };

export interface SidecarDeps {
  logger?: Logger;
  /** Serves non-peer connections on the sidecar port; default: the Sentinel-compatible API. */
  clientHandler?: ClientHandlerFactory;
}

/**
 * One running sidecar: the Elector, the peer transport, and (on data nodes)
 * the redis runtime, wired together. The Elector decides; this class only
 * moves messages, time and redis state in and out of it, and logs every
 * event with its reason.
 */
export class Sidecar implements SidecarView {
  readonly config: SidecarConfig;
  readonly events = new EventEmitter<SidecarEvents>();
  readonly startedAt = Date.now();
  private readonly startedAtMono = performance.now();
  readonly log: Logger;
  readonly elector: Elector;
  /** The vote file; its save failures make /health unhealthy until a save succeeds. */
  readonly voteStore: FileVoteStore;
  /** The member configuration in use (protocol.md §5.12), kept like the vote. */
  readonly configStore: FileConfigStore;
  /** The members of the last configuration that named this node: a removed node keeps accepting them, to hear if it is named again. */
  private lastNamedIn: string[] = [];
  /** Members dropped by a change stay dialled this long, so they hear of their removal. */
  private readonly departing = new Map<string, { peer: { id: string; host: string; port: number }; until: number }>();
  private lastVoteRecheck = 0;
  /** The member list from --member while it is still the configuration in use (not yet replaced by the cluster's). */
  private bornFromFlags: ClusterConfig | undefined;
  private lastUnagreedWarning = -Infinity;
  private readonly transport: PeerTransport;
  private readonly redis: RedisRuntime | undefined;
  private readonly clientHandler: ReturnType<ClientHandlerFactory> | undefined;
  private http: HttpServerHandle | undefined;
  /** Connection limits sized from the descriptor limit (README "Security and limits"). */
  readonly connectionLimits: ConnectionLimits;
  private readonly loopDelay: EventLoopDelayWatch;
  private readonly refusalLog = new LogLimiter();
  /** Ticks the Elector at its next deadline and after every input (wake-scheduler.ts). */
  private readonly wake: WakeScheduler;
  /** Every Elector event to the log, floods of identical refusals folded. */
  private readonly eventLog: ElectorEventLog;
  /** How early the tick may start a redis poll that is almost due (see RedisRuntime.onTick). */
  private pollEarlyMs = 0;
  private stopped = false;
  private resolveDone!: () => void;
  /** Resolves when the sidecar has stopped. */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));
  private lastPrimary: { id: string; epoch: number } | undefined;
  /** Our own link to the primary's redis, as Sentinel keeps one: the master's `disconnected` flag. */
  private readonly primaryLink: RedisLinkWatch;
  private lostAt: number | undefined;
  private readonly stats: SidecarCounters = {
    electionsStarted: 0,
    electionsWon: 0,
    electionsLost: 0,
    votesGranted: {},
    votesRefused: {},
    failoverSeconds: [],
    peerRejections: 0,
  };

  constructor(config: SidecarConfig, deps: SidecarDeps = {}) {
    this.config = config;
    this.log = deps.logger ?? createLogger({ nodeId: config.id, level: config.logLevel, format: config.logFormat });
    this.eventLog = new ElectorEventLog(this.log);
    const self = config.members.find((m) => m.id === config.id);
    // Sentinel pings each instance every second and retries a lost link every 100 ms.
    const { downAfterMs } = resolveConfig(config.timings);
    this.primaryLink = new RedisLinkWatch({ pingEveryMs: Math.min(1000, Math.max(50, downAfterMs / 2)), timeoutMs: downAfterMs, retryMs: 100 });
    this.voteStore = new FileVoteStore(config.dataDir, { onSaveHealth: (failure) => this.voteFileHealth(failure) });
    this.configStore = new FileConfigStore(config.dataDir, {
      onSaveHealth: (failure) =>
        failure
          ? this.log.error('configuration file cannot be saved: this node cannot take configuration changes', { error: failure.message })
          : this.log.info('configuration file saved again', { file: this.configStore.file }),
    });
    // Throws (fatal start-up error, naming the file) when config.json is unreadable or corrupt.
    const stored = this.configStore.load();
    const born = config.members.length > 0 ? bornFromFlags(config.members) : undefined;
    if (stored) {
      if (born && configDigest(born) !== configDigest(stored)) {
        // Never acted on: the stored configuration is the cluster's; flags only seed a fresh node.
        this.log.warn(
          `--member list differs from the configuration this node holds (${describeConfig(stored)}): using the stored one; change members with resp-elect member add / member remove`,
          { file: this.configStore.file, difference: describeDifference(stored.members, born.members) },
        );
      }
      config.members = memberConfigsOf(stored);
    } else if (born) {
      this.bornFromFlags = born;
    } else {
      throw new Error(`--join: no configuration naming ${config.id} was fetched and ${this.configStore.file} holds none`);
    }
    // Throws (fatal start-up error) when the vote file is unreadable or corrupt.
    this.elector = new Elector({
      nodeId: config.id,
      initialConfig: born,
      configStore: this.configStore,
      advertisedAddr: formatAddress(config.announce ?? self?.redis ?? config.redis?.addr ?? config.listen),
      startRole: config.bootstrapPrimary === config.id ? 'primary' : 'replica',
      config: config.timings,
      voteStore: this.voteStore,
      random: Math.random,
      confirmPromotion: config.redis !== undefined,
      onEvent: (ev) => this.onElectorEvent(ev),
    });
    const limits = config.limits ?? {};
    this.connectionLimits = deriveConnectionLimits(readSoftNofile(), {
      members: config.members.length,
      maxClients: limits.maxClients,
      maxPendingConnections: limits.maxPendingConnections ?? DEFAULT_MAX_PENDING_CONNECTIONS,
      httpMaxConnections: limits.httpMaxConnections ?? DEFAULT_HTTP_MAX_CONNECTIONS,
      http: config.http !== undefined,
    });
    this.loopDelay = new EventLoopDelayWatch({
      warnAboveMs: Math.max(1, Math.floor(this.elector.config.leaseMs / 4)),
      warn: (msg, fields) => this.log.warn(msg, fields),
    });
    const factory: ClientHandlerFactory =
      deps.clientHandler ??
      ((view) =>
        createClientHandler(view, {
          log: (level, msg) => this.log[level](msg),
          maxClients: this.connectionLimits.maxClients,
          authTimeoutMs: limits.clientAuthTimeoutMs,
          idleTimeoutMs: limits.clientIdleTimeoutMs,
          authFailureDelayMs: limits.authFailureDelayMs,
          maxAuthFailures: limits.maxAuthFailures,
        }) as ClientHandler);
    const handler = factory(this);
    this.clientHandler = handler;
    this.transport = new PeerTransport({
      nodeId: config.id,
      listen: config.listen,
      peers: config.members.filter((m) => m.id !== config.id).map((m) => ({ id: m.id, host: m.sidecar.host, port: m.sidecar.port })),
      // A joining node asks for the configuration here (protocol.md §4.10); a born one is not cluster state yet.
      configProvider: () => this.configMessage(),
      secret: config.secret,
      tls: config.tls,
      onClientConnection: handler,
      maxPendingConnections: this.connectionLimits.maxPendingConnections,
      maxConnections: this.connectionLimits.listenerMaxConnections,
    });
    this.transport.on('message', (from, msg) => {
      // What the input and the tick after it send leaves in one write per peer (released in tick()):
      // a follower's LEASEACK and the HB it answers the primary's with reach the primary together (#16).
      if (!this.stopped) this.releaseWrites ??= this.transport.hold();
      try {
        this.deliver(this.elector.onMessage(from, msg, this.now()));
      } finally {
        // Even if the Elector threw: the tick releases the corked sockets.
        this.wake.afterInput();
      }
    });
    this.transport.on('auth-failed', (info) => {
      // A starting member asking for a configuration while this one holds only its born list
      // (protocol.md §4.10): an answer of "none yet", not a rejection of anyone.
      if (info.code === 'no-config') this.log.debug('configuration asked for, none to give yet', { remote: info.remote });
      else this.rejected(info.remote, info.reason);
    });
    this.transport.on('protocol-error', (info) => this.rejected(info.remote, info.reason));
    this.transport.on('connection-refused', (info) => {
      const suppressed = this.refusalLog.allow(info.reason);
      if (suppressed !== undefined) this.log.warn('connection refused', { reason: info.reason, remote: info.remote, detail: info.detail, notLogged: suppressed || undefined });
    });
    this.transport.on('listener-error', (err) => this.log.error('transport listener failed', { error: (err as Error).message }));
    this.wake = new WakeScheduler({
      now: () => this.now(),
      tick: (now) => this.tick(now),
      nextDeadline: (now) => this.nextDeadline(now),
      // Past the 1.5 intervals a replica's own HB waits (protocol.md §5.1): the backstop must not wake it first.
      maxSleepMs: 2 * this.elector.config.hbIntervalMs,
      onLate: (ms) => this.loopDelay.record(ms),
    });
    this.lastNamedIn = self ? config.members.map((m) => m.id) : [];
    if (config.redis) {
      this.redis = new RedisRuntime({
        config,
        elector: this.elector,
        log: this.log,
        now: () => this.now(),
        // Every call into the Elector the runtime makes (offset, health, promoted) ends here: tick after it.
        deliver: (outs) => {
          this.deliver(outs);
          this.wake.afterInput();
        },
        onStatus: (s) => this.events.emit('redis-health', s),
      });
    }
  }

  async start(): Promise<void> {
    // Before anything listens: a redis user that may not run what the sidecar needs is a fatal start-up error.
    await this.redis?.checkPermissions();
    await this.transport.start();
    if (this.config.http) {
      // Loaded only with --http: node:http and the metrics modules are a few MB of RSS (#16).
      const { startHttpServer } = await import('../metrics/http-server.js');
      this.http = await startHttpServer(this, this.config.http, {
        maxConnections: this.connectionLimits.httpMaxConnections,
        metricsCacheMs: this.config.limits?.metricsCacheMs,
        limits: () => this.limitStats(),
        loopDelay: () => this.loopDelay.last(),
        log: (level, msg) => this.log[level](msg),
      });
      this.log.info('serving /metrics, /health, /primary and /replica', { http: formatAddress(this.http.address()) });
    }
    const a = this.transport.address();
    this.log.info('sidecar started', {
      listen: formatAddress({ host: a.host, port: a.port }),
      epoch: this.elector.epoch,
      members: this.config.members.map((m) => m.id).join(','),
      redis: this.config.redis ? formatAddress(this.config.redis.addr) : 'none (witness)',
    });
    const cl = this.connectionLimits;
    this.log.info('connection limits', {
      maxClients: cl.maxClients,
      maxPendingConnections: cl.maxPendingConnections,
      listenerMaxConnections: cl.listenerMaxConnections,
      httpMaxConnections: this.config.http ? cl.httpMaxConnections : undefined,
      nofile: cl.nofile,
      reservedFds: cl.reserved,
    });
    if (cl.overcommitted) {
      this.log.warn(`--max-clients ${cl.maxClients} leaves fewer than ${cl.reserved} of the ${cl.nofile} descriptors (nofile) for the vote file, redis and peers: a client flood can make votes fail; raise nofile or lower --max-clients`);
    }
    // The Elector learns what its redis is (a master, a replica of whom) before its first tick.
    await this.redis?.introduce();
    this.loopDelay.start();
    const hb = this.elector.config.hbIntervalMs;
    // A poll due within this long starts in a tick's wake-up instead of its own (polls only move
    // earlier): an eighth of a heartbeat, at most 12.5 ms, at most half a poll interval.
    this.pollEarlyMs = Math.min(Math.max(1, Math.min(25, Math.floor(hb / 4))), this.config.pollIntervalMs) / 2;
    this.redis?.start();
    this.wake.start();
    this.startConfigRefresh();
  }

  /**
   * While no primary is known, ask the members every 10 × down-after whether
   * they hold a newer configuration (the join exchange, protocol.md §4.10).
   * A member removed while it could not hear (its primary killed right after
   * committing the removal, the departing list lost with it) is refused by
   * every member as a non-member and is never sent the configuration that
   * removed it: without this it stood for election forever. Start-up does
   * the same once (start.ts); this covers a node that stays up.
   */
  private startConfigRefresh(): void {
    const every = Math.max(1000, 10 * this.elector.config.downAfterMs);
    this.configRefreshTimer = setInterval(() => void this.refreshConfigWithoutPrimary(), every);
    this.configRefreshTimer.unref();
  }

  /** Primary, or following a live one: it hears of every configuration. */
  private followsPrimary(): boolean {
    return this.elector.role === 'primary' || this.elector.following !== null;
  }

  private configRefreshTimer: NodeJS.Timeout | undefined;
  private configRefreshing = false;

  private async refreshConfigWithoutPrimary(): Promise<void> {
    if (this.stopped || this.configRefreshing || this.followsPrimary()) return;
    this.configRefreshing = true;
    try {
      const newer = await newerConfigFromMembers(this.config, this.elector.clusterConfig);
      if (newer && !this.stopped && !this.followsPrimary()) this.adoptFetchedConfig(newer);
    } catch {
      // Best effort: asked again next time.
    } finally {
      this.configRefreshing = false;
    }
  }

  /** Address the transport listens on (useful with port 0). */
  address(): HostPort {
    const a = this.transport.address();
    return { host: a.host, port: a.port };
  }

  now(): number {
    return performance.now();
  }

  /** Set while peer sockets are corked for the current input turn; the tick that ends the turn calls it. */
  private releaseWrites: (() => void) | undefined;

  private tick(now: number): void {
    try {
      this.tickOnce(now);
    } finally {
      this.releaseHeldWrites();
    }
  }

  private releaseHeldWrites(): void {
    const release = this.releaseWrites;
    this.releaseWrites = undefined;
    release?.();
  }

  private tickOnce(now: number): void {
    if (this.stopped) return;
    try {
      this.deliver(this.elector.tick(now));
    } catch (err) {
      // A broken invariant throws on every tick (10 or more a second) until the state changes: one line per 10 s.
      const suppressed = this.refusalLog.allow('tick-failed');
      if (suppressed !== undefined) this.log.error('tick failed', { error: (err as Error).stack ?? String(err), notLogged: suppressed || undefined });
    }
    this.eventLog.flush(now);
    if (this.departing.size > 0) this.expireDeparting(now);
    if (this.bornFromFlags && now - this.lastUnagreedWarning > 30_000 && now - this.startedAtMono > 10_000) this.warnUnagreed(now);
    this.redis?.onTick(now, this.pollEarlyMs);
    if (this.voteStore.saveFailure && now - this.lastVoteRecheck >= VOTE_RECHECK_MS) {
      this.lastVoteRecheck = now;
      this.voteStore.recheck();
    }
  }

  /** The Elector's next deadline, or the next vote-file recheck while saves fail. */
  private nextDeadline(now: number): number {
    const next = this.elector.nextDeadline(now);
    return this.voteStore.saveFailure ? Math.min(next, this.lastVoteRecheck + VOTE_RECHECK_MS) : next;
  }

  /** Logged once per change, not per failed save: the Elector's error events say which action each failure cost. */
  private voteFileHealth(failure: { message: string } | undefined): void {
    if (failure) this.log.error('vote file cannot be saved: this node cannot vote or stand; /health reports unhealthy until a save succeeds', { error: failure.message });
    else this.log.info('vote file saved again: /health no longer fails for it', { file: this.voteStore.file });
  }

  /** The protection counters for /metrics: client handler and listener together. */
  private limitStats(): LimitStats {
    const c = this.clientHandler?.stats?.();
    const refused: Record<string, number> = { ...(c?.refused ?? {}), ...this.transport.refusalCounts() };
    return {
      clientConnections: c?.connections ?? 0,
      maxClients: c?.maxClients ?? this.connectionLimits.maxClients,
      refused,
      authFailures: c?.authFailures ?? 0,
      authDisconnects: { failures: c?.authFailureDisconnects ?? 0, timeout: c?.authTimeouts ?? 0 },
      idleDisconnects: c?.idleTimeouts ?? 0,
    };
  }

  private deliver(outs: Outbound[]): void {
    if (outs.length === 0) return;
    const send = () => {
      for (const o of outs) {
        if (o.to === '*') this.transport.broadcast(o.msg);
        else this.transport.send(o.to, o.msg);
      }
    };
    if (outs.length === 1) send();
    else this.transport.batch(send);
  }

  private rejected(remote: string, reason: string): void {
    this.stats.peerRejections += 1;
    // Anyone can cause these, as fast as they can connect: one line per kind of rejection (its
    // reason without the remote port) and interval, saying how many were left out.
    const suppressed = this.refusalLog.allow(`rejected:${reason.split(remote).join('')}`);
    if (suppressed !== undefined) this.log.warn('peer connection rejected', { remote, reason, notLogged: suppressed || undefined });
    this.events.emit('peer-rejected', { remote, reason });
  }

  private onElectorEvent(ev: ElectorEvent): void {
    // While the vote file fails, every failed save repeats the error voteFileHealth logged once: debug, not a flood.
    const repeat = ev.type === 'error' && ev.what.startsWith('persisting vote') && this.voteStore.saveFailure !== undefined;
    if (repeat) {
      const r = renderEvent(ev);
      this.log.debug(r.msg, r.fields);
    } else this.eventLog.write(ev, this.now());
    switch (ev.type) {
      case 'election-start':
        this.stats.electionsStarted += 1;
        break;
      case 'elected':
        this.stats.electionsWon += 1;
        break;
      case 'election-lost':
        this.stats.electionsLost += 1;
        break;
      case 'vote': {
        const bucket = ev.granted ? this.stats.votesGranted : this.stats.votesRefused;
        const key = ev.granted ? (ev.prevote ? 'prevote' : 'vote') : (ev.reason ?? 'unknown');
        bucket[key] = (bucket[key] ?? 0) + 1;
        break;
      }
      case 'primary-lost':
        this.lostAt ??= this.now();
        break;
      case 'follow':
        if (ev.primary !== null) this.primaryIs(ev.primary, ev.epoch);
        break;
      case 'config':
        this.applyClusterConfig(this.elector.clusterConfig, ev.self === 'removed');
        break;
      case 'role':
        if (ev.to === 'primary') this.primaryIs(this.config.id, ev.epoch);
        else if (ev.from === 'primary') this.lostAt ??= this.now();
        this.runHook(ev.to, ev.epoch);
        break;
    }
    this.redis?.onElectorEvent(ev);
    this.events.emit('elector', ev);
  }

  /** The operator's --on-role-change command (moving a virtual IP, paging): never blocks or crashes the sidecar. */
  private runHook(role: string, epoch: number): void {
    const command = this.config.onRoleChange;
    if (!command) return;
    const primaryId = role === 'primary' ? this.config.id : this.elector.currentPrimary;
    const primaryAddr = primaryId ? (this.redisAddrOf(primaryId) ?? null) : null;
    // The hook logs its own one-line outcome (exit status, or the timeout) and never rejects.
    void runRoleChangeHook(command, { role, epoch, primaryAddr, nodeId: this.config.id, primaryId }, this.config.hookTimeoutMs, (line) => this.log.info(line));
  }

  private primaryIs(id: string, epoch: number): void {
    if (this.lostAt !== undefined) {
      this.stats.failoverSeconds.push((this.now() - this.lostAt) / 1000);
      this.lostAt = undefined;
    }
    const prev = this.lastPrimary;
    if (prev?.id === id && prev.epoch === epoch) return;
    this.lastPrimary = { id, epoch };
    const toAddr = this.redisAddrOf(id);
    // Watched on the primary's own sidecar too: its poller notices a dead redis only at the next poll,
    // and a client asking in between must already hear 'disconnected'.
    this.primaryLink.target(id === this.config.id ? (this.config.redis?.addr ?? toAddr) : toAddr);
    if (!toAddr || prev?.id === id) return;
    this.events.emit('primary-changed', { from: prev?.id ?? null, to: id, fromAddr: prev ? this.redisAddrOf(prev.id) : undefined, toAddr, epoch });
  }

  // ---------------------------------------------------------------------------
  // SidecarView
  // ---------------------------------------------------------------------------

  snapshot(): ElectorSnapshot {
    return this.elector.snapshot(this.now());
  }

  redisStatus(): RedisStatus | undefined {
    return this.redis?.status;
  }

  fenced(): boolean {
    return this.redis?.fenced ?? false;
  }

  voteFileProblem(): string | undefined {
    return this.voteStore.saveFailure?.message;
  }

  primaryLinkUp(): boolean | undefined {
    return this.primaryLink.up;
  }

  redisAddrOf(id: string): HostPort | undefined {
    if (id === this.config.id) return this.config.announce;
    return this.config.members.find((m) => m.id === id)?.redis;
  }

  primary(): { id: string; addr: HostPort; epoch: number } | undefined {
    const p = this.lastPrimary;
    // A removed node names no primary to clients: it no longer knows who leads.
    if (!p || this.elector.configSnapshot().removed) return undefined;
    const addr = this.redisAddrOf(p.id);
    return addr ? { id: p.id, addr, epoch: p.epoch } : undefined;
  }

  counters(): SidecarCounters {
    return structuredClone(this.stats);
  }

  // ---------------------------------------------------------------------------
  // Membership (protocol.md §5.12)
  // ---------------------------------------------------------------------------

  /** The configuration a joining node may fetch: only one made by a primary (a born one is not cluster state). */
  private configMessage(): ConfigMessage | undefined {
    const c = this.elector.configSnapshot();
    if (c.epoch === 0) return undefined;
    const cfg = this.elector.clusterConfig;
    return { type: 'CONFIG', nodeId: this.config.id, version: cfg.version, configEpoch: cfg.epoch, members: membersText(cfg.members) };
  }

  /**
   * A configuration is in use: the member list everything reads, the peers the transport dials and
   * accepts, and the log. Members the change dropped stay dialled for a while so they hear of it.
   */
  private applyClusterConfig(c: ClusterConfig, removed: boolean): void {
    // Events from inside the Elector's constructor come before there is a transport; it starts from config.members.
    if (!this.transport) return;
    const before = this.config.members;
    const next = memberConfigsOf(c);
    const born = this.bornFromFlags;
    if (born && c.epoch > 0) {
      this.bornFromFlags = undefined;
      if (configDigest({ ...born, members: born.members }) !== configDigest({ ...c, members: c.members.map((m) => ({ ...m, kind: m.kind === 'learner' ? 'voter' : m.kind })) })) {
        this.log.warn(
          `the --member list is not the cluster's configuration: using the cluster's (${describeConfig(c)}) and ignoring the flags; members are changed with resp-elect member add / member remove, and a new node is started with --join`,
          { difference: describeDifference(born.members, c.members) },
        );
      }
    }
    this.config.members = next;
    const now = this.now();
    const nextIds = new Set(next.map((m) => m.id));
    for (const m of before) {
      if (!nextIds.has(m.id) && m.id !== this.config.id) this.departing.set(m.id, { peer: { id: m.id, host: m.sidecar.host, port: m.sidecar.port }, until: now + 10 * this.elector.config.downAfterMs });
    }
    for (const id of nextIds) this.departing.delete(id);
    if (!removed) this.lastNamedIn = next.map((m) => m.id);
    this.updatePeers(removed);
  }

  private updatePeers(removed: boolean): void {
    const peers = removed ? [] : this.config.members.filter((m) => m.id !== this.config.id).map((m) => ({ id: m.id, host: m.sidecar.host, port: m.sidecar.port }));
    for (const d of this.departing.values()) peers.push(d.peer);
    void this.transport.setPeers(peers).catch((err) => this.log.warn('updating peers failed', { error: (err as Error).message }));
    const accept = new Set(this.config.members.map((m) => m.id));
    if (removed) for (const id of this.lastNamedIn) accept.add(id);
    accept.delete(this.config.id);
    this.transport.setAcceptIds(accept);
  }

  /** A born member list nobody confirms: say why this node neither votes nor stands, and what to do. */
  private warnUnagreed(now: number): void {
    const c = this.elector.configSnapshot();
    if (c.agreed && !c.conflict) return;
    this.lastUnagreedWarning = now;
    this.log.warn(
      c.conflict
        ? `not voting or standing: ${c.conflict.peer} holds a different member list under configuration ${c.version}; give every node of a new cluster the same --member list`
        : `not voting or standing: the --member list (configuration ${c.version}) is not confirmed by a majority of its members yet. If this node is being added to a running cluster, stop it, run resp-elect member add on any member, and start it with --join instead of --member`,
      { members: c.members.map((m) => m.id).join(',') },
    );
  }

  private expireDeparting(now: number): void {
    let changed = false;
    for (const [id, d] of this.departing) {
      if (now >= d.until) {
        this.departing.delete(id);
        changed = true;
      }
    }
    if (changed) this.updatePeers(this.elector.configSnapshot().removed);
  }

  async memberChange(change: MemberChangeRequest, timeoutMs = 30_000): Promise<ConfigSnapshot> {
    const deadline = this.now() + timeoutMs;
    const hb = this.elector.config.hbIntervalMs;
    let again = change.again === true;
    let lost: ForwardLost | undefined;
    // An election under way is waited out until the deadline, as a user running the command
    // expects (found by the chaos suite: every change asked during a kill-ctl fault failed).
    for (;;) {
      if (this.elector.role === 'primary') return this.makeChange({ ...change, again }, deadline, timeoutMs);
      const p = this.elector.currentPrimary;
      if (p) {
        const member = this.config.members.find((m) => m.id === p);
        if (!member) throw new Error(`the primary ${p} has no sidecar address in the configuration`);
        try {
          await forwardMemberCommand(member.sidecar, this.config, { ...change, again }, Math.max(1, Math.floor(deadline - this.now())));
          return await this.waitForConfig((s) => changeIn(s, change), 5000);
        } catch (err) {
          if (!(err instanceof ForwardLost)) throw err;
          // The lost primary may have made the change: ask the next one with RETRY.
          if (!lost) this.log.info(`${describeRequest(change)}: ${err.message}; asking the next primary`);
          lost = err;
          again = true;
        }
      }
      if (this.now() + hb > deadline) {
        throw lost ?? new Error(`no primary is known right now (waited ${timeoutMs} ms); try again once the election is over`);
      }
      await sleep(hb);
    }
  }

  /** The change made by this node as the primary, waited on until it is committed or `deadline`. */
  private async makeChange(change: MemberChangeRequest, deadline: number, timeoutMs: number): Promise<ConfigSnapshot> {
    if (change.kind === 'remove' && change.id === this.config.id) {
      // The primary is removed by its successor, after the zero-loss hand-off.
      const r = await this.switchover();
      this.log.info(`handed off to ${r.to} to remove this node`, { epoch: r.epoch });
      return this.memberChange(change, Math.max(1, deadline - this.now()));
    }
    const held = this.elector.configSnapshot();
    if (change.again && changeIn(held, change)) {
      // Made already, by the primary a lost request went to (this node holds it, restamped when it
      // won): the commit of what is held is what the asker waits for.
      this.log.info(`${describeRequest(change)} asked again: configuration ${held.version} holds it already; waiting for its commit`);
      return this.waitForCommit(change, held.version, deadline, timeoutMs);
    }
    let spec;
    if (change.kind === 'add') {
      const m = parseMember(change.spec);
      spec = { kind: 'add' as const, member: { id: m.id, kind: m.witness ? ('witness' as const) : ('voter' as const), priority: m.priority, peer: formatAddress(m.sidecar), redis: m.redis ? formatAddress(m.redis) : undefined } };
    } else spec = { kind: 'remove' as const, id: change.id };
    // A refusal that ends by itself (a restamp right after an election, the previous change not
    // committed yet, data voters a few heartbeats behind under writes) is waited out until the
    // timeout, then reported with its last reason; a wrong change is reported at once.
    let made: ClusterConfig | undefined;
    while (!made) {
      try {
        made = this.elector.proposeChange(spec, this.now());
      } catch (err) {
        if (!(err instanceof ChangeRefused) || !err.transient || this.now() + this.elector.config.hbIntervalMs > deadline) throw err;
        await sleep(this.elector.config.hbIntervalMs);
      }
    }
    this.log.info(`configuration ${made.version} proposed: ${describeConfig(made)}`);
    return this.waitForCommit(change, made.version, deadline, timeoutMs);
  }

  private async waitForCommit(change: MemberChangeRequest, version: number, deadline: number, timeoutMs: number): Promise<ConfigSnapshot> {
    // Committed in that version or in a later one that still holds the change: a new primary
    // restamps what it holds (version + 1), so after an election in the meantime the version
    // asked about is never the one committed (found by the chaos suite's member-change nemesis:
    // the change went through and the command waited out its --wait and reported failure).
    const committed = (s: ConfigSnapshot) => changeCommitted(s, version, change);
    try {
      return await this.waitForConfig(committed, Math.max(0, deadline - this.now()), `configuration ${version} was not committed within ${timeoutMs} ms (a majority of its voters must hold it)`);
    } catch (err) {
      const s = this.elector.configSnapshot();
      // The primary changed meanwhile: this sidecar cannot count who holds its configuration any more.
      if (s.committed === null && changeIn(s, change)) throw new Error(`configuration ${s.version} holds the change, but ${this.config.id} is no longer the primary and cannot confirm its commit: check with resp-elect member list on the primary`);
      throw err;
    }
  }

  /** A configuration fetched from a member at start-up (join.ts): taken exactly as a CONFIG from that member. */
  adoptFetchedConfig(c: ClusterConfig): void {
    this.log.info(`a member holds a newer configuration than ours: ${describeConfig(c)}`);
    this.deliver(this.elector.onMessage('(fetched)', { type: 'CONFIG', nodeId: '(fetched)', version: c.version, configEpoch: c.epoch, members: membersText(c.members) }, this.now()));
  }

  forceConfig(keep: string[]): ConfigSnapshot {
    const before = this.elector.clusterConfig;
    const made = this.elector.forceConfig(keep, this.now());
    const lost = before.members.filter((m) => !keep.includes(m.id)).map((m) => m.id);
    this.log.error(`configuration FORCED by the operator: ${describeConfig(made)}; dropped ${lost.join(', ')} without a quorum; writes acknowledged only by them may be lost, and if they are alive behind a partition two primaries can result`);
    return this.elector.configSnapshot();
  }

  private waitForConfig(done: (s: ConfigSnapshot) => boolean, timeoutMs: number, timeoutText = 'the configuration did not change in time'): Promise<ConfigSnapshot> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const s = this.elector.configSnapshot();
        if (done(s)) {
          clearInterval(timer);
          clearTimeout(limit);
          resolve(s);
        }
      };
      const timer = setInterval(check, 20);
      const limit = setTimeout(() => {
        clearInterval(timer);
        reject(new Error(timeoutText));
      }, timeoutMs);
      check();
    });
  }

  async switchover(target?: string): Promise<{ from: string; to: string; epoch: number; tookMs: number }> {
    const started = this.now();
    if (this.elector.role !== 'primary') {
      const p = this.elector.currentPrimary;
      if (!p) throw new Error('no primary is known right now; try again once the election is over');
      const member = this.config.members.find((m) => m.id === p)!;
      // Listen before asking: the hand-off often completes before the primary's reply arrives.
      const change = this.waitForPrimaryChange(p, target, this.elector.config.handoffTimeoutMs + 1000);
      try {
        await forwardSwitchover(member.sidecar, this.config, target);
      } catch (err) {
        change.catch(() => {});
        throw err;
      }
      const result = await change;
      return { from: p, ...result, tookMs: Math.round(this.now() - started) };
    }
    const to = target ?? this.elector.bestHandoffTarget();
    if (!to) throw new Error('no live replica can take over');
    const from = this.config.id;
    // Throws with the reason when the hand-off is impossible.
    this.elector.handOff(to, this.now());
    this.wake.afterInput();
    const result = await this.waitForPrimaryChange(from, to, this.elector.config.handoffTimeoutMs + 1000);
    return { from, ...result, tookMs: Math.round(this.now() - started) };
  }

  private waitForPrimaryChange(from: string, to: string | undefined, timeoutMs: number): Promise<{ to: string; epoch: number }> {
    return new Promise((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.events.off('elector', listener);
        fn();
      };
      const listener = (ev: ElectorEvent) => {
        if (ev.type === 'follow' && ev.primary !== null && ev.primary !== from && (to === undefined || ev.primary === to)) {
          done(() => resolve({ to: ev.primary!, epoch: ev.epoch }));
        } else if (ev.type === 'role' && ev.to === 'primary' && this.config.id !== from) {
          done(() => resolve({ to: this.config.id, epoch: ev.epoch }));
        } else if (ev.type === 'handoff-end' && !ev.ok) {
          done(() => reject(new Error(`switchover aborted: ${ev.reason}`)));
        }
      };
      const timer = setTimeout(() => done(() => reject(new Error(`switchover did not complete within ${timeoutMs} ms`))), timeoutMs);
      this.events.on('elector', listener);
    });
  }

  /**
   * Stop. A primary first hands off to the best replica (bounded by
   * handoffTimeoutMs) so a planned restart loses nothing and waits for no
   * detection timeout; a replica just leaves.
   */
  async stop(opts: { handoff?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    if (opts.handoff !== false && this.elector.role === 'primary' && this.elector.hasLease(this.now())) {
      try {
        const r = await this.switchover();
        this.log.info(`handed off to ${r.to} before exiting`, { epoch: r.epoch, tookMs: r.tookMs });
        await this.redis?.settle(1000);
      } catch (err) {
        this.log.warn('exiting without a hand-off', { reason: (err as Error).message });
      }
    }
    const wasPrimary = this.elector.role === 'primary';
    this.stopped = true;
    if (this.configRefreshTimer) clearInterval(this.configRefreshTimer);
    this.wake.stop();
    this.releaseHeldWrites();
    this.loopDelay.stop();
    this.primaryLink.stop();
    await this.redis?.stop({ fenceForever: wasPrimary });
    this.clientHandler?.close?.();
    await this.http?.close();
    await this.transport.stop();
    this.eventLog.flush(Infinity);
    this.log.info('sidecar stopped', { epoch: this.elector.epoch, role: this.elector.role });
    this.resolveDone();
  }
}

