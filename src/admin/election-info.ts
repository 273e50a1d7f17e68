/**
 * The `# Election` INFO section: what `resp-elect status` reads. One
 * `field:value` line per fact about this node, then one line per member in
 * redis's `slave0:ip=...,port=...` style:
 *
 *   member0:id=n1,self=1,role=primary,epoch=3,offset=1200,state=up,last_seen_ms=0,redis=10.0.0.1:6379,sidecar=10.0.0.1:26379,witness=0,priority=1,kind=voter
 *
 * Member values are percent-escaped for `%`, `,` and `=` (node ids may hold
 * any printable ASCII), so the line always splits back unambiguously.
 */
import type { SidecarView } from '../sidecar/view.js';
import { hostPort } from './topology.js';
import { reachableVoters } from './voters.js';

export interface ElectionMember {
  id: string;
  self: boolean;
  /** The role the member last announced (primary, replica, candidate). */
  role: string;
  epoch: number;
  offset: number;
  state: 'up' | 'down';
  /** Milliseconds since this sidecar last heard the member; 0 for itself, null if never. */
  lastSeenMs: number | null;
  /** Its redis as clients reach it; empty for witnesses. */
  redis: string;
  sidecar: string;
  witness: boolean;
  priority: number;
  /** Its kind in the configuration in use: voter, learner or witness. */
  kind: string;
}

export interface ElectionInfo {
  id: string;
  role: string;
  phase: string;
  epoch: number;
  votedFor: string;
  primary: string;
  primaryAddr: string;
  primaryEpoch: number;
  lease: boolean;
  leaseRemainingMs: number;
  writesAllowed: boolean;
  offset: number;
  healthy: boolean;
  fenced: boolean;
  witness: boolean;
  handoff: string;
  /** A strict majority of the voters of the configuration in use. */
  quorum: number;
  /** Members this sidecar hears, itself included (learners too). */
  reachable: number;
  /** Voters this sidecar hears, itself included when it is one: what `quorum` is compared with. */
  reachableVoters: number;
  configVersion: number;
  configEpoch: number;
  /** How many voters (witnesses included) and learners the configuration has; the member lines carry each one's kind. */
  voters: number;
  learners: number;
  redisReachable: boolean | null;
  redisRole: string;
  redisHealthy: boolean | null;
  redisUnhealthyReason: string;
  members: ElectionMember[];
}

const escapeValue = (s: string) => s.replace(/[%,=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
const unescapeValue = (s: string) => s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
const flag = (b: boolean) => (b ? '1' : '0');

/** Gathers the section's facts from the view. */
export function collectElectionInfo(view: SidecarView): ElectionInfo {
  const config = view.config;
  const snap = view.snapshot();
  const now = view.now();
  const primary = view.primary();
  const redis = view.redisStatus();
  const selfMember = config.members.find((m) => m.id === config.id);
  const peers = new Map(snap.peers.map((p) => [p.id, p]));
  const kinds = new Map(snap.config.members.map((m) => [m.id, m.kind]));
  const members: ElectionMember[] = config.members.map((m) => {
    const redisAddr = m.witness ? undefined : view.redisAddrOf(m.id);
    const base = {
      id: m.id,
      redis: redisAddr ? hostPort(redisAddr) : '',
      sidecar: hostPort(m.sidecar),
      witness: m.witness,
      priority: m.priority,
      kind: kinds.get(m.id) ?? (m.witness ? 'witness' : 'voter'),
    };
    if (m.id === config.id) {
      return { ...base, self: true, role: snap.role, epoch: snap.epoch, offset: snap.offset, state: 'up' as const, lastSeenMs: 0 };
    }
    const p = peers.get(m.id);
    return {
      ...base,
      self: false,
      role: p?.role ?? 'replica',
      epoch: p?.epoch ?? 0,
      offset: p?.offset ?? 0,
      state: p?.up ? ('up' as const) : ('down' as const),
      lastSeenMs: p?.lastHeard === null || p?.lastHeard === undefined ? null : Math.max(0, Math.round(now - p.lastHeard)),
    };
  });
  return {
    id: config.id,
    role: snap.role,
    phase: snap.phase,
    epoch: snap.epoch,
    votedFor: snap.votedFor ?? '',
    primary: primary?.id ?? '',
    primaryAddr: primary ? hostPort(primary.addr) : '',
    primaryEpoch: primary?.epoch ?? 0,
    lease: snap.hasLease,
    leaseRemainingMs: snap.hasLease && Number.isFinite(snap.leaseUntil) ? Math.max(0, Math.round(snap.leaseUntil - now)) : 0,
    writesAllowed: snap.writesAllowed,
    offset: snap.offset,
    healthy: snap.healthy,
    fenced: view.fenced(),
    witness: selfMember?.witness ?? false,
    handoff: snap.handoff ? `${snap.handoff.target}${snap.handoff.released ? ' (released)' : ''}` : '',
    quorum: snap.config.quorum,
    reachable: 1 + snap.peers.filter((p) => p.up).length,
    reachableVoters: reachableVoters(snap),
    configVersion: snap.config.version,
    configEpoch: snap.config.epoch,
    voters: snap.config.voters.length,
    learners: snap.config.learners.length,
    redisReachable: redis ? redis.reachable : null,
    redisRole: redis?.role ?? '',
    redisHealthy: redis ? redis.healthy : null,
    redisUnhealthyReason: redis?.unhealthyReason ?? '',
    members,
  };
}

/** The section's lines, header included, joined with CRLF. */
export function formatElectionInfo(info: ElectionInfo): string {
  const opt = (b: boolean | null) => (b === null ? '' : flag(b));
  const lines = [
    '# Election',
    `id:${info.id}`,
    `role:${info.role}`,
    `phase:${info.phase}`,
    `epoch:${info.epoch}`,
    `voted_for:${info.votedFor}`,
    `primary:${info.primary}`,
    `primary_addr:${info.primaryAddr}`,
    `primary_epoch:${info.primaryEpoch}`,
    `lease:${flag(info.lease)}`,
    `lease_remaining_ms:${info.leaseRemainingMs}`,
    `writes_allowed:${flag(info.writesAllowed)}`,
    `offset:${info.offset}`,
    `healthy:${flag(info.healthy)}`,
    `fenced:${flag(info.fenced)}`,
    `witness:${flag(info.witness)}`,
    `handoff:${info.handoff}`,
    `quorum:${info.quorum}`,
    `reachable_members:${info.reachable}`,
    `reachable_voters:${info.reachableVoters}`,
    `config_version:${info.configVersion}`,
    `config_epoch:${info.configEpoch}`,
    `voters:${info.voters}`,
    `learners:${info.learners}`,
    `redis_reachable:${opt(info.redisReachable)}`,
    `redis_role:${info.redisRole}`,
    `redis_healthy:${opt(info.redisHealthy)}`,
    `redis_unhealthy_reason:${info.redisUnhealthyReason}`,
    `members:${info.members.length}`,
  ];
  info.members.forEach((m, i) => {
    const fields: Array<[string, string]> = [
      ['id', m.id],
      ['self', flag(m.self)],
      ['role', m.role],
      ['epoch', String(m.epoch)],
      ['offset', String(m.offset)],
      ['state', m.state],
      ['last_seen_ms', m.lastSeenMs === null ? '-1' : String(m.lastSeenMs)],
      ['redis', m.redis],
      ['sidecar', m.sidecar],
      ['witness', flag(m.witness)],
      ['priority', String(m.priority)],
      ['kind', m.kind],
    ];
    lines.push(`member${i}:${fields.map(([k, v]) => `${k}=${escapeValue(v)}`).join(',')}`);
  });
  return lines.join('\r\n');
}

/**
 * Parses the `# Election` section out of INFO text (other sections are
 * ignored). Throws when the text has no election section.
 */
export function parseElectionInfo(text: string): ElectionInfo {
  const fields = new Map<string, string>();
  const memberLines: Array<[number, string]> = [];
  let inSection = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#')) {
      inSection = line.slice(1).trim().toLowerCase() === 'election';
      continue;
    }
    if (!inSection || line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    const m = /^member(\d+)$/.exec(key);
    if (m) memberLines.push([Number(m[1]), value]);
    else fields.set(key, value);
  }
  if (!fields.has('id')) throw new Error('the reply has no "# Election" section with an id (is this a resp-elect sidecar?)');
  const str = (k: string) => fields.get(k) ?? '';
  const num = (k: string) => Number(fields.get(k) ?? 0) || 0;
  const bool = (k: string) => fields.get(k) === '1';
  const optBool = (k: string) => (fields.get(k) === '' || !fields.has(k) ? null : fields.get(k) === '1');
  const members = memberLines
    .sort((a, b) => a[0] - b[0])
    .map(([, value]) => {
      const kv = new Map<string, string>();
      for (const part of value.split(',')) {
        const eq = part.indexOf('=');
        if (eq > 0) kv.set(part.slice(0, eq), unescapeValue(part.slice(eq + 1)));
      }
      const lastSeen = Number(kv.get('last_seen_ms') ?? -1);
      return {
        id: kv.get('id') ?? '',
        self: kv.get('self') === '1',
        role: kv.get('role') ?? '',
        epoch: Number(kv.get('epoch') ?? 0) || 0,
        offset: Number(kv.get('offset') ?? 0) || 0,
        state: kv.get('state') === 'up' ? ('up' as const) : ('down' as const),
        lastSeenMs: Number.isFinite(lastSeen) && lastSeen >= 0 ? lastSeen : null,
        redis: kv.get('redis') ?? '',
        sidecar: kv.get('sidecar') ?? '',
        witness: kv.get('witness') === '1',
        priority: Number(kv.get('priority') ?? 0) || 0,
        kind: kv.get('kind') ?? (kv.get('witness') === '1' ? 'witness' : 'voter'),
      };
    });
  return {
    id: str('id'),
    role: str('role'),
    phase: str('phase'),
    epoch: num('epoch'),
    votedFor: str('voted_for'),
    primary: str('primary'),
    primaryAddr: str('primary_addr'),
    primaryEpoch: num('primary_epoch'),
    lease: bool('lease'),
    leaseRemainingMs: num('lease_remaining_ms'),
    writesAllowed: bool('writes_allowed'),
    offset: num('offset'),
    healthy: bool('healthy'),
    fenced: bool('fenced'),
    witness: bool('witness'),
    handoff: str('handoff'),
    quorum: num('quorum'),
    reachable: num('reachable_members'),
    reachableVoters: num('reachable_voters'),
    configVersion: num('config_version'),
    configEpoch: num('config_epoch'),
    voters: num('voters'),
    learners: num('learners'),
    redisReachable: optBool('redis_reachable'),
    redisRole: str('redis_role'),
    redisHealthy: optBool('redis_healthy'),
    redisUnhealthyReason: str('redis_unhealthy_reason'),
    members,
  };
}
