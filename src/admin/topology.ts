/**
 * The cluster as a Sentinel would describe it, derived from a SidecarView:
 * one master (the primary clients should use), its replicas (the other data
 * members) and the other "sentinels" (the other sidecars, witnesses
 * included). The SENTINEL replies, INFO and the pub/sub events are all
 * rendered from this, so they always agree with each other.
 */
import { resolveConfig } from '../elector/config.js';
import type { HostPort } from '../protocol/index.js';
import type { SidecarView } from '../sidecar/view.js';
import { reachableVoters } from './voters.js';

export interface MasterState {
  name: string;
  id: string;
  addr: HostPort;
  epoch: number;
  self: boolean;
  /** We cannot see it acting as primary (its sidecar is down, or it no longer claims the role). */
  sDown: boolean;
  /** The Elector declared it lost: an election will (or did) replace it. */
  oDown: boolean;
  /**
   * Its redis does not answer us (our link to it was refused or closed), or
   * its sidecar is unreachable from here: Sentinel's `disconnected`.
   */
  disconnected: boolean;
  /** An election or a hand-off is under way. */
  failoverInProgress: boolean;
  lastHeardMsAgo: number | null;
  /** What its redis says it is, when known (only for this node's own redis). */
  roleReported: 'master' | 'slave';
  runId: string;
}

export interface ReplicaState {
  id: string;
  addr: HostPort;
  self: boolean;
  up: boolean;
  lastHeardMsAgo: number | null;
  offset: number;
  priority: number;
  linkOk: boolean;
  runId: string;
}

export interface SentinelState {
  id: string;
  addr: HostPort;
  up: boolean;
  witness: boolean;
  lastHeardMsAgo: number | null;
}

export interface Topology {
  masterName: string;
  /** Votes needed to win an election: a strict majority of the voters of the configuration in use. */
  quorum: number;
  memberCount: number;
  /** Voters reachable from here, this sidecar included when it is one (learners never count). */
  usable: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  /** Undefined until a primary has been elected or heard of. */
  master: MasterState | undefined;
  /** Data members other than the master, in configuration order. */
  replicas: ReplicaState[];
  /** The other sidecars, in configuration order. */
  sentinels: SentinelState[];
}

/** `host:port`, IPv6 hosts bracketed: the `name` Sentinel gives a replica. */
export function hostPort(addr: HostPort): string {
  return addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}

function timings(view: SidecarView): { downAfterMs: number; failoverTimeoutMs: number } {
  try {
    const c = resolveConfig(view.config.timings);
    return { downAfterMs: c.downAfterMs, failoverTimeoutMs: c.handoffTimeoutMs };
  } catch {
    const down = view.config.timings.downAfterMs ?? 1000;
    return { downAfterMs: down, failoverTimeoutMs: view.config.timings.handoffTimeoutMs ?? down * 2 };
  }
}

/**
 * @param primaryLost whether the Elector has declared the current primary
 *   lost (tracked from its events; see PrimaryLossTracker).
 */
export function describeTopology(view: SidecarView, primaryLost: boolean): Topology {
  const config = view.config;
  const snap = view.snapshot();
  const now = view.now();
  const peers = new Map(snap.peers.map((p) => [p.id, p]));
  const ago = (lastHeard: number | null): number | null => (lastHeard === null ? null : Math.max(0, Math.round(now - lastHeard)));
  const redis = view.redisStatus();
  const selfRunId = redis?.runId ?? '';
  const primary = view.primary();

  let master: MasterState | undefined;
  if (primary) {
    const self = primary.id === config.id;
    const peer = peers.get(primary.id);
    const alive = self ? snap.role === 'primary' : peer !== undefined && peer.up && peer.role === 'primary';
    const sDown = !alive;
    master = {
      name: config.masterName,
      id: primary.id,
      addr: primary.addr,
      epoch: primary.epoch,
      self,
      sDown,
      oDown: sDown && primaryLost,
      disconnected: (self ? redis?.reachable === false : !(peer?.up ?? false)) || view.primaryLinkUp() === false,
      failoverInProgress:
        snap.phase === 'prevote' || snap.phase === 'candidate' || snap.phase === 'promoting' || snap.handoff !== null || snap.peers.some((p) => p.up && p.role === 'candidate'),
      lastHeardMsAgo: self ? 0 : ago(peer?.lastHeard ?? null),
      roleReported: self && redis?.role === 'slave' ? 'slave' : 'master',
      runId: self ? selfRunId : '',
    };
  }

  const replicas: ReplicaState[] = [];
  const sentinels: SentinelState[] = [];
  for (const m of config.members) {
    const self = m.id === config.id;
    const peer = peers.get(m.id);
    if (!self) {
      sentinels.push({ id: m.id, addr: m.sidecar, up: peer?.up ?? false, witness: m.witness, lastHeardMsAgo: ago(peer?.lastHeard ?? null) });
    }
    if (m.witness || m.id === master?.id) continue;
    const addr = view.redisAddrOf(m.id);
    if (!addr) continue;
    if (self) {
      const up = redis?.reachable ?? false;
      replicas.push({
        id: m.id,
        addr,
        self,
        up,
        lastHeardMsAgo: 0,
        offset: redis?.offset ?? snap.offset,
        priority: m.priority,
        linkOk: redis?.replication?.linkStatus === 'up',
        runId: selfRunId,
      });
    } else {
      const up = peer?.up ?? false;
      replicas.push({
        id: m.id,
        addr,
        self,
        up,
        lastHeardMsAgo: ago(peer?.lastHeard ?? null),
        offset: peer?.offset ?? 0,
        priority: m.priority,
        // We only know a peer's sidecar is alive and following; its redis link is its own business.
        linkOk: up && master !== undefined && !master.sDown && peer?.role === 'replica',
        runId: '',
      });
    }
  }

  return {
    masterName: config.masterName,
    quorum: snap.config.quorum,
    memberCount: config.members.length,
    usable: reachableVoters(snap),
    ...timings(view),
    master,
    replicas,
    sentinels,
  };
}

/** Sentinel's instance flags. */
export function masterFlags(m: MasterState): string {
  const flags = ['master'];
  if (m.sDown) flags.push('s_down');
  if (m.oDown) flags.push('o_down');
  if (m.disconnected) flags.push('disconnected');
  if (m.failoverInProgress) flags.push('failover_in_progress');
  return flags.join(',');
}

export function replicaFlags(r: ReplicaState): string {
  return r.up ? 'slave' : 'slave,s_down,disconnected';
}

export function sentinelFlags(s: SentinelState): string {
  return s.up ? 'sentinel' : 'sentinel,s_down,disconnected';
}

/** Sentinel's INFO `status=` of a master. */
export function masterStatus(m: MasterState | undefined): 'ok' | 'sdown' | 'odown' {
  if (m === undefined || m.oDown) return 'odown';
  return m.sDown ? 'sdown' : 'ok';
}
