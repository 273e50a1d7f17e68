/**
 * Parsing of the text the `INFO` command returns, and the replication facts
 * resp-elect derives from it. Pure functions only: the adapter feeds them the
 * raw text, the unit tests feed them captured samples.
 *
 * Why parse INFO and not `ROLE`: ROLE lacks loading, sync-in-progress, the
 * replication ids and run_id, which the Elector needs to decide whether the
 * local redis can be trusted with a promotion. One INFO round trip gives all.
 */

/** INFO text split into sections (lower-cased name, e.g. `replication`) of raw string fields. */
export type InfoSections = Record<string, Record<string, string>>;

/**
 * Split INFO output into sections. Lines are `# Section`, `field:value` or
 * blank; a value may itself contain `:` (paths, IPv6, `slave0:ip=::1,...`),
 * so only the first colon separates. Fields before any header land in the
 * section named `''`. Accepts CRLF or LF, and the concatenation of several
 * INFO replies.
 */
export function parseInfo(text: string): InfoSections {
  const sections: InfoSections = {};
  let current: Record<string, string> = {};
  let currentName = '';
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      currentName = line.slice(1).trim().toLowerCase();
      current = sections[currentName] ?? {};
      sections[currentName] = current;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    if (!(currentName in sections)) sections[currentName] = current;
    current[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return sections;
}

/** All fields of all sections in one record (later sections win on a name clash, which INFO never has). */
export function flattenInfo(sections: InfoSections): Record<string, string> {
  return Object.assign({}, ...Object.values(sections)) as Record<string, string>;
}

/** A replica as its master lists it (`slaveN:ip=...,port=...,state=...,offset=...,lag=...`). */
export interface ConnectedReplica {
  ip: string;
  port: number;
  /** `online` once streaming; `wait_bgsave` / `send_bulk` while a full sync is set up or sent. */
  state: string;
  /** Offset the replica last acknowledged (REPLCONF ACK, sent about once a second: it lags a little). */
  offset: number;
  /** Seconds since that acknowledgement. */
  lag: number;
  /**
   * Valkey 8's `type=` field: `replica` for an ordinary link; during a
   * dual-channel sync (`dual-channel-replication-enabled yes`) one replica
   * has two connections, `rdb-channel` (the snapshot) and `main-channel`
   * (the buffered stream). Absent on redis.
   */
  type?: string;
}

/**
 * The replication facts resp-elect acts on, in redis's own vocabulary
 * (`master`/`slave`, as INFO spells them even on 7.x).
 */
export interface ReplicationState {
  role: 'master' | 'slave';
  /** INFO server `run_id`: a new value means the process restarted (and, without persistence, lost its data). */
  runId?: string;
  /** `master_replid`: the history the offsets below belong to. Offsets of different histories do not compare. */
  replId?: string;
  /** `master_replid2`: the previous history a promoted replica still accepts PSYNC for. */
  replId2?: string;
  /** `second_repl_offset`: up to where (exclusive) replId2 is valid; -1 when unset. */
  secondReplOffset?: number;
  /** `master_repl_offset`: the offset of this node's own replication stream (its backlog). */
  masterReplOffset: number;
  /**
   * `slave_repl_offset` (replicas only): the offset of the master stream this replica has applied.
   * Redis reports the synthetic value 1 when it has neither a master link nor a cached master
   * (for example while loading a full-sync RDB, or after restarting empty with a dead master).
   */
  replicaOffset?: number;
  /** `slave_read_repl_offset` (7.0+, replicas only): read from the socket, not necessarily applied yet. */
  replicaReadOffset?: number;
  masterHost?: string;
  masterPort?: number;
  /** `master_link_status` (replicas only). */
  linkStatus?: 'up' | 'down';
  /** `master_link_down_since_seconds` (replicas only, while the link is down). */
  linkDownSinceSec?: number;
  /** `master_sync_in_progress:1`: a full sync is being received or loaded. */
  syncInProgress: boolean;
  /** INFO persistence `loading:1` or `async_loading:1`: the dataset is being (re)loaded. */
  loading: boolean;
  /** Replicas attached to this node (usually only on a master). */
  connectedReplicas: ConnectedReplica[];
}

/** Thrown when INFO text lacks what a ReplicationState needs (truncated, or not a redis INFO at all). */
export class InfoParseError extends Error {
  override name = 'InfoParseError';
}

function num(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Parse `ip=127.0.0.1,port=6380,state=online,offset=14,lag=0`. */
export function parseReplicaLine(value: string): ConnectedReplica | undefined {
  const fields: Record<string, string> = {};
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq)] = part.slice(eq + 1);
  }
  const port = num(fields['port']);
  if (fields['ip'] === undefined || port === undefined) return undefined;
  return {
    ip: fields['ip'],
    port,
    state: fields['state'] ?? 'unknown',
    offset: num(fields['offset']) ?? 0,
    lag: num(fields['lag']) ?? 0,
    ...(fields['type'] !== undefined ? { type: fields['type'] } : {}),
  };
}

/**
 * One entry per replica: Valkey's dual-channel sync lists a replica twice
 * (the `rdb-channel` and the `main-channel` connection, same ip:port), and
 * nothing may count that as two replicas. The rdb-channel entry is dropped
 * when its replica has another connection listed; alone, it stays (its
 * state is never `online`, so it counts as a replica not yet in sync).
 */
export function oneEntryPerReplica(entries: ConnectedReplica[]): ConnectedReplica[] {
  const key = (r: ConnectedReplica) => `${r.ip.toLowerCase()}:${r.port}`;
  const others = new Set(entries.filter((r) => r.type !== 'rdb-channel').map(key));
  return entries.filter((r) => r.type !== 'rdb-channel' || !others.has(key(r)));
}

/**
 * Derive the ReplicationState from parsed INFO. Needs the `replication`
 * section; reads `run_id` from `server` and `loading` from `persistence` when
 * present (fields are looked up across all sections, so a flat INFO works too).
 */
export function parseReplicationState(sections: InfoSections): ReplicationState {
  const f = flattenInfo(sections);
  const role = f['role'];
  if (role !== 'master' && role !== 'slave') {
    throw new InfoParseError(`INFO has no usable role field (got ${role === undefined ? 'none' : JSON.stringify(role)})`);
  }
  const masterReplOffset = num(f['master_repl_offset']);
  if (masterReplOffset === undefined) {
    throw new InfoParseError('INFO has no master_repl_offset field');
  }

  const replicas: { index: number; replica: ConnectedReplica }[] = [];
  for (const [key, value] of Object.entries(f)) {
    const m = /^slave(\d+)$/.exec(key);
    if (!m) continue;
    const replica = parseReplicaLine(value);
    if (replica) replicas.push({ index: Number(m[1]), replica });
  }
  replicas.sort((a, b) => a.index - b.index);

  const link = f['master_link_status'];
  const state: ReplicationState = {
    role,
    masterReplOffset,
    syncInProgress: f['master_sync_in_progress'] === '1',
    loading: f['loading'] === '1' || f['async_loading'] === '1',
    connectedReplicas: oneEntryPerReplica(replicas.map((r) => r.replica)),
  };
  if (f['run_id']) state.runId = f['run_id'];
  if (f['master_replid']) state.replId = f['master_replid'];
  if (f['master_replid2']) state.replId2 = f['master_replid2'];
  const second = num(f['second_repl_offset']);
  if (second !== undefined) state.secondReplOffset = second;
  if (role === 'slave') {
    const applied = num(f['slave_repl_offset']);
    if (applied !== undefined) state.replicaOffset = applied;
    const read = num(f['slave_read_repl_offset']);
    if (read !== undefined) state.replicaReadOffset = read;
    if (f['master_host'] !== undefined) state.masterHost = f['master_host'];
    const port = num(f['master_port']);
    if (port !== undefined) state.masterPort = port;
    if (link === 'up' || link === 'down') state.linkStatus = link;
    const downSince = num(f['master_link_down_since_seconds']);
    if (downSince !== undefined) state.linkDownSinceSec = downSince;
  }
  return state;
}
