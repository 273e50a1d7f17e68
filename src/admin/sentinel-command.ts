/**
 * `SENTINEL <subcommand>`: the part of Sentinel's API clients use to find
 * the primary (get-master-addr-by-name, master, replicas, sentinels), plus
 * ckquorum, myid and failover (a planned switchover). Field names and
 * flags follow redis 7.0 Sentinel, so ioredis, node-redis, redis-py and
 * operators' scripts read them unchanged; each entry ends with an extra
 * `node-id` field naming the resp-elect member. Entries are maps: a RESP3
 * map, or Sentinel's flat field/value array in RESP2.
 */
import type { SidecarView } from '../sidecar/view.js';
import { error, fieldMap, NullArray, simple, type MapReply, type Reply } from './resp.js';
import {
  describeTopology,
  hostPort,
  masterFlags,
  replicaFlags,
  sentinelFlags,
  type MasterState,
  type ReplicaState,
  type SentinelState,
  type Topology,
} from './topology.js';

export interface SentinelContext {
  view: SidecarView;
  primaryLost(): boolean;
  /** Runs one switchover at a time; see FailoverRunner. */
  failover(target: string | undefined): Promise<Reply>;
}

const NO_SUCH_MASTER = 'ERR No such master with that name';

const HELP = [
  'SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CKQUORUM <master-name>',
  '    Check if the current Sentinel configuration is able to reach the quorum',
  '    needed to failover a master and the majority needed to authorize the',
  '    failover.',
  'FLUSHCONFIG',
  '    Succeed: a sidecar keeps nothing unwritten (its votes and configuration are',
  '    on disk before it acts on them).',
  'FAILOVER <master-name> [TO <node-id>]',
  '    Hand the primary role over to the best replica, or to <node-id>.',
  'GET-MASTER-ADDR-BY-NAME <master-name>',
  '    Return the ip and port number of the master with that name.',
  'MASTER <master-name>',
  '    Show the state and info of the specified master.',
  'MASTERS',
  '    Show a list of monitored masters and their state.',
  'MYID',
  '    Return the ID of this sidecar (its member id).',
  'REPLICAS <master-name>',
  '    Show a list of replicas for this master and their state.',
  'SENTINELS <master-name>',
  '    Show a list of the other sidecars monitoring this master and their state.',
  'HELP',
  '    Print this help.',
];

function base(ms: number | null): Record<string, string | number> {
  return {
    'link-pending-commands': 0,
    'link-refcount': 1,
    'last-ping-sent': 0,
    'last-ok-ping-reply': ms ?? 0,
    'last-ping-reply': ms ?? 0,
  };
}

export function masterEntry(topo: Topology, m: MasterState): MapReply {
  const fields: Record<string, string | number> = {
    name: m.name,
    ip: m.addr.host,
    port: m.addr.port,
    runid: m.runId,
    flags: masterFlags(m),
    ...base(m.lastHeardMsAgo),
  };
  if (m.sDown) fields['s-down-time'] = m.lastHeardMsAgo ?? 0;
  if (m.oDown) fields['o-down-time'] = m.lastHeardMsAgo ?? 0;
  Object.assign(fields, {
    'down-after-milliseconds': topo.downAfterMs,
    'info-refresh': 0,
    'role-reported': m.roleReported,
    'role-reported-time': 0,
    'config-epoch': m.epoch,
    'num-slaves': topo.replicas.length,
    'num-other-sentinels': topo.sentinels.length,
    quorum: topo.quorum,
    'failover-timeout': topo.failoverTimeoutMs,
    'parallel-syncs': 1,
    'node-id': m.id,
  });
  return fieldMap(fields);
}

export function replicaEntry(topo: Topology, r: ReplicaState): MapReply {
  const fields: Record<string, string | number> = {
    name: hostPort(r.addr),
    ip: r.addr.host,
    port: r.addr.port,
    runid: r.runId,
    flags: replicaFlags(r),
    ...base(r.lastHeardMsAgo),
  };
  if (!r.up) fields['s-down-time'] = r.lastHeardMsAgo ?? 0;
  Object.assign(fields, {
    'down-after-milliseconds': topo.downAfterMs,
    'info-refresh': 0,
    'role-reported': 'slave',
    'role-reported-time': 0,
    'master-link-down-time': 0,
    'master-link-status': r.linkOk ? 'ok' : 'err',
    'master-host': topo.master?.addr.host ?? '?',
    'master-port': topo.master?.addr.port ?? 0,
    'slave-priority': r.priority,
    'slave-repl-offset': r.offset,
    'replica-announced': 1,
    'node-id': r.id,
  });
  return fieldMap(fields);
}

export function sentinelEntry(topo: Topology, s: SentinelState): MapReply {
  const fields: Record<string, string | number> = {
    name: s.id,
    ip: s.addr.host,
    port: s.addr.port,
    runid: s.id,
    flags: sentinelFlags(s),
    ...base(s.lastHeardMsAgo),
  };
  if (!s.up) fields['s-down-time'] = s.lastHeardMsAgo ?? 0;
  Object.assign(fields, {
    'down-after-milliseconds': topo.downAfterMs,
    'last-hello-message': s.lastHeardMsAgo ?? 0,
    'voted-leader': '?',
    'voted-leader-epoch': 0,
    'node-id': s.id,
  });
  return fieldMap(fields);
}

const wrongArity = (sub: string) => error(`ERR wrong number of arguments for 'sentinel|${sub}' command`);

/** Resolves a failover target given as a member id or as a member's redis `host:port`. */
function resolveTarget(view: SidecarView, target: string): string {
  if (view.config.members.some((m) => m.id === target)) return target;
  for (const m of view.config.members) {
    const addr = view.redisAddrOf(m.id);
    if (addr && (hostPort(addr) === target || `${addr.host}:${addr.port}` === target)) return m.id;
  }
  return target;
}

export function sentinelCommand(ctx: SentinelContext, args: readonly string[]): Reply | Promise<Reply> {
  const sub = (args[0] ?? '').toLowerCase();
  const rest = args.slice(1);
  const view = ctx.view;
  const name = view.config.masterName;
  const topology = () => describeTopology(view, ctx.primaryLost());
  const exactlyName = (): Reply | undefined => {
    if (rest.length !== 1) return wrongArity(sub);
    if (rest[0] !== name) return error(NO_SUCH_MASTER);
    return undefined;
  };

  switch (sub) {
    case 'get-master-addr-by-name':
    case 'get-primary-addr-by-name': {
      if (rest.length !== 1) return wrongArity(sub);
      const primary = view.primary();
      if (rest[0] !== name || !primary) return NullArray.instance;
      return [primary.addr.host, String(primary.addr.port)];
    }
    case 'master':
    case 'primary': {
      const bad = exactlyName();
      if (bad) return bad;
      const topo = topology();
      if (!topo.master) return error('ERR No primary has been elected yet for this master');
      return masterEntry(topo, topo.master);
    }
    case 'masters':
    case 'primaries': {
      if (rest.length !== 0) return wrongArity(sub);
      const topo = topology();
      return topo.master ? [masterEntry(topo, topo.master)] : [];
    }
    case 'replicas':
    case 'slaves': {
      const bad = exactlyName();
      if (bad) return bad;
      const topo = topology();
      return topo.replicas.map((r) => replicaEntry(topo, r));
    }
    case 'sentinels': {
      const bad = exactlyName();
      if (bad) return bad;
      const topo = topology();
      return topo.sentinels.map((s) => sentinelEntry(topo, s));
    }
    case 'myid':
      if (rest.length !== 0) return wrongArity(sub);
      return view.config.id;
    case 'ckquorum': {
      const bad = exactlyName();
      if (bad) return bad;
      const topo = topology();
      if (topo.usable >= topo.quorum) return simple(`OK ${topo.usable} usable Sentinels. Quorum and failover authorization can be reached`);
      return error(
        `NOQUORUM ${topo.usable} usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. ` +
          'Not enough available Sentinels to reach the majority and authorize a failover',
      );
    }
    case 'failover': {
      if (rest.length !== 1 && rest.length !== 3) return wrongArity(sub);
      if (rest[0] !== name) return error(NO_SUCH_MASTER);
      let target: string | undefined;
      if (rest.length === 3) {
        if (rest[1]!.toLowerCase() !== 'to') return error('ERR syntax error: expected SENTINEL FAILOVER <master-name> [TO <node-id>]');
        target = resolveTarget(view, rest[2]!);
      }
      return ctx.failover(target);
    }
    case 'is-master-down-by-addr':
      return error('ERR resp-elect sidecars do not take part in Sentinel elections: is-master-down-by-addr is not supported');
    case 'pending-scripts':
      return [];
    case 'flushconfig':
      // Sentinel rewrites its config file here. A sidecar has nothing unwritten: its votes and its
      // configuration are on disk before it acts on them (protocol.md §5.2, §5.12), so the answer is Sentinel's
      // success, which clients such as phpredis' RedisSentinel::flushconfig() check for.
      if (rest.length !== 0) return wrongArity(sub);
      return simple('OK');
    case 'help':
      return HELP.map((line) => simple(line));
    case 'monitor':
    case 'remove':
    case 'set':
    case 'reset':
    case 'config':
    case 'simulate-failure':
    case 'info-cache':
    case 'debug':
      return error(`ERR SENTINEL ${sub.toUpperCase()} is not supported: resp-elect is configured with its run options, not at run time`);
    default:
      return error(`ERR unknown subcommand '${args[0] ?? ''}'. Try SENTINEL HELP.`);
  }
}
