/**
 * The node table: one row per node with its sidecar role, epoch, redis port,
 * replication offset and link, from the recorded node state and a fresh
 * INFO of each redis.
 */
import type { NodeState } from './node-state.js';
import type { RedisView } from './redis-info.js';

export interface TableRow {
  id: string;
  role: string;
  epoch: string;
  redis: string;
  offset: string;
  link: string;
}

export interface RowInput {
  id: string;
  redisPort: number;
  state: NodeState;
  view: RedisView | undefined;
  /** Node id of a redis port, to name a replica's master. */
  idOfPort: (port: number | undefined) => string | undefined;
  members: number;
}

export function roleText(state: NodeState): string {
  switch (state.proc) {
    case 'down':
      return 'down';
    case 'frozen':
      return 'frozen';
    default: {
      const role = state.role === 'primary' && !state.writable ? 'primary (fenced)' : state.role;
      if (state.proc === 'redis-down') return `${role}, redis down`;
      if (state.proc === 'sidecar-frozen') return `${role}?, sidecar frozen`;
      return role;
    }
  }
}

export function buildRow(r: RowInput): TableRow {
  const v = r.view;
  let link = '-';
  let offset = '-';
  if (v?.reachable && v.state) {
    offset = String(v.offset ?? '-');
    if (v.state.role === 'master') {
      const online = v.state.connectedReplicas.filter((x) => x.state === 'online').length;
      link = `master, ${online}/${r.members - 1} replicas online`;
    } else {
      const to = r.idOfPort(v.state.masterPort) ?? (v.state.masterPort !== undefined ? `:${v.state.masterPort}` : '?');
      const sync = v.state.syncInProgress ? ', full sync' : '';
      link = `replica of ${to}, link ${v.state.linkStatus ?? '?'}${sync}`;
    }
  } else if (v && !v.reachable) {
    link = 'redis unreachable';
  }
  return { id: r.id, role: roleText(r.state), epoch: String(r.state.epoch), redis: String(r.redisPort), offset, link };
}

const HEAD: TableRow = { id: 'node', role: 'role', epoch: 'epoch', redis: 'redis port', offset: 'offset', link: 'link' };
const COLS: (keyof TableRow)[] = ['id', 'role', 'epoch', 'redis', 'offset', 'link'];

export function renderTable(rows: readonly TableRow[], indent = '  '): string[] {
  const all = [HEAD, ...rows];
  const width = (c: keyof TableRow) => Math.max(...all.map((r) => r[c].length));
  const line = (r: TableRow) => indent + COLS.map((c, i) => (i === COLS.length - 1 ? r[c] : r[c].padEnd(width(c)))).join('  ');
  return all.map(line).map((l) => l.trimEnd());
}
