/**
 * A SidecarView for tests of the admin API, metrics and CLI: plain fields a
 * test sets directly, and a real EventEmitter to emit sidecar events on.
 *
 * Default cluster: n1 (this node, primary, epoch 3), n2 (replica), n3
 * (witness); all up; redis at 10.0.0.1:6379 and 10.0.0.2:6379.
 */
import { EventEmitter } from 'node:events';
import { parseMember } from '../../src/sidecar/member-spec.js';
import type { ConfigSnapshot, ElectorSnapshot } from '../../src/elector/elector.js';
import type { ElectorEvent } from '../../src/elector/events.js';
import type { HostPort } from '../../src/protocol/index.js';
import type { RedisStatus } from '../../src/redis/status.js';
import type { MemberConfig, SidecarConfig } from '../../src/sidecar/config.js';
import type { MemberChangeRequest, SidecarCounters, SidecarEvents, SidecarView } from '../../src/sidecar/view.js';

export interface FakeMemberSpec {
  id: string;
  redis?: HostPort;
  sidecar?: HostPort;
  witness?: boolean;
  priority?: number;
}

export interface FakeViewOptions {
  self?: string;
  members?: FakeMemberSpec[];
  masterName?: string;
  clientPassword?: string;
  /** Initial primary id; null for none known. Default: the first data member. */
  primary?: string | null;
  epoch?: number;
}

type SwitchoverResult = { from: string; to: string; epoch: number; tookMs: number };

export class FakeView implements SidecarView {
  readonly config: SidecarConfig;
  readonly events = new EventEmitter<SidecarEvents>();
  readonly startedAt = Date.now() - 5000;
  clock = 1_000_000;
  snap: ElectorSnapshot;
  redis: RedisStatus | undefined;
  isFenced = false;
  /** What voteFileProblem() answers: why the vote file cannot be saved. */
  voteFileError: string | undefined = undefined;
  /** What primaryLinkUp() answers: this sidecar's own link to the primary's redis. */
  linkUp: boolean | undefined = undefined;
  current: { id: string; addr: HostPort; epoch: number } | undefined;
  counts: SidecarCounters = {
    electionsStarted: 0,
    electionsWon: 0,
    electionsLost: 0,
    votesGranted: {},
    votesRefused: {},
    failoverSeconds: [],
    peerRejections: 0,
  };
  /** Replace to script switchover(); records the targets asked for. */
  switchoverImpl: (target?: string) => Promise<SwitchoverResult>;
  readonly switchoverCalls: Array<string | undefined> = [];
  /**
   * Replace to script memberChange(); records the requests. The default makes
   * the change in `snap.config` at once, as a primary whose every voter
   * answers would: an add is a learner (a witness a voter), a taken id or an
   * unknown one is refused.
   */
  memberChangeImpl: (change: MemberChangeRequest, timeoutMs?: number) => Promise<ConfigSnapshot>;
  readonly memberChangeCalls: Array<{ change: MemberChangeRequest; timeoutMs: number | undefined }> = [];
  /** Replace to script forceConfig(); records the lists asked for. */
  forceConfigImpl: (keep: string[]) => ConfigSnapshot;
  readonly forceConfigCalls: string[][] = [];

  constructor(opts: FakeViewOptions = {}) {
    const specs = opts.members ?? [
      { id: 'n1', redis: { host: '10.0.0.1', port: 6379 }, sidecar: { host: '10.0.0.1', port: 26379 } },
      { id: 'n2', redis: { host: '10.0.0.2', port: 6379 }, sidecar: { host: '10.0.0.2', port: 26379 } },
      { id: 'n3', witness: true, sidecar: { host: '10.0.0.3', port: 26379 } },
    ];
    const self = opts.self ?? specs[0]!.id;
    const members: MemberConfig[] = specs.map((s, i) => ({
      id: s.id,
      sidecar: s.sidecar ?? { host: '127.0.0.1', port: 26400 + i },
      ...(s.witness ? {} : { redis: s.redis ?? { host: '127.0.0.1', port: 6400 + i } }),
      witness: s.witness ?? false,
      priority: s.priority ?? 1,
    }));
    const selfMember = members.find((m) => m.id === self)!;
    this.config = {
      id: self,
      listen: selfMember.sidecar,
      members,
      ...(selfMember.redis ? { announce: selfMember.redis, redis: { addr: selfMember.redis } } : {}),
      dataDir: '/nonexistent',
      masterName: opts.masterName ?? 'mymaster',
      pollIntervalMs: 100,
      killClients: ['normal', 'pubsub'],
      minReplicas: 0,
      secret: Buffer.alloc(32),
      ...(opts.clientPassword !== undefined ? { clientPassword: opts.clientPassword } : {}),
      hookTimeoutMs: 5000,
      timings: { downAfterMs: 1000 },
      logLevel: 'info',
      logFormat: 'human',
    };
    const epoch = opts.epoch ?? 3;
    const primaryId = opts.primary === undefined ? members.find((m) => !m.witness)!.id : opts.primary;
    const isPrimary = primaryId === self;
    this.snap = {
      nodeId: self,
      role: isPrimary ? 'primary' : 'replica',
      phase: isPrimary ? 'primary' : 'follower',
      epoch,
      votedFor: primaryId,
      currentPrimary: primaryId,
      leaseUntil: isPrimary ? this.clock + 400 : -Infinity,
      hasLease: isPrimary,
      writesAllowed: isPrimary,
      offset: 1000,
      healthy: true,
      handoff: null,
      peers: members
        .filter((m) => m.id !== self)
        .map((m, i) => ({
          id: m.id,
          witness: m.witness,
          learner: false,
          priority: m.priority,
          up: true,
          lastHeard: this.clock - 20 - i * 10,
          epoch,
          role: m.id === primaryId ? ('primary' as const) : ('replica' as const),
          offset: m.witness ? 0 : 990 - i,
        })),
      config: {
        version: 2,
        epoch: 1,
        digest: 'c'.repeat(64),
        members: members.map((m) => ({
          id: m.id,
          kind: m.witness ? ('witness' as const) : ('voter' as const),
          priority: m.priority,
          peer: `${m.sidecar.host}:${m.sidecar.port}`,
          ...(m.redis ? { redis: `${m.redis.host}:${m.redis.port}` } : {}),
        })),
        voters: members.map((m) => m.id),
        learners: [],
        quorum: Math.floor(members.length / 2) + 1,
        agreed: true,
        removed: false,
        committed: isPrimary ? true : null,
        conflict: null,
      },
    };
    this.redis = selfMember.witness
      ? undefined
      : isPrimary
        ? { reachable: true, runId: 'a'.repeat(40), role: 'master', offset: 1000, healthy: true }
        : {
            reachable: true,
            runId: 'a'.repeat(40),
            role: 'slave',
            offset: 1000,
            healthy: true,
            replication: {
              role: 'slave',
              masterReplOffset: 1000,
              replicaOffset: 1000,
              masterHost: this.redisAddrOf(primaryId ?? '')?.host,
              masterPort: this.redisAddrOf(primaryId ?? '')?.port,
              linkStatus: 'up',
              syncInProgress: false,
              loading: false,
              connectedReplicas: [],
            },
          };
    if (primaryId !== null) this.current = { id: primaryId, addr: this.redisAddrOf(primaryId)!, epoch };
    this.memberChangeImpl = async (change) => {
      const c = this.snap.config;
      if (change.kind === 'remove') {
        if (!c.members.some((m) => m.id === change.id)) throw new Error(`${change.id} is not a member`);
        return this.setConfigMembers(c.members.filter((m) => m.id !== change.id));
      }
      const m = parseMember(change.spec);
      if (c.members.some((x) => x.id === m.id)) throw new Error(`member id ${m.id} is taken`);
      const addr = (a: HostPort | undefined) => (a ? `${a.host}:${a.port}` : undefined);
      return this.setConfigMembers([
        ...c.members,
        { id: m.id, kind: m.witness ? 'witness' : 'learner', priority: m.priority, peer: addr(m.sidecar), ...(m.redis ? { redis: addr(m.redis) } : {}) },
      ]);
    };
    this.forceConfigImpl = (keep) => {
      const c = this.snap.config;
      const unknown = keep.find((id) => !c.members.some((m) => m.id === id));
      if (unknown !== undefined) throw new Error(`${unknown} is not a member`);
      if (!keep.includes(self)) throw new Error(`the list must include this node (${self})`);
      return this.setConfigMembers(
        c.members.filter((m) => keep.includes(m.id)),
        c.version + 2,
      );
    };
    this.switchoverImpl = async (target) => {
      const to = target ?? members.find((m) => !m.witness && m.id !== this.current?.id)!.id;
      const from = this.current!.id;
      this.setPrimary(to, this.snap.epoch + 1);
      return { from, to, epoch: this.snap.epoch, tookMs: 5 };
    };
  }

  now(): number {
    return this.clock;
  }
  memberChange(change: MemberChangeRequest, timeoutMs?: number): Promise<ConfigSnapshot> {
    this.memberChangeCalls.push({ change, timeoutMs });
    return this.memberChangeImpl(change, timeoutMs);
  }
  forceConfig(keep: string[]): ConfigSnapshot {
    this.forceConfigCalls.push(keep);
    return this.forceConfigImpl(keep);
  }

  /** Replace the configuration's members, keeping voters, learners and quorum consistent with them. */
  setConfigMembers(members: ConfigSnapshot['members'], version = this.snap.config.version + 1): ConfigSnapshot {
    const c = this.snap.config;
    c.members = members;
    c.version = version;
    c.epoch = this.snap.epoch;
    c.voters = members.filter((m) => m.kind !== 'learner').map((m) => m.id);
    c.learners = members.filter((m) => m.kind === 'learner').map((m) => m.id);
    c.quorum = Math.floor(c.voters.length / 2) + 1;
    return structuredClone(c);
  }
  snapshot(): ElectorSnapshot {
    return structuredClone(this.snap);
  }
  redisStatus(): RedisStatus | undefined {
    return this.redis;
  }
  fenced(): boolean {
    return this.isFenced;
  }
  voteFileProblem(): string | undefined {
    return this.voteFileError;
  }
  primaryLinkUp(): boolean | undefined {
    return this.linkUp;
  }
  redisAddrOf(id: string): HostPort | undefined {
    return this.config.members.find((m) => m.id === id)?.redis;
  }
  primary(): { id: string; addr: HostPort; epoch: number } | undefined {
    return this.current;
  }
  counters(): SidecarCounters {
    return structuredClone(this.counts);
  }
  switchover(target?: string): Promise<SwitchoverResult> {
    this.switchoverCalls.push(target);
    return this.switchoverImpl(target);
  }

  peer(id: string) {
    const p = this.snap.peers.find((x) => x.id === id);
    if (!p) throw new Error(`no peer ${id}`);
    return p;
  }

  emitElector(ev: ElectorEvent): void {
    this.events.emit('elector', ev);
  }

  /** Make `id` the primary of `epoch`: updates the snapshot and emits primary-changed as the sidecar would. */
  setPrimary(id: string, epoch: number): void {
    const prev = this.current;
    const addr = this.redisAddrOf(id)!;
    this.current = { id, addr, epoch };
    const self = this.config.id;
    this.snap.epoch = epoch;
    this.snap.currentPrimary = id;
    this.snap.role = id === self ? 'primary' : 'replica';
    this.snap.phase = id === self ? 'primary' : 'follower';
    this.snap.hasLease = id === self;
    this.snap.writesAllowed = id === self;
    this.snap.leaseUntil = id === self ? this.clock + 400 : -Infinity;
    for (const p of this.snap.peers) {
      p.epoch = epoch;
      p.role = p.id === id ? 'primary' : 'replica';
    }
    this.events.emit('primary-changed', { from: prev?.id ?? null, to: id, fromAddr: prev?.addr, toAddr: addr, epoch });
  }
}
